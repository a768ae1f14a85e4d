"""The Engstrom fast-style-transfer network in TensorFlow 2, exactly as the reference
weights expect it. Pure: no file or network I/O here (see `weights.py` and `registry.py`).

Input is float32 RGB in 0..255, NHWC, no mean subtraction. Each layer owns three
variables in creation order (kernel, shift, scale), 16 layers, 48 variables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

INSTANCE_NORM_EPSILON = 1e-3
SIZE_MULTIPLE = 4  # two stride-2 downsamplings


@dataclass(frozen=True)
class LayerSpec:
    kind: str  # "conv" or "deconv"
    kernel_shape: tuple[int, int, int, int]
    stride: int
    relu: bool


def _conv(k: int, cin: int, cout: int, stride: int, relu: bool = True) -> LayerSpec:
    return LayerSpec("conv", (k, k, cin, cout), stride, relu)


def _deconv(cin: int, cout: int) -> LayerSpec:
    # Transposed-conv kernels are stored [h, w, out, in].
    return LayerSpec("deconv", (3, 3, cout, cin), 2, True)


LAYERS: tuple[LayerSpec, ...] = (
    _conv(9, 3, 32, 1),
    _conv(3, 32, 64, 2),
    _conv(3, 64, 128, 2),
    *[spec for _ in range(5) for spec in (_conv(3, 128, 128, 1), _conv(3, 128, 128, 1, False))],
    _deconv(128, 64),
    _deconv(64, 32),
    _conv(9, 32, 3, 1, relu=False),
)
RESIDUAL_LAYERS = range(3, 13)  # layer indices of the five two-conv residual blocks
VARIABLE_COUNT = 3 * len(LAYERS)


def variable_shapes() -> list[tuple[int, ...]]:
    """Shapes of the 48 variables in creation order."""
    shapes: list[tuple[int, ...]] = []
    for spec in LAYERS:
        channels = spec.kernel_shape[2] if spec.kind == "deconv" else spec.kernel_shape[3]
        shapes += [spec.kernel_shape, (channels,), (channels,)]
    return shapes


def random_weights(seed: int = 0) -> list[np.ndarray]:
    """Small random weights of the right shapes (for tests and training from scratch)."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    for i, shape in enumerate(variable_shapes()):
        role = i % 3
        if role == 0:
            out.append((rng.standard_normal(shape) * 0.1).astype(np.float32))
        elif role == 1:
            out.append(np.zeros(shape, np.float32))
        else:
            out.append(np.ones(shape, np.float32))
    return out


def validate_weights(weights: list[np.ndarray]) -> None:
    expected = variable_shapes()
    if len(weights) != len(expected):
        raise ValueError(f"expected {len(expected)} variables, got {len(weights)}")
    for i, (w, shape) in enumerate(zip(weights, expected, strict=True)):
        if tuple(w.shape) != shape:
            raise ValueError(f"variable {i}: shape {tuple(w.shape)}, expected {shape}")


def instance_norm(x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
    return scale * (x - mean) * tf.math.rsqrt(var + INSTANCE_NORM_EPSILON) + shift


class TransformNet(tf.Module):
    """The image transformation network. Variables are trainable so that the fine-tuning
    service can train the same object that inference serves."""

    def __init__(self, weights: list[np.ndarray] | None = None, name: str = "transform_net"):
        super().__init__(name=name)
        weights = weights if weights is not None else random_weights()
        validate_weights(weights)
        self.variables_in_order = [
            tf.Variable(w, dtype=tf.float32, name=f"Variable_{i}" if i else "Variable")
            for i, w in enumerate(weights)
        ]

    def numpy_weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.variables_in_order]

    def __call__(self, images: tf.Tensor, compute_dtype: tf.DType = tf.float32) -> tf.Tensor:
        """images: [N, H, W, 3] float32 in 0..255 with H and W multiples of 4.
        Returns float32 [N, H, W, 3] in 0..255 (unclipped tanh range is 0..255 already)."""
        return forward(images, self.variables_in_order, compute_dtype)


def single_image_instance_norm(x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    """Instance norm for a batch of ONE image as one fused kernel: batch-norm statistics
    over (N, H, W) equal instance-norm statistics over (H, W) when N == 1. It keeps the
    input dtype (bf16 stays bf16, statistics are fp32 inside) and needs no full-size
    temporaries, which halves peak memory on large images."""
    y, _, _ = tf.compat.v1.nn.fused_batch_norm(
        x, scale, shift, epsilon=INSTANCE_NORM_EPSILON, is_training=True
    )
    return y


def _layer(x: tf.Tensor, spec: LayerSpec, kernel: tf.Tensor, shift: tf.Tensor,
           scale: tf.Tensor, single_image: bool) -> tf.Tensor:
    if spec.kind == "conv":
        x = tf.nn.conv2d(x, kernel, strides=spec.stride, padding="SAME")
    else:
        shape = tf.shape(x)
        out_shape = tf.stack([shape[0], shape[1] * 2, shape[2] * 2, spec.kernel_shape[2]])
        x = tf.nn.conv2d_transpose(x, kernel, out_shape, strides=2, padding="SAME")
    if single_image:
        x = single_image_instance_norm(x, shift, scale)
    else:
        # Statistics in fp32 even when convolutions run in bf16.
        x = tf.cast(instance_norm(tf.cast(x, tf.float32), shift, scale), x.dtype)
    return tf.nn.relu(x) if spec.relu else x


def forward(images: tf.Tensor, variables: list[tf.Variable] | list[tf.Tensor],
            compute_dtype: tf.DType = tf.float32, single_image: bool = False) -> tf.Tensor:
    """The network on float 0..255 images. Activations flow in `compute_dtype`;
    `single_image=True` (serving: batch of one) selects the fused normalisation."""
    x = tf.cast(images, compute_dtype)
    block_input = None
    for i, spec in enumerate(LAYERS):
        kernel, shift, scale = variables[3 * i: 3 * i + 3]
        if i in RESIDUAL_LAYERS and (i - RESIDUAL_LAYERS.start) % 2 == 0:
            block_input = x
        x = _layer(x, spec, tf.cast(kernel, compute_dtype), shift, scale, single_image)
        if i in RESIDUAL_LAYERS and (i - RESIDUAL_LAYERS.start) % 2 == 1:
            x = x + block_input
    x = tf.cast(x, tf.float32)
    return tf.clip_by_value(tf.tanh(x) * 150.0 + 127.5, 0.0, 255.0)


def pad_to_multiple(
    images: tf.Tensor, multiple: int = SIZE_MULTIPLE
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Reflect-pad H and W up to the next multiple; returns (padded, height, width)."""
    shape = tf.shape(images)
    height, width = shape[1], shape[2]
    pad_h = (multiple - height % multiple) % multiple
    pad_w = (multiple - width % multiple) % multiple
    padded = tf.pad(images, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="REFLECT")
    return padded, height, width
