"""Real server processes for tests: start on a free loopback port, wait for readiness by
polling with a deadline, and always stop by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1,
               message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{message} not met within {timeout}s")


def url_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return check


class ServiceProcess:
    """One uvicorn process of an app factory."""

    def __init__(self, factory: str, env: dict[str, str], log_path: Path,
                 port: int | None = None, extra_args: list[str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = {**os.environ, "PYTHONPATH": str(REPO), "NST_LOG_JSON": "true", **env}
        self._log = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
             "--port", str(self.port), *(extra_args or [])],
            cwd=REPO, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path: str = "/health", timeout: float = 60) -> ServiceProcess:
        check = url_ok(self.url + path)

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"process exited early; see {self.log_path}:\n"
                                   + self.log_path.read_text()[-3000:])
            return check()

        wait_until(ready, timeout, message=f"{self.url}{path} ready")
        return self

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode


def inference_process(storage: Path, model: str, log_dir: Path, **env: str) -> ServiceProcess:
    return ServiceProcess(
        "inference_services.app.main:create_app",
        {"NST_STORAGE_DIR": str(storage), "MODEL_NAME": model, "NST_POLL_INTERVAL_S": "0.5",
         **env},
        log_dir / f"inference-{model}.log",
    )


def gateway_process(storage: Path, urls: dict[str, str], log_dir: Path,
                    **env: str) -> ServiceProcess:
    import json

    return ServiceProcess(
        "routing_service.app.main:create_app",
        {"NST_STORAGE_DIR": str(storage), "NST_INFERENCE_URLS": json.dumps(urls), **env},
        log_dir / "gateway.log",
    )


def finetune_process(storage: Path, log_dir: Path, token: str | None = "test-token",
                     **env: str) -> ServiceProcess:
    extra = {"NST_ADMIN_TOKEN": token} if token is not None else {}
    return ServiceProcess(
        "fine_tuning_service.app.main:create_app",
        {"NST_STORAGE_DIR": str(storage), **extra, **env},
        log_dir / "finetune.log",
    )
