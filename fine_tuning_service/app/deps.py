from __future__ import annotations

from fastapi import Depends, Request

from nst_core.registry import ModelRegistry
from nst_core.storage import Storage

from .core.config import FineTuneSettings, get_settings
from .jobs import JobManager


def get_jobs(request: Request) -> JobManager:
    return request.app.state.jobs


def get_registry(settings: FineTuneSettings = Depends(get_settings)) -> ModelRegistry:
    return ModelRegistry(settings.storage_dir)


def get_storage(settings: FineTuneSettings = Depends(get_settings)) -> Storage:
    return Storage(settings.storage_dir)
