"""Helpers of the end-to-end tests: decode what came back, and read what the emulator received."""

from __future__ import annotations

import io
from typing import Any, cast

from PIL import Image

from foundry_imagegen import GeneratedImage
from foundry_imagegen.emulator import Emulator

STREAM_PROMPT = "a lighthouse at dusk over a stormy sea"


def pil(image: GeneratedImage | bytes) -> Image.Image:
    """Decode an image (a GeneratedImage or its bytes) with Pillow, fully loaded."""
    data = image if isinstance(image, bytes) else image.data
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    return decoded


def band_extrema(image: Image.Image) -> tuple[tuple[float, float], ...]:
    """``getextrema()`` of a multi-band image: (low, high) per band (its type also covers one-band images)."""
    extrema = image.getextrema()
    assert all(isinstance(band, tuple) for band in extrema), f"{image.mode} has one band"
    return cast("tuple[tuple[float, float], ...]", extrema)


def responses_posts(emu: Emulator) -> list[Any]:
    """The POSTs to .../responses the emulator received, in order."""
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/responses")]
