"""Rollout without downtime: a continuous stream of /stylize requests while latest.txt
moves gets only 200s, and the served version changes under it."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from nst_core.network import TransformNet, random_weights
from nst_core.registry import ModelRegistry, save_network
from tests.images_factory import jpeg
from tests.support.processes import gateway_process, inference_process, wait_until


def test_stream_of_requests_during_promotion_and_rollback(fresh_storage: Path,
                                                          log_dir: Path) -> None:
    inference = inference_process(fresh_storage, "model4", log_dir)
    gateway = gateway_process(fresh_storage, {"model4": inference.url}, log_dir)
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=gateway.url, timeout=60) as client:
            while not stop.is_set() and len(results) < 400:
                response = client.post("/stylize", data={"model": "model4"},
                                       files={"file": ("a.jpg", jpeg(96, 64), "image/jpeg")})
                version = response.json().get("version", "") if response.status_code == 200 \
                    else response.text
                results.append((response.status_code, version))

    try:
        inference.wait_ready("/ready", timeout=120)
        gateway.wait_ready()
        registry = ModelRegistry(fresh_storage)
        net = TransformNet(random_weights(seed=7))
        v2 = registry.write_version("model4", lambda d: save_network(net, d), {"parent": "v1"})
        worker = threading.Thread(target=stream)
        worker.start()
        wait_until(lambda: len(results) >= 5, 60, message="stream running")
        registry.set_latest("model4", v2)
        wait_until(lambda: any(v == "v2" for _, v in results), 30, message="v2 served")
        seen = len(results)
        registry.set_latest("model4", "v1")  # and back again
        wait_until(lambda: any(v == "v1" for _, v in results[seen:]), 30,
                   message="v1 served again")
        stop.set()
        worker.join(60)
    finally:
        stop.set()
        gateway.stop()
        inference.stop()
    assert {status for status, _ in results} == {200}, results
    versions = [v for _, v in results]
    first_v2 = versions.index("v2")
    assert set(versions[:first_v2]) == {"v1"}
