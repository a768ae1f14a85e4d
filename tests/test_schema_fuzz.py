"""Schemathesis against the gateway's own OpenAPI schema (real processes, loopback only,
bounded examples): no 5xx, no response that violates the schema."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.processes import gateway_process, inference_process

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance",
    "negative_data_rejection", "unsupported_method",
])


def test_gateway_schema_fuzz(fresh_storage: Path, log_dir: Path, tmp_path: Path) -> None:
    inference = inference_process(fresh_storage, "model1", log_dir)
    gateway = gateway_process(fresh_storage, {"model1": inference.url}, log_dir)
    try:
        inference.wait_ready("/ready", timeout=120)
        gateway.wait_ready()
        st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
        run = subprocess.run(
            [st, "run", f"{gateway.url}/openapi.json", "--checks", CHECKS,
             "--max-examples", "30", "--workers", "1",
             "--seed", "1", "--request-timeout", "60"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
        assert "passed" in run.stdout
        assert gateway.alive() and inference.alive()
    finally:
        gateway.stop()
        inference.stop()
