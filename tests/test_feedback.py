from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from nst_core.feedback import append_record, read_feedback

WRITERS = 8
APPENDS = 500


def _writer(path: str, writer: int) -> None:
    for i in range(APPENDS):
        # Every tenth line is long (> 4 KiB, past PIPE_BUF) with awkward characters.
        comment = ("x" * 5000 + "\nline\u2028sep \U0001F3A8") if i % 10 == 0 else f"c{i}"
        append_record(Path(path), {"request_id": f"{writer:02d}{i:030d}", "model": "model1",
                                   "version": "v1", "rating": "good", "comment": comment})


def test_concurrent_appends_lose_and_tear_nothing(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]  # any torn line fails here
    assert len(records) == WRITERS * APPENDS
    assert len({r["request_id"] for r in records}) == WRITERS * APPENDS
    long_ones = [r for r in records if len(r["comment"]) > 5000]
    assert len(long_ones) == WRITERS * APPENDS // 10
    assert long_ones[0]["comment"].endswith("\nline\u2028sep \U0001F3A8")


def test_reader_skips_and_counts_damaged_lines(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    append_record(path, {"request_id": "a", "rating": "good"})
    with open(path, "ab") as handle:
        handle.write(b'{"request_id": "torn", "rat\n\xff\xfe garbage\n[1, 2]\n')
    append_record(path, {"request_id": "b", "rating": "bad"})
    scan = read_feedback(path)
    assert [r["request_id"] for r in scan.records] == ["a", "b"]
    assert scan.damaged_lines == 3
