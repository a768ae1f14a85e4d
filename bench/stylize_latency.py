"""Median /stylize latency of a running gateway (warm, N runs).

    NST_MODEL_SOURCE=../shared/models/reference make up   # in another terminal
    .venv/bin/python bench/stylize_latency.py [--url http://127.0.0.1:8000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx

DEFAULT_IMAGE = Path(__file__).resolve().parents[1].parent / "shared/images/content/stata.jpg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--model", default="model1")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = args.image.read_bytes()
    with httpx.Client(base_url=args.url, timeout=120) as client:

        def once() -> float:
            start = time.perf_counter()
            response = client.post("/stylize", data={"model": args.model},
                                   files={"file": (args.image.name, data, "image/jpeg")})
            response.raise_for_status()
            return time.perf_counter() - start

        once()  # warm-up: first request of a size builds oneDNN primitives
        times = [once() for _ in range(args.runs)]
    print(f"image {args.image.name}, model {args.model}, {args.runs} warm runs")
    print(f"median /stylize latency: {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")


if __name__ == "__main__":
    main()
