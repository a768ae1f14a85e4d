"""The small admin UI (job progress, version history, promote/rollback). Static files; the
page calls the admin API on the same origin with the token the person types in."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[1] / "static"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

router = APIRouter(include_in_schema=False)


@router.get("/admin")
async def admin_page() -> FileResponse:
    return FileResponse(STATIC / "admin.html", media_type="text/html",
                        headers={"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"})


def mount_admin(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static")
