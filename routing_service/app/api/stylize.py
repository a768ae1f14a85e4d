from __future__ import annotations

import logging
import time

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from nst_core.errors import BadRequest, PayloadTooLarge, UnknownModel, Unprocessable
from nst_core.http import error_responses
from nst_core.images import decode_image, encode_png, inspect_image
from nst_core.registry import ModelRegistry, validate_model_id
from nst_core.storage import Storage, new_request_id

from ..core.config import GatewaySettings, get_settings
from ..deps import get_inference, get_registry, get_storage, public_prefix
from ..inference_client import InferenceClient

router = APIRouter(tags=["stylize"])
log = logging.getLogger("nst.gateway")

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}

STYLIZE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["model", "file"],
                    "properties": {
                        "model": {"type": "string", "description": "model id, e.g. model1",
                                  "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
                        "file": {"type": "string", "format": "binary"},
                        "strength": {"type": "number", "minimum": 0, "maximum": 1,
                                     "default": 1},
                        "preserve_colors": {"type": "boolean", "default": False},
                    },
                }
            }
        },
    }
}


class StylizeOut(BaseModel):
    request_id: str
    model: str
    version: str
    image_url: str
    width: int
    height: int
    strength: float
    preserve_colors: bool
    duration_ms: float
    inference_ms: float


def parse_strength(raw: object) -> float:
    if raw is None or raw == "":
        return 1.0
    try:
        value = float(str(raw))
    except ValueError as exc:
        raise Unprocessable("strength must be a number between 0 and 1") from exc
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise Unprocessable("strength must be a number between 0 and 1")
    return value


def parse_bool(raw: object, name: str) -> bool:
    text = str(raw or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Unprocessable(f"{name} must be true or false")


def store_input(storage: Storage, request_id: str, data: bytes,
                settings: GatewaySettings) -> None:
    """The upload as stored: decoded (EXIF applied, RGB), metadata dropped, PNG."""
    try:
        decoded = decode_image(data, max_bytes=settings.max_upload_bytes,
                               max_pixels=settings.max_pixels, min_side=settings.min_side)
        storage.save_input(request_id, encode_png(decoded.pixels))
    except Exception:  # runs after the response: log, never raise into the server
        log.exception("storing the input image failed", extra={"result_id": request_id})


@router.post("/stylize", response_model=StylizeOut, openapi_extra=STYLIZE_BODY,
             responses=error_responses(400, 404, 413, 415, 422, 429, 502, 503, 504, 507))
async def stylize(
    request: Request,
    background: BackgroundTasks,
    settings: GatewaySettings = Depends(get_settings),
    storage: Storage = Depends(get_storage),
    registry: ModelRegistry = Depends(get_registry),
    inference: InferenceClient = Depends(get_inference),
    prefix: str = Depends(public_prefix),
) -> StylizeOut:
    started = time.perf_counter()
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("send multipart/form-data with fields 'model' and 'file'")
    async with request.form(max_files=1, max_fields=8,
                            max_part_size=settings.max_upload_bytes) as form:
        model = form.get("model")
        upload = form.get("file")
        if not isinstance(model, str) or not model:
            raise BadRequest("missing form field 'model'")
        if not isinstance(upload, UploadFile):
            raise BadRequest("missing form file 'file'")
        validate_model_id(model)
        if model not in settings.inference_urls:
            raise UnknownModel(f"unknown model {model!r}")
        registry.existing_model_dir(model)  # one stat, not a listing of every model
        strength = parse_strength(form.get("strength"))
        keep_colors = parse_bool(form.get("preserve_colors"), "preserve_colors")
        data = await upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"image exceeds the limit of {settings.max_upload_bytes} bytes")

    # Header checks now (microseconds) so hostile files never reach inference. The stored
    # copy of the upload (full decode + PNG re-encode) is written after the response, so
    # it neither delays the answer nor competes with inference for the CPU. Each service
    # decodes the upload exactly once.
    inspect_image(data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_pixels,
                  min_side=settings.min_side)
    result = await inference.stylize(model, data, strength, keep_colors)
    request_id = new_request_id()
    width, height = result.width, result.height
    record = {"request_id": request_id, "model": model, "version": result.version,
              "width": width, "height": height, "strength": strength,
              "preserve_colors": keep_colors, "created": time.time()}
    await run_in_threadpool(storage.save_output, request_id, result.png, record)
    background.add_task(store_input, storage, request_id, data, settings)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    request.state.log_extra = {"model": model, "version": result.version,
                               "result_id": request_id, "inference_ms": result.infer_ms}
    return StylizeOut(
        request_id=request_id, model=model, version=result.version,
        image_url=f"{prefix}/images/{request_id}.png",
        width=width, height=height, strength=strength,
        preserve_colors=keep_colors, duration_ms=duration_ms, inference_ms=result.infer_ms,
    )
