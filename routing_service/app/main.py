"""Routing service (gateway): the public API. Run:
`uvicorn --factory routing_service.app.main:create_app --port 8000`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from nst_core.http import add_health_routes, install_error_handlers, install_request_context
from nst_core.logs import configure_logging
from nst_core.storage import Storage

from .api import feedback, images, models, stylize
from .core.config import GatewaySettings, get_settings
from .inference_client import InferenceClient
from .limits import BodySizeLimit


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("gateway", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        Storage(settings.storage_dir).ensure()
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        async with httpx.AsyncClient(limits=limits) as client:
            app.state.inference = InferenceClient(settings, client)
            yield

    app = FastAPI(title="NST gateway", version="1.0", lifespan=lifespan)
    app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_upload_bytes + settings.multipart_overhead_bytes
    )
    install_request_context(app, "gateway")  # added last = outermost: sees every response
    add_health_routes(app)
    for module in (models, stylize, images, feedback):
        app.include_router(module.router)
    return app
