"""The fine-tuning admin page in a real browser: token, a job with a progress bar that
runs to a new version, promote and roll back by button."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nst_core.registry import ModelRegistry
from tests.support.processes import ServiceProcess, finetune_process
from tests.support.training import add_rated_upload, write_random_vgg

TOKEN = "browser-admin-token"


@pytest.fixture
def admin(imported_storage: Path, tmp_path: Path,
          chicago_bytes: bytes) -> Iterator[tuple[ServiceProcess, Path]]:
    storage = tmp_path / "storage"
    shutil.copytree(imported_storage, storage)
    write_random_vgg(storage)
    add_rated_upload(storage, "model2", "bad", chicago_bytes)
    proc = finetune_process(storage, tmp_path, token=TOKEN)
    try:
        yield proc.wait_ready(), storage
    finally:
        proc.stop()


def test_admin_page_trains_promotes_and_rolls_back(browser: Any, admin,
                                                   artefacts_dir: Path) -> None:
    proc, storage = admin
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    try:
        page.goto(proc.url + "/admin")
        page.get_by_label("Bearer token (NST_ADMIN_TOKEN)").fill(TOKEN)
        page.get_by_role("button", name="Use token").click()
        page.get_by_role("heading", name="model2 - Udnie (Picabia) (serving v1)").wait_for()

        page.get_by_label("Model").select_option("model2")
        page.get_by_label("Max steps").fill("2")
        page.get_by_label("Image size").fill("64")
        page.get_by_role("button", name="Fine-tune").click()
        page.get_by_role("progressbar", name="progress of the model2 job").first.wait_for()
        page.get_by_text("model2: succeeded").wait_for(timeout=120_000)
        page.screenshot(path=str(artefacts_dir / "20-admin-job-done.png"), full_page=True)

        registry = ModelRegistry(storage)
        if registry.latest("model2") != "v2":  # the gate refused: promote by hand
            page.get_by_role("button", name="Promote v2").click()
        page.get_by_role("heading", name="model2 - Udnie (Picabia) (serving v2)").wait_for()
        assert registry.latest("model2") == "v2"

        page.get_by_role("button", name="Roll back model2").click()
        page.get_by_role("heading", name="model2 - Udnie (Picabia) (serving v1)").wait_for()
        assert registry.latest("model2") == "v1"
        page.screenshot(path=str(artefacts_dir / "21-admin-rolled-back.png"), full_page=True)
    finally:
        context.close()
