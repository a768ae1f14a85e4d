from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import REPO

SHARED = Path(os.environ.get("NST_SHARED_DIR", REPO.parent / "shared")).resolve()
REFERENCE = SHARED / "models" / "reference"
CONTENT = SHARED / "images" / "content"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference checkpoints not found at {REFERENCE} (set NST_SHARED_DIR)")
    return SHARED


@pytest.fixture(scope="session")
def chicago_bytes(shared_dir: Path) -> bytes:
    return (CONTENT / "chicago.jpg").read_bytes()


@pytest.fixture(scope="session")
def imported_storage(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Path:
    """A storage dir with the four default models imported from ../shared (never the
    internet). Read-only for tests: copy it with `fresh_storage` to write."""
    from nst_core.importer import bootstrap

    root = tmp_path_factory.mktemp("imported") / "storage"
    bootstrap(root, str(REFERENCE))
    return root


@pytest.fixture
def fresh_storage(imported_storage: Path, tmp_path: Path) -> Path:
    target = tmp_path / "storage"
    shutil.copytree(imported_storage, target)
    return target


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def artefacts_dir() -> Path:
    path = REPO / "test-artefacts"
    path.mkdir(exist_ok=True)
    return path


def stop_all(processes: list) -> Iterator[None]:
    try:
        yield
    finally:
        for proc in processes:
            proc.stop()


@pytest.fixture(scope="module")
def gateway_stack(imported_storage: Path, tmp_path_factory: pytest.TempPathFactory):
    """Gateway + the model1 inference service as real processes on a private storage copy;
    model2 is routed to a port where nothing listens (a service that is down)."""
    from tests.support.processes import free_port, gateway_process, inference_process

    root = tmp_path_factory.mktemp("gw")
    storage = root / "storage"
    shutil.copytree(imported_storage, storage)
    tmp = root / "gateway-tmp"
    tmp.mkdir()
    inference = inference_process(storage, "model1", root)
    down = f"http://127.0.0.1:{free_port()}"
    gateway = gateway_process(storage, {"model1": inference.url, "model2": down}, root,
                              NST_UPSTREAM_RETRIES="1", TMPDIR=str(tmp))
    try:
        inference.wait_ready("/ready", timeout=120)
        gateway.wait_ready("/health")
        yield gateway, inference, storage
    finally:
        gateway.stop()
        inference.stop()
