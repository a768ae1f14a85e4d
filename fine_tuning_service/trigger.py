"""The feedback trigger (called by Jenkins): count `bad` ratings per model since that
model's last training job and start `/finetune` for every model past the threshold.

    NST_ADMIN_TOKEN=... python -m fine_tuning_service.trigger \
        --finetune-url http://127.0.0.1:8005 --threshold 5 [--max-steps N] [--dry-run]

Idempotent: a model with a job queued or running is skipped (and the service refuses a
second one with 409); ratings older than the last job do not count again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from nst_core.feedback import parse_timestamp, read_feedback


def bad_counts_since_last_job(feedback: list[dict[str, Any]],
                              jobs: list[dict[str, Any]]) -> dict[str, int]:
    """Pure: bad ratings per model newer than that model's last non-failed job."""
    last_job: dict[str, float] = {}
    for job in jobs:
        if job.get("status") != "failed":
            last_job[job["model"]] = max(last_job.get(job["model"], 0.0), job["created"])
    counts: Counter[str] = Counter()
    for record in feedback:
        model = record.get("model")
        if record.get("rating") != "bad" or not isinstance(model, str):
            continue
        rated = parse_timestamp(record.get("ts"))
        if model not in last_job or (rated is not None and rated > last_job[model]):
            counts[model] += 1
    return dict(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--finetune-url", default=os.environ.get("NST_FINETUNE_URL",
                                                                 "http://127.0.0.1:8005"))
    parser.add_argument("--storage", type=Path,
                        default=Path(os.environ.get("NST_STORAGE_DIR", "persistent_storage")))
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    token = os.environ.get("NST_ADMIN_TOKEN", "")
    if not token:
        print("NST_ADMIN_TOKEN is not set", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=args.finetune_url, headers=headers, timeout=60) as client:
        jobs_response = client.get("/jobs")
        jobs_response.raise_for_status()
        jobs = jobs_response.json()
        counts = bad_counts_since_last_job(read_feedback(args.storage / "feedback.jsonl").records,
                                           jobs)
        busy = {j["model"] for j in jobs if j["status"] in ("queued", "running")}
        started = []
        for model, count in sorted(counts.items()):
            if count < args.threshold or model in busy:
                continue
            body: dict[str, Any] = {"model": model}
            if args.max_steps:
                body["max_steps"] = args.max_steps
            if args.dry_run:
                started.append({"model": model, "dry_run": True})
                continue
            response = client.post("/finetune", json=body)
            if response.status_code == 409:
                continue
            response.raise_for_status()
            started.append({"model": model, "job_id": response.json()["job_id"]})
    print(json.dumps({"bad_counts": counts, "threshold": args.threshold, "started": started}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
