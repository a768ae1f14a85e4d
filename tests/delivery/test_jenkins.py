"""The Jenkins pipelines, parsed by a Groovy 3 grammar: required stages and sections, and
every script or make target they call exists."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from tests.delivery.conftest import need_tools
from tests.support.processes import REPO


def find(calls: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Every call named `name`, at any depth."""
    out = []
    for call in calls:
        if call["name"] == name:
            out.append(call)
        out.extend(find(call["body"], name))
    return out


def section(calls: list[dict[str, Any]], *path: str) -> dict[str, Any]:
    node = {"body": calls}
    for name in path:
        matches = [c for c in node["body"] if c["name"] == name]
        assert matches, f"no `{name}` under {' > '.join(path)}"
        node = matches[0]
    return node


def stages(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["args"][0]: s for s in node["body"] if s["name"] == "stage"}


def strings(node: dict[str, Any]) -> list[str]:
    return node["args"] + [s for child in node["body"] for s in strings(child)]


@pytest.fixture(scope="module")
def app(jenkins_outline: dict) -> list[dict[str, Any]]:
    return jenkins_outline["Jenkinsfile"]


@pytest.fixture(scope="module")
def finetune(jenkins_outline: dict) -> list[dict[str, Any]]:
    return jenkins_outline["jenkins/FineTuneModels.Jenkinsfile"]


def test_nst_app_stages(app: list[dict]) -> None:
    top = stages(section(app, "pipeline", "stages"))
    assert list(top) == ["Checkout", "Lint and tests", "Build and push images",
                         "Deploy to staging", "Smoke test", "Fine-tune trigger",
                         "Deploy to production"]
    parallel = section(top["Lint and tests"]["body"], "parallel")
    assert set(stages(parallel)) == {"Lint", "Tests"}
    assert "make test" in strings(stages(parallel)["Tests"])
    assert any("delivery-check" in s for s in strings(stages(parallel)["Lint"]))
    assert any("/health" in s for s in strings(top["Smoke test"]))
    assert any("finetune_trigger.py" in s and "--threshold" in s
               for s in strings(top["Fine-tune trigger"]))
    # Production: behind a parameter, through Ansible (scripts/ci/deploy.sh).
    prod = top["Deploy to production"]
    assert find(prod["body"], "when") and find(prod["body"], "input")
    assert "scripts/ci/deploy.sh production" in strings(prod)
    params = {p["args"][0] for p in section(app, "pipeline", "parameters")["body"]}
    assert {"DEPLOY_PRODUCTION", "FINETUNE_THRESHOLD"} <= params
    always = section(app, "pipeline", "post", "always")
    assert "scripts/ci/cleanup.sh" in strings(always)


def test_finetune_pipeline(finetune: list[dict]) -> None:
    params = {p["args"][0]: p["name"] for p in section(finetune, "pipeline", "parameters")["body"]}
    assert params["MODEL"] == "choice"
    assert {"MAX_STEPS", "EPOCHS", "LEARNING_RATE", "WAIT_FOR_JOB"} <= set(params)
    top = stages(section(finetune, "pipeline", "stages"))
    assert list(top) == ["Trigger info", "Request fine-tuning"]
    assert find(top["Trigger info"]["body"], "script")
    request = strings(top["Request fine-tuning"])
    assert "nst-admin-token" in request and "NST_ADMIN_TOKEN" in request
    assert any("scripts/ci/finetune_request.py" in s for s in request)
    post = {c["name"] for c in section(finetune, "pipeline", "post")["body"]}
    assert post == {"success", "failure", "always"}


def test_called_scripts_and_targets_exist(app: list[dict], finetune: list[dict]) -> None:
    make_targets = set()
    for mk in (REPO / "Makefile", REPO / "mk" / "delivery.mk"):
        make_targets |= set(re.findall(r"^([a-z][a-z0-9-]*):", mk.read_text(), re.M))
    for outline in (app, finetune):
        for sh in find(outline, "sh"):
            command = " ".join(sh["args"])
            for script in re.findall(r"scripts/ci/[\w.-]+", command):
                assert (REPO / script).is_file(), script
            for targets in re.findall(r"\bmake ([a-z -]+)", command):
                assert set(targets.split()) <= make_targets, targets


def test_a_broken_jenkinsfile_fails_to_parse(tmp_path) -> None:
    python = need_tools()
    broken = tmp_path / "Jenkinsfile"
    broken.write_text("pipeline {\n  stages {\n    stage('x' {\n  }\n}\n")
    result = subprocess.run([str(python), "scripts/ci/jenkinsfile_outline.py", str(broken)],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1 and "does not parse" in result.stderr
