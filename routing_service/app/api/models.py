from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel

from nst_core.errors import UnknownModel, VersionNotFound
from nst_core.http import error_responses
from nst_core.registry import ModelRegistry, validate_model_id

from ..deps import get_inference, get_registry, public_prefix
from ..inference_client import InferenceClient

router = APIRouter(tags=["models"])


class ModelOut(BaseModel):
    id: str
    name: str
    version: str | None
    versions: list[str]
    style_image_url: str
    available: bool


@router.get("/models", response_model=list[ModelOut])
async def list_models(
    registry: ModelRegistry = Depends(get_registry),
    inference: InferenceClient = Depends(get_inference),
    prefix: str = Depends(public_prefix),
) -> list[ModelOut]:
    ids = [m for m in registry.list_models() if m in inference.settings.inference_urls]
    probes = await asyncio.gather(*(inference.probe(m) for m in ids))
    out = []
    for model_id, probe in zip(ids, probes, strict=True):
        info = registry.info(model_id)
        try:
            on_disk: str | None = registry.latest(model_id)
        except VersionNotFound:
            on_disk = None
        out.append(ModelOut(
            id=model_id,
            name=info.name,
            # What the service reports serving right now; the registry's pointer otherwise.
            version=(probe or {}).get("version") or on_disk,
            versions=registry.list_versions(model_id),
            style_image_url=f"{prefix}/models/{model_id}/style.jpg",
            available=probe is not None,
        ))
    return out


@router.get("/models/{model_id}/style.jpg", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}, **error_responses(400, 404)})
async def style_image(model_id: str = Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
                      registry: ModelRegistry = Depends(get_registry)):
    validate_model_id(model_id)
    if model_id not in registry.list_models():
        raise UnknownModel(f"unknown model {model_id!r}")
    return FileResponse(registry.style_image_path(model_id), media_type="image/jpeg",
                        headers={"Cache-Control": "public, max-age=3600"})
