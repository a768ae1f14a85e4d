"""Training speed: steps per second of the fine-tuning train step at 256x256, batch 4.

    .venv/bin/python bench/train_speed.py [--steps 5] [--size 256] [--batch 4]

Uses the real model1 weights from NST_MODEL_SOURCE (default ../shared/models/reference)
and VGG19 weights of the right shapes (random unless --vgg points at a real vgg19.npz;
the speed does not depend on the values).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--vgg", type=Path, default=None)
    parser.add_argument("--source", default=os.environ.get(
        "NST_MODEL_SOURCE", str(REPO.parent / "shared" / "models" / "reference")))
    args = parser.parse_args()

    from nst_core.network import TransformNet
    from nst_core.training.trainer import Trainer, TrainParams, random_crops
    from nst_core.training.vgg import VGG19Features, random_vgg_weights
    from nst_core.weights import load_checkpoint

    if args.vgg:
        with np.load(args.vgg) as data:
            vgg_weights = {k: data[k] for k in data.files}
    else:
        vgg_weights = random_vgg_weights()
    net = TransformNet(load_checkpoint(args.source, "wave"))
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 256, (args.size + 64, args.size + 64, 3), dtype=np.uint8)
              for _ in range(8)]
    style = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    params = TrainParams(batch_size=args.batch, image_size=args.size)
    trainer = Trainer(net, VGG19Features(vgg_weights), style, params)
    batch = random_crops(photos, args.size, args.batch, rng)
    with tempfile.TemporaryDirectory():
        start = time.perf_counter()
        trainer.train_step(batch)  # traces the step
        first = time.perf_counter() - start
        times = []
        for _ in range(args.steps):
            batch = random_crops(photos, args.size, args.batch, rng)
            start = time.perf_counter()
            trainer.train_step(batch)
            times.append(time.perf_counter() - start)
    median = float(np.median(times))
    print(f"train step {args.size}x{args.size}, batch {args.batch}: first (trace) {first:.1f} s,"
          f" median {median:.2f} s/step = {1 / median:.3f} steps/s over {args.steps} steps")


if __name__ == "__main__":
    main()
