"""Holds the served model: loads it, warms it up, polls `latest.txt` and swaps versions
without a restart. A version that fails to load is logged and the old one keeps serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from prometheus_client import Counter, Gauge

from nst_core.errors import ModelNotReady, NSTError, UpstreamUnavailable
from nst_core.images import decode_image, encode_png
from nst_core.registry import ModelRegistry, load_network
from nst_core.stylize import Stylizer

from .core.config import InferenceSettings
from .precision import resolve_compute_dtype

log = logging.getLogger("nst.inference")

MODEL_SWAPS = Counter("nst_model_swaps_total", "Version swaps", ["model", "outcome"])
SERVED_VERSION = Gauge("nst_served_version", "Version number being served", ["model"])
IN_FLIGHT = Gauge("nst_inference_in_flight", "Requests admitted (running or queued)", ["model"])


@dataclass(frozen=True)
class Processed:
    png: bytes
    width: int
    height: int
    network_seconds: float


@dataclass(frozen=True)
class LoadedModel:
    version: str
    stylizer: Stylizer
    loaded_at: float


class ServiceBusy(UpstreamUnavailable):
    def __init__(self) -> None:
        super().__init__("inference service is at capacity; retry shortly", retry_after=1)


class ModelServer:
    def __init__(self, settings: InferenceSettings) -> None:
        self.settings = settings
        self.model_id = settings.model_name
        self.registry = ModelRegistry(settings.storage_dir)
        self.compute_dtype = resolve_compute_dtype(settings.precision)
        self._current: LoadedModel | None = None
        self._failed_version: str | None = None
        self._admitted = 0
        self._admit_lock = threading.Lock()
        self._run_slots = threading.BoundedSemaphore(settings.max_concurrency)
        self._poll_task: asyncio.Task | None = None
        self.last_error: str | None = None

    # --- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        self._poll_task = asyncio.create_task(self._poll_forever(), name="model-poll")

    async def stop(self) -> None:
        if self._poll_task:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task

    async def _poll_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # keep polling whatever happens on disk
                log.exception("model refresh failed")
            await asyncio.sleep(self.settings.poll_interval_s)

    # --- loading -------------------------------------------------------------
    def refresh(self) -> bool:
        """Load the version latest.txt names if it differs from the served one.
        Returns True when a new version was swapped in."""
        try:
            wanted = self.registry.latest(self.model_id)
        except NSTError as exc:
            if self._current is None or str(exc) != self.last_error:
                log.warning("cannot resolve served version: %s", exc.detail,
                            extra={"model": self.model_id})
            self.last_error = exc.detail
            return False
        current = self._current
        if (current and current.version == wanted) or wanted == self._failed_version:
            return False
        start = time.perf_counter()
        try:
            loaded = self._load(wanted)
        except Exception as exc:
            self._failed_version = wanted
            self.last_error = f"version {wanted} failed to load: {exc}"
            MODEL_SWAPS.labels(self.model_id, "failed").inc()
            log.error("load failed, keeping %s", current.version if current else None,
                      extra={"model": self.model_id, "version": wanted, "error": str(exc)})
            return False
        self._current = loaded  # one reference assignment: in-flight requests keep theirs
        self._failed_version = None
        self.last_error = None
        MODEL_SWAPS.labels(self.model_id, "ok").inc()
        SERVED_VERSION.labels(self.model_id).set(int(wanted[1:]))
        log.info("serving", extra={"model": self.model_id, "version": wanted,
                                   "previous": current.version if current else None,
                                   "duration_ms": round((time.perf_counter() - start) * 1000)})
        return True

    def _load(self, version: str) -> LoadedModel:
        net = load_network(self.registry, self.model_id, version)
        stylizer = Stylizer(net, self.compute_dtype)
        side = self.settings.warmup_side
        stylizer(np.zeros((side, side, 3), np.uint8))  # trace once, before serving
        return LoadedModel(version=version, stylizer=stylizer, loaded_at=time.time())

    # --- serving -------------------------------------------------------------
    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def require_current(self) -> LoadedModel:
        if self._current is None:
            raise ModelNotReady(self.last_error or "model is loading")
        return self._current

    @contextlib.contextmanager
    def admission(self):
        """Admit a request or refuse it at once: never an unbounded queue."""
        limit = self.settings.max_concurrency + self.settings.max_queue
        with self._admit_lock:
            if self._admitted >= limit:
                raise ServiceBusy()
            self._admitted += 1
        IN_FLIGHT.labels(self.model_id).inc()
        try:
            yield
        finally:
            with self._admit_lock:
                self._admitted -= 1
            IN_FLIGHT.labels(self.model_id).dec()

    def process(self, model: LoadedModel, body: bytes, strength: float,
                keep_colors: bool) -> Processed:
        """Decode, stylize and encode under one run slot: on a small machine, overlapping
        one request's PNG work with another's network only makes both slower."""
        settings = self.settings
        with self._run_slots:
            decoded = decode_image(body, max_bytes=settings.max_upload_bytes,
                                   max_pixels=settings.max_pixels, min_side=settings.min_side)
            start = time.perf_counter()
            pixels = model.stylizer(decoded.pixels, strength, keep_colors)
            network_seconds = time.perf_counter() - start
            return Processed(encode_png(pixels), decoded.width, decoded.height,
                             network_seconds)
