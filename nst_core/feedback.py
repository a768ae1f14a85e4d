"""The append-only feedback log (`feedback.jsonl`).

Several processes append at once, so each record is written as ONE `os.write` of a whole
line on an O_APPEND descriptor, under an inter-process file lock (O_APPEND alone does not
promise atomicity for large lines). A failed write (disk full) is cut back so no torn line
stays behind."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from .errors import StorageFull


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value: object) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _lock_for(path: Path) -> FileLock:
    return FileLock(str(path) + ".lock", timeout=30)


def append_record(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    record = {"ts": utc_timestamp(), **record}
    # ensure_ascii keeps U+2028 and newlines escaped, so one record is always one line.
    line = (json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock_for(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            start = os.fstat(fd).st_size
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(errno.ENOSPC, "short write")
                os.fsync(fd)
            except OSError as exc:
                os.ftruncate(fd, start)
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise StorageFull("storage is full; feedback was not saved") from exc
                raise
        finally:
            os.close(fd)
    return record


@dataclass
class FeedbackScan:
    records: list[dict[str, Any]] = field(default_factory=list)
    damaged_lines: int = 0


def iter_lines(path: Path) -> Iterator[dict[str, Any] | None]:
    """Yields each parsed record, or None for a damaged line (never raises on content)."""
    if not path.is_file():
        return
    with open(path, "rb") as handle:
        for raw in handle:
            try:
                value = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                yield None
                continue
            yield value if isinstance(value, dict) else None


def read_feedback(path: Path) -> FeedbackScan:
    scan = FeedbackScan()
    for value in iter_lines(path):
        if value is None:
            scan.damaged_lines += 1
        else:
            scan.records.append(value)
    return scan
