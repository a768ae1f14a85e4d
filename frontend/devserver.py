"""Fallback server for machines without Nginx (`scripts/run_frontend.py` picks it).

Serves the same page and assets as frontend/nginx.conf and proxies /api/ to the gateway
the same way (prefix stripped, `X-Forwarded-Prefix: /api`, bodies streamed both ways), with
the same security headers. It does not rate-limit or gzip: it is for one person on one
machine, not for production.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRONTEND = Path(__file__).resolve().parent
# Keep in step with the server-level add_header lines of nginx.conf (a test compares them).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Connection-level headers are not forwarded by a proxy (RFC 9110 section 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "host"}


def json_error(status: int, detail: str) -> Response:
    return Response(json.dumps({"detail": detail}), status_code=status,
                    media_type="application/json")


class SecurityHeaders:
    """Adds the headers to every response, like `add_header ... always` does in Nginx."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode().lower() not in {h.lower() for h in SECURITY_HEADERS}]
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(gateway_url: str = "http://127.0.0.1:8000", *, static_root: Path = FRONTEND,
               max_body: int = 10 * 1024 * 1024 + 64 * 1024) -> Starlette:
    # Generous read timeout: a big photo takes ~10 s and the gateway has its own deadline.
    timeout = httpx.Timeout(120.0, connect=5.0)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=timeout) as client:
            app.state.client = client
            yield

    async def index(_: Request) -> Response:
        return FileResponse(static_root / "index.html", headers={"Cache-Control": "no-cache"})

    async def proxy(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > max_body):
            return json_error(413, f"request body too large: the limit is {max_body} bytes")
        client: httpx.AsyncClient = request.app.state.client
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        peer = request.client.host if request.client else ""
        forwarded = ", ".join(filter(None, [request.headers.get("x-forwarded-for"), peer]))
        headers += [("x-forwarded-prefix", "/api"), ("x-forwarded-for", forwarded),
                    ("x-real-ip", peer)]
        url = httpx.URL(path="/" + request.path_params["path"],
                        query=request.url.query.encode())
        upstream_request = client.build_request(
            request.method, url, headers=headers,
            content=request.stream() if request.method in ("POST", "PUT", "PATCH") else None,
        )
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.TimeoutException:
            return json_error(504, "the API gateway did not answer in time")
        except httpx.TransportError:
            return json_error(502, "the API gateway is unreachable; try again shortly")
        response_headers = {k: v for k, v in upstream.headers.items()
                            if k.lower() not in HOP_BY_HOP}
        return StreamingResponse(upstream.aiter_raw(), status_code=upstream.status_code,
                                 headers=response_headers,
                                 background=BackgroundTask(upstream.aclose))

    async def healthz(_: Request) -> Response:
        return Response('{"status":"ok"}', media_type="application/json")

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/index.html", index),
        Route("/api/{path:path}", proxy, methods=["GET", "HEAD", "POST", "PUT", "PATCH",
                                                  "DELETE", "OPTIONS"]),
        Mount("/static", StaticFiles(directory=static_root / "static"), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
