"""Dockerfiles, compose file, the log pipeline and dashboard against what the code emits,
and the wiring of the checks into make and CI. No tools needed."""

from __future__ import annotations

import json
import logging
import re
import subprocess

import pytest

from tests.support.processes import REPO

DOCKERFILES = sorted((REPO / "docker").glob("*.Dockerfile"))
SERVICE_IMAGES = {"gateway", "inference", "fine-tuning", "frontend"}


def instructions(path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_one_dockerfile_per_service_and_a_base() -> None:
    assert {p.name.removesuffix(".Dockerfile") for p in DOCKERFILES} == SERVICE_IMAGES | {"base-ml"}


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_rules(path) -> None:
    steps = instructions(path)
    args = [rest for kw, rest in steps if kw == "ARG"]
    assert args[0].startswith("BASE_IMAGE="), "the base can be supplied locally"
    default = args[0].split("=", 1)[1]
    assert ":" in default and not default.endswith(":latest"), "pinned base"
    froms = [rest for kw, rest in steps if kw == "FROM"]
    assert all(f.startswith("${BASE_IMAGE}") for f in froms)
    users = [rest for kw, rest in steps if kw == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "runs as non-root"
    healthchecks = [rest for kw, rest in steps if kw == "HEALTHCHECK"]
    if path.name != "base-ml.Dockerfile":
        assert len(healthchecks) == 1 and "CMD" in healthchecks[0]
    text = path.read_text()
    assert "ca-certificates.crt" not in text and "pip_ca" not in "".join(
        rest for kw, rest in steps if kw in ("COPY", "ADD", "ENV"))
    assert "--mount=type=secret,id=pip_ca" in text or "pip install" not in text


def test_dockerignore_is_an_allow_list() -> None:
    lines = [line for line in (REPO / ".dockerignore").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert {"requirements.txt", "pyproject.toml", "nst_core"} <= allowed
    assert not {".venv", ".git", "persistent_storage", "tests"} & allowed


def test_compose_uses_one_inference_image_for_four_models() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    assert text.count("dockerfile: docker/inference.Dockerfile") == 1
    assert sorted(re.findall(r"MODEL_NAME: (model\d)", text)) == [f"model{i}" for i in range(1, 5)]
    for port in ("8000:8000", "8001:8000", "8002:8000", "8003:8000", "8004:8000",
                 "8005:8000", "8080:8080"):
        assert port in text
    assert "service_completed_successfully" in text and "service_healthy" in text
    assert "NST_ADMIN_TOKEN: ${NST_ADMIN_TOKEN:?" in text
    env_example = (REPO / ".env.example").read_text()
    assert re.search(r"^NST_ADMIN_TOKEN=$", env_example, re.M), "no token value in the repo"


def test_logstash_pipeline_matches_the_services_log_lines(capsys) -> None:
    from nst_core.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("gateway")
        logging.getLogger("nst.http").info("request", extra={
            "method": "POST", "route": "/stylize", "status": 200, "duration_ms": 12.5,
            "model": "model1", "version": "v1"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    pipeline = (REPO / "kubernetes/elk/pipeline/nst.conf").read_text()
    assert 'source => "message"' in pipeline and 'target => "nst"' in pipeline
    for field in ("ts", "level", "name", "message", "service", "status", "duration_ms"):
        assert field in line
        assert f"[nst][{field}]" in pipeline, field
    # The date filter's pattern matches the ts the services really write.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", line["ts"])
    assert '"yyyy-MM-dd HH:mm:ss,SSS"' in pipeline


def test_dashboard_covers_the_metrics() -> None:
    dashboard = json.loads((REPO / "kubernetes/monitoring/grafana/nst-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    for metric in ("nst_http_requests_total", "nst_http_request_seconds_bucket",
                   "nst_inference_seconds_bucket", "nst_served_version",
                   "nst_inference_in_flight", "nst_model_swaps_total",
                   "nst_training_jobs_total", "nst_training_step_seconds_bucket"):
        assert metric in exprs, metric
    assert "sum by (le, model, version)" in exprs and "histogram_quantile(0.99" in exprs
    assert 'status=~"5.."' in exprs
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_metric_names_exist_in_the_code() -> None:
    """The dashboard and alerts name the metrics the services define."""
    code = "".join(p.read_text() for p in [*REPO.glob("nst_core/*.py"),
                                           *REPO.glob("inference_services/**/*.py")])
    for metric in ("nst_http_requests_total", "nst_http_request_seconds",
                   "nst_inference_seconds", "nst_served_version", "nst_inference_in_flight",
                   "nst_model_swaps_total"):
        assert f'"{metric}"' in code, metric


def test_make_and_ci_wiring() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^-?include mk/delivery.mk$", makefile, re.M)
    dry = subprocess.run(["make", "-n", "delivery-check", "docker-smoke",
                          "BIN=.venv/bin", "TOOLS_DIR=/nonexistent-tools"],
                         cwd=REPO, capture_output=True, text=True)
    assert "scripts/ci/static-checks.sh all" in dry.stdout, dry.stderr
    assert "scripts/ci/docker-smoke.sh" in dry.stdout
    # `make test` makes the lint tool venv first, so tests/delivery never skip in CI.
    test_dry = subprocess.run(["make", "-n", "test", "BIN=.venv/bin",
                               "TOOLS_DIR=/nonexistent-tools"],
                              cwd=REPO, capture_output=True, text=True)
    assert "/nonexistent-tools/lint" in test_dry.stdout, test_dry.stderr
    ci = (REPO / ".ci" / "run").read_text()
    order = [ci.index("make test"), ci.index("make delivery-check"), ci.index("make docker-smoke")]
    assert order == sorted(order)
    for package in ("docker.io", "debootstrap", "docker-compose"):
        assert package in ci
    gitignore = (REPO / ".gitignore").read_text().split()
    assert ".venv-tools/" in gitignore
