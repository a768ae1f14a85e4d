"""Nginx in front of the real gateway: proxying, headers, gzip, limits, JSON errors."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.images_factory import jpeg
from tests.support.frontend import FrontendProcess, require_nginx
from tests.support.processes import free_port

pytestmark = pytest.mark.slow


def client_at(address: str) -> dict[str, str]:
    """Nginx trusts X-Forwarded-For from loopback: each test acts as its own client, so the
    rate limit of one test never touches another (nor the browser tests, from 127.0.0.1)."""
    return {"X-Forwarded-For": address}


def test_api_is_proxied_under_api_prefix(nginx_frontend: FrontendProcess) -> None:
    base = nginx_frontend.url
    assert httpx.get(f"{base}/api/health").json() == {"status": "ok"}
    models = {m["id"]: m for m in httpx.get(f"{base}/api/models").json()}
    assert set(models) == {"model1", "model2", "model3"}
    assert [models[m]["available"] for m in ("model1", "model3")] == [True, False]
    style_url = models["model1"]["style_image_url"]
    assert style_url == "/api/models/model1/style.jpg"
    style = httpx.get(base + style_url)
    assert style.status_code == 200 and style.headers["content-type"] == "image/jpeg"

    response = httpx.post(f"{base}/api/stylize", data={"model": "model1", "strength": "0.25"},
                          files={"file": ("small.jpg", jpeg(64, 48), "image/jpeg")},
                          headers=client_at("198.51.100.1"), timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["image_url"] == f"/api/images/{body['request_id']}.png"
    assert body["strength"] == 0.25
    image = httpx.get(base + body["image_url"])
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (64, 48)


@pytest.mark.parametrize("path", ["/", "/static/js/script.js", "/api/health", "/api/models/x"])
def test_security_headers_everywhere(nginx_frontend: FrontendProcess, path: str) -> None:
    response = httpx.get(nginx_frontend.url + path)
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp


def test_page_and_assets(nginx_frontend: FrontendProcess) -> None:
    base = nginx_frontend.url
    page = httpx.get(f"{base}/")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert 'src="static/js/script.js"' in page.text
    with httpx.stream("GET", f"{base}/static/js/script.js",
                      headers={"Accept-Encoding": "gzip"}) as script:
        raw = b"".join(script.iter_raw())
    assert script.headers["content-encoding"] == "gzip"
    assert script.headers["content-type"].startswith("text/javascript")
    assert "max-age=3600" in script.headers["cache-control"]
    plain = gzip.decompress(raw)
    assert b"use strict" in plain and len(raw) < len(plain) / 2
    css = httpx.get(f"{base}/static/css/style.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["content-encoding"] == "gzip"
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/nginx.conf", "/devserver.py", "/static/../nginx.conf",
                                  "/.git/config"])
def test_only_the_ui_is_public(nginx_frontend: FrontendProcess, path: str) -> None:
    assert httpx.get(nginx_frontend.url + path).status_code in (400, 404)


def test_stylize_burst_gets_429_per_client(nginx_frontend: FrontendProcess) -> None:
    url = f"{nginx_frontend.url}/api/stylize"
    # Empty bodies: the gateway answers them at once with 400, so only Nginx decides 429.
    statuses = [httpx.post(url, headers=client_at("203.0.113.7")).status_code
                for _ in range(20)]
    assert statuses[0] == 400
    assert 429 in statuses, statuses
    limited = httpx.post(url, headers=client_at("203.0.113.7"))
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/json")
    assert isinstance(limited.json()["detail"], str) and limited.json()["detail"]
    assert limited.headers["retry-after"].isdigit()
    assert limited.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in limited.headers
    # Another client is not affected, and the rest of the API is not limited.
    assert httpx.post(url, headers=client_at("203.0.113.8")).status_code == 400
    assert httpx.get(f"{nginx_frontend.url}/api/health",
                     headers=client_at("203.0.113.7")).status_code == 200


def test_oversized_upload_is_413_json(nginx_frontend: FrontendProcess) -> None:
    too_big = b"\0" * (10 * 1024 * 1024 + 64 * 1024 + 1)
    response = httpx.post(f"{nginx_frontend.url}/api/stylize", content=too_big,
                          headers={**client_at("203.0.113.20"),
                                   "Content-Type": "application/octet-stream"}, timeout=30)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_gateway_down_is_502_json(tmp_path: Path) -> None:
    require_nginx()
    nowhere = f"http://127.0.0.1:{free_port()}"
    frontend = FrontendProcess(nowhere, tmp_path / "run", tmp_path / "nginx.log")
    try:
        frontend.wait_ready()
        response = httpx.get(f"{frontend.url}/api/models")
        assert response.status_code == 502
        assert "unreachable" in response.json()["detail"]
        assert httpx.get(f"{frontend.url}/").status_code == 200
    finally:
        frontend.stop()


def test_oversized_chunked_upload_is_413(nginx_frontend: FrontendProcess) -> None:
    def body():
        for _ in range(12):
            yield b"\0" * (1024 * 1024)  # 12 MiB, no Content-Length

    try:
        response = httpx.post(f"{nginx_frontend.url}/api/stylize", content=body(), timeout=30,
                              headers={**client_at("203.0.113.21"),
                                       "Content-Type": "application/octet-stream"})
    except httpx.WriteError:
        pytest.fail("nginx closed the connection without a 413")
    assert response.status_code == 413


@pytest.mark.parametrize("method,path", [
    ("POST", "/api/finetune"), ("GET", "/api/jobs"), ("POST", "/api/models/model1/promote"),
    ("POST", "/api/models/model1/rollback"), ("GET", "/finetune"), ("GET", "/admin"),
])
def test_admin_routes_are_not_public(nginx_frontend: FrontendProcess, method: str,
                                     path: str) -> None:
    response = httpx.request(method, nginx_frontend.url + path, json={"model": "model1"},
                             headers={"Authorization": "Bearer anything",
                                      **client_at("203.0.113.30")})
    assert response.status_code in (404, 405)
