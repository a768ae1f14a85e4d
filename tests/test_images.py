from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nst_core.errors import (
    CorruptImage,
    EmptyImage,
    ImageTooLarge,
    ImageTooSmall,
    PayloadTooLarge,
    UnsupportedImageFormat,
)
from nst_core.images import decode_image, encode_png
from tests.images_factory import encode, gradient, jpeg, png_header_claiming

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 4_000_000, "min_side": 4}


def decode(data: bytes):
    return decode_image(data, **LIMITS)


def test_jpeg_png_webp_decode_to_rgb() -> None:
    for fmt in ("JPEG", "PNG", "WEBP"):
        out = decode(encode(gradient(), fmt))
        assert out.pixels.shape == (30, 40, 3) and out.pixels.dtype == np.uint8
        assert out.source_format == fmt


@pytest.mark.parametrize(
    "data,error",
    [
        (b"", EmptyImage),
        (b"this is not an image at all", UnsupportedImageFormat),
        (encode(gradient(), "GIF"), UnsupportedImageFormat),
        (encode(gradient(), "TIFF"), UnsupportedImageFormat),
        (encode(gradient(), "BMP"), UnsupportedImageFormat),
        (jpeg(400, 300)[:2000], CorruptImage),
        (png_header_claiming(30000, 30000), ImageTooLarge),
        (encode(gradient(3, 3), "PNG"), ImageTooSmall),
    ],
    ids=["empty", "text", "gif", "tiff", "bmp", "truncated-jpeg", "png-bomb-header", "tiny"],
)
def test_bad_inputs_raise_typed_errors(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode(data)


def test_byte_cap() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_image(jpeg(), max_bytes=100, max_pixels=10**6)


def test_modes_become_rgb() -> None:
    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))  # fully transparent red -> white
    assert (decode(encode(rgba, "PNG")).pixels == 255).all()
    grey16 = Image.fromarray(np.full((20, 20), 65535, np.uint16))
    assert (decode(encode(grey16, "PNG")).pixels == 255).all()
    mono = Image.new("1", (20, 20), 1)
    assert (decode(encode(mono, "PNG")).pixels == 255).all()
    palette = gradient().convert("P")
    assert decode(encode(palette, "PNG")).pixels.shape == (30, 40, 3)
    cmyk = Image.new("CMYK", (20, 20), (0, 0, 0, 0))
    assert (decode(encode(cmyk, "JPEG")).pixels > 240).all()


def test_exif_orientation_is_applied_and_metadata_dropped() -> None:
    image = gradient(40, 30)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    data = encode(image, "JPEG", exif=exif.tobytes())
    out = decode(data)
    assert out.pixels.shape == (40, 30, 3)
    reencoded = Image.open(io.BytesIO(encode_png(out.pixels)))
    assert not reencoded.getexif() and "exif" not in reencoded.info
