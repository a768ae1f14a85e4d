"""Paths of the storage layout, and the per-request record that ties an output image to
the model version that produced it. Request ids are validated before they touch a path."""

from __future__ import annotations

import errno
import json
import re
import uuid
from pathlib import Path
from typing import Any

from .errors import BadRequest, NotFound, StorageFull
from .fsutil import atomic_write_text

REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def validate_request_id(request_id: str) -> str:
    if not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id):
        raise BadRequest("invalid request id")
    return request_id


class Storage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.inputs = self.root / "input_images"
        self.outputs = self.root / "output_images"
        self.feedback = self.root / "feedback.jsonl"
        self.vgg19 = self.root / "vgg19.npz"

    def ensure(self) -> None:
        for path in (self.inputs, self.outputs, self.root / "models"):
            path.mkdir(parents=True, exist_ok=True)

    def input_image(self, request_id: str) -> Path:
        return self.inputs / f"{validate_request_id(request_id)}.png"

    def output_image(self, request_id: str) -> Path:
        return self.outputs / f"{validate_request_id(request_id)}.png"

    def record_path(self, request_id: str) -> Path:
        return self.outputs / f"{validate_request_id(request_id)}.json"

    def save_output(self, request_id: str, output_png: bytes, record: dict[str, Any]) -> None:
        """Output first, the record last: a record implies the output exists."""
        try:
            self.output_image(request_id).write_bytes(output_png)
            atomic_write_text(self.record_path(request_id), json.dumps(record) + "\n")
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull("storage is full; the result was not saved") from exc
            raise

    def save_input(self, request_id: str, input_png: bytes) -> None:
        """Written just after the response is sent (off the request's critical path):
        readers such as training skip a request whose input is not there yet."""
        path = self.input_image(request_id)
        tmp = path.parent / f".{path.name}.tmp"  # readers never list dotfiles
        tmp.write_bytes(input_png)
        tmp.replace(path)

    def read_record(self, request_id: str) -> dict[str, Any]:
        try:
            return json.loads(self.record_path(request_id).read_text())
        except (FileNotFoundError, json.JSONDecodeError) as exc:
            raise NotFound(f"no stylized image with request id {request_id}") from exc
