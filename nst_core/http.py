"""FastAPI glue shared by every service: the one error-to-HTTP mapping, request ids and
request logs, and the Prometheus endpoint."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import NSTError
from .logs import configure_logging, request_id_var
from .settings import CoreSettings

log = logging.getLogger("nst.http")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

HTTP_REQUESTS = Counter(
    "nst_http_requests_total", "HTTP requests", ["service", "route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "nst_http_request_seconds",
    "HTTP request latency",
    ["service", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
)


class ErrorOut(BaseModel):
    """Every error body: a sentence, or FastAPI's list of field errors for a 422."""

    detail: str | list[dict[str, Any]]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error statuses a route can answer."""
    return {code: {"model": ErrorOut, "description": HTTPStatus(code).phrase} for code in codes}


def _json_error(status: int, detail: object, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """The single place where domain errors become HTTP responses."""

    @app.exception_handler(NSTError)
    async def _domain(_: Request, exc: NSTError) -> JSONResponse:
        return _json_error(exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json_error(exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return _json_error(422, errors)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _json_error(500, "internal error")


class RequestContext:
    """Pure ASGI middleware (not BaseHTTPMiddleware, which would wrap errors raised while
    reading the body in exception groups): gives every request an id (honouring a sane
    incoming X-Request-ID), sets nosniff, logs one line per request with its duration and
    counts it in Prometheus."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        start = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, route, method, str(status)).inc()
            HTTP_LATENCY.labels(self.service, route, method).observe(elapsed)
            log.info("request", extra={"method": method, "route": route, "status": status,
                                       "duration_ms": round(elapsed * 1000, 2),
                                       **state.get("log_extra", {})})
            request_id_var.reset(token)


def install_request_context(app: FastAPI, service: str) -> None:
    app.add_middleware(RequestContext, service=service)


def metrics_response() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def add_health_routes(app: FastAPI) -> None:
    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()


def create_service_app(
    *,
    title: str,
    service: str,
    log_name: str,
    settings: CoreSettings,
    settings_dependency: Callable[[], CoreSettings],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    routers: Sequence[APIRouter],
    middleware: Sequence[tuple[type, dict[str, Any]]] = (),
) -> FastAPI:
    """The skeleton every service shares: JSON logs, injected settings, the one error
    mapping, /health and /metrics, request ids (outermost middleware, so it sees every
    response, including those of `middleware`)."""
    configure_logging(log_name, settings.log_level, settings.log_json)
    app = FastAPI(title=title, lifespan=lifespan)
    app.dependency_overrides[settings_dependency] = lambda: settings
    install_error_handlers(app)
    for cls, options in middleware:
        app.add_middleware(cls, **options)
    install_request_context(app, service)
    add_health_routes(app)
    for router in routers:
        app.include_router(router)
    return app
