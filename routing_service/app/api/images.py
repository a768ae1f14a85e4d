from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse

from nst_core.errors import NotFound
from nst_core.http import error_responses
from nst_core.storage import Storage

from ..deps import get_storage

router = APIRouter(tags=["images"])


@router.get("/images/{request_id}.png", response_class=FileResponse,
            responses={200: {"content": {"image/png": {}}}, **error_responses(400, 404)})
async def output_image(request_id: str = Path(pattern=r"^[0-9a-f]{32}$"),
                       storage: Storage = Depends(get_storage)):
    path = storage.output_image(request_id)
    if not path.is_file():
        raise NotFound(f"no stylized image with request id {request_id}")
    return FileResponse(
        path, media_type="image/png", filename=f"stylized-{request_id[:8]}.png",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )
