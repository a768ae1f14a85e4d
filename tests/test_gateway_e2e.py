"""The gateway and one inference service as real uvicorn processes."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from PIL import Image

from tests.images_factory import jpeg, png_header_claiming
from tests.support.processes import ServiceProcess, wait_until


@pytest.fixture(scope="module")
def stack(gateway_stack):
    return gateway_stack


def post_image(gateway: ServiceProcess, data: bytes, model: str = "model1",
               filename: str = "photo.jpg", **fields: str) -> httpx.Response:
    return httpx.post(f"{gateway.url}/stylize", data={"model": model, **fields},
                      files={"file": (filename, data, "image/jpeg")}, timeout=120)


def test_happy_path(stack, chicago_bytes: bytes) -> None:
    gateway, _, storage = stack
    response = post_image(gateway, chicago_bytes)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "model1" and body["version"] == "v1"
    assert (body["width"], body["height"]) == (712, 474)
    image = httpx.get(gateway.url + body["image_url"], timeout=10)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (712, 474)
    rid = body["request_id"]
    stored_input = storage / "input_images" / f"{rid}.png"
    wait_until(stored_input.is_file, 10, interval=0.02, message="input stored")
    assert Image.open(stored_input).size == (712, 474)
    assert (storage / "output_images" / f"{rid}.png").read_bytes() == image.content


def test_forwarded_prefix_is_used_in_urls(stack) -> None:
    gateway, _, _ = stack
    response = httpx.post(
        f"{gateway.url}/stylize", data={"model": "model1"},
        files={"file": ("a.jpg", jpeg(), "image/jpeg")},
        headers={"X-Forwarded-Prefix": "/api"}, timeout=60)
    assert response.status_code == 200
    assert response.json()["image_url"].startswith("/api/images/")


@pytest.mark.parametrize(
    "data,model,status",
    [
        (b"definitely not a jpeg", "model1", 415),
        (b"", "model1", 400),
        (jpeg(400, 300)[:1500], "model1", 400),
        (png_header_claiming(30000, 30000), "model1", 413),
        (jpeg(), "nosuchmodel", 404),
        (jpeg(), "../../etc", 400),
    ],
    ids=["text-as-jpg", "empty", "truncated", "30000x30000", "unknown-model", "traversal"],
)
def test_bad_requests_get_json_4xx(stack, data: bytes, model: str, status: int) -> None:
    gateway, inference, _ = stack
    response = post_image(gateway, data, model=model)
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    # ...and the services keep serving.
    assert gateway.alive() and inference.alive()
    assert httpx.get(gateway.url + "/health").json() == {"status": "ok"}


def test_still_serves_after_bad_requests(stack) -> None:
    gateway, _, _ = stack
    assert post_image(gateway, jpeg(64, 48)).status_code == 200


def test_down_inference_is_502_json(stack) -> None:
    gateway, _, _ = stack
    response = post_image(gateway, jpeg(), model="model2")
    assert response.status_code in (502, 503)
    assert "unreachable" in response.json()["detail"]


def test_invalid_strength_is_422(stack) -> None:
    gateway, _, _ = stack
    assert post_image(gateway, jpeg(), strength="2").status_code == 422
    assert post_image(gateway, jpeg(), strength="nan").status_code == 422


def test_models_route(stack) -> None:
    gateway, _, _ = stack
    models = {m["id"]: m for m in httpx.get(gateway.url + "/models").json()}
    assert set(models) == {"model1", "model2"}
    assert models["model1"]["version"] == "v1" and models["model1"]["available"]
    assert models["model2"]["available"] is False
    style = httpx.get(gateway.url + models["model1"]["style_image_url"])
    assert style.status_code == 200 and style.headers["content-type"] == "image/jpeg"


def test_feedback_records_version(stack) -> None:
    gateway, _, storage = stack
    rid = post_image(gateway, jpeg()).json()["request_id"]
    response = httpx.post(gateway.url + "/feedback",
                          json={"request_id": rid, "rating": "bad", "comment": "too blue"})
    assert response.status_code == 201
    lines = (storage / "feedback.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert {k: record[k] for k in ("request_id", "model", "version", "rating", "comment")} == {
        "request_id": rid, "model": "model1", "version": "v1", "rating": "bad",
        "comment": "too blue"}
    assert record["ts"]


@pytest.mark.parametrize("payload,status", [
    ({"request_id": "0" * 32, "rating": "good"}, 404),
    ({"request_id": "../../etc/passwd", "rating": "good"}, 422),
    ({"request_id": "0" * 32, "rating": "meh"}, 422),
])
def test_feedback_errors(stack, payload: dict, status: int) -> None:
    gateway, _, _ = stack
    response = httpx.post(gateway.url + "/feedback", json=payload)
    assert response.status_code == status
    assert "detail" in response.json()


def test_output_image_ids_are_validated(stack) -> None:
    gateway, _, _ = stack
    assert httpx.get(gateway.url + "/images/..%2F..%2Fetc%2Fpasswd.png").status_code in (400, 404)
    assert httpx.get(gateway.url + "/images/" + "0" * 32 + ".png").status_code == 404
