"""The Johnson/Engstrom perceptual objective. Pure functions of tensors."""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from .vgg import CONTENT_LAYER, STYLE_LAYERS


@dataclass(frozen=True)
class LossWeights:
    content: float = 7.5
    style: float = 100.0
    tv: float = 200.0


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """[N, H, W, C] -> [N, C, C], normalised by H*W*C so sizes are comparable."""
    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], -1, shape[3]])
    size = tf.cast(shape[1] * shape[2] * shape[3], tf.float32)
    return tf.matmul(flat, flat, transpose_a=True) / size


def content_loss(output_features: tf.Tensor, content_features: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.square(output_features - content_features))


def style_loss(output_features: dict[str, tf.Tensor],
               style_grams: dict[str, tf.Tensor]) -> tf.Tensor:
    total = tf.constant(0.0)
    for layer in STYLE_LAYERS:
        gram = gram_matrix(output_features[layer])
        total += tf.reduce_mean(tf.square(gram - style_grams[layer]))
    return total


def total_variation_loss(images: tf.Tensor) -> tf.Tensor:
    dy = images[:, 1:, :, :] - images[:, :-1, :, :]
    dx = images[:, :, 1:, :] - images[:, :, :-1, :]
    return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))


def perceptual_losses(stylized: tf.Tensor, content: tf.Tensor, vgg, style_grams,
                      weights: LossWeights) -> dict[str, tf.Tensor]:
    """Weighted content, style and TV losses and their sum for one batch."""
    out_features = vgg(stylized)
    content_features = vgg(content)[CONTENT_LAYER]
    losses = {
        "content": weights.content * content_loss(out_features[CONTENT_LAYER], content_features),
        "style": weights.style * style_loss(out_features, style_grams),
        "tv": weights.tv * total_variation_loss(stylized) / 255.0,
    }
    losses["total"] = losses["content"] + losses["style"] + losses["tv"]
    return losses
