"""The real stack for the browser tests: two inference services (and a third style whose
service is down), the gateway and the UI
served by Nginx through scripts/run_frontend.py, driven by a real headless Chromium.

Everything is started once per session and stopped by PID in `finally`, also on failure.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nst_core.registry import ModelRegistry
from tests.support.frontend import (
    CHROMIUM_ARGS,
    FrontendProcess,
    missing_tool,
    require_chromium,
    require_nginx,
)
from tests.support.processes import (
    ServiceProcess,
    free_port,
    gateway_process,
    inference_process,
)

# Small enough that a generated 1200x1000 photo is refused by the gateway (a real API error
# for the UI to explain), large enough for chicago.jpg (712x474).
MAX_PIXELS = 1_000_000


@dataclass
class Backend:
    gateway: ServiceProcess
    storage: Path


def publish_copy_as_v2(storage: Path, model_id: str) -> None:
    """Serve a second version of one model, so tests can tell versions apart."""
    registry = ModelRegistry(storage)
    v1 = registry.version_dir(model_id, "v1")

    def copy_weights(target: Path) -> None:
        for item in v1.iterdir():
            if item.name != "meta.json":
                shutil.copy2(item, target / item.name)

    version = registry.write_version(model_id, copy_weights, {"parent": "v1", "note": "test"})
    registry.set_latest(model_id, version)


@pytest.fixture(scope="session")
def backend(imported_storage: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp("browser-stack")
    storage = root / "storage"
    shutil.copytree(imported_storage, storage)
    publish_copy_as_v2(storage, "model2")
    models = ("model1", "model2")
    started: list[ServiceProcess] = []
    try:
        # Both inference services load TensorFlow at the same time.
        for model in models:
            started.append(inference_process(storage, model, root))
        urls = dict(zip(models, (proc.url for proc in started), strict=True))
        urls["model3"] = f"http://127.0.0.1:{free_port()}"  # a style whose service is down
        gateway = gateway_process(storage, urls, root, NST_MAX_PIXELS=str(MAX_PIXELS))
        started.append(gateway)
        for proc in started[:2]:
            proc.wait_ready("/ready", timeout=180)
        gateway.wait_ready("/health")
        yield Backend(gateway=gateway, storage=storage)
    finally:
        for proc in reversed(started):
            proc.stop()


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    return require_nginx()


@pytest.fixture(scope="session")
def nginx_frontend(nginx_binary: str, backend: Backend,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontendProcess]:
    # nginx_binary comes first: a missing Nginx skips before the backend starts.
    root = tmp_path_factory.mktemp("nginx")
    frontend = FrontendProcess(backend.gateway.url, root / "run", root / "nginx.log")
    try:
        frontend.wait_ready()
        yield frontend
    finally:
        frontend.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = require_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class UI:
    """One browser tab on the UI, with the problems the page reported."""

    page: Any
    base_url: str
    artefacts: Path
    problems: list[str]

    def open(self) -> UI:
        self.page.goto(self.base_url + "/")
        # The styles come from /api/models; the first available one is preselected.
        self.page.locator("input[name=model]:checked").wait_for(state="attached")
        return self

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.artefacts / f"{name}.png"), full_page=True)


def new_ui(browser: Any, base_url: str, artefacts: Path,
           viewport: tuple[int, int]) -> tuple[Any, UI]:
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    # CSP violations and script errors surface here; a clean page has none.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # Playwright turns on file-chooser interception when the first listener appears, without
    # waiting for it; a listener from the start means a chooser is never missed.
    page.on("filechooser", lambda _: None)
    return context, UI(page, base_url, artefacts, problems)


@pytest.fixture
def ui(browser: Any, nginx_frontend: FrontendProcess, artefacts_dir: Path) -> Iterator[UI]:
    context, view = new_ui(browser, nginx_frontend.url, artefacts_dir, (1280, 900))
    try:
        yield view.open()
    finally:
        context.close()


@pytest.fixture
def mobile_ui(browser: Any, nginx_frontend: FrontendProcess,
              artefacts_dir: Path) -> Iterator[UI]:
    context, view = new_ui(browser, nginx_frontend.url, artefacts_dir, (375, 740))
    try:
        yield view.open()
    finally:
        context.close()
