"""The speed table: one command, every figure measured side by side in the same run.

    .venv/bin/python bench/run.py [--runs 5] [--sizes 256x256,512x512,1024x680,1920x1080]

Starts a real inference service (model1) and gateway on loopback, bootstraps a temporary
storage from NST_MODEL_SOURCE (default ../shared/models/reference), and measures per size:
median/p95 of /infer and /stylize, the in-process fp32 baseline (bench/baseline.py),
peak RSS of the inference process; plus cold start, throughput at concurrency 1/2/4 and
the gateway's overhead. Writes bench/results/latest.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from tests.support.processes import gateway_process, inference_process  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "models" / "reference"
PHOTO = REPO.parent / "shared" / "images" / "content" / "stata.jpg"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(values) * 1000, "p95_ms": percentile(values, 95) * 1000}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_image(size: tuple[int, int]) -> bytes:
    photo = Image.open(PHOTO).convert("RGB").resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="256x256,512x512,1024x680,1920x1080")
    parser.add_argument("--source", default=os.environ.get("NST_MODEL_SOURCE",
                                                           str(DEFAULT_SOURCE)))
    parser.add_argument("--throughput-size", default="512x512")
    parser.add_argument("--throughput-requests", type=int, default=12)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "latest.json")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]

    import tensorflow as tf

    from bench.baseline import BaselineNet
    from nst_core.images import decode_image
    from nst_core.importer import bootstrap
    from nst_core.registry import ModelRegistry, load_network

    work = Path(tempfile.mkdtemp(prefix="nst-bench-"))
    storage = work / "storage"
    bootstrap(storage, args.source)
    weights = load_network(ModelRegistry(storage), "model1", "v1").numpy_weights()
    baseline = BaselineNet(weights)

    started = time.perf_counter()
    inference = inference_process(storage, "model1", work)
    gateway = gateway_process(storage, {"model1": inference.url}, work)
    results: dict = {"machine": {"cpu": platform.processor() or platform.machine(),
                                 "cores": os.cpu_count(), "python": platform.python_version(),
                                 "tensorflow": tf.__version__},
                     "runs": args.runs, "sizes": {}}
    try:
        inference.wait_ready("/ready", timeout=120)
        results["cold_start_s"] = time.perf_counter() - started
        gateway.wait_ready()
        info = httpx.get(inference.url + "/info").json()
        results["compute_dtype"] = info["compute_dtype"]
        with httpx.Client(timeout=300) as client:

            def infer(data: bytes) -> None:
                client.post(inference.url + "/infer", content=data).raise_for_status()

            def stylize(data: bytes) -> None:
                client.post(gateway.url + "/stylize", data={"model": "model1"},
                            files={"file": ("p.jpg", data, "image/jpeg")}).raise_for_status()

            for width, height in sizes:
                data = make_image((width, height))
                pixels = tf.constant(decode_image(data, max_bytes=10**8,
                                                  max_pixels=10**8).pixels)
                infer(data)
                stylize(data)
                baseline(pixels)  # warm-ups: first call of a shape builds kernels
                infer_t, stylize_t, base_t = [], [], []
                for _ in range(args.runs):
                    infer_t.append(timed(lambda d=data: infer(d)))
                    stylize_t.append(timed(lambda d=data: stylize(d)))
                    base_t.append(timed(lambda p=pixels: baseline(p).numpy()))
                row = {"infer": summary(infer_t), "stylize": summary(stylize_t),
                       "baseline": summary(base_t), "peak_rss_mb": peak_rss_mb(inference.proc.pid)}
                row["speedup_vs_baseline"] = (row["baseline"]["median_ms"]
                                              / row["infer"]["median_ms"])
                overhead = row["stylize"]["median_ms"] - row["infer"]["median_ms"]
                row["gateway_overhead_ms"] = overhead
                row["gateway_overhead_pct"] = 100 * overhead / row["stylize"]["median_ms"]
                results["sizes"][f"{width}x{height}"] = row
                print(f"{width}x{height}: {json.dumps(row)}", flush=True)

            tw, th = (int(v) for v in args.throughput_size.split("x"))
            data = make_image((tw, th))
            results["throughput"] = {}
            for concurrency in (1, 2, 4):
                statuses: list[int] = []

                def one(_: int, d: bytes = data, out: list[int] = statuses) -> None:
                    with httpx.Client(timeout=300) as c:
                        out.append(c.post(inference.url + "/infer", content=d).status_code)

                t0 = time.perf_counter()
                with ThreadPoolExecutor(concurrency) as pool:
                    list(pool.map(one, range(args.throughput_requests)))
                elapsed = time.perf_counter() - t0
                ok = statuses.count(200)
                results["throughput"][str(concurrency)] = {
                    "requests": len(statuses), "ok": ok, "refused": len(statuses) - ok,
                    "images_per_s": ok / elapsed}
            base = results["throughput"]["1"]["images_per_s"]
            for level in results["throughput"].values():
                level["vs_concurrency_1"] = level["images_per_s"] / base
    finally:
        gateway.stop()
        inference.stop()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)


def print_table(results: dict) -> None:
    print(f"\ncompute dtype: {results['compute_dtype']}, cold start to /ready: "
          f"{results['cold_start_s']:.1f} s, runs per figure: {results['runs']}\n")
    print("| size | /infer median (p95) ms | /stylize median (p95) ms | baseline fp32 "
          "median (p95) ms | speed-up vs baseline | gateway overhead | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for size, r in results["sizes"].items():
        print(f"| {size} | {r['infer']['median_ms']:.0f} ({r['infer']['p95_ms']:.0f}) "
              f"| {r['stylize']['median_ms']:.0f} ({r['stylize']['p95_ms']:.0f}) "
              f"| {r['baseline']['median_ms']:.0f} ({r['baseline']['p95_ms']:.0f}) "
              f"| {r['speedup_vs_baseline']:.2f}x "
              f"| {r['gateway_overhead_ms']:.0f} ms ({r['gateway_overhead_pct']:.1f}%) "
              f"| {r['peak_rss_mb']:.0f} |")
    print("\n| concurrency | images/s | vs concurrency 1 | refused |")
    print("|---|---|---|---|")
    for level, t in results["throughput"].items():
        print(f"| {level} | {t['images_per_s']:.2f} | {t['vs_concurrency_1']:.2f}x "
              f"| {t['refused']} |")


if __name__ == "__main__":
    main()
