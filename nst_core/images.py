"""Image intake: decode untrusted bytes into a plain RGB uint8 array, or raise a typed error.

Only JPEG, PNG and WebP are parsed (Pillow is told so, so no other decoder ever sees the
bytes). Sizes are checked from the header before any pixel is decoded; EXIF orientation
is applied; every mode becomes RGB; metadata never survives because we keep pixels only.
Animated images: the first frame is used.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import (
    CorruptImage,
    EmptyImage,
    ImageTooLarge,
    ImageTooSmall,
    PayloadTooLarge,
    UnsupportedImageFormat,
)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # uint8 [H, W, 3]
    source_format: str

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit (and 32-bit int) greyscale: rescale to 8 bits instead of clipping.
        array = np.asarray(image, dtype=np.uint32)
        peak = 65535 if mode.startswith("I;16") or array.max(initial=0) > 255 else 255
        grey = (array.astype(np.float64) * (255.0 / peak)).round().clip(0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "F":
        array = np.asarray(image, dtype=np.float64)
        return Image.fromarray(array.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode != "RGB":
        return image.convert("RGB")
    return image


@dataclass(frozen=True)
class ImageHeader:
    format: str
    width: int
    height: int


@contextlib.contextmanager
def _typed_errors() -> Iterator[None]:
    """Every way Pillow can fail on hostile bytes becomes one of our typed errors."""
    try:
        with warnings.catch_warnings():
            # Pillow's bomb *warning* becomes an error: we never decode such images.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (ImageTooLarge, ImageTooSmall):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge("image has too many pixels") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImageFormat(
            "not a supported image: send a JPEG, PNG or WebP file"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise CorruptImage(f"the image could not be decoded ({type(exc).__name__})") from exc


def _open_checked(data: bytes, max_bytes: int, max_pixels: int, min_side: int) -> Image.Image:
    """Open from the header only (no pixel decoded yet) and enforce the caps."""
    if not data:
        raise EmptyImage("the uploaded file is empty")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"image is {len(data)} bytes; the limit is {max_bytes}")
    image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge(f"image is {width}x{height} pixels; the limit is {max_pixels} pixels")
    if min(width, height) < min_side:
        raise ImageTooSmall(f"image is {width}x{height}; each side must be >= {min_side}")
    return image


def inspect_image(
    data: bytes, *, max_bytes: int, max_pixels: int, min_side: int = 1
) -> ImageHeader:
    """Cheap early check (microseconds): format and caps from the header alone."""
    with _typed_errors():
        image = _open_checked(data, max_bytes, max_pixels, min_side)
        return ImageHeader(str(image.format), image.size[0], image.size[1])


def decode_image(
    data: bytes, *, max_bytes: int, max_pixels: int, min_side: int = 1
) -> DecodedImage:
    with _typed_errors():
        image = _open_checked(data, max_bytes, max_pixels, min_side)
        source_format = str(image.format)
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
        pixels = np.array(_to_rgb(image), dtype=np.uint8)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise CorruptImage("the image could not be converted to RGB")
    return DecodedImage(pixels=pixels, source_format=source_format)


def encode_png(pixels: np.ndarray, compress_level: int = 1) -> bytes:
    """PNG with no metadata chunks. Level 1: ~5x faster than the default for ~15% more
    bytes, which matters on the request path."""
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()
