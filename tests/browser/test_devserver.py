"""The Python fallback of scripts/run_frontend.py, as a machine without Nginx gets it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from frontend.devserver import SECURITY_HEADERS
from tests.images_factory import jpeg
from tests.support.frontend import FrontendProcess

from .conftest import Backend

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fallback(backend: Backend, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[FrontendProcess]:
    root = tmp_path_factory.mktemp("fallback")
    # "auto" with no usable nginx binary: exactly the path of a machine without Nginx.
    frontend = FrontendProcess(backend.gateway.url, root / "run", root / "frontend.log",
                               server="auto", NST_NGINX_BIN=str(root / "no-nginx-here"))
    try:
        frontend.wait_ready()
        yield frontend
    finally:
        frontend.stop()


def test_says_why_it_falls_back(fallback: FrontendProcess) -> None:
    assert "nginx is not installed" in fallback.log_path.read_text()


def test_serves_the_page_with_the_same_headers(fallback: FrontendProcess) -> None:
    page = httpx.get(fallback.url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value
    assert httpx.get(fallback.url + "/static/js/script.js").status_code == 200
    assert httpx.get(fallback.url + "/devserver.py").status_code == 404
    assert httpx.get(fallback.url + "/healthz").json() == {"status": "ok"}


def test_proxies_the_api_with_the_prefix(fallback: FrontendProcess) -> None:
    health = httpx.get(fallback.url + "/api/health")
    assert health.json() == {"status": "ok"}
    assert health.headers["x-content-type-options"] == "nosniff"  # once, not twice
    models = httpx.get(fallback.url + "/api/models").json()
    assert all(m["style_image_url"].startswith("/api/models/") for m in models)

    response = httpx.post(fallback.url + "/api/stylize",
                          data={"model": "model1", "preserve_colors": "true"},
                          files={"file": ("small.jpg", jpeg(64, 48), "image/jpeg")}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["preserve_colors"] is True
    assert body["image_url"].startswith("/api/images/")
    image = httpx.get(fallback.url + body["image_url"])
    assert Image.open(io.BytesIO(image.content)).size == (64, 48)

    missing = httpx.post(fallback.url + "/api/feedback",
                         json={"request_id": "0" * 32, "rating": "good"})
    assert missing.status_code == 404 and "detail" in missing.json()
