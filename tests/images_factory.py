"""Small generated images for intake tests (no fixtures on disk)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def gradient(width: int = 40, height: int = 30) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    y = np.linspace(0, 255, height, dtype=np.uint8)
    rgb = np.stack([np.tile(x, (height, 1)), np.tile(y[:, None], (1, width)),
                    np.full((height, width), 128, np.uint8)], axis=-1)
    return Image.fromarray(rgb, "RGB")


def jpeg(width: int = 40, height: int = 30) -> bytes:
    return encode(gradient(width, height), "JPEG", quality=90)


def png_header_claiming(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming a huge size, with a tiny IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def png_bomb(width: int, height: int) -> bytes:
    """A real, fully decodable 1-bit PNG of width x height: tiny file, huge pixel count."""
    return encode(Image.new("1", (width, height)), "PNG", optimize=True)


def psd_header() -> bytes:
    # "8BPS", version 1, 6 reserved bytes, 3 channels, 64x64, 8 bits, RGB mode.
    return (b"8BPS" + struct.pack(">H", 1) + b"\x00" * 6
            + struct.pack(">HIIHH", 3, 64, 64, 8, 3) + b"\x00" * 64)


def fits_header() -> bytes:
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8",
             "NAXIS   =                    2", "NAXIS1  =                   64",
             "NAXIS2  =                   64", "END"]
    header = "".join(card.ljust(80) for card in cards).ljust(2880)
    return header.encode() + b"\x00" * 4096


def eps_file() -> bytes:
    return encode(gradient(), "EPS")


def apng(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (40, 30), (i * 80, 0, 0)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PNG", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def animated_gif() -> bytes:
    images = [Image.new("P", (40, 30), i) for i in range(3)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def jpeg_with_exif_gps(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS IFD
    return encode(gradient(40, 30), "JPEG", exif=exif.tobytes())
