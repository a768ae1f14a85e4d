"""Quality guard of the fast path: bf16 compute (and the fused single-image normalisation)
must stay within PSNR >= 40 dB of the fp32 output of the same model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from bench.baseline import BaselineNet
from inference_services.app.precision import cpu_has_bf16, resolve_compute_dtype
from nst_core.images import decode_image
from nst_core.registry import ModelRegistry, load_network
from nst_core.stylize import Stylizer


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture(scope="module")
def chicago_pixels(chicago_bytes: bytes) -> np.ndarray:
    return decode_image(chicago_bytes, max_bytes=10**8, max_pixels=10**8).pixels


@pytest.mark.parametrize("model", ["model1", "model3"])
def test_bf16_fast_path_psnr_against_fp32(imported_storage: Path, chicago_pixels: np.ndarray,
                                          model: str) -> None:
    net = load_network(ModelRegistry(imported_storage), model, "v1")
    reference = BaselineNet(net.numpy_weights())(tf.constant(chicago_pixels)).numpy()
    fp32 = Stylizer(net, tf.float32)(chicago_pixels)
    fast = Stylizer(net, tf.bfloat16)(chicago_pixels)
    assert fast.shape == reference.shape == (474, 712, 3)
    assert psnr(fp32, reference) > 50  # fused fp32 path == plain implementation
    assert psnr(fast, reference) >= 40


def test_precision_detection() -> None:
    assert cpu_has_bf16("flags : fpu avx512f avx512_bf16 amx_tile")
    assert not cpu_has_bf16("flags : fpu sse2 avx2")
    assert resolve_compute_dtype("fp32") == tf.float32
    assert resolve_compute_dtype("bf16") == tf.bfloat16
    expected = tf.bfloat16 if cpu_has_bf16() else tf.float32
    assert resolve_compute_dtype("auto") == expected
