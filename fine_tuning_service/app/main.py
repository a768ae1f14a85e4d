"""Fine-tuning service (admin only, never exposed publicly). Run:
`uvicorn --factory fine_tuning_service.app.main:create_app --port 8005`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from nst_core.http import create_service_app

from .api import jobs, models
from .api.admin_page import mount_admin
from .core.config import FineTuneSettings, get_settings
from .jobs import JobManager


def create_app(settings: FineTuneSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.jobs = JobManager(settings.storage_dir / "jobs")
        try:
            yield
        finally:
            app.state.jobs.shutdown()

    app = create_service_app(
        title="NST fine-tuning (admin)", service="finetune", log_name="finetune",
        settings=settings, settings_dependency=get_settings, lifespan=lifespan,
        routers=[jobs.router, models.router],
    )
    mount_admin(app)
    return app
