"""Real server processes for tests: start on a free loopback port, wait for readiness by
polling with a deadline, and always stop by PID."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx

REPO = Path(__file__).resolve().parents[2]
_BOUND_RE = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


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
        self.factory = factory
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self._log_start = self._log.tell()
        # Port 0: the kernel picks a free port at bind time, so no other process can take
        # it between our choice and the bind; the real port is read back from the log.
        self._port = port
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
             "--port", str(port or 0), *(extra_args or [])],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), "NST_LOG_JSON": "true", **env},
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def _log_text(self) -> str:
        with open(self.log_path, "rb") as handle:
            handle.seek(self._log_start)
            return handle.read().decode(errors="replace")

    @property
    def port(self) -> int:
        if self._port is None:
            def bound() -> bool:
                self._raise_if_exited()
                match = _BOUND_RE.search(self._log_text())
                if match:
                    self._port = int(match.group(1))
                return self._port is not None

            wait_until(bound, 120, interval=0.05, message=f"{self.factory} bound a port")
        assert self._port is not None
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _raise_if_exited(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"process exited early; see {self.log_path}:\n"
                               + self._log_text()[-3000:])

    def wait_ready(self, path: str = "/health", timeout: float = 60) -> ServiceProcess:
        def ready() -> bool:
            self._raise_if_exited()
            return url_ok(self.url + path)()

        wait_until(ready, timeout, message=f"{self.factory} {path} ready")
        return self

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        return stop_process(self.proc, self._log, sig, timeout)


def stop_process(proc: subprocess.Popen, log: IO[bytes], sig: int = signal.SIGTERM,
                 timeout: float = 30) -> int | None:
    """Signal, wait, kill if it will not go; always close its log."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    log.close()
    return proc.returncode


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
