"""GIF and SVG answers, written by hand: an animated GIF89a from a rendered raster, an SVG from a scene.

The GIF encoder avoids LZW compression on purpose: with a 128-colour palette every code is 8 bits wide,
so the code stream is the pixel indices themselves, with a clear code every 100 pixels keeping the code
width from growing. Files are larger than a real encoder's, but they are valid and cost no Python loop
per pixel. Frames after the first only repaint a small moving patch.
"""

from __future__ import annotations

import struct
from xml.sax.saxutils import escape, quoteattr

from ._png import Raster, add_bytes
from ._render import Scene, convert_channels

__all__ = ["encode_gif", "render_svg"]

_CLEAR, _END = 0x80, 0x81
_RUN = 100  # literal codes between clear codes; the code width would grow after 126
# RGB 2-3-2 bits -> palette index 0..127 (the fields do not overlap, so adding them is OR-ing them).
_R = bytes((v >> 6) << 5 for v in range(256))
_G = bytes((v >> 5) << 2 for v in range(256))
_B = bytes(v >> 6 for v in range(256))
_PALETTE = b"".join(bytes((((i >> 5) & 3) * 85, ((i >> 2) & 7) * 255 // 7, (i & 3) * 85)) for i in range(128))


def _indices(raster: Raster) -> bytes:
    raw = convert_channels(raster, 3).tobytes() if raster.channels != 3 else raster.tobytes()
    return add_bytes(add_bytes(raw[0::3].translate(_R), raw[1::3].translate(_G)), raw[2::3].translate(_B))


def _image_data(indices: bytes) -> bytes:
    codes = b"".join(bytes((_CLEAR,)) + indices[i : i + _RUN] for i in range(0, len(indices), _RUN))
    codes += bytes((_END,))
    blocks = b"".join(bytes((len(codes[i : i + 255]),)) + codes[i : i + 255] for i in range(0, len(codes), 255))
    return b"\x07" + blocks + b"\x00"


def _frame(x: int, y: int, w: int, h: int, indices: bytes, delay_cs: int) -> bytes:
    # Graphic control: disposal 1 ("leave in place"), so later frames only repaint their patch.
    control = b"\x21\xf9\x04\x04" + struct.pack("<H", delay_cs) + b"\x00\x00"
    return control + b"\x2c" + struct.pack("<HHHH", x, y, w, h) + b"\x00" + _image_data(indices)


def encode_gif(raster: Raster, scene: Scene, *, frame_count: int, frame_duration_ms: int) -> bytes:
    """A looping animated GIF89a: ``raster`` as frame 1, then a patch in the scene's colours moving along.

    :param raster: the full first frame (alpha is dropped: a GIF pixel is opaque or fully transparent).
    :param scene: supplies the patch colours.
    :param frame_count: number of frames (>= 1).
    :param frame_duration_ms: display time of each frame; GIF stores centiseconds.
    """
    w, h = raster.width, raster.height
    delay = max(1, round(frame_duration_ms / 10))
    screen = b"GIF89a" + struct.pack("<HH", w, h) + b"\xf6\x00\x00" + _PALETTE
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frames = [_frame(0, 0, w, h, _indices(raster), delay)]
    pw, ph = max(1, w // 8), max(1, h // 8)
    colours = scene.palette or ((255, 255, 255),)
    for k in range(1, frame_count):
        r, g, b = colours[k % len(colours)]
        index = _R[r] + _G[g] + _B[b]
        x = (k * (w - pw)) // max(1, frame_count - 1)
        y = int(scene.horizon * (h - ph))
        frames.append(_frame(x, y, pw, ph, bytes((index,)) * (pw * ph), delay))
    return screen + loop + b"".join(frames) + b"\x3b"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def render_svg(scene: Scene, width: int, height: int, *, transparent: bool, title: str) -> bytes:
    """The scene as an SVG document (UTF-8): sky and ground gradients, sun, mountains and shapes.

    :param scene: what to draw.
    :param width: canvas width in pixels.
    :param height: canvas height in pixels.
    :param transparent: leave the background out.
    :param title: text of the ``<title>`` element (the revised prompt).
    """
    unit = min(width, height)
    horizon = scene.horizon * height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        '<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{_hex(scene.sky_top)}"/><stop offset="1" stop-color="{_hex(scene.sky_bottom)}"/>'
        '</linearGradient><linearGradient id="ground" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{_hex(scene.ground_top)}"/>'
        f'<stop offset="1" stop-color="{_hex(scene.ground_bottom)}"/></linearGradient></defs>',
    ]
    if not transparent:
        parts.append(f'<rect width="{width}" height="{horizon:.1f}" fill="url(#sky)"/>')
        parts.append(f'<rect y="{horizon:.1f}" width="{width}" height="{height - horizon:.1f}" fill="url(#ground)"/>')
    for s in scene.shapes:
        fill = quoteattr(_hex(s.color))
        if s.kind == "circle":
            r = max(s.w * unit, 1.0)
            parts.append(f'<circle cx="{s.x * width:.1f}" cy="{s.y * height:.1f}" r="{r:.1f}" fill={fill}/>')
        elif s.kind == "mountain":
            ax, base, half = s.x * width, s.y * height, s.w * width
            apex = base - s.h * height
            points = f"{ax - half:.1f},{base:.1f} {ax:.1f},{apex:.1f} {ax + half:.1f},{base:.1f}"
            parts.append(f'<polygon points="{points}" fill={fill}/>')
        else:
            x, y = (s.x - s.w / 2) * width, (s.y - s.h / 2) * height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{s.w * width:.1f}" height="{s.h * height:.1f}" fill={fill} '
                f'stroke={quoteattr(_hex(s.color2))} stroke-width="{max(1, round(unit * 0.012))}"/>'
            )
    parts.append("</svg>")
    return "\n".join(parts).encode("utf-8")
