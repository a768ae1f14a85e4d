"""Inference service: ONE app, started once per model (`MODEL_NAME=model1..model4`).

Run: `uvicorn --factory inference_services.app.main:create_app --port 8001`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from nst_core.http import create_service_app

from .api import infer, ops
from .core.config import InferenceSettings, get_settings
from .model_server import ModelServer


def create_app(settings: InferenceSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.intra_op_threads:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(settings.intra_op_threads)
        server = ModelServer(settings)
        app.state.model_server = server
        # Loading runs in the poll task, so /health answers while the model loads and
        # /ready turns 200 only once it is loaded and warmed up.
        await server.start()
        try:
            yield
        finally:
            await server.stop()

    return create_service_app(
        title=f"NST inference ({settings.model_name})", service="inference",
        log_name=f"inference-{settings.model_name}", settings=settings,
        settings_dependency=get_settings, lifespan=lifespan,
        routers=[ops.router, infer.router],
    )

