"""Fine-tuning service (admin only, never exposed publicly). Run:
`uvicorn --factory fine_tuning_service.app.main:create_app --port 8005`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from nst_core.http import add_health_routes, install_error_handlers, install_request_context
from nst_core.logs import configure_logging

from .api import jobs, models
from .api.admin_page import mount_admin
from .core.config import FineTuneSettings, get_settings
from .jobs import JobManager


def create_app(settings: FineTuneSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("finetune", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.jobs = JobManager(settings.storage_dir / "jobs")
        try:
            yield
        finally:
            app.state.jobs.shutdown()

    app = FastAPI(title="NST fine-tuning (admin)", lifespan=lifespan)
    app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    install_request_context(app, "finetune")
    add_health_routes(app)
    app.include_router(jobs.router)
    app.include_router(models.router)
    mount_admin(app)
    return app
