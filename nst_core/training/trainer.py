"""Fine-tuning loop of the transform network (Adam, `tf.function` train step). No file I/O:
images, the style painting and the loss network come in as arrays and objects."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from ..network import TransformNet, forward
from .losses import LossWeights, gram_matrix, perceptual_losses
from .vgg import STYLE_LAYERS, VGG19Features


@dataclass(frozen=True)
class TrainParams:
    epochs: int | None = None  # None: one epoch, or exactly max_steps when that is set
    batch_size: int = 4
    image_size: int = 256
    learning_rate: float = 1e-3
    content_weight: float = 7.5
    style_weight: float = 100.0
    tv_weight: float = 200.0
    max_steps: int | None = None
    seed: int = 0

    def loss_weights(self) -> LossWeights:
        return LossWeights(content=self.content_weight, style=self.style_weight,
                           tv=self.tv_weight)

    def total_steps(self, image_count: int) -> int:
        if self.epochs is None and self.max_steps:
            return self.max_steps
        per_epoch = max(1, math.ceil(image_count / self.batch_size))
        steps = (self.epochs or 1) * per_epoch
        return min(steps, self.max_steps) if self.max_steps else steps


@dataclass
class StepReport:
    step: int
    total_steps: int
    losses: dict[str, float]
    seconds: float


@dataclass
class TrainResult:
    curve: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


def fit_to_size(image: np.ndarray, size: int) -> np.ndarray:
    """Upscale so the shorter side is at least `size` (crops need room)."""
    height, width = image.shape[:2]
    if min(height, width) >= size:
        return image
    scale = size / min(height, width)
    new = (max(size, round(height * scale)), max(size, round(width * scale)))
    return tf.image.resize(image, new, antialias=True).numpy().clip(0, 255).astype(np.uint8)


def random_crops(images: Sequence[np.ndarray], size: int, batch: int,
                 rng: np.random.Generator) -> np.ndarray:
    out = np.empty((batch, size, size, 3), np.float32)
    for i in range(batch):
        image = images[int(rng.integers(len(images)))]
        top = int(rng.integers(image.shape[0] - size + 1))
        left = int(rng.integers(image.shape[1] - size + 1))
        out[i] = image[top:top + size, left:left + size]
    return out


def center_crops(images: Sequence[np.ndarray], size: int) -> np.ndarray:
    """The fixed evaluation batch: deterministic centre crops."""
    out = []
    for image in images:
        top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
        out.append(image[top:top + size, left:left + size].astype(np.float32))
    return np.stack(out)


class Trainer:
    def __init__(self, net: TransformNet, vgg: VGG19Features, style_image: np.ndarray,
                 params: TrainParams) -> None:
        self.net = net
        self.vgg = vgg
        self.params = params
        self.weights = params.loss_weights()
        style_features = vgg(tf.constant(style_image[np.newaxis], tf.float32))
        self.style_grams = {layer: gram_matrix(style_features[layer]) for layer in STYLE_LAYERS}
        self.optimizer = keras.optimizers.Adam(params.learning_rate)
        self._train_step = tf.function(self._step, reduce_retracing=True)
        self._eval_step = tf.function(self._losses, reduce_retracing=True)

    def _losses(self, batch: tf.Tensor, variables) -> dict[str, tf.Tensor]:
        stylized = forward(batch, variables)
        return perceptual_losses(stylized, batch, self.vgg, self.style_grams, self.weights)

    def _step(self, batch: tf.Tensor) -> dict[str, tf.Tensor]:
        variables = self.net.variables_in_order
        with tf.GradientTape() as tape:
            losses = self._losses(batch, variables)
        gradients = tape.gradient(losses["total"], variables)
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return losses

    def train_step(self, batch: np.ndarray) -> dict[str, float]:
        return {k: float(v) for k, v in self._train_step(tf.constant(batch)).items()}

    def evaluate(self, batch: np.ndarray, net: TransformNet | None = None) -> dict[str, float]:
        variables = (net or self.net).variables_in_order
        return {k: float(v) for k, v in self._eval_step(tf.constant(batch), variables).items()}

    def fit(self, images: Sequence[np.ndarray],
            on_step: Callable[[StepReport], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> TrainResult:
        prepared = [fit_to_size(image, self.params.image_size) for image in images]
        total = self.params.total_steps(len(prepared))
        rng = np.random.default_rng(self.params.seed)
        result = TrainResult()
        started = time.perf_counter()
        for step in range(1, total + 1):
            if should_stop and should_stop():
                break
            batch = random_crops(prepared, self.params.image_size, self.params.batch_size, rng)
            losses = self.train_step(batch)
            result.curve.append({"step": step, **losses})
            result.steps = step
            result.seconds = time.perf_counter() - started
            if on_step:
                on_step(StepReport(step, total, losses, result.seconds))
        return result
