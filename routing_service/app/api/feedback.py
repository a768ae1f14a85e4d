from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from nst_core.errors import Unprocessable
from nst_core.feedback import append_record
from nst_core.http import error_responses
from nst_core.storage import Storage, validate_request_id

from ..core.config import GatewaySettings, get_settings
from ..deps import get_storage

router = APIRouter(tags=["feedback"])


class FeedbackIn(BaseModel):
    request_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    rating: Literal["good", "bad"]
    comment: str | None = Field(default=None, max_length=100_000)


class FeedbackOut(BaseModel):
    ts: str
    request_id: str
    model: str
    version: str
    rating: str
    comment: str | None


@router.post("/feedback", status_code=201, response_model=FeedbackOut,
             responses=error_responses(400, 404, 413, 422, 507))
async def feedback(
    body: FeedbackIn,
    storage: Storage = Depends(get_storage),
    settings: GatewaySettings = Depends(get_settings),
) -> FeedbackOut:
    validate_request_id(body.request_id)
    if body.comment and len(body.comment) > settings.max_comment_chars:
        raise Unprocessable(f"comment is longer than {settings.max_comment_chars} characters")
    record = await run_in_threadpool(storage.read_record, body.request_id)
    line = await run_in_threadpool(append_record, storage.feedback, {
        "request_id": body.request_id,
        "model": record["model"],
        "version": record["version"],
        "rating": body.rating,
        "comment": body.comment,
    })
    return FeedbackOut(**line)
