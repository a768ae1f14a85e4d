"""Write `vgg19.npz` for the training losses.

    python -m nst_core.training.vgg_export --out persistent_storage/vgg19.npz
        Keras' ImageNet VGG19 (downloads ~80 MB from Keras' servers: needs the internet).
    python -m nst_core.training.vgg_export --random --out ...
        Random weights of the right shapes: for offline demos and tests only (training
        then follows no meaningful perceptual loss).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .vgg import random_vgg_weights, validate_vgg_weights, vgg19_shapes


def keras_vgg19_weights() -> dict[str, np.ndarray]:
    import keras

    model = keras.applications.VGG19(weights="imagenet", include_top=False)
    out: dict[str, np.ndarray] = {}
    for key in vgg19_shapes():
        layer_name, kind = key.rsplit("_", 1)
        kernel, bias = model.get_layer(layer_name).get_weights()
        out[key] = (kernel if kind == "kernel" else bias).astype(np.float32)
    return out


def write_npz(path: Path, weights: dict[str, np.ndarray]) -> None:
    validate_vgg_weights(weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **weights)
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--random", action="store_true")
    args = parser.parse_args()
    write_npz(args.out, random_vgg_weights() if args.random else keras_vgg19_weights())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
