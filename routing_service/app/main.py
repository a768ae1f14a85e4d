"""Routing service (gateway): the public API. Run:
`uvicorn --factory routing_service.app.main:create_app --port 8000`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from nst_core.http import create_service_app
from nst_core.storage import Storage

from .api import feedback, images, models, stylize
from .core.config import GatewaySettings, get_settings
from .inference_client import InferenceClient
from .limits import BodySizeLimit


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        Storage(settings.storage_dir).ensure()
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        async with httpx.AsyncClient(limits=limits) as client:
            app.state.inference = InferenceClient(settings, client)
            yield

    body_cap = settings.max_upload_bytes + settings.multipart_overhead_bytes
    return create_service_app(
        title="NST gateway", service="gateway", log_name="gateway", settings=settings,
        settings_dependency=get_settings, lifespan=lifespan,
        routers=[m.router for m in (models, stylize, images, feedback)],
        middleware=[(BodySizeLimit, {"max_bytes": body_cap})],
    )
