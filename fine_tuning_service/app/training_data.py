"""The I/O edge of training: which images to train on, the style painting, vgg19.npz.
Every check here runs before a job is accepted, so a bad setup is a 422, not a failed job."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from nst_core.errors import Unprocessable
from nst_core.feedback import read_feedback
from nst_core.registry import ModelRegistry
from nst_core.storage import REQUEST_ID_RE, Storage
from nst_core.training.vgg import VGGWeightsError, validate_vgg_weights

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


@dataclass(frozen=True)
class TrainingData:
    paths: list[Path]
    digest: str  # sha256 over the exact list of (name, content hash), sorted

    def load(self) -> list[np.ndarray]:
        return [np.asarray(Image.open(p), np.uint8) for p in self.paths]


def feedback_images(storage: Storage, model_id: str) -> list[Path]:
    """Uploads that received feedback for this model (each once)."""
    ids = {
        r.get("request_id") for r in read_feedback(storage.feedback).records
        if r.get("model") == model_id
    }
    paths = []
    for request_id in sorted(i for i in ids if isinstance(i, str) and REQUEST_ID_RE.match(i)):
        path = storage.input_image(request_id)
        if path.is_file():
            paths.append(path)
    return paths


def curated_images(curated_dir: Path | None, model_id: str) -> list[Path]:
    if curated_dir is None or not (curated_dir / model_id).is_dir():
        return []
    return sorted(p for p in (curated_dir / model_id).iterdir()
                  if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def check_rgb(path: Path) -> None:
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            mode = image.mode
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Unprocessable(f"training image {path.name} is unreadable") from exc
    if mode != "RGB":
        raise Unprocessable(f"training image {path.name} is {mode}, not RGB")


def collect(storage: Storage, model_id: str, curated_dir: Path | None,
            limit: int) -> TrainingData:
    paths = (feedback_images(storage, model_id) + curated_images(curated_dir, model_id))[:limit]
    if not paths:
        raise Unprocessable(
            f"no training images for {model_id}: rate some of its results first "
            "or add a curated folder"
        )
    digest = hashlib.sha256()
    for path in paths:
        check_rgb(path)
        digest.update(f"{path.name}:{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return TrainingData(paths=paths, digest=digest.hexdigest())


def load_style(registry: ModelRegistry, model_id: str, max_side: int) -> np.ndarray:
    path = registry.existing_model_dir(model_id) / "style.jpg"
    if not path.is_file():
        raise Unprocessable(f"{model_id} has no style.jpg")
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((max_side, max_side))
            return np.asarray(image, np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise Unprocessable(f"style.jpg of {model_id} is unreadable") from exc


def load_vgg(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise Unprocessable(
            "vgg19.npz is missing from storage: run `python -m nst_core.training.vgg_export`"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            weights = {key: data[key] for key in data.files}
        validate_vgg_weights(weights)
    except VGGWeightsError as exc:
        raise Unprocessable(f"vgg19.npz is malformed: {exc}") from exc
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise Unprocessable(f"vgg19.npz is unreadable: {exc}") from exc
    return weights
