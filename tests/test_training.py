"""Training in-process: real TensorFlow, tiny crops, random VGG weights of the right shapes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from fine_tuning_service.app.training_data import collect, load_style, load_vgg
from fine_tuning_service.app.training_job import JobSpec, run_training
from nst_core.registry import ModelRegistry, load_network
from nst_core.storage import Storage
from nst_core.training.gate import decide
from nst_core.training.trainer import Trainer, TrainParams, center_crops
from nst_core.training.vgg import VGG19Features, random_vgg_weights, vgg19_shapes
from tests.support.processes import REPO, wait_until
from tests.support.training import add_rated_upload, write_random_vgg

SMALL = TrainParams(batch_size=1, image_size=64, max_steps=2, epochs=10)


@pytest.fixture
def train_storage(fresh_storage: Path, chicago_bytes: bytes) -> Path:
    write_random_vgg(fresh_storage)
    for seed in range(2):
        add_rated_upload(fresh_storage, "model4", "bad", chicago_bytes, seed)
    return fresh_storage


def test_vgg_has_the_keras_layout() -> None:
    shapes = vgg19_shapes()
    assert len(shapes) == 32
    assert shapes["block1_conv1_kernel"] == (3, 3, 3, 64)
    assert shapes["block5_conv4_bias"] == (512,)


def test_tiny_run_writes_v2_with_complete_meta(train_storage: Path) -> None:
    registry = ModelRegistry(train_storage)
    data = collect(Storage(train_storage), "model4", None, 100)
    steps: list[int] = []
    outcome = run_training(
        registry, JobSpec("model4", SMALL), data, load_style(registry, "model4", 128),
        load_vgg(train_storage / "vgg19.npz"), margin=0.05, eval_count=2,
        on_step=lambda r: steps.append(r.step),
    )
    assert outcome["version"] == "v2" and steps == [1, 2]
    meta = registry.read_meta("model4", "v2")
    assert meta["parent"] == "v1"
    assert meta["params"]["image_size"] == 64 and meta["params"]["max_steps"] == 2
    assert meta["data"]["images"] == 2 and len(meta["data"]["digest"]) == 64
    assert [p["step"] for p in meta["losses"]] == [1, 2]
    assert {"content", "style", "tv", "total"} <= set(meta["losses"][0])
    assert meta["evaluation"]["parent"] is not None and "promote" in meta["evaluation"]
    assert meta["timings"]["steps"] == 2 and meta["timings"]["train_seconds"] > 0
    assert (registry.latest("model4") == "v2") == outcome["promoted"]


def test_loss_goes_down_on_a_fixed_batch(imported_storage: Path, chicago_bytes: bytes) -> None:
    import io

    from PIL import Image

    net = load_network(ModelRegistry(imported_storage), "model2", "v1")
    image = np.asarray(Image.open(io.BytesIO(chicago_bytes)).convert("RGB"))
    style = np.asarray(Image.open(ModelRegistry(imported_storage).style_image_path("model2"))
                       .convert("RGB").resize((96, 96)))
    trainer = Trainer(net, VGG19Features(random_vgg_weights()), style,
                      TrainParams(batch_size=2, image_size=64, learning_rate=1e-3))
    batch = center_crops([image[:200, :200], image[200:400, 300:500]], 64)
    before = trainer.evaluate(batch)["total"]
    curve = [trainer.train_step(batch)["total"] for _ in range(20)]
    after = trainer.evaluate(batch)["total"]
    assert after < before * 0.9, (before, after)
    assert curve[-1] < curve[0]


def test_gate_promotes_better_and_refuses_worse(imported_storage: Path,
                                                chicago_bytes: bytes) -> None:
    import io

    from PIL import Image

    registry = ModelRegistry(imported_storage)
    parent = load_network(registry, "model1", "v1")
    candidate = load_network(registry, "model1", "v1")
    image = np.asarray(Image.open(io.BytesIO(chicago_bytes)).convert("RGB"))
    style = np.asarray(Image.open(registry.style_image_path("model1")).convert("RGB")
                       .resize((96, 96)))
    trainer = Trainer(candidate, VGG19Features(random_vgg_weights()), style,
                      TrainParams(batch_size=2, image_size=64))
    batch = center_crops([image[:200, :200], image[200:400, 300:500]], 64)
    for _ in range(15):
        trainer.train_step(batch)
    better_loss = trainer.evaluate(batch)["total"]
    parent_loss = trainer.evaluate(batch, parent)["total"]

    accepted = decide(better_loss, parent_loss, margin=0.05)
    assert accepted.promote
    # The same evaluation the other way round: the old weights as a candidate are worse.
    refused = decide(parent_loss, better_loss, margin=0.05)
    assert not refused.promote and "worse" in refused.reason
    assert decide(1.04, 1.0, 0.05).promote and not decide(1.06, 1.0, 0.05).promote
    assert decide(5.0, None, 0.05).promote


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from nst_core.registry import ModelRegistry
    storage, marker = Path(sys.argv[1]), Path(sys.argv[2])
    def writer(directory):
        (directory / "ckpt.index").write_bytes(b"partial")
        marker.write_text("writing")
        while True:
            time.sleep(0.05)  # blocked mid-write until the test kills us
    ModelRegistry(storage).write_version("model1", writer, {"parent": "v1"})
""")


def test_job_killed_mid_write_leaves_everything_intact(fresh_storage: Path,
                                                       tmp_path: Path) -> None:
    registry = ModelRegistry(fresh_storage)
    before = (fresh_storage / "models/model1/v1/ckpt.index").read_bytes()
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(fresh_storage),
                             str(marker)], cwd=REPO, env={"PYTHONPATH": str(REPO)})
    try:
        wait_until(marker.exists, 60, message="writer started")
    finally:
        proc.kill()
        proc.wait(10)
    assert registry.latest("model1") == "v1"
    assert registry.list_versions("model1") == ["v1"]
    assert (fresh_storage / "models/model1/v1/ckpt.index").read_bytes() == before
    # The next writer is not confused by the leftover temp dir.
    src = fresh_storage / "models/model1/v1"
    version = registry.write_version(
        "model1", lambda d: [shutil.copy(f, d) for f in src.glob("ckpt*")], {})
    assert version == "v2"


def test_step_count_semantics() -> None:
    assert TrainParams(max_steps=7).total_steps(2) == 7           # few images: steps asked
    assert TrainParams().total_steps(10) == 3                      # one epoch of batch 4
    assert TrainParams(epochs=2, max_steps=5).total_steps(40) == 5  # cap
    assert TrainParams(epochs=2).total_steps(8) == 4
