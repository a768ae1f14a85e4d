"""The two post-processing steps behind the UI's strength slider and colour toggle."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst_core.network import TransformNet, random_weights
from nst_core.stylize import Stylizer, blend, preserve_colors


def pixels(seed: int, low: float, high: float, shape: tuple[int, ...] = (2, 9, 7, 3)
           ) -> tf.Tensor:
    rng = np.random.default_rng(seed)
    return tf.constant(rng.uniform(low, high, size=shape), tf.float32)


def yuv(image: tf.Tensor) -> np.ndarray:
    return tf.image.rgb_to_yuv(image / 255.0).numpy()


@pytest.fixture
def pair() -> tuple[tf.Tensor, tf.Tensor]:
    return pixels(1, 0, 255), pixels(2, 0, 255)


def test_blend_strength_zero_is_the_original(pair) -> None:
    stylized, original = pair
    np.testing.assert_allclose(blend(stylized, original, tf.constant(0.0)), original, atol=1e-4)


def test_blend_strength_one_is_the_stylized(pair) -> None:
    stylized, original = pair
    np.testing.assert_allclose(blend(stylized, original, tf.constant(1.0)), stylized, atol=1e-4)


def test_blend_half_is_the_mean(pair) -> None:
    stylized, original = pair
    mean = (stylized.numpy() + original.numpy()) / 2
    np.testing.assert_allclose(blend(stylized, original, tf.constant(0.5)), mean, atol=1e-4)


def test_blend_is_linear_in_strength(pair) -> None:
    stylized, original = pair
    quarter = blend(stylized, original, tf.constant(0.25)).numpy()
    expected = 0.25 * stylized.numpy() + 0.75 * original.numpy()
    np.testing.assert_allclose(quarter, expected, atol=1e-4)


def test_preserve_colors_keeps_chroma_and_takes_luminance() -> None:
    # Moderate values, so that the recombined colours need no clipping to stay in 0..255.
    stylized = pixels(3, 40, 215)
    original = pixels(4, 110, 146)
    out = preserve_colors(stylized, original)
    assert out.shape == stylized.shape and out.dtype == tf.float32
    out_yuv, styl_yuv, orig_yuv = yuv(out), yuv(stylized), yuv(original)
    np.testing.assert_allclose(out_yuv[..., 0], styl_yuv[..., 0], atol=2e-3)
    np.testing.assert_allclose(out_yuv[..., 1:], orig_yuv[..., 1:], atol=2e-3)


def test_preserve_colors_of_a_grey_photo_is_grey() -> None:
    stylized = pixels(5, 0, 255)
    original = tf.fill([2, 9, 7, 3], 128.0)
    out = preserve_colors(stylized, original).numpy()
    # No chroma in the original: R == G == B, at the stylized image's luminance.
    np.testing.assert_allclose(out[..., 0], out[..., 1], atol=0.5)
    np.testing.assert_allclose(out[..., 1], out[..., 2], atol=0.5)
    np.testing.assert_allclose(yuv(tf.constant(out))[..., 0], yuv(stylized)[..., 0], atol=2e-3)


def test_preserve_colors_stays_in_range() -> None:
    out = preserve_colors(pixels(6, 250, 255), pixels(7, 0, 255)).numpy()
    assert out.min() >= 0.0 and out.max() <= 255.0


def test_serving_graph_at_strength_zero_returns_the_photo() -> None:
    """Colour preservation comes before the blend, so strength 0 is the photo either way."""
    stylizer = Stylizer(TransformNet(random_weights(0)))
    photo = np.random.default_rng(8).integers(0, 256, size=(18, 22, 3), dtype=np.uint8)
    for keep_colors in (False, True):
        out = stylizer(photo, strength=0.0, keep_colors=keep_colors)
        assert out.shape == photo.shape
        np.testing.assert_array_equal(out, photo)
