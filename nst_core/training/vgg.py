"""The frozen VGG19 loss network, built from `vgg19.npz` (Keras' ImageNet conv weights:
keys `block{b}_conv{c}_kernel` HWIO and `block{b}_conv{c}_bias`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow as tf

# (block, convs, in_channels, out_channels)
VGG19_BLOCKS: tuple[tuple[int, int, int, int], ...] = (
    (1, 2, 3, 64), (2, 2, 64, 128), (3, 4, 128, 256), (4, 4, 256, 512), (5, 4, 512, 512),
)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
CONTENT_LAYER = "block4_conv2"
# Keras' vgg19.preprocess_input ("caffe" mode): RGB->BGR, minus the ImageNet means (BGR).
IMAGENET_BGR_MEANS = (103.939, 116.779, 123.68)


class VGGWeightsError(ValueError):
    pass


def vgg19_shapes() -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for block, convs, cin, cout in VGG19_BLOCKS:
        for conv in range(1, convs + 1):
            name = f"block{block}_conv{conv}"
            shapes[f"{name}_kernel"] = (3, 3, cin if conv == 1 else cout, cout)
            shapes[f"{name}_bias"] = (cout,)
    return shapes


def validate_vgg_weights(weights: Mapping[str, np.ndarray]) -> None:
    expected = vgg19_shapes()
    missing = sorted(set(expected) - set(weights))
    if missing:
        raise VGGWeightsError(f"vgg19.npz is missing {len(missing)} arrays, e.g. {missing[0]}")
    for key, shape in expected.items():
        if tuple(weights[key].shape) != shape:
            raise VGGWeightsError(
                f"vgg19.npz: {key} has shape {tuple(weights[key].shape)}, expected {shape}"
            )


def random_vgg_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """He-initialised weights of the right shapes: for tests and offline demos only."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for key, shape in vgg19_shapes().items():
        if key.endswith("_kernel"):
            fan_in = shape[0] * shape[1] * shape[2]
            out[key] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        else:
            out[key] = np.zeros(shape, np.float32)
    return out


def preprocess(images: tf.Tensor) -> tf.Tensor:
    """RGB 0..255 -> Keras' caffe-style VGG input."""
    return images[..., ::-1] - tf.constant(IMAGENET_BGR_MEANS, tf.float32)


class VGG19Features:
    """Conv features up to the deepest layer needed (block5_conv1); frozen constants."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        validate_vgg_weights(weights)
        self.layers: list[tuple[str, tf.Tensor, tf.Tensor]] = []
        for block, convs, _, _ in VGG19_BLOCKS:
            for conv in range(1, convs + 1):
                name = f"block{block}_conv{conv}"
                self.layers.append((name, tf.constant(weights[f"{name}_kernel"], tf.float32),
                                    tf.constant(weights[f"{name}_bias"], tf.float32)))
                if name == STYLE_LAYERS[-1]:
                    return

    def __call__(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """images: float32 RGB 0..255 [N, H, W, 3] -> relu activations by layer name."""
        x = preprocess(images)
        wanted = {*STYLE_LAYERS, CONTENT_LAYER}
        features: dict[str, tf.Tensor] = {}
        previous_block = 1
        for name, kernel, bias in self.layers:
            block = int(name[5])
            if block != previous_block:
                x = tf.nn.max_pool2d(x, 2, 2, "SAME")
                previous_block = block
            x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))
            if name in wanted:
                features[name] = x
        return features
