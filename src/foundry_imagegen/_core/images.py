"""Image facts without I/O: the format told by the magic bytes, dimensions, strict base64."""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Literal

__all__ = ["MIME_TYPES", "ImageFormat", "decode_base64_image", "image_dimensions", "sniff_format"]

ImageFormat = Literal["png", "jpeg", "webp", "gif", "svg"]

_EXTENSIONS: dict[str, ImageFormat] = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".webp": "webp",
    ".gif": "gif",
    ".svg": "svg",
}
_CANONICAL = {"png": ".png", "jpeg": ".jpg", "webp": ".webp", "gif": ".gif", "svg": ".svg"}
_OTHER_IMAGE_EXTENSIONS = {".bmp", ".tif", ".tiff", ".heic", ".avif"}
MIME_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "svg": "image/svg+xml",
}

# SVG is text: after an optional BOM, whitespace, an XML declaration, comments or a doctype, <svg follows.
_SVG_HEAD = 1024


def sniff_format(data: bytes) -> ImageFormat | None:
    """The image format told by the magic bytes, or None if none we know.

    Example::

        sniff_format(b"\\x89PNG\\r\\n\\x1a\\n...")  # 'png'
        sniff_format(b"GIF89a...")                 # 'gif'
        sniff_format(b'<?xml version="1.0"?><svg ...')  # 'svg'
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if _looks_like_svg(data):
        return "svg"
    return None


def _looks_like_svg(data: bytes) -> bool:
    head = data[:_SVG_HEAD].removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"<"):
        return False
    return b"<svg" in head.lower()


def image_dimensions(data: bytes, fmt: ImageFormat | None = None) -> tuple[int, int] | None:
    """(width, height) read from the header alone, or None if the header cannot be read.

    Example::

        image_dimensions(png_bytes)  # (1024, 1024)
    """
    fmt = fmt or sniff_format(data)
    try:
        if fmt == "png" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if fmt == "jpeg":
            return _jpeg_dimensions(data)
        if fmt == "webp":
            return _webp_dimensions(data)
        if fmt == "gif" and len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
    except struct.error:
        return None
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    index = 2
    size = len(data)
    while index + 9 < size:
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def decode_base64_image(value: str) -> bytes:
    """Strict base64 decoding (a ``data:`` prefix is tolerated); raises ``ValueError`` on bad input.

    Example::

        decode_base64_image("iVBORw0KGgo...")
    """
    if value.startswith("data:"):
        _, _, value = value.partition(",")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the image is not valid base64 ({exc})") from None
