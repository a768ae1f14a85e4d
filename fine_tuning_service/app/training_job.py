"""One fine-tuning run: train from the served version (or from scratch), evaluate candidate
and parent on the fixed set, write the new immutable version, and promote it through the
gate. Runs in the job worker thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nst_core.errors import VersionNotFound
from nst_core.network import TransformNet, random_weights
from nst_core.registry import ModelRegistry, load_network, save_network
from nst_core.training.gate import decide
from nst_core.training.trainer import StepReport, Trainer, TrainParams, center_crops, fit_to_size
from nst_core.training.vgg import VGG19Features

from .training_data import TrainingData

log = logging.getLogger("nst.finetune")


@dataclass(frozen=True)
class JobSpec:
    model: str
    params: TrainParams
    from_scratch: bool = False
    promote: bool = True


def run_training(registry: ModelRegistry, spec: JobSpec, data: TrainingData,
                 style: np.ndarray, vgg_weights: dict[str, np.ndarray], margin: float,
                 eval_count: int, on_step: Callable[[StepReport], None]) -> dict[str, Any]:
    started = time.time()
    try:
        parent: str | None = registry.latest(spec.model)
    except VersionNotFound:
        parent = None
    parent_net = load_network(registry, spec.model, parent) if parent else None
    start_weights = (random_weights(spec.params.seed) if spec.from_scratch or parent_net is None
                     else parent_net.numpy_weights())
    net = TransformNet(start_weights)
    trainer = Trainer(net, VGG19Features(vgg_weights), style, spec.params)

    images = data.load()
    result = trainer.fit(images, on_step=on_step)

    size = spec.params.image_size
    eval_batch = center_crops([fit_to_size(i, size) for i in images[:eval_count]], size)
    candidate_eval = trainer.evaluate(eval_batch)
    parent_eval = trainer.evaluate(eval_batch, parent_net) if parent_net else None
    decision = decide(candidate_eval["total"], parent_eval["total"] if parent_eval else None,
                      margin)
    meta = {
        "parent": parent,
        "kind": "fine-tuned" if parent and not spec.from_scratch else "trained",
        "params": asdict(spec.params),
        "from_scratch": spec.from_scratch,
        "data": {"images": len(data.paths), "digest": data.digest,
                 "files": [p.name for p in data.paths]},
        "losses": result.curve,
        "evaluation": {"candidate": candidate_eval, "parent": parent_eval,
                       "eval_images": len(eval_batch), **decision.as_dict()},
        "timings": {"started": started, "train_seconds": round(result.seconds, 3),
                    "steps": result.steps,
                    "steps_per_second": round(result.steps_per_second, 4),
                    "total_seconds": round(time.time() - started, 3)},
    }
    version = registry.write_version(spec.model, lambda d: save_network(net, d), meta)
    promoted = False
    if spec.promote and decision.promote:
        registry.set_latest(spec.model, version)
        promoted = True
    log.info("version written", extra={"model": spec.model, "version": version,
                                        "parent": parent, "promoted": promoted,
                                        "reason": decision.reason})
    return {"version": version, "parent": parent, "promoted": promoted,
            "gate": decision.as_dict(), "steps_per_second": result.steps_per_second}
