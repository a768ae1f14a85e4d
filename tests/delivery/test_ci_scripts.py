"""The stage scripts the pipelines run (scripts/ci/), against local stand-ins: a stub
fine-tuning service, a stub health endpoint, and a fake `docker` that records its calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.delivery.conftest import by_kind
from tests.support.processes import REPO

TOKEN = "test-token-0123456789abcdef"


class Stub:
    """A tiny HTTP server on 127.0.0.1 answering from a route table; records requests."""

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = routes
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers), "body": body})
                answer = stub.routes.get((self.command, self.path), (404, {"detail": "no"}))
                if callable(answer):
                    answer = answer()
                status, payload = answer
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Stub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_request(*args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NST_ADMIN_TOKEN"}
    if token is not None:
        env["NST_ADMIN_TOKEN"] = token
    return subprocess.run([sys.executable, "scripts/ci/finetune_request.py", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def finetune_service() -> Iterator[Stub]:
    states = iter(["queued", "running", "succeeded"])

    def job() -> tuple[int, dict]:
        status = next(states, "succeeded")
        return 200, {"status": status, "progress": 1.0 if status == "succeeded" else 0.5,
                     "losses": {}, "version": "v2" if status == "succeeded" else None}

    with Stub({("POST", "/finetune"): (202, {"job_id": "j1"}),
               ("GET", "/jobs/j1"): job}) as stub:
        yield stub


def test_finetune_request_posts_with_the_token_and_waits(finetune_service: Stub,
                                                          tmp_path: Path) -> None:
    output = tmp_path / "job.json"
    result = run_request("--url", finetune_service.url, "--model", "model4",
                         "--param", "max_steps=2", "--param", "learning_rate=0.001",
                         "--param", "style_weight=", "--poll-interval", "0",
                         "--output", str(output))
    assert result.returncode == 0, result.stderr
    post = finetune_service.requests[0]
    assert (post["method"], post["path"]) == ("POST", "/finetune")
    assert post["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(post["body"]) == {"model": "model4", "max_steps": 2, "learning_rate": 0.001}
    polls = [r for r in finetune_service.requests if r["path"] == "/jobs/j1"]
    assert len(polls) == 3 and all(r["headers"]["Authorization"] == f"Bearer {TOKEN}"
                                   for r in polls)
    saved = json.loads(output.read_text())
    assert saved["job_id"] == "j1" and saved["job"]["version"] == "v2"
    assert TOKEN not in result.stdout + result.stderr


def test_finetune_request_failures(tmp_path: Path) -> None:
    with Stub({("POST", "/finetune"): (401, {"detail": "bad token"})}) as stub:
        refused = run_request("--url", stub.url, "--model", "model1")
    assert refused.returncode == 1 and "401" in refused.stderr
    with Stub({("POST", "/finetune"): (202, {"job_id": "j9"}),
               ("GET", "/jobs/j9"): (200, {"status": "failed", "progress": 0.3})}) as stub:
        failed = run_request("--url", stub.url, "--model", "model1", "--poll-interval", "0")
    assert failed.returncode == 1
    missing = run_request("--url", "http://127.0.0.1:9", "--model", "model1", token=None)
    assert missing.returncode == 2 and "NST_ADMIN_TOKEN" in missing.stderr


def test_finetune_trigger_builds_the_job_from_the_cronjob(rendered: dict,
                                                          tmp_path: Path) -> None:
    cronjob = by_kind(rendered["dev"], "CronJob")["finetune-trigger"]
    source = tmp_path / "cronjob.json"
    source.write_text(json.dumps(cronjob))
    result = subprocess.run(
        [sys.executable, "scripts/ci/finetune_trigger.py", "--cronjob-json", str(source),
         "--threshold", "7", "--dry-run"], cwd=REPO, capture_output=True, text=True,
        env={**os.environ, "BUILD_NUMBER": "42"})
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["kind"] == "Job" and job["metadata"]["name"] == "finetune-trigger-42"
    assert job["metadata"]["namespace"] == "nst-dev"
    pod = job["spec"]["template"]
    assert pod["metadata"]["labels"]["nst.io/finetune-client"] == "true"
    container = pod["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "fine_tuning_service.trigger"]
    assert container["args"] == ["--finetune-url", "http://fine-tuning:8000", "--threshold", "7"]


def test_smoke_health() -> None:
    with Stub({("GET", "/api/health"): (200, {"status": "ok"}),
               ("GET", "/down"): (503, {"detail": "starting"})}) as stub:
        ok = subprocess.run(["bash", "scripts/ci/smoke-health.sh", f"{stub.url}/api/health"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
        down = subprocess.run(["bash", "scripts/ci/smoke-health.sh", f"{stub.url}/down", "2", "0"],
                              cwd=REPO, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and '"ok"' in ok.stdout
    assert down.returncode == 1 and "after 2 attempts" in down.stderr


def test_build_images_script(tmp_path: Path) -> None:
    fake = tmp_path / "docker"
    calls = tmp_path / "calls"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n'
                    f'[ "$1" = login ] && {{ cat; echo; }} >> {calls}\nexit 0\n')
    fake.chmod(0o755)
    env = {**os.environ, "DOCKER": str(fake), "REGISTRY": "reg.example", "IMAGE_TAG": "abc",
           "REGISTRY_USER": "ci", "REGISTRY_PASSWORD": "s3cret"}  # pragma: allowlist secret (fake)
    result = subprocess.run(["bash", "scripts/ci/build-images.sh", "--push", "--ca-bundle",
                             "/etc/ssl/certs/ca-certificates.crt"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    builds = [line for line in lines if line.startswith("build ")]
    names = [line.split(" -t ")[1].split()[0] for line in builds]
    assert names[:3] == ["reg.example/nst/base-ml:abc", "reg.example/nst/gateway:abc",
                         "reg.example/nst/inference:abc"]
    inference = builds[2]
    assert "--build-arg BASE_IMAGE=reg.example/nst/base-ml:abc" in inference
    assert all("--secret id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt" in b for b in builds)
    has_ft = (REPO / "fine_tuning_service/app/main.py").exists()
    has_frontend = (REPO / "frontend/nginx.conf").exists()
    assert ("reg.example/nst/fine-tuning:abc" in names) == has_ft
    assert ("reg.example/nst/frontend:abc" in names) == has_frontend
    login = lines.index("login --username ci --password-stdin reg.example")
    assert lines[login + 1] == "s3cret", "password on stdin, not on the command line"
    pushes = [line for line in lines if line.startswith("push ")]
    assert [p.split()[1] for p in pushes] == names
