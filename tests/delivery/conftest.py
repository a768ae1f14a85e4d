"""Fixtures of the delivery tests. The Kubernetes and Jenkins ones need the tool venv
.venv-tools/lint (kubectl, PyYAML, groovy-parser), which `make test` creates first; run
alone without it, those tests skip with that reason (and fail under CI=true)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import REPO

TOOLS = Path(os.environ.get("NST_TOOLS_DIR", REPO / ".venv-tools"))
LINT_PYTHON = TOOLS / "lint" / "bin" / "python"
JENKINSFILES = (REPO / "Jenkinsfile", REPO / "jenkins" / "FineTuneModels.Jenkinsfile")
APP_NAMESPACES = {"nst", "nst-dev"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


def need_tools() -> Path:
    if not LINT_PYTHON.exists():
        reason = f"tool venv {LINT_PYTHON.parent.parent} missing: run `make delivery-tools`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return LINT_PYTHON


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """`kubectl kustomize` of dev, prod, elk and monitoring, as lists of objects."""
    python = need_tools()
    out = subprocess.run([str(python), "scripts/ci/render_manifests.py", "--json"], cwd=REPO,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


@pytest.fixture(scope="session")
def jenkins_outline() -> dict[str, list[dict[str, Any]]]:
    """Both Jenkinsfiles parsed by a Groovy grammar (scripts/ci/jenkinsfile_outline.py).
    Reuses the static checks' output when it is newer than the files it describes."""
    python = need_tools()
    cached = TOOLS / "rendered" / "jenkinsfiles.json"
    sources = [*JENKINSFILES, REPO / "scripts" / "ci" / "jenkinsfile_outline.py"]
    if cached.exists() and all(cached.stat().st_mtime > p.stat().st_mtime for p in sources):
        return json.loads(cached.read_text())
    out = subprocess.run([str(python), "scripts/ci/jenkinsfile_outline.py",
                          *(str(p.relative_to(REPO)) for p in JENKINSFILES)],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def workloads(objects: list[dict[str, Any]], namespaces: set[str] | None = None) -> list[dict]:
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS
            and (namespaces is None or o["metadata"].get("namespace") in namespaces)]


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}
