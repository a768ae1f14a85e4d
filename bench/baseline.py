"""The baseline every speed figure is compared with: a plain fp32 TensorFlow
implementation of the same network (one straightforward `tf.function`, no tricks), kept
separate from the serving code on purpose."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class BaselineNet:
    def __init__(self, weights: list[np.ndarray]) -> None:
        self.w = [tf.Variable(a) for a in weights]

    @staticmethod
    def _norm(x: tf.Tensor, shift: tf.Variable, scale: tf.Variable) -> tf.Tensor:
        mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        return scale * (x - mean) / tf.sqrt(var + 1e-3) + shift

    def _conv(self, x: tf.Tensor, i: int, stride: int, relu: bool = True) -> tf.Tensor:
        x = tf.nn.conv2d(x, self.w[3 * i], stride, "SAME")
        x = self._norm(x, self.w[3 * i + 1], self.w[3 * i + 2])
        return tf.nn.relu(x) if relu else x

    def _deconv(self, x: tf.Tensor, i: int) -> tf.Tensor:
        kernel = self.w[3 * i]
        s = tf.shape(x)
        shape = tf.stack([s[0], s[1] * 2, s[2] * 2, tf.shape(kernel)[2]])
        x = tf.nn.conv2d_transpose(x, kernel, shape, 2, "SAME")
        return tf.nn.relu(self._norm(x, self.w[3 * i + 1], self.w[3 * i + 2]))

    @tf.function
    def __call__(self, image: tf.Tensor) -> tf.Tensor:
        """uint8 [H, W, 3] -> uint8 [H, W, 3]; pads to a multiple of 4 and crops back."""
        h, w = tf.shape(image)[0], tf.shape(image)[1]
        x = tf.cast(image, tf.float32)[tf.newaxis]
        x = tf.pad(x, [[0, 0], [0, (4 - h % 4) % 4], [0, (4 - w % 4) % 4], [0, 0]], "REFLECT")
        x = self._conv(x, 0, 1)
        x = self._conv(x, 1, 2)
        x = self._conv(x, 2, 2)
        for block in range(5):
            x = x + self._conv(self._conv(x, 3 + 2 * block, 1), 4 + 2 * block, 1, relu=False)
        x = self._deconv(x, 13)
        x = self._deconv(x, 14)
        x = self._conv(x, 15, 1, relu=False)
        x = tf.clip_by_value(tf.tanh(x) * 150 + 127.5, 0, 255)
        return tf.cast(tf.round(x[0, :h, :w]), tf.uint8)
