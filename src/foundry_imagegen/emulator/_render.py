"""Deterministic, prompt-derived pictures: a sky, a horizon with mountains, a sun and some shapes.

Speed rule: never loop over pixels in Python. Rows are built with slice assignment per shape span,
identical rows are shared, and channel shuffles use extended-slice assignment (C speed).
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

from ._png import PNG_SIGNATURE, PngUnsupported, Raster, decode_png, encode_png

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "PILLOW_HINT",
    "ImageDecodeError",
    "PillowMissing",
    "Scene",
    "blend",
    "build_scene",
    "convert_channels",
    "decode_image",
    "encode_image",
    "partial_scale",
    "pillow_available",
    "render",
    "render_edit",
    "resize_nearest",
    "sniff_format",
]

PILLOW_HINT = "install foundry-imagegen[pillow] (pip install 'foundry-imagegen[pillow]')"

RGB = tuple[int, int, int]


class PillowMissing(RuntimeError):
    """A JPEG/WebP operation was asked for but Pillow is not importable."""


class ImageDecodeError(ValueError):
    """Input image bytes could not be decoded."""


def pillow_available() -> bool:
    """True when ``PIL.Image`` imports (checked on each call so tests can hide Pillow via ``sys.modules``)."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def _hash_int(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _hls(h: float, lightness: float, s: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, s)
    return (round(r * 255), round(g * 255), round(b * 255))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


@dataclass(frozen=True)
class _Shape:
    # Geometry is in fractions of the canvas so the same scene renders at any size (and any partial scale).
    kind: str  # "circle" | "rect" | "mountain" | "vstripes" | "hstripes"
    color: RGB
    color2: RGB
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Scene:
    """Everything needed to draw one picture; derived only from the prompt, the seed and a salt."""

    sky_top: RGB
    sky_bottom: RGB
    ground_top: RGB
    ground_bottom: RGB
    horizon: float
    shapes: tuple[_Shape, ...]
    palette: tuple[RGB, ...] = field(default=())


def words_of(prompt: str) -> list[str]:
    """Lower-cased words of the prompt, in order, without duplicates."""
    seen: dict[str, None] = {}
    for w in re.findall(r"[a-z0-9]+", prompt.lower()):
        seen.setdefault(w, None)
    return list(seen)


_SHAPE_COUNT = {"low": 4, "medium": 7, "high": 10}


def build_scene(prompt: str, *, seed: int, quality: str = "medium", salt: str = "") -> Scene:
    """Derive a scene from the prompt words (palette) and a hash of prompt, seed and salt (layout).

    Example::

        scene = build_scene("a red fox at dusk", seed=0)
        len(scene.shapes) > 3  # True
    """
    words = words_of(prompt)
    palette: list[RGB] = []
    for w in words[:8]:
        hv = _hash_int("word", w, seed)
        palette.append(
            _hls((hv & 0xFFFF) / 0x10000, 0.42 + ((hv >> 16) & 0xFF) / 1275, 0.55 + ((hv >> 24) & 0xFF) / 850)
        )
    if not palette:
        palette.append(_hls(seed * 0.137, 0.5, 0.6))
    rng = random.Random(_hash_int("scene", prompt, seed, salt))
    while len(palette) < 3:
        palette.append(_hls(rng.random(), rng.uniform(0.35, 0.65), rng.uniform(0.5, 0.9)))
    sky = palette[0]
    ground = palette[-1]
    horizon = rng.uniform(0.55, 0.72)
    shapes: list[_Shape] = []
    # The sun/moon and the mountains make every picture read as a landscape of the prompt's colours.
    sun = _mix(palette[1 % len(palette)], (255, 240, 200), 0.35)
    shapes.append(_Shape("circle", sun, sun, rng.uniform(0.15, 0.85), rng.uniform(0.12, horizon - 0.2), 0.09, 0.09))
    for i in range(rng.randint(1, 3)):
        c = _mix(palette[(i + 1) % len(palette)], (30, 30, 40), 0.45)
        shapes.append(
            _Shape(
                "mountain",
                c,
                c,
                rng.uniform(0.1, 0.9),
                horizon,
                rng.uniform(0.18, 0.4),
                rng.uniform(0.15, 0.35),
            )
        )
    count = _SHAPE_COUNT.get(quality, 7) + min(len(words), 6)
    for i in range(count):
        c1 = palette[(i + 2) % len(palette)]
        c2 = _mix(c1, (255, 255, 255), 0.55)
        kind = rng.choice(("circle", "circle", "rect", "vstripes", "hstripes"))
        cx, cy = rng.uniform(0.05, 0.95), rng.uniform(0.1, 0.95)
        size = rng.uniform(0.04, 0.16)
        shapes.append(_Shape(kind, c1, c2, cx, cy, size * rng.uniform(0.7, 1.6), size * rng.uniform(0.7, 1.6)))
    return Scene(
        sky_top=_mix(sky, (255, 255, 255), 0.55),
        sky_bottom=_mix(sky, (255, 255, 255), 0.15),
        ground_top=_mix(ground, (0, 0, 0), 0.15),
        ground_bottom=_mix(ground, (0, 0, 0), 0.55),
        horizon=horizon,
        shapes=tuple(shapes),
        palette=tuple(palette),
    )


def _px(color: RGB, channels: int) -> bytes:
    return bytes(color) + (b"\xff" if channels == 4 else b"")


_RowOp = tuple[int, int, "Callable[[bytearray, int], None]"]


def _compile(shape: _Shape, width: int, height: int, channels: int) -> _RowOp | None:
    """Turn a fractional shape into (first row, end row, row painter) in pixel space."""
    c = channels
    unit = min(width, height)
    px = _px(shape.color, c)
    if shape.kind == "circle":
        cx, cy, r = shape.x * width, shape.y * height, max(shape.w * unit, 1.0)
        r2 = r * r

        def circle(row: bytearray, y: int) -> None:
            dy = y + 0.5 - cy
            if dy * dy >= r2:
                return
            dx = math.sqrt(r2 - dy * dy)
            x0, x1 = max(0, round(cx - dx)), min(width, round(cx + dx))
            if x1 > x0:
                row[x0 * c : x1 * c] = px * (x1 - x0)

        return max(0, math.floor(cy - r)), min(height, math.ceil(cy + r)), circle
    if shape.kind == "mountain":
        ax, base, half_w = shape.x * width, shape.y * height, shape.w * width
        apex = base - shape.h * height
        span_h = max(base - apex, 1.0)

        def mountain(row: bytearray, y: int) -> None:
            half = half_w * (y + 0.5 - apex) / span_h
            x0, x1 = max(0, round(ax - half)), min(width, round(ax + half))
            if x1 > x0:
                row[x0 * c : x1 * c] = px * (x1 - x0)

        return max(0, math.floor(apex)), min(height, math.ceil(base)), mountain
    x0 = max(0, round((shape.x - shape.w / 2) * width))
    x1 = min(width, round((shape.x + shape.w / 2) * width))
    y0 = max(0, round((shape.y - shape.h / 2) * height))
    y1 = min(height, round((shape.y + shape.h / 2) * height))
    if x1 <= x0 or y1 <= y0:
        return None
    n = x1 - x0
    stripe = max(1, round(unit * 0.012))
    px2 = _px(shape.color2, c)
    if shape.kind == "vstripes":
        reps = n // (2 * stripe) + 1
        seg = ((px * stripe + px2 * stripe) * reps)[: n * c]
    else:
        seg = px * n
    seg2 = px2 * n

    def rect(row: bytearray, y: int) -> None:
        alt = shape.kind == "hstripes" and ((y - y0) // stripe) % 2 == 1
        row[x0 * c : x1 * c] = seg2 if alt else seg

    return y0, y1, rect


def _background(scene: Scene, width: int, height: int, channels: int, transparent: bool) -> list[bytes]:
    if transparent:
        clear = bytes(width * channels)
        return [clear] * height
    horizon = round(scene.horizon * height)
    bands: dict[tuple[int, bool], bytes] = {}
    rows: list[bytes] = []
    sky_bands, ground_bands = 32, 16
    for y in range(height):
        if y < horizon:
            band = y * sky_bands // max(horizon, 1)
            key = (band, True)
        else:
            band = (y - horizon) * ground_bands // max(height - horizon, 1)
            key = (band, False)
        row = bands.get(key)
        if row is None:
            if key[1]:
                col = _mix(scene.sky_top, scene.sky_bottom, band / (sky_bands - 1))
            else:
                col = _mix(scene.ground_top, scene.ground_bottom, band / (ground_bands - 1))
            row = bands[key] = _px(col, channels) * width
        rows.append(row)
    return rows


def _paint(rows: list[bytes], shapes: Sequence[_Shape], width: int, height: int, channels: int) -> list[bytes]:
    ops = [op for op in (_compile(s, width, height, channels) for s in shapes) if op is not None]
    out = list(rows)
    for y in range(height):
        active = [paint for (y0, y1, paint) in ops if y0 <= y < y1]
        if active:
            row = bytearray(out[y])
            for paint in active:
                paint(row, y)
            out[y] = bytes(row)
    return out


def _upscale(small: Raster, factor: int, width: int, height: int) -> Raster:
    c = small.channels
    rows: list[bytes] = []
    done: dict[int, bytes] = {}
    step = factor * c
    for srow in small.rows:
        big = done.get(id(srow))
        if big is None:
            out = bytearray(small.width * step)
            for k in range(factor):
                for ch in range(c):
                    out[k * c + ch :: step] = srow[ch::c]
            big = done[id(srow)] = bytes(out[: width * c])
        rows.extend([big] * factor)
        if len(rows) >= height:
            break
    return Raster(width, height, c, rows[:height])


def partial_scale(index: int) -> int:
    """Pixel block size of partial image ``index`` (0 → 16, 1 → 8, 2 → 4, ...)."""
    return max(2, 16 >> index)


def render(
    scene: Scene,
    width: int,
    height: int,
    *,
    transparent: bool = False,
    scale: int = 1,
    shape_fraction: float = 1.0,
) -> Raster:
    """Draw ``scene``. ``scale`` > 1 draws at 1/scale and enlarges by pixel repetition (coarse partials);
    ``shape_fraction`` < 1 keeps only the first part of the shapes.

    Example::

        raster = render(build_scene("a cat", seed=1), 1024, 1024)
        png = encode_image(raster, "png")
    """
    channels = 4 if transparent else 3
    shapes = scene.shapes[: max(1, math.ceil(len(scene.shapes) * shape_fraction))]
    if scale > 1:
        sw, sh = -(-width // scale), -(-height // scale)
        small = render(scene, sw, sh, transparent=transparent, shape_fraction=shape_fraction)
        return _upscale(small, scale, width, height)
    rows = _background(scene, width, height, channels, transparent)
    return Raster(width, height, channels, _paint(rows, shapes, width, height, channels))


_HALF_UP = bytes((i + 1) // 2 for i in range(256))
_HALF_DOWN = bytes(i // 2 for i in range(256))


def blend(a: bytes, b: bytes) -> bytes:
    """Byte-wise 50 % mix of two equal-length rows; exact where they are equal.

    Halving first (rounding up on one side, down on the other) means no byte sum exceeds 255, so a
    single big-integer addition mixes the whole row without carries between bytes.
    """
    if a == b:
        return a
    n = len(a)
    return (int.from_bytes(a.translate(_HALF_UP), "big") + int.from_bytes(b.translate(_HALF_DOWN), "big")).to_bytes(
        n, "big"
    )


def convert_channels(raster: Raster, channels: int) -> Raster:
    """RGB ↔ RGBA (alpha 255 added, or alpha dropped)."""
    if raster.channels == channels:
        return raster
    w = raster.width
    out_rows: list[bytes] = []
    done: dict[int, bytes] = {}
    for row in raster.rows:
        conv = done.get(id(row))
        if conv is None:
            out = bytearray(w * channels)
            for ch in range(3):
                out[ch::channels] = row[ch :: raster.channels]
            if channels == 4:
                out[3::4] = b"\xff" * w
            conv = done[id(row)] = bytes(out)
        out_rows.append(conv)
    return Raster(w, raster.height, channels, out_rows)


def resize_nearest(raster: Raster, width: int, height: int) -> Raster:
    """Nearest-neighbour resize; rows that map to the same source row are shared."""
    if (raster.width, raster.height) == (width, height):
        return raster
    c = raster.channels
    xs = [x * raster.width // width for x in range(width)]
    pick: Callable[[bytes], Sequence[int]]
    if width == 1:
        only = xs[0]

        def pick(chan: bytes) -> Sequence[int]:
            return (chan[only],)

    else:
        pick = itemgetter(*xs)
    done: dict[int, bytes] = {}
    rows: list[bytes] = []
    for y in range(height):
        sy = y * raster.height // height
        row = done.get(sy)
        if row is None:
            src = raster.rows[sy]
            out = bytearray(width * c)
            for ch in range(c):
                out[ch::c] = bytes(pick(src[ch::c]))
            row = done[sy] = bytes(out)
        rows.append(row)
    return Raster(width, height, c, rows)


def render_edit(
    base: Raster,
    mask: Raster | None,
    scene: Scene,
    width: int,
    height: int,
    *,
    transparent: bool,
) -> Raster:
    """Edit ``base`` (resized to width x height) with ``scene``.

    With a mask (same size as ``base``, alpha 0 = editable) the editable pixels are replaced by a fresh
    render of the scene and every other pixel keeps its base value. Without a mask the scene's shapes
    are drawn over the base and mixed 50 % with it, so the whole picture may change.
    """
    channels = 4 if transparent else 3
    src = resize_nearest(convert_channels(base, channels), width, height)
    if mask is None:
        painted = _paint(src.rows, scene.shapes[4:] or scene.shapes, width, height, channels)
        return Raster(width, height, channels, [blend(a, b) for a, b in zip(src.rows, painted, strict=True)])
    fresh = render(scene, width, height, transparent=transparent)
    m = resize_nearest(convert_channels(mask, 4), width, height)
    zero_runs = re.compile(rb"\x00+")
    rows: list[bytes] = []
    for y in range(height):
        runs = [(mt.start(), mt.end()) for mt in zero_runs.finditer(m.rows[y][3::4])]
        if not runs:
            rows.append(src.rows[y])
            continue
        row = bytearray(src.rows[y])
        frow = fresh.rows[y]
        for s, e in runs:
            row[s * channels : e * channels] = frow[s * channels : e * channels]
        rows.append(bytes(row))
    return Raster(width, height, channels, rows)


def encode_image(raster: Raster, output_format: str, *, compression: int = 100) -> bytes:
    """Encode to ``png`` (standard library) or ``jpeg``/``webp`` (Pillow; ``compression`` is the quality).

    Raises :class:`PillowMissing` for JPEG/WebP when Pillow is not installed.
    """
    if output_format == "png":
        return encode_png(raster)
    if not pillow_available():
        raise PillowMissing(f"output_format '{output_format}' needs Pillow in the emulator: {PILLOW_HINT}")
    from PIL import Image

    mode = "RGBA" if raster.channels == 4 else "RGB"
    img = Image.frombytes(mode, (raster.width, raster.height), raster.tobytes())
    buf = io.BytesIO()
    if output_format == "jpeg":
        img.convert("RGB").save(buf, "JPEG", quality=compression)
    elif output_format == "webp":
        img.save(buf, "WEBP", quality=compression, method=0)
    else:
        raise ValueError(f"unknown output format {output_format!r}")
    return buf.getvalue()


def sniff_format(data: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp``, ``gif`` from magic bytes, else None."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def decode_image(data: bytes) -> Raster:
    """Decode input image bytes to an RGB/RGBA raster.

    Plain 8-bit PNGs decode with the standard library; anything else needs Pillow, and without it
    :class:`PillowMissing` names the extra to install.
    """
    if not data:
        raise ImageDecodeError("the image is empty")
    if data.startswith(PNG_SIGNATURE):
        try:
            return decode_png(data)
        except PngUnsupported:
            if not pillow_available():
                raise PillowMissing(f"this PNG variant needs Pillow in the emulator: {PILLOW_HINT}") from None
        except ValueError as exc:
            raise ImageDecodeError(str(exc)) from None
    elif sniff_format(data) is None:
        raise ImageDecodeError("unrecognised image format (expected PNG, JPEG, WebP or GIF)")
    elif not pillow_available():
        raise PillowMissing(f"decoding {sniff_format(data)} input images needs Pillow in the emulator: {PILLOW_HINT}")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            conv = img.convert("RGBA" if has_alpha else "RGB")
            raw = conv.tobytes()
            w, h = conv.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageDecodeError(f"could not decode the image: {exc}") from None
    c = 4 if has_alpha else 3
    stride = w * c
    return Raster(w, h, c, [raw[i * stride : (i + 1) * stride] for i in range(h)])
