"""Image facts without I/O: the format told by the magic bytes, wholeness, dimensions, strict base64."""

from __future__ import annotations

import binascii
import struct
import zlib
from typing import Literal

# SIMD base64 (with its own fallback where no wheel fits): a 2 MB image decodes in about 0.15 ms where
# the standard library takes 6-8 ms, the largest part of a whole call.
from pybase64 import b64decode as _b64decode

__all__ = [
    "MIME_TYPES",
    "ImageFormat",
    "decode_base64_image",
    "image_dimensions",
    "image_problem",
    "sniff_format",
    "strict_b64decode",
]

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


def image_problem(data: bytes, fmt: ImageFormat) -> str | None:
    """What makes ``data`` not a whole ``fmt`` image, or None when its structure is complete.

    Checks the container, not the pixels: PNG chunks with their CRCs up to IEND, JPEG segments with
    their lengths from SOI to EOI, the WebP RIFF size and chunks. A truncated download or magic bytes
    followed by garbage is caught; the cost is one CRC pass over a PNG and one byte search over a JPEG.

    Example::

        image_problem(png_bytes[:-12], "png")  # 'truncated PNG: ... (no IEND)'
    """
    if fmt == "png":
        return _png_problem(data)
    if fmt == "jpeg":
        return _jpeg_problem(data)
    if fmt == "gif":
        return _gif_problem(data)
    if fmt == "svg":
        return _svg_problem(data)
    return _webp_problem(data)


def _gif_problem(data: bytes) -> str | None:
    # A GIF ends with the trailer byte 0x3B; a cut download loses it (a full block walk buys little more).
    if len(data) < 14 or not data.startswith((b"GIF87a", b"GIF89a")):
        return "truncated GIF: shorter than its header"
    if not data.rstrip(b"\0").endswith(b";"):
        return "truncated GIF: no trailer (0x3B) at the end"
    return None


def _svg_problem(data: bytes) -> str | None:
    # SVG is text: a cut one lacks its closing tag.
    if b"</svg>" not in data[-4096:].lower() and not data.rstrip().endswith(b"/>"):
        return "truncated SVG: no closing </svg>"
    return None


def _png_problem(data: bytes) -> str | None:
    view = memoryview(data)
    size = len(data)
    pos = 8
    while True:
        if pos + 12 > size:
            return f"truncated PNG: {size} bytes end before the IEND chunk"
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if not kind.isalpha() or not kind.isascii():
            return f"PNG chunk at byte {pos} has an invalid type {kind!r}"
        if pos == 8 and kind != b"IHDR":
            return f"PNG starts with chunk {kind.decode()} instead of IHDR"
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > size:
            return (
                f"truncated PNG: chunk {kind.decode()} at byte {pos} declares {length} bytes, {size - pos - 12} remain"
            )
        if zlib.crc32(view[pos + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            return f"PNG chunk {kind.decode()} at byte {pos} fails its CRC check"
        if kind == b"IEND":
            return None
        pos = end


# Markers with no length field: TEM and RST0..RST7 (SOI and EOI are handled apart).
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _jpeg_problem(data: bytes) -> str | None:
    size = len(data)
    pos = 2
    while True:
        if pos + 2 > size:
            return f"truncated JPEG: {size} bytes end before the EOI marker"
        if data[pos] != 0xFF:
            return f"JPEG has no marker at byte {pos} (found 0x{data[pos]:02x})"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:
            return None
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in (0xD8, 0x00):
            return f"JPEG has an unexpected marker 0x{marker:02x} at byte {pos}"
        if pos + 4 > size:
            return f"truncated JPEG: segment 0x{marker:02x} at byte {pos} has no length"
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return f"JPEG segment 0x{marker:02x} at byte {pos} has an invalid length {length}"
        pos += 2 + length
        if pos > size:
            return f"truncated JPEG: segment 0x{marker:02x} declares {length} bytes past the end"
        if marker == 0xDA:
            # Entropy-coded data follows the scan header: it ends at the first marker that is neither
            # a stuffed 0xFF00 nor a restart marker.
            while True:
                ff = data.find(b"\xff", pos)
                if ff == -1 or ff + 1 >= size:
                    return f"truncated JPEG: scan data runs to byte {size} without an EOI marker"
                following = data[ff + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos = ff + 2
                    continue
                pos = ff
                break


def _webp_problem(data: bytes) -> str | None:
    size = len(data)
    declared = int.from_bytes(data[4:8], "little")
    end = 8 + declared
    if declared < 4 or end > size:
        return f"truncated WebP: the RIFF header declares {end} bytes, {size} arrived"
    pos = 12
    if pos + 8 > end:
        return "WebP has no image chunk"
    if data[pos : pos + 4] not in (b"VP8 ", b"VP8L", b"VP8X"):
        return f"WebP starts with chunk {data[pos : pos + 4]!r} instead of VP8, VP8L or VP8X"
    while pos < end:
        if pos + 8 > end:
            return f"truncated WebP: chunk header at byte {pos} runs past the RIFF size"
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += 8 + length + (length & 1)
        if pos > end + (length & 1):
            return f"truncated WebP: a chunk declares {length} bytes past the RIFF size"
    return None


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


def strict_b64decode(value: str | bytes | memoryview) -> bytes:
    """Base64 to bytes with the checks of ``b64decode(validate=True)``: the alphabet only, padding at the end.

    Raises ``binascii.Error`` (a ``ValueError``) on anything else.

    Example::

        strict_b64decode(b"iVBORw0K")
    """
    return _b64decode(value, validate=True)


def decode_base64_image(value: str) -> bytes:
    """Strict base64 decoding (a ``data:`` prefix is tolerated); raises ``ValueError`` on bad input.

    Example::

        decode_base64_image("iVBORw0KGgo...")
    """
    if value.startswith("data:"):
        _, _, value = value.partition(",")
    try:
        return strict_b64decode(value)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the image is not valid base64 ({exc})") from None
