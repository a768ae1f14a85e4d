"""Hostile uploads against the real gateway + inference processes: every case is a 4xx
with a JSON detail or a correct image, never a 500, and the services keep serving."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.images_factory import (
    animated_gif,
    apng,
    encode,
    eps_file,
    fits_header,
    gradient,
    jpeg,
    jpeg_with_exif_gps,
    png_bomb,
    psd_header,
)
from tests.support.processes import ServiceProcess, gateway_process, wait_until


def stylize(gateway: ServiceProcess, data: bytes, filename: str = "photo.jpg",
            model: str = "model1", content_type: str = "image/jpeg") -> httpx.Response:
    return httpx.post(f"{gateway.url}/stylize", data={"model": model},
                      files={"file": (filename, data, content_type)}, timeout=120)


def assert_json_4xx(response: httpx.Response, status: int | tuple[int, ...]) -> None:
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status_code in expected, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]


def stored_input(storage: Path, response: httpx.Response) -> bytes:
    path = storage / "input_images" / f"{response.json()['request_id']}.png"
    wait_until(path.is_file, 10, interval=0.02, message="input stored")  # after the response
    return path.read_bytes()


@pytest.fixture(scope="module")
def small_cap_gateway(gateway_stack, tmp_path_factory: pytest.TempPathFactory):
    """A second gateway with a 200 kB cap, so oversize bodies are cheap to send."""
    _, inference, storage = gateway_stack
    root = tmp_path_factory.mktemp("smallcap")
    tmp = root / "tmp"
    tmp.mkdir()
    proc = gateway_process(storage, {"model1": inference.url}, root,
                           NST_MAX_UPLOAD_BYTES="200000", TMPDIR=str(tmp))
    try:
        yield proc.wait_ready(), tmp
    finally:
        proc.stop()


# --- 1. byte caps ----------------------------------------------------------------------
def test_oversize_with_content_length_is_413(small_cap_gateway) -> None:
    gateway, tmp = small_cap_gateway
    response = stylize(gateway, b"\xff" * 400_000)
    assert_json_4xx(response, 413)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert list(tmp.iterdir()) == []


def test_oversize_chunked_is_413(small_cap_gateway) -> None:
    gateway, tmp = small_cap_gateway
    boundary = "nstboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nmodel1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()

    def body():
        yield head
        for _ in range(5):
            yield b"\xff" * 60_000  # 300 kB in total, no Content-Length

    response = httpx.post(f"{gateway.url}/stylize", content=body(), timeout=30,
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert_json_4xx(response, 413)
    assert list(tmp.iterdir()) == []
    assert httpx.get(gateway.url + "/health").status_code == 200


# --- 2. multipart abuse ----------------------------------------------------------------
def test_second_file_and_too_many_fields_are_400(gateway_stack) -> None:
    gateway, _, _ = gateway_stack
    two_files = httpx.post(f"{gateway.url}/stylize", data={"model": "model1"},
                           files=[("file", ("a.jpg", jpeg(), "image/jpeg")),
                                  ("file2", ("b.jpg", jpeg(), "image/jpeg"))])
    assert_json_4xx(two_files, 400)
    many = httpx.post(f"{gateway.url}/stylize",
                      data={"model": "model1", **{f"f{i}": "x" for i in range(50)}},
                      files={"file": ("a.jpg", jpeg(), "image/jpeg")})
    assert_json_4xx(many, 400)


@pytest.mark.parametrize("content_type,body", [
    ("multipart/form-data", b"--x\r\n\r\nhello"),                     # no boundary
    ("multipart/form-data; boundary=abc", b"complete garbage \x00\xff" * 100),
    ("application/json", b'{"model": "model1"}'),
], ids=["missing-boundary", "garbage", "not-multipart"])
def test_broken_multipart_is_400(gateway_stack, content_type: str, body: bytes) -> None:
    gateway, _, _ = gateway_stack
    response = httpx.post(f"{gateway.url}/stylize", content=body,
                          headers={"Content-Type": content_type})
    assert_json_4xx(response, (400, 422))


def test_megabytes_of_crlf_before_boundary_are_fast_400(gateway_stack) -> None:
    gateway, _, _ = gateway_stack
    body = b"\r\n" * 2_500_000 + b"--abc\r\nContent-Disposition: form-data; name=\"model\"\r\n"

    def attack() -> tuple[int, float]:
        start = time.perf_counter()
        response = httpx.post(f"{gateway.url}/stylize", content=body, timeout=30,
                              headers={"Content-Type": "multipart/form-data; boundary=abc"})
        return response.status_code, time.perf_counter() - start

    with ThreadPoolExecutor(2) as pool:
        future = pool.submit(attack)
        health = [httpx.get(gateway.url + "/health", timeout=5).status_code for _ in range(5)]
        status, seconds = future.result()
    assert status == 400 and seconds < 1.0, (status, seconds)
    assert health == [200] * 5


# --- 3. hostile images -----------------------------------------------------------------
@pytest.mark.parametrize("data,status", [
    (b"<?php echo 'hi'; ?>", 415),
    (psd_header(), 415),
    (eps_file(), 415),
    (fits_header(), 415),
    (encode(gradient(), "TIFF"), 415),
    (animated_gif(), 415),
    (jpeg(400, 300)[:1500], 400),
    (png_bomb(10000, 9000), 413),    # past Pillow's warning threshold (89.5 MP)
    (png_bomb(14000, 13000), 413),   # past Pillow's error threshold (179 MP)
], ids=["text", "psd", "eps", "fits", "tiff", "gif", "truncated", "bomb-warn", "bomb-error"])
def test_refused_images(gateway_stack, data: bytes, status: int) -> None:
    gateway, inference, _ = gateway_stack
    assert_json_4xx(stylize(gateway, data), status)
    assert gateway.alive() and inference.alive()


def test_apng_uses_the_first_frame(gateway_stack) -> None:
    gateway, _, storage = gateway_stack
    response = stylize(gateway, apng(), filename="anim.png", content_type="image/png")
    assert response.status_code == 200
    first = np.asarray(Image.open(io.BytesIO(stored_input(storage, response))))
    assert (first[..., 0] == 0).all()  # frame 0 is black; frames 1-2 are red


@pytest.mark.parametrize("image,fmt,expected", [
    (Image.new("CMYK", (32, 32), (0, 0, 0, 0)), "JPEG", (255, 255, 255)),
    (Image.new("RGBA", (32, 32), (10, 20, 30, 0)), "PNG", (255, 255, 255)),
    (Image.new("RGBA", (32, 32), (10, 20, 30, 255)), "PNG", (10, 20, 30)),
    (Image.fromarray(np.full((32, 32), 65535, np.uint16)), "PNG", (255, 255, 255)),
    (Image.new("1", (32, 32), 0), "PNG", (0, 0, 0)),
], ids=["cmyk", "rgba-transparent", "rgba-opaque", "16-bit", "1-bit"])
def test_modes_become_correct_rgb(gateway_stack, image: Image.Image, fmt: str,
                                  expected: tuple[int, int, int]) -> None:
    gateway, _, storage = gateway_stack
    response = stylize(gateway, encode(image, fmt), filename=f"x.{fmt.lower()}")
    assert response.status_code == 200, response.text
    stored = Image.open(io.BytesIO(stored_input(storage, response)))
    assert stored.mode == "RGB"
    assert np.abs(np.asarray(stored, np.int16) - np.array(expected)).max() <= 3


def test_palette_with_transparency(gateway_stack) -> None:
    gateway, _, storage = gateway_stack
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0] * 256)
    image.info["transparency"] = 0
    response = stylize(gateway, encode(image, "PNG", transparency=0), filename="p.png")
    assert response.status_code == 200
    assert (np.asarray(Image.open(io.BytesIO(stored_input(storage, response)))) == 255).all()


def test_exif_orientation_and_no_metadata_kept(gateway_stack) -> None:
    gateway, _, storage = gateway_stack
    response = stylize(gateway, jpeg_with_exif_gps(orientation=6))
    assert response.status_code == 200
    assert (response.json()["width"], response.json()["height"]) == (30, 40)
    output = httpx.get(gateway.url + response.json()["image_url"]).content
    for blob in (stored_input(storage, response), output):
        image = Image.open(io.BytesIO(blob))
        assert image.size == (30, 40)
        assert not image.getexif() and b"Exif" not in blob and b"eXIf" not in blob
        assert not set(image.info) - {"dpi"}  # no text, ICC or EXIF chunks


def test_polyglot_payload_is_gone(gateway_stack) -> None:
    gateway, _, storage = gateway_stack
    payload = b"<script>alert('owned')</script>"
    response = stylize(gateway, jpeg() + payload)
    assert response.status_code == 200
    output = httpx.get(gateway.url + response.json()["image_url"])
    assert output.headers["content-type"] == "image/png"
    assert payload not in stored_input(storage, response) and payload not in output.content


@pytest.mark.parametrize("filename", ["../../etc/passwd", "a\x00b.jpg", "x" * 300 + ".jpg",
                                      "/etc/shadow", "..\\..\\win.ini"])
def test_hostile_filenames_never_reach_a_path(gateway_stack, filename: str) -> None:
    gateway, _, storage = gateway_stack
    response = stylize(gateway, jpeg(), filename=filename)
    assert response.status_code == 200
    names = {p.name for p in (storage / "input_images").iterdir() if not p.name.startswith(".")}
    assert all(len(n) == 36 and n.endswith(".png") for n in names)


# --- 4. model ids ----------------------------------------------------------------------
@pytest.mark.parametrize("model,status", [
    ("../x", 400), ("..%2F..%2Fetc", 400), ("/etc/passwd", 400), ("model1#frag", 400),
    ("model1/../model1", 400), ("model9", 404), ("MODEL1", 400),
])
def test_model_id_forms(gateway_stack, model: str, status: int) -> None:
    gateway, _, _ = gateway_stack
    assert_json_4xx(stylize(gateway, jpeg(), model=model), status)


@pytest.mark.parametrize("path", ["/models/..%2F..%2Fetc/style.jpg", "/models/%2Fetc/style.jpg",
                                  "/models/model9/style.jpg", "/images/..%2Fx.png",
                                  "/images/%2e%2e.png"])
def test_path_traversal_routes(gateway_stack, path: str) -> None:
    gateway, _, _ = gateway_stack
    response = httpx.get(gateway.url + path)
    assert response.status_code in (400, 404, 422)
    assert "root:" not in response.text
