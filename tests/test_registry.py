from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nst_core.errors import InvalidModelId, InvalidVersion, UnknownModel, VersionNotFound
from nst_core.registry import ModelRegistry


def test_lists_imported_models(imported_storage: Path) -> None:
    registry = ModelRegistry(imported_storage)
    assert registry.list_models() == ["model1", "model2", "model3", "model4"]
    assert registry.latest("model1") == "v1"
    assert registry.list_versions("model1") == ["v1"]
    assert registry.info("model1").name.startswith("The Great Wave")


def test_write_version_is_atomic(fresh_storage: Path) -> None:
    registry = ModelRegistry(fresh_storage)
    seen_partial = []

    def writer(directory: Path) -> None:
        (directory / "ckpt.index").write_bytes(b"x")
        # While files are being written, the version is invisible to readers.
        seen_partial.append(registry.list_versions("model1"))
        (directory / "ckpt.data-00000-of-00001").write_bytes(b"y")

    version = registry.write_version("model1", writer, {"parent": "v1"})
    assert version == "v2"
    assert seen_partial == [["v1"]]
    assert registry.list_versions("model1") == ["v1", "v2"]
    assert registry.read_meta("model1", "v2")["parent"] == "v1"
    assert not list((fresh_storage / "models" / "model1").glob(".tmp-*"))


def test_failed_write_leaves_nothing(fresh_storage: Path) -> None:
    registry = ModelRegistry(fresh_storage)

    def writer(directory: Path) -> None:
        (directory / "ckpt.index").write_bytes(b"x")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        registry.write_version("model1", writer, {})
    assert registry.list_versions("model1") == ["v1"]
    assert registry.latest("model1") == "v1"
    assert not list((fresh_storage / "models" / "model1").glob(".tmp-*"))


@pytest.mark.parametrize("content", ["", "garbage\n", "../../etc/passwd", "v2", "/tmp/v1",
                                     "v1/../v1", "v0", "\x00v1"])
def test_bad_latest_is_refused(fresh_storage: Path, content: str) -> None:
    registry = ModelRegistry(fresh_storage)
    (fresh_storage / "models" / "model1" / "latest.txt").write_text(content)
    with pytest.raises(VersionNotFound):
        registry.latest("model1")


def test_half_written_version_is_never_served(fresh_storage: Path) -> None:
    registry = ModelRegistry(fresh_storage)
    half = fresh_storage / "models" / "model1" / "v2"
    half.mkdir()
    shutil.copy(fresh_storage / "models" / "model1" / "v1" / "ckpt.index", half)
    assert registry.list_versions("model1") == ["v1"]
    with pytest.raises(VersionNotFound):
        registry.set_latest("model1", "v2")
    (fresh_storage / "models" / "model1" / "latest.txt").write_text("v2\n")
    with pytest.raises(VersionNotFound):
        registry.latest("model1")


@pytest.mark.parametrize("model_id", ["../x", "..", "/etc", "model1/../../x", "MODEL1",
                                      "model1#x", "%2e%2e", ""])
def test_model_id_traversal_is_refused(fresh_storage: Path, model_id: str) -> None:
    with pytest.raises(InvalidModelId):
        ModelRegistry(fresh_storage).model_dir(model_id)


def test_symlinked_model_outside_storage_is_refused(fresh_storage: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(fresh_storage / "models" / "model1", outside)
    os.symlink(outside, fresh_storage / "models" / "evil")
    registry = ModelRegistry(fresh_storage)
    with pytest.raises(InvalidModelId):
        registry.latest("evil")
    assert "evil" not in registry.list_models()
    with pytest.raises((InvalidModelId, UnknownModel)):
        registry.info("evil")


def test_version_ids_are_validated(fresh_storage: Path) -> None:
    registry = ModelRegistry(fresh_storage)
    for bad in ("../v1", "v1/..", "1", "latest", "v01"):
        with pytest.raises(InvalidVersion):
            registry.version_dir("model1", bad)


def test_set_latest_and_history(fresh_storage: Path) -> None:
    registry = ModelRegistry(fresh_storage)
    src = fresh_storage / "models" / "model1" / "v1"
    version = registry.write_version(
        "model1", lambda d: [shutil.copy(f, d) for f in src.glob("ckpt*")], {"parent": "v1"}
    )
    assert registry.set_latest("model1", version) == "v1"
    assert registry.latest("model1") == "v2"
    assert registry.history("model1")[-1] == {**registry.history("model1")[-1],
                                              "from": "v1", "to": "v2"}


@pytest.fixture
def shm_storage(fresh_storage: Path) -> Iterator[Path]:
    """The storage on tmpfs when there is one: the atomicity under test is the rename's,
    and tmpfs makes 10,000 fsyncs cheap enough for a test."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        yield fresh_storage
        return
    root = Path(tempfile.mkdtemp(dir=shm, prefix="nst-test-"))
    try:
        shutil.copytree(fresh_storage / "models" / "model1", root / "models" / "model1")
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _reader(storage: str, stop_file: str, result_file: str) -> None:
    registry = ModelRegistry(Path(storage))
    reads, bad = 0, []
    while not os.path.exists(stop_file):
        try:
            value = registry.latest("model1")
            if value not in ("v1", "v2"):
                bad.append(value)
        except VersionNotFound as exc:
            bad.append(str(exc))
        reads += 1
    Path(result_file).write_text(json.dumps({"reads": reads, "bad": bad[:10]}))


def test_latest_replacements_never_yield_invalid_reads(shm_storage: Path,
                                                       tmp_path: Path) -> None:
    """10,000 replacements while two other processes (like inference services) read."""
    registry = ModelRegistry(shm_storage)
    src = shm_storage / "models" / "model1" / "v1"
    registry.write_version("model1", lambda d: [shutil.copy(f, d) for f in src.glob("ckpt*")],
                           {})
    stop = tmp_path / "stop"
    ctx = multiprocessing.get_context("spawn")
    readers = [ctx.Process(target=_reader, args=(str(shm_storage), str(stop),
                                                 str(tmp_path / f"r{i}.json")))
               for i in range(2)]
    for reader in readers:
        reader.start()
    try:
        for i in range(10_000):
            registry.set_latest("model1", "v2" if i % 2 else "v1")
    finally:
        stop.touch()
        for reader in readers:
            reader.join(60)
    results = [json.loads((tmp_path / f"r{i}.json").read_text()) for i in range(2)]
    assert all(r["reads"] > 100 for r in results), results
    assert [r["bad"] for r in results] == [[], []]
