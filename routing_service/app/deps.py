from __future__ import annotations

import re

from fastapi import Depends, Request

from nst_core.registry import ModelRegistry
from nst_core.storage import Storage

from .core.config import GatewaySettings, get_settings
from .inference_client import InferenceClient

_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9_-]+){0,4}$")


def get_storage(settings: GatewaySettings = Depends(get_settings)) -> Storage:
    return Storage(settings.storage_dir)


def get_registry(settings: GatewaySettings = Depends(get_settings)) -> ModelRegistry:
    return ModelRegistry(settings.storage_dir)


def get_inference(request: Request) -> InferenceClient:
    return request.app.state.inference


def public_prefix(request: Request) -> str:
    """Nginx mounts the gateway under /api and says so in X-Forwarded-Prefix, so the URLs
    we hand out work through the proxy and directly."""
    prefix = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    return prefix if _PREFIX_RE.match(prefix) else ""
