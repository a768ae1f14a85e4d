"""The serving graph: uint8 image in, uint8 image out, with the optional strength blend and
colour preservation. Pure TensorFlow; traced once for dynamic image sizes."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .network import TransformNet, forward, pad_to_multiple


def blend(stylized: tf.Tensor, original: tf.Tensor, strength: tf.Tensor) -> tf.Tensor:
    """Linear mix: strength 1 is the full style, 0 the original photo. Float 0..255 in/out."""
    return strength * stylized + (1.0 - strength) * original


def preserve_colors(stylized: tf.Tensor, original: tf.Tensor) -> tf.Tensor:
    """Luminance of the stylized image with the chrominance (U, V) of the original."""
    styl_yuv = tf.image.rgb_to_yuv(stylized / 255.0)
    orig_yuv = tf.image.rgb_to_yuv(original / 255.0)
    mixed = tf.concat([styl_yuv[..., :1], orig_yuv[..., 1:]], axis=-1)
    return tf.clip_by_value(tf.image.yuv_to_rgb(mixed) * 255.0, 0.0, 255.0)


class Stylizer:
    """Wraps a network with a single traced function for any image size."""

    def __init__(self, net: TransformNet, compute_dtype: tf.DType = tf.float32) -> None:
        self.net = net
        self.compute_dtype = compute_dtype
        # Pre-cast kernels once instead of on every call.
        self._variables = [
            tf.constant(tf.cast(v, compute_dtype)) if i % 3 == 0 else tf.constant(v)
            for i, v in enumerate(net.variables_in_order)
        ]
        self._fn = tf.function(
            self._run,
            input_signature=[
                tf.TensorSpec([None, None, 3], tf.uint8),
                tf.TensorSpec([], tf.float32),
                tf.TensorSpec([], tf.bool),
            ],
            reduce_retracing=True,
        )

    def _run(self, image: tf.Tensor, strength: tf.Tensor, keep_colors: tf.Tensor) -> tf.Tensor:
        original = tf.cast(image, tf.float32)[tf.newaxis]
        padded, height, width = pad_to_multiple(original)
        out = forward(padded, self._variables, self.compute_dtype, single_image=True)
        out = out[:, :height, :width, :]
        out = tf.cond(keep_colors, lambda: preserve_colors(out, original), lambda: out)
        out = blend(out, original, strength)
        return tf.cast(tf.round(tf.clip_by_value(out[0], 0.0, 255.0)), tf.uint8)

    def __call__(self, image: np.ndarray, strength: float = 1.0,
                 keep_colors: bool = False) -> np.ndarray:
        """image: uint8 [H, W, 3] RGB (H, W >= 4). Returns uint8 [H, W, 3]."""
        return self._fn(
            tf.convert_to_tensor(image, tf.uint8),
            tf.constant(float(strength), tf.float32),
            tf.constant(bool(keep_colors)),
        ).numpy()
