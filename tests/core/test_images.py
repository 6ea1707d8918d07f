"""Image sniffing: format and dimensions from the bytes alone."""

from __future__ import annotations

from foundry_imagegen._core.images import image_dimensions, sniff_format
from tests.testkit import make_png

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + bytes.fromhex(
    "ffc0001108002a0040030122000211010311 01".replace(" ", "")
)


WEBP_VP8X = (
    b"RIFF\x00\x00\x00\x00WEBPVP8X"
    + b"\x0a\x00\x00\x00"
    + b"\x00\x00\x00\x00"
    + (99).to_bytes(3, "little")
    + (49).to_bytes(3, "little")
)


def test_sniff_and_dimensions() -> None:
    assert sniff_format(make_png(3, 5)) == "png" and image_dimensions(make_png(3, 5)) == (3, 5)
    assert sniff_format(JPEG) == "jpeg" and image_dimensions(JPEG) == (64, 42)
    assert sniff_format(WEBP_VP8X) == "webp" and image_dimensions(WEBP_VP8X) == (100, 50)
    # GIF is an output format now (gpt-image-2.6); a header too short for its size has no dimensions.
    assert sniff_format(b"GIF89a") == "gif" and image_dimensions(b"GIF89a") is None
    assert sniff_format(b"BM6\x00") is None and image_dimensions(b"BM6\x00") is None
    assert image_dimensions(b"\x89PNG\r\n\x1a\n\x00") is None
