"""The browser UI's server (scripts/run_frontend.py, Nginx or the Python fallback) as a real
process, and the external tools the browser tests need."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

from .processes import REPO, free_port, stop_process, url_ok, wait_until

RUNNER = REPO / "scripts" / "run_frontend.py"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--disable-dev-shm-usage",
]


def load_runner() -> ModuleType:
    """scripts/ is not a package; load the runner as a module to test its helpers."""
    spec = importlib.util.spec_from_file_location("run_frontend", RUNNER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing_tool(reason: str) -> NoReturn:
    """Skip locally; on CI (CI=true) a missing tool is a failure, never a silent skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the tool must be installed, see .ci/run)")
    pytest.skip(reason)


def require_nginx() -> str:
    nginx = load_runner().find_nginx()
    if not nginx:
        missing_tool("nginx is not installed")
    return nginx


def require_chromium() -> str:
    explicit = os.environ.get("NST_CHROMIUM")
    candidates = [explicit] if explicit else [
        "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    missing_tool("chromium is not installed (or set NST_CHROMIUM)")


class FrontendProcess:
    """scripts/run_frontend.py on a free loopback port; `server` is nginx or python."""

    def __init__(self, gateway_url: str, run_dir: Path, log_path: Path,
                 server: str = "nginx", **env: str) -> None:
        self.run_dir = run_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = {
            **os.environ, "PYTHONPATH": str(REPO), "NST_FRONTEND_PORT": str(self.port),
            "NST_BIND_HOST": "127.0.0.1", "NST_GATEWAY_URL": gateway_url,
            "NST_FRONTEND_RUN_DIR": str(run_dir), "NST_FRONTEND_SERVER": server, **env,
        }
        self._log = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen([sys.executable, str(RUNNER)], cwd=REPO, env=full_env,
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def listening(self) -> bool:
        """True once *this* process holds the port. Without it, a stranger that won the race
        for a free port could answer our readiness probe while our server fails to bind."""
        # Nginx writes its pid file only after binding; uvicorn logs this line after binding.
        pid_file = self.run_dir / "nginx.pid"
        if pid_file.is_file() and pid_file.read_text().strip() == str(self.proc.pid):
            return True
        return "Uvicorn running on" in self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> FrontendProcess:
        check = url_ok(self.url + "/")

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"frontend exited early; see {self.log_path}:\n"
                                   + self.log_path.read_text()[-3000:])
            return self.listening() and check()

        wait_until(ready, timeout, message=f"{self.url}/ ready")
        return self

    def stop(self, timeout: float = 15) -> int | None:
        # The runner exec()s Nginx, so this PID is the Nginx master: SIGTERM is its fast
        # shutdown, and it takes its workers with it.
        return stop_process(self.proc, self._log, timeout=timeout)
