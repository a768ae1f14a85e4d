"""The fine-tuning service as a real process: admin auth, validation, jobs, promotion,
rollback and the feedback trigger."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from fine_tuning_service import trigger
from nst_core.registry import ModelRegistry
from tests.support.processes import ServiceProcess, finetune_process, wait_until
from tests.support.training import add_rated_upload, write_random_vgg

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TINY = {"max_steps": 2, "image_size": 64, "batch_size": 1}


@pytest.fixture(scope="module")
def finetune(imported_storage: Path, tmp_path_factory: pytest.TempPathFactory,
             chicago_bytes: bytes) -> Iterator[tuple[ServiceProcess, Path]]:
    root = tmp_path_factory.mktemp("ft")
    storage = root / "storage"
    shutil.copytree(imported_storage, storage)
    write_random_vgg(storage)
    for seed in range(2):
        add_rated_upload(storage, "model4", "bad", chicago_bytes, seed)
    curated = root / "curated"
    (curated / "model3").mkdir(parents=True)
    Image.new("L", (80, 80), 128).save(curated / "model3" / "grey.png")
    proc = finetune_process(storage, root, NST_CURATED_DIR=str(curated))
    try:
        proc.wait_ready("/health")
        yield proc, storage
    finally:
        proc.stop()


def wait_job(proc: ServiceProcess, job_id: str, timeout: float = 180) -> dict:
    state: dict = {}

    def done() -> bool:
        state.update(httpx.get(f"{proc.url}/jobs/{job_id}", headers=AUTH).json())
        return state["status"] in ("succeeded", "failed")

    wait_until(done, timeout, interval=0.3, message=f"job {job_id} finished")
    return state


def test_admin_auth(finetune) -> None:
    proc, _ = finetune
    missing = httpx.post(proc.url + "/finetune", json={"model": "model4"})
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.post(proc.url + "/finetune", json={"model": "model4"},
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    for path in ("/jobs", "/models"):
        assert httpx.get(proc.url + path).status_code == 401
    assert httpx.post(proc.url + "/models/model1/rollback",
                      headers={"Authorization": "Bearer x"}).status_code == 403


def test_unset_token_refuses_everything(imported_storage: Path, log_dir: Path) -> None:
    proc = finetune_process(imported_storage, log_dir, token=None,
                            NST_ADMIN_TOKEN="")
    try:
        proc.wait_ready("/health")
        for token in ("x", "anything"):
            response = httpx.get(proc.url + "/jobs", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code in (401, 403)
    finally:
        proc.stop()


@pytest.mark.parametrize("body,fragment", [
    ({"model": "model1"}, "no training images"),          # no feedback for model1
    ({"model": "model3"}, "not RGB"),                     # curated grey image
    ({"model": "model4", "image_size": 66}, "multiple"),  # validation of parameters
])
def test_validation_errors(finetune, body: dict, fragment: str) -> None:
    proc, _ = finetune
    response = httpx.post(proc.url + "/finetune", json=body, headers=AUTH)
    assert response.status_code == 422
    assert fragment in str(response.json()["detail"])


def test_unknown_model_is_404(finetune) -> None:
    proc, _ = finetune
    assert httpx.post(proc.url + "/finetune", json={"model": "nope"},
                      headers=AUTH).status_code == 404


def test_missing_style_and_bad_vgg(finetune) -> None:
    proc, storage = finetune
    style = storage / "models/model4/style.jpg"
    vgg = storage / "vgg19.npz"
    saved_style, saved_vgg = style.read_bytes(), vgg.read_bytes()
    try:
        style.unlink()
        response = httpx.post(proc.url + "/finetune", json={"model": "model4"}, headers=AUTH)
        assert response.status_code == 422 and "style.jpg" in response.json()["detail"]
        style.write_bytes(saved_style)

        vgg.unlink()
        response = httpx.post(proc.url + "/finetune", json={"model": "model4"}, headers=AUTH)
        assert response.status_code == 422 and "missing" in response.json()["detail"]
        np.savez(vgg, block1_conv1_kernel=np.zeros((3, 3, 3, 64), np.float32))
        response = httpx.post(proc.url + "/finetune", json={"model": "model4"}, headers=AUTH)
        assert response.status_code == 422 and "malformed" in response.json()["detail"]
        vgg.write_bytes(b"not a zip")
        response = httpx.post(proc.url + "/finetune", json={"model": "model4"}, headers=AUTH)
        assert response.status_code == 422
    finally:
        style.write_bytes(saved_style)
        vgg.write_bytes(saved_vgg)


def test_job_runs_to_a_new_version_then_rollback(finetune) -> None:
    proc, storage = finetune
    created = httpx.post(proc.url + "/finetune", json={"model": "model4", **TINY}, headers=AUTH)
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]
    second = httpx.post(proc.url + "/finetune", json={"model": "model4", **TINY}, headers=AUTH)
    assert second.status_code == 409

    job = wait_job(proc, job_id)
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1.0 and job["step"] == 2 and job["losses"]["total"] > 0
    assert job["version"] == "v2" and isinstance(job["gate"]["reason"], str)
    assert (storage / "models/model4/v2/meta.json").is_file()
    registry = ModelRegistry(storage)
    if not job["promoted"]:  # the gate refused: promote by hand, as an admin would
        moved = httpx.post(proc.url + "/models/model4/promote", json={"version": "v2"},
                           headers=AUTH)
        assert moved.status_code == 200
    assert registry.latest("model4") == "v2"

    back = httpx.post(proc.url + "/models/model4/rollback", headers=AUTH)
    assert back.status_code == 200 and back.json() == {"model": "model4", "version": "v1",
                                                       "previous": "v2"}
    assert registry.latest("model4") == "v1"
    listing = {m["id"]: m for m in httpx.get(proc.url + "/models", headers=AUTH).json()}
    assert [v["version"] for v in listing["model4"]["versions"]] == ["v1", "v2"]
    assert listing["model4"]["served"] == "v1"


def test_promote_refuses_bad_versions(finetune) -> None:
    proc, _ = finetune
    for version, status in (("../v1", 400), ("v99", 404)):
        response = httpx.post(proc.url + "/models/model1/promote", json={"version": version},
                              headers=AUTH)
        assert response.status_code == status


def test_trigger_is_idempotent(finetune, chicago_bytes: bytes, capsys) -> None:
    proc, storage = finetune
    for seed in range(5):
        add_rated_upload(storage, "model2", "bad", chicago_bytes, 10 + seed)
    add_rated_upload(storage, "model1", "bad", chicago_bytes, 20)  # below the threshold
    args = ["--finetune-url", proc.url, "--storage", str(storage), "--threshold", "5",
            "--max-steps", "1"]
    os.environ["NST_ADMIN_TOKEN"] = TOKEN
    try:
        assert trigger.main(args) == 0
        first = capsys.readouterr().out
        assert '"model": "model2"' in first and '"model": "model1"' not in first
        assert trigger.main(args) == 0
        assert '"started": []' in capsys.readouterr().out
        jobs = [j for j in httpx.get(proc.url + "/jobs", headers=AUTH).json()
                if j["model"] == "model2"]
        assert len(jobs) == 1
        wait_job(proc, jobs[0]["job_id"])
        assert trigger.main(args) == 0  # finished: the old ratings do not count again
        assert '"started": []' in capsys.readouterr().out
    finally:
        del os.environ["NST_ADMIN_TOKEN"]


def test_admin_page_is_served_with_csp(finetune) -> None:
    proc, _ = finetune
    page = httpx.get(proc.url + "/admin")
    assert page.status_code == 200 and "Fine-tuning admin" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(proc.url + "/admin/static/admin.js")
    assert script.status_code == 200 and "/finetune" in script.text
