from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..deps import get_model_server
from ..model_server import ModelServer

router = APIRouter(tags=["ops"])


@router.get("/ready")
async def ready(server: ModelServer = Depends(get_model_server)) -> JSONResponse:
    current = server.current
    if current is None:
        return JSONResponse(
            {"status": "loading", "model": server.model_id, "detail": server.last_error},
            status_code=503, headers={"Retry-After": "2"},
        )
    return JSONResponse({"status": "ready", "model": server.model_id, "version": current.version})


@router.get("/info")
async def info(server: ModelServer = Depends(get_model_server)) -> dict:
    current = server.current
    return {
        "model": server.model_id,
        "version": current.version if current else None,
        "loaded_at": current.loaded_at if current else None,
        "compute_dtype": server.compute_dtype.name,
        "last_error": server.last_error,
    }
