"""Faults with real processes: a hanging, a down, an unready and an overloaded inference
service; SIGTERM mid-request; a slow model load; a full disk."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from nst_core.storage import Storage, new_request_id
from tests.images_factory import jpeg
from tests.support.processes import (
    ServiceProcess,
    free_port,
    gateway_process,
    inference_process,
    wait_until,
)


def big_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((1920, 1080), 64).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def post(gateway: ServiceProcess, data: bytes, model: str = "model1",
         timeout: float = 60) -> httpx.Response:
    return httpx.post(f"{gateway.url}/stylize", data={"model": model},
                      files={"file": ("a.jpg", data, "image/jpeg")}, timeout=timeout)


def metric(proc: ServiceProcess, name: str, **labels: str) -> float:
    text = httpx.get(proc.url + "/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def start_long_request(inference: ServiceProcess) -> tuple[threading.Thread, list]:
    """A 1920x1080 /infer in a thread; returns once the service has admitted it."""
    data = big_jpeg()
    box: list = []
    thread = threading.Thread(target=lambda: box.append(
        httpx.post(inference.url + "/infer", content=data, timeout=120)))
    thread.start()
    wait_until(lambda: metric(inference, "nst_inference_in_flight") >= 1, 30,
               interval=0.02, message="long request admitted")
    return thread, box


@pytest.fixture
def empty_storage(tmp_path: Path) -> Path:
    """Models are listed (so the gateway knows them) but no version is served yet."""
    storage = tmp_path / "unready"
    (storage / "models" / "model1").mkdir(parents=True)
    (storage / "models" / "model1" / "model.json").write_text('{"name": "m1"}')
    return storage


def test_hanging_inference_is_504_within_timeout(fresh_storage: Path, log_dir: Path) -> None:
    inference = inference_process(fresh_storage, "model1", log_dir)
    gateway = gateway_process(fresh_storage, {"model1": inference.url}, log_dir,
                              NST_INFER_TIMEOUT_S="2")
    try:
        inference.wait_ready("/ready", timeout=120)
        gateway.wait_ready()
        inference.proc.send_signal(signal.SIGSTOP)  # alive, accepts TCP, never answers
        start = time.perf_counter()
        response = post(gateway, jpeg())
        elapsed = time.perf_counter() - start
        assert response.status_code == 504 and response.json()["detail"]
        assert 1.5 < elapsed < 5, elapsed
        inference.proc.send_signal(signal.SIGCONT)
        assert post(gateway, jpeg()).status_code == 200
    finally:
        inference.proc.send_signal(signal.SIGCONT)
        gateway.stop()
        inference.stop()


def test_down_service_is_502_with_retry_after(fresh_storage: Path, log_dir: Path) -> None:
    gateway = gateway_process(fresh_storage, {"model1": f"http://127.0.0.1:{free_port()}"},
                              log_dir)
    try:
        gateway.wait_ready()
        start = time.perf_counter()
        response = post(gateway, jpeg())
        assert response.status_code == 502 and response.headers["retry-after"].isdigit()
        assert time.perf_counter() - start < 10
    finally:
        gateway.stop()


def test_retries_then_breaker_opens_and_recovers(empty_storage: Path, imported_storage: Path,
                                                log_dir: Path) -> None:
    inference = inference_process(empty_storage, "model1", log_dir)
    gateway = gateway_process(empty_storage, {"model1": inference.url}, log_dir,
                              NST_BREAKER_FAIL_MAX="2", NST_BREAKER_RESET_S="2")
    try:
        inference.wait_ready("/health")
        gateway.wait_ready()
        # Unready service answers 503: one try plus exactly two retries, then 503.
        first = post(gateway, jpeg())
        assert first.status_code == 503 and first.headers["retry-after"].isdigit()
        assert metric(inference, "nst_http_requests_total", route="/infer") == 3
        post(gateway, jpeg())  # second failure: the breaker opens
        tries_before = metric(inference, "nst_http_requests_total", route="/infer")
        start = time.perf_counter()
        fast = post(gateway, jpeg())
        assert fast.status_code == 503 and "circuit open" in fast.json()["detail"]
        assert time.perf_counter() - start < 0.5
        assert metric(inference, "nst_http_requests_total", route="/infer") == tries_before

        # The model appears; after the reset timeout the breaker lets a call through.
        shutil.copytree(imported_storage / "models" / "model1",
                        empty_storage / "models" / "model1", dirs_exist_ok=True)
        wait_until(lambda: httpx.get(inference.url + "/ready").status_code == 200, 60,
                   message="model loaded")
        wait_until(lambda: post(gateway, jpeg()).status_code == 200, 30, interval=0.5,
                   message="breaker recovered")
    finally:
        gateway.stop()
        inference.stop()


def test_overload_is_refused_at_once(fresh_storage: Path, log_dir: Path) -> None:
    inference = inference_process(fresh_storage, "model1", log_dir, NST_MAX_CONCURRENCY="1",
                                  NST_MAX_QUEUE="0")
    try:
        inference.wait_ready("/ready", timeout=120)
        thread, box = start_long_request(inference)
        start = time.perf_counter()
        refused = httpx.post(inference.url + "/infer", content=jpeg(), timeout=30)
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert time.perf_counter() - start < 0.5
        thread.join(120)
        assert box[0].status_code == 200
    finally:
        inference.stop()


def test_sigterm_lets_the_request_finish(fresh_storage: Path, log_dir: Path) -> None:
    inference = ServiceProcess(
        "inference_services.app.main:create_app",
        {"NST_STORAGE_DIR": str(fresh_storage), "MODEL_NAME": "model1"},
        log_dir / "sigterm.log", extra_args=["--timeout-graceful-shutdown", "30"])
    try:
        inference.wait_ready("/ready", timeout=120)
        thread, box = start_long_request(inference)
        inference.proc.send_signal(signal.SIGTERM)
        thread.join(120)
        assert box[0].status_code == 200
        assert Image.open(io.BytesIO(box[0].content)).size == (1920, 1080)
        # uvicorn re-raises SIGTERM after a clean graceful shutdown (rc -15).
        assert inference.proc.wait(30) in (0, -signal.SIGTERM)
        assert 'Finished server process' in inference.log_path.read_text()
    finally:
        inference.stop()


def test_slow_load_keeps_health_up_and_ready_down(fresh_storage: Path, log_dir: Path) -> None:
    # A 2048x2048 warm-up makes loading take seconds: long enough to observe.
    inference = inference_process(fresh_storage, "model1", log_dir, NST_WARMUP_SIDE="2048")
    try:
        inference.wait_ready("/health")
        ready = httpx.get(inference.url + "/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "loading"
        assert httpx.get(inference.url + "/health").status_code == 200
        wait_until(lambda: httpx.get(inference.url + "/ready").status_code == 200, 120,
                   message="ready after warm-up")
    finally:
        inference.stop()


@pytest.fixture
def tiny_disk(tmp_path: Path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here: {done.stderr.decode().strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_is_507_and_nothing_is_torn(tmp_path: Path, tiny_disk: Path,
                                             log_dir: Path) -> None:
    storage = tmp_path / "storage"
    Storage(storage).ensure()
    (storage / "feedback.jsonl").symlink_to(tiny_disk / "feedback.jsonl")
    ids = []
    for _ in range(3):
        rid = new_request_id()
        (storage / "output_images" / f"{rid}.json").write_text(
            json.dumps({"request_id": rid, "model": "model1", "version": "v1"}))
        ids.append(rid)
    gateway = gateway_process(storage, {}, log_dir)
    try:
        gateway.wait_ready()
        body = {"request_id": ids[0], "rating": "good", "comment": "x" * 2000}
        assert httpx.post(gateway.url + "/feedback", json=body).status_code == 201
        filler = tiny_disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)  # fill the disk to the last byte
        try:
            while os.write(fd, b"\0" * 512):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        full = httpx.post(gateway.url + "/feedback",
                          json={**body, "request_id": ids[1]})
        assert full.status_code == 507 and "full" in full.json()["detail"]
        lines = (tiny_disk / "feedback.jsonl").read_text().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["request_id"] == ids[0]
        filler.unlink()
        again = httpx.post(gateway.url + "/feedback", json={**body, "request_id": ids[2]})
        assert again.status_code == 201
        records = [json.loads(line) for line in
                   (tiny_disk / "feedback.jsonl").read_text().splitlines()]
        assert [r["request_id"] for r in records] == [ids[0], ids[2]]
        assert re.match(r"^\d{4}-\d\d-\d\dT", records[0]["ts"])
    finally:
        gateway.stop()
