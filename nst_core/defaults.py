"""The four default models and where their weights and paintings come from."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL_SOURCE = (
    "https://raw.githubusercontent.com/ml5js/ml5-data-and-models/main/models/style-transfer"
)
STYLE_IMAGE_BASE = (
    "https://raw.githubusercontent.com/lengstrom/fast-style-transfer/master/examples/style"
)


@dataclass(frozen=True)
class DefaultModel:
    id: str
    name: str
    checkpoint: str
    style_image_file: str  # file name in the fast-style-transfer examples


DEFAULT_MODELS: tuple[DefaultModel, ...] = (
    DefaultModel("model1", "The Great Wave (Hokusai)", "wave", "wave.jpg"),
    DefaultModel("model2", "Udnie (Picabia)", "udnie", "udnie.jpg"),
    DefaultModel("model3", "The Scream (Munch)", "scream", "the_scream.jpg"),
    DefaultModel("model4", "The Shipwreck of the Minotaur (Turner)", "wreck",
                 "the_shipwreck_of_the_minotaur.jpg"),
)
