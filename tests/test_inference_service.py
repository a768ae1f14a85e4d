"""The inference service as a real process: readiness, hot swap on latest.txt, refusal of
bad pointers, and raw binary in / PNG out."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from nst_core.network import TransformNet, random_weights
from nst_core.registry import ModelRegistry, save_network
from tests.images_factory import jpeg
from tests.support.processes import ServiceProcess, inference_process, wait_until


@pytest.fixture
def service(fresh_storage: Path, log_dir: Path) -> Iterator[tuple[ServiceProcess, Path]]:
    proc = inference_process(fresh_storage, "model3", log_dir)
    try:
        proc.wait_ready("/ready", timeout=120)
        yield proc, fresh_storage
    finally:
        proc.stop()


def served_version(proc: ServiceProcess) -> str:
    return httpx.get(proc.url + "/ready", timeout=5).json()["version"]


def infer(proc: ServiceProcess, data: bytes, **params: str) -> httpx.Response:
    return httpx.post(proc.url + "/infer", content=data, params=params, timeout=60)


def test_infer_returns_png_of_same_size(service) -> None:
    proc, _ = service
    response = infer(proc, jpeg(101, 77))
    assert response.status_code == 200
    assert response.headers["x-model-version"] == "v1"
    assert Image.open(io.BytesIO(response.content)).size == (101, 77)
    metrics = httpx.get(proc.url + "/metrics").text
    assert "nst_inference_seconds_count" in metrics


def test_strength_zero_returns_the_original(service) -> None:
    proc, _ = service
    original = np.asarray(Image.open(io.BytesIO(jpeg(64, 48))).convert("RGB"), np.int16)
    out = infer(proc, jpeg(64, 48), strength="0")
    got = np.asarray(Image.open(io.BytesIO(out.content)), np.int16)
    assert np.abs(got - original).max() <= 1


def test_hot_swap_and_bad_pointers(service) -> None:
    proc, storage = service
    registry = ModelRegistry(storage)
    net = TransformNet(random_weights(seed=3))
    v2 = registry.write_version("model3", lambda d: save_network(net, d), {"parent": "v1"})
    before = infer(proc, jpeg()).content
    registry.set_latest("model3", v2)
    wait_until(lambda: served_version(proc) == "v2", 15, message="swap to v2")
    after = infer(proc, jpeg())
    assert after.headers["x-model-version"] == "v2" and after.content != before

    latest = storage / "models" / "model3" / "latest.txt"
    for bad in ("garbage", "", "../../../etc/passwd", "v9"):
        latest.write_text(bad)
        # Give the poller several rounds to (wrongly) act on it.
        deadline_checks = [served_version(proc) for _ in range(3)]
        assert set(deadline_checks) == {"v2"}
        assert infer(proc, jpeg()).status_code == 200

    # A version whose checkpoint is corrupt: the old one keeps serving.
    bad_dir = storage / "models" / "model3" / "v3"
    shutil.copytree(storage / "models" / "model3" / "v1", bad_dir)
    next(bad_dir.glob("ckpt.data-*")).write_bytes(b"corrupt")
    latest.write_text("v3\n")
    wait_until(lambda: "v3" in (httpx.get(proc.url + "/info").json()["last_error"] or ""), 15,
               message="load failure reported")
    assert served_version(proc) == "v2"
    assert infer(proc, jpeg()).status_code == 200


def test_ready_is_503_until_a_model_exists(tmp_path: Path, log_dir: Path) -> None:
    storage = tmp_path / "empty"
    (storage / "models").mkdir(parents=True)
    proc = inference_process(storage, "model1", log_dir)
    try:
        proc.wait_ready("/health")
        ready = httpx.get(proc.url + "/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        response = infer(proc, jpeg())
        assert response.status_code == 503 and "detail" in response.json()
    finally:
        proc.stop()
