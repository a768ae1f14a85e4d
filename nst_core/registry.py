"""The model registry on disk (`<storage>/models/<model_id>/`).

Versions are immutable directories written under a temporary name and renamed into place;
`latest.txt` names the served version and is replaced atomically. Readers treat every name
they read from disk or from a client as untrusted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from .errors import InvalidModelId, InvalidVersion, UnknownModel, VersionNotFound
from .fsutil import atomic_write_text, fsync_path, resolve_inside

MODEL_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
VERSION_RE = re.compile(r"^v([1-9]\d{0,8})$")
CHECKPOINT_PREFIX = "ckpt"
REQUIRED_VERSION_FILES = ("meta.json", f"{CHECKPOINT_PREFIX}.index")


def validate_model_id(model_id: str) -> str:
    if not isinstance(model_id, str) or not MODEL_ID_RE.match(model_id):
        raise InvalidModelId("invalid model id")
    return model_id


def validate_version(version: str) -> str:
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise InvalidVersion("invalid version id (expected v1, v2, ...)")
    return version


def version_number(version: str) -> int:
    return int(validate_version(version)[1:])


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    style_source: str
    defaults: dict[str, Any]


class ModelRegistry:
    def __init__(self, storage_dir: Path) -> None:
        self.storage_dir = Path(storage_dir)
        self.root = self.storage_dir / "models"

    # --- paths ---------------------------------------------------------------
    def model_dir(self, model_id: str) -> Path:
        validate_model_id(model_id)
        try:
            return resolve_inside(self.root, model_id)
        except PermissionError as exc:
            raise InvalidModelId("invalid model id") from exc

    def existing_model_dir(self, model_id: str) -> Path:
        path = self.model_dir(model_id)
        if not (path / "model.json").is_file():
            raise UnknownModel(f"unknown model {model_id!r}")
        return path

    def version_dir(self, model_id: str, version: str) -> Path:
        validate_version(version)
        model_path = self.existing_model_dir(model_id)
        try:
            return resolve_inside(model_path, version)
        except PermissionError as exc:
            raise InvalidVersion("invalid version id") from exc

    # --- reading -------------------------------------------------------------
    def list_models(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if self._is_model(p.name))

    def _is_model(self, name: str) -> bool:
        try:
            return (self.model_dir(name) / "model.json").is_file()
        except InvalidModelId:
            return False

    def info(self, model_id: str) -> ModelInfo:
        data = json.loads((self.existing_model_dir(model_id) / "model.json").read_text())
        return ModelInfo(
            id=model_id,
            name=str(data.get("name", model_id)),
            style_source=str(data.get("style_source", "")),
            defaults=dict(data.get("defaults", {})),
        )

    def style_image_path(self, model_id: str) -> Path:
        path = self.existing_model_dir(model_id) / "style.jpg"
        if not path.is_file():
            raise VersionNotFound(f"model {model_id!r} has no style image")
        return path

    def is_complete(self, model_id: str, version: str) -> bool:
        try:
            vdir = self.version_dir(model_id, version)
        except (InvalidVersion, UnknownModel):
            return False
        if not vdir.is_dir() or not all((vdir / f).is_file() for f in REQUIRED_VERSION_FILES):
            return False
        return any(vdir.glob(f"{CHECKPOINT_PREFIX}.data-*"))

    def list_versions(self, model_id: str) -> list[str]:
        """Complete versions, oldest first."""
        model_path = self.existing_model_dir(model_id)
        names = [p.name for p in model_path.iterdir() if VERSION_RE.match(p.name)]
        return sorted((n for n in names if self.is_complete(model_id, n)), key=version_number)

    def latest(self, model_id: str) -> str:
        """The served version. Raises VersionNotFound when latest.txt is missing, garbage,
        points elsewhere or names an incomplete version."""
        path = self.existing_model_dir(model_id) / "latest.txt"
        try:
            text = path.read_text(encoding="utf-8", errors="replace").strip()
        except FileNotFoundError as exc:
            raise VersionNotFound(f"model {model_id!r} has no served version") from exc
        if not VERSION_RE.match(text):
            raise VersionNotFound(f"model {model_id!r}: latest.txt is not a version id")
        if not self.is_complete(model_id, text):
            raise VersionNotFound(f"model {model_id!r}: version {text} is missing or incomplete")
        return text

    def read_meta(self, model_id: str, version: str) -> dict[str, Any]:
        if not self.is_complete(model_id, version):
            raise VersionNotFound(f"version {version} of {model_id!r} not found")
        return json.loads((self.version_dir(model_id, version) / "meta.json").read_text())

    def checkpoint_prefix(self, model_id: str, version: str) -> Path:
        if not self.is_complete(model_id, version):
            raise VersionNotFound(f"version {version} of {model_id!r} not found")
        return self.version_dir(model_id, version) / CHECKPOINT_PREFIX

    # --- writing -------------------------------------------------------------
    def create_model(self, model_id: str, name: str, style_source: str,
                     style_image: bytes, defaults: dict[str, Any] | None = None) -> Path:
        path = self.model_dir(model_id)
        path.mkdir(parents=True, exist_ok=True)
        (path / "style.jpg").write_bytes(style_image)
        info = {"name": name, "style_source": style_source, "defaults": defaults or {}}
        atomic_write_text(path / "model.json", json.dumps(info, indent=2) + "\n")
        return path

    def _lock(self, model_id: str) -> FileLock:
        return FileLock(str(self.existing_model_dir(model_id) / ".registry.lock"), timeout=60)

    def write_version(self, model_id: str, write_files: Callable[[Path], None],
                      meta: dict[str, Any]) -> str:
        """Write a new immutable version: files go to a temp dir, then one rename publishes
        it. A crash at any point leaves at most a `.tmp-*` dir that no reader looks at."""
        model_path = self.existing_model_dir(model_id)
        tmp = model_path / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            write_files(tmp)
            with self._lock(model_id):
                version = f"v{self._highest_number(model_path) + 1}"
                full_meta = {"version": version, "model": model_id,
                             "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             **meta}
                (tmp / "meta.json").write_text(json.dumps(full_meta, indent=2) + "\n")
                for f in tmp.iterdir():
                    if f.is_file():
                        fsync_path(f)
                fsync_path(tmp)
                os.rename(tmp, model_path / version)
                fsync_path(model_path)
            return version
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @staticmethod
    def _highest_number(model_path: Path) -> int:
        numbers = [int(m.group(1)) for p in model_path.iterdir() if (m := VERSION_RE.match(p.name))]
        return max(numbers, default=0)

    def set_latest(self, model_id: str, version: str) -> str | None:
        """Atomically point latest.txt at a complete version. Returns the previous one and
        records the move in `history.jsonl` (used by rollback)."""
        if not self.is_complete(model_id, version):
            raise VersionNotFound(f"version {version} of {model_id!r} not found or incomplete")
        with self._lock(model_id):
            try:
                previous: str | None = self.latest(model_id)
            except VersionNotFound:
                previous = None
            model_path = self.existing_model_dir(model_id)
            atomic_write_text(model_path / "latest.txt", version + "\n")
            entry = {"ts": time.time(), "from": previous, "to": version}
            with open(model_path / "history.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
        return previous

    def history(self, model_id: str) -> list[dict[str, Any]]:
        path = self.existing_model_dir(model_id) / "history.jsonl"
        if not path.is_file():
            return []
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return entries


# --- TensorFlow checkpoints (the I/O edge of the network) ---------------------
def save_network(net: Any, directory: Path) -> None:
    import tensorflow as tf

    tf.train.Checkpoint(net=net).write(str(directory / CHECKPOINT_PREFIX))


def load_network(registry: ModelRegistry, model_id: str, version: str) -> Any:
    import tensorflow as tf

    from .network import TransformNet, variable_shapes

    prefix = registry.checkpoint_prefix(model_id, version)
    net = TransformNet([np.zeros(s, np.float32) for s in variable_shapes()])
    tf.train.Checkpoint(net=net).read(str(prefix)).assert_existing_objects_matched()
    return net
