"""Storage set-up for fine-tuning tests: a random vgg19.npz of the right shapes (never a
download) and uploads with feedback."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from nst_core.feedback import append_record
from nst_core.storage import Storage, new_request_id
from nst_core.training.vgg import random_vgg_weights


def write_random_vgg(storage: Path) -> Path:
    path = storage / "vgg19.npz"
    np.savez(path, **random_vgg_weights())
    return path


def add_rated_upload(storage: Path, model: str, rating: str, source: bytes,
                     seed: int = 0) -> str:
    """An upload of a random 96x80 crop of `source`, with one feedback line."""
    rng = np.random.default_rng(seed)
    image = np.asarray(Image.open(io.BytesIO(source)).convert("RGB"))
    top, left = int(rng.integers(0, image.shape[0] - 80)), int(rng.integers(0, image.shape[1] - 96))
    crop = Image.fromarray(image[top:top + 80, left:left + 96])
    request_id = new_request_id()
    store = Storage(storage)
    store.ensure()
    crop.save(store.input_image(request_id))
    append_record(store.feedback, {"request_id": request_id, "model": model, "version": "v1",
                                   "rating": rating, "comment": None})
    return request_id
