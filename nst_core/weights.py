"""Reading published per-variable checkpoints (`manifest.json` + raw little-endian float32
files) from a directory or a base URL."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
from tenacity import retry, stop_after_attempt, wait_exponential

from .errors import ModelImportError
from .network import VARIABLE_COUNT, validate_weights

_VARIABLE_RE = re.compile(r"^Variable(?:_(\d+))?$")
_SAFE_FILENAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

Fetch = Callable[[str], bytes]


def variable_index(name: str) -> int:
    match = _VARIABLE_RE.match(name)
    if not match:
        raise ModelImportError(f"unexpected variable name {name!r} in manifest")
    return int(match.group(1) or 0)


def parse_manifest(manifest: dict, fetch: Fetch) -> list[np.ndarray]:
    """Turn a manifest and a way of fetching its files into the 48 arrays, in order."""
    if len(manifest) != VARIABLE_COUNT:
        raise ModelImportError(
            f"manifest lists {len(manifest)} variables, expected {VARIABLE_COUNT}"
        )
    ordered = sorted(manifest.items(), key=lambda item: variable_index(item[0]))
    weights: list[np.ndarray] = []
    for name, entry in ordered:
        filename, shape = entry.get("filename"), tuple(entry.get("shape", ()))
        if not isinstance(filename, str) or not _SAFE_FILENAME_RE.match(filename):
            raise ModelImportError(f"unsafe or missing filename for {name}")
        raw = fetch(filename)
        count = int(np.prod(shape))
        if len(raw) != 4 * count:
            raise ModelImportError(f"{name}: {len(raw)} bytes, expected {4 * count}")
        weights.append(np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32))
    try:
        validate_weights(weights)
    except ValueError as exc:
        raise ModelImportError(str(exc)) from exc
    return weights


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetcher_for(source: str, checkpoint: str) -> Fetch:
    """A function that fetches one file of `checkpoint` below `source` (dir or base URL)."""
    if is_url(source):
        base = source.rstrip("/") + "/" + checkpoint + "/"
        client = httpx.Client(timeout=60, follow_redirects=True)

        @retry(stop=stop_after_attempt(4), wait=wait_exponential(multiplier=1, max=10),
               reraise=True)
        def fetch_url(name: str) -> bytes:
            response = client.get(base + name)
            response.raise_for_status()
            return response.content

        return fetch_url

    root = Path(source) / checkpoint

    def fetch_file(name: str) -> bytes:
        return (root / name).read_bytes()

    return fetch_file


def load_checkpoint(source: str, checkpoint: str) -> list[np.ndarray]:
    fetch = fetcher_for(source, checkpoint)
    try:
        manifest = json.loads(fetch("manifest.json"))
        return parse_manifest(manifest, fetch)
    except (OSError, httpx.HTTPError, json.JSONDecodeError) as exc:
        raise ModelImportError(
            f"cannot read checkpoint {checkpoint!r} from {source}: {exc}"
        ) from exc
