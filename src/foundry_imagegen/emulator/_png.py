"""Minimal PNG encoder/decoder on the standard library (zlib + struct).

Pixels live in :class:`Raster`: a list of row byte strings, 8 bits per channel, RGB (3) or RGBA (4).
Rows are immutable ``bytes`` so that identical rows can be shared, which is what keeps the renderer fast.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

__all__ = ["PNG_SIGNATURE", "PngError", "PngUnsupported", "Raster", "decode_png", "encode_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PngError(ValueError):
    """The bytes are not a well-formed PNG."""


class PngUnsupported(PngError):
    """A valid PNG that this decoder does not handle (interlaced, 16-bit, low bit depth)."""


@dataclass
class Raster:
    """An 8-bit image held as rows of packed pixels.

    Example::

        r = Raster(2, 1, 3, [b"\\xff\\x00\\x00\\x00\\x00\\xff"])  # a red and a blue pixel
        r.pixel(1, 0)  # (0, 0, 255)
    """

    width: int
    height: int
    channels: int  # 3 = RGB, 4 = RGBA
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        """Channel values of one pixel (for tests and debugging, not for bulk work)."""
        c = self.channels
        return tuple(self.rows[y][x * c : x * c + c])

    def tobytes(self) -> bytes:
        """All rows concatenated (what Pillow's ``frombytes`` expects)."""
        return b"".join(self.rows)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(raster: Raster, *, level: int = 2) -> bytes:
    """Encode ``raster`` as a non-interlaced 8-bit RGB/RGBA PNG.

    Every scanline uses filter type 0: the renderer's output is made of long uniform runs, which deflate
    squeezes well without filtering, and it avoids per-byte Python work.

    Example::

        png = encode_png(Raster(1, 1, 3, [b"\\x00\\x80\\xff"]))
        assert png.startswith(PNG_SIGNATURE)
    """
    if raster.channels not in (3, 4):
        raise ValueError("only RGB and RGBA rasters can be encoded")
    color_type = 6 if raster.channels == 4 else 2
    ihdr = struct.pack(">IIBBBBB", raster.width, raster.height, 8, color_type, 0, 0, 0)
    # b"\0".join puts the filter byte 0 in front of every row in a single C-level pass.
    raw = b"\x00".join([b"", *raster.rows])
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, level)) + _chunk(b"IEND", b"")


@lru_cache(maxsize=64)
def _masks(n: int) -> tuple[int, int]:
    return int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")


def add_bytes(a: bytes, b: bytes) -> bytes:
    """Byte-wise ``(a[i] + b[i]) % 256`` done on big integers (SWAR), so there is no per-byte loop."""
    n = len(a)
    low, high = _masks(n)
    x = int.from_bytes(a, "big")
    y = int.from_bytes(b, "big")
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(n, "big")


_AND255 = (255).__and__


def _unfilter_sub(cur: bytes, bpp: int) -> bytes:
    out = bytearray(len(cur))
    for c in range(bpp):
        # accumulate() and map() run in C; masking afterwards equals summing modulo 256.
        out[c::bpp] = bytes(map(_AND255, accumulate(cur[c::bpp])))
    return bytes(out)


def _unfilter_avg(cur: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray(cur)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        out[i] = (out[i] + ((left + prev[i]) >> 1)) & 255
    return bytes(out)


def _unfilter_paeth(cur: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray(cur)
    for i in range(len(out)):
        if i >= bpp:
            a = out[i - bpp]
            c = prev[i - bpp]
        else:
            a = c = 0
        b = prev[i]
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (out[i] + pred) & 255
    return bytes(out)


def _expand(row: bytes, color_type: int, width: int, palette: list[bytes] | None) -> bytes:
    if color_type in (2, 6):
        return row
    if color_type == 0:
        out = bytearray(width * 3)
        out[0::3] = out[1::3] = out[2::3] = row
        return bytes(out)
    if color_type == 4:
        out = bytearray(width * 4)
        gray = row[0::2]
        out[0::4] = out[1::4] = out[2::4] = gray
        out[3::4] = row[1::2]
        return bytes(out)
    assert palette is not None
    try:
        return b"".join(map(palette.__getitem__, row))
    except IndexError:
        raise PngError("palette index out of range") from None


def decode_png(data: bytes) -> Raster:
    """Decode a non-interlaced 8-bit PNG (gray, gray+alpha, RGB, RGBA or palette) into an RGB/RGBA raster.

    All five scanline filters are supported. Raises :class:`PngUnsupported` for valid files outside that
    subset (callers may then try Pillow) and :class:`PngError` for broken ones.

    Example::

        raster = decode_png(encode_png(Raster(1, 1, 4, [b"\\x01\\x02\\x03\\x00"])))
        assert raster.pixel(0, 0) == (1, 2, 3, 0)
    """
    if not data.startswith(PNG_SIGNATURE):
        raise PngError("not a PNG file (bad signature)")
    pos = len(PNG_SIGNATURE)
    header: tuple[int, ...] | None = None
    idat: list[bytes] = []
    plte: bytes | None = None
    trns: bytes | None = None
    while True:
        if pos + 8 > len(data):
            raise PngError("truncated PNG (no IEND chunk)")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        crc_bytes = data[pos + 8 + length : pos + 12 + length]
        if len(body) != length or len(crc_bytes) != 4:
            raise PngError("truncated PNG chunk")
        if struct.unpack(">I", crc_bytes)[0] != zlib.crc32(kind + body):
            raise PngError(f"CRC mismatch in {kind.decode('latin-1')} chunk")
        pos += 12 + length
        if kind == b"IHDR":
            if length != 13:
                raise PngError("bad IHDR length")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            plte = body
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise PngError("missing IHDR chunk")
    width, height, depth, color_type, compression, filter_method, interlace = header
    if width == 0 or height == 0 or compression != 0 or filter_method != 0:
        raise PngError("invalid IHDR values")
    if interlace != 0:
        raise PngUnsupported("interlaced PNGs are not supported by the built-in decoder")
    if depth != 8:
        raise PngUnsupported(f"bit depth {depth} is not supported by the built-in decoder")
    in_channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color_type)
    if in_channels is None:
        raise PngError(f"invalid color type {color_type}")
    palette: list[bytes] | None = None
    out_channels = {0: 3, 2: 3, 4: 4, 6: 4}.get(color_type, 3)
    if color_type == 3:
        if plte is None or len(plte) % 3:
            raise PngError("palette image without a valid PLTE chunk")
        entries = [plte[i : i + 3] for i in range(0, len(plte), 3)]
        if trns:
            out_channels = 4
            alphas = trns + b"\xff" * (len(entries) - len(trns))
            palette = [e + alphas[i : i + 1] for i, e in enumerate(entries)]
        else:
            palette = entries
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as exc:
        raise PngError(f"corrupt image data: {exc}") from None
    bpp = in_channels
    stride = width * bpp
    if len(raw) < (stride + 1) * height:
        raise PngError("image data shorter than the declared size")
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        cur = raw[start + 1 : start + 1 + stride]
        if ftype == 0:
            row = cur
        elif ftype == 1:
            row = _unfilter_sub(cur, bpp)
        elif ftype == 2:
            row = add_bytes(cur, prev)
        elif ftype == 3:
            row = _unfilter_avg(cur, prev, bpp)
        elif ftype == 4:
            # With an all-zero previous row Paeth always predicts "left", i.e. it is Sub.
            row = _unfilter_sub(cur, bpp) if not any(prev) else _unfilter_paeth(cur, prev, bpp)
        else:
            raise PngError(f"invalid filter type {ftype} on row {y}")
        rows.append(_expand(row, color_type, width, palette))
        prev = row
    return Raster(width, height, out_channels, rows)
