from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import Histogram

from nst_core.errors import PayloadTooLarge, VersionNotFound
from nst_core.registry import validate_version

from ..core.config import InferenceSettings, get_settings
from ..deps import get_model_server
from ..model_server import ModelServer

router = APIRouter()

INFER_SECONDS = Histogram(
    "nst_inference_seconds", "Time in the network per request", ["model", "version"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
)
INFER_PIXELS = Histogram(
    "nst_inference_megapixels", "Image size per request", ["model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4),
)


async def read_capped_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing as soon as it passes the cap (chunked uploads included)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/infer",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the stylized PNG"}},
    summary="Stylize one image (raw image bytes in, PNG bytes out)",
)
async def infer(
    request: Request,
    strength: float = Query(1.0, ge=0.0, le=1.0),
    preserve_colors: bool = Query(False),
    version: str | None = Query(None, description="expected served version, e.g. v2"),
    server: ModelServer = Depends(get_model_server),
    settings: InferenceSettings = Depends(get_settings),
) -> Response:
    model = server.require_current()
    if version is not None and validate_version(version) != model.version:
        raise VersionNotFound(f"version {version} is not served (serving {model.version})")
    with server.admission():
        body = await read_capped_body(request, settings.max_upload_bytes)
        done = await run_in_threadpool(server.process, model, body, strength, preserve_colors)
    INFER_SECONDS.labels(server.model_id, model.version).observe(done.network_seconds)
    INFER_PIXELS.labels(server.model_id).observe(done.width * done.height / 1e6)
    request.state.log_extra = {"model": server.model_id, "version": model.version,
                               "width": done.width, "height": done.height,
                               "infer_ms": round(done.network_seconds * 1000, 1)}
    return Response(
        done.png,
        media_type="image/png",
        headers={
            "X-Model-Name": server.model_id,
            "X-Model-Version": model.version,
            "X-Image-Width": str(done.width),
            "X-Image-Height": str(done.height),
            "X-Inference-Ms": f"{done.network_seconds * 1000:.1f}",
        },
    )
