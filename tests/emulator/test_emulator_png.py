"""The standard-library PNG codec, checked against a reference filter implementation and Pillow."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundry_imagegen.emulator._png import (
    PNG_SIGNATURE,
    PngError,
    PngUnsupported,
    Raster,
    add_bytes,
    decode_png,
    encode_png,
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter_row(ftype: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    """Reference (slow, obviously correct) PNG filtering, the inverse of what the decoder does."""
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, _paeth(a, b, c)][ftype]
        out[i] = (x - pred) & 255
    return bytes(out)


def _make_png(width: int, height: int, color_type: int, rows: list[bytes], filters: list[int], **extra: bytes) -> bytes:
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    raw = bytearray()
    prev = bytes(width * bpp)
    for y, row in enumerate(rows):
        f = filters[y % len(filters)]
        raw += bytes([f]) + _filter_row(f, row, prev, bpp)
        prev = row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    chunks = _chunk(b"IHDR", ihdr)
    for kind in ("PLTE", "tRNS"):
        if kind in extra:
            chunks += _chunk(kind.encode(), extra[kind])
    # Split IDAT in two to exercise multi-chunk image data.
    data = zlib.compress(bytes(raw))
    half = len(data) // 2
    chunks += _chunk(b"IDAT", data[:half]) + _chunk(b"IDAT", data[half:])
    return PNG_SIGNATURE + chunks + _chunk(b"IEND", b"")


def _random_rows(rng: random.Random, width: int, height: int, channels: int) -> list[bytes]:
    return [bytes(rng.randrange(256) for _ in range(width * channels)) for _ in range(height)]


@pytest.mark.parametrize("ftype", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("channels", [3, 4])
def test_decoder_handles_every_filter_type(ftype: int, channels: int) -> None:
    rng = random.Random(ftype * 10 + channels)
    rows = _random_rows(rng, 13, 7, channels)
    png = _make_png(13, 7, 6 if channels == 4 else 2, rows, [ftype])
    raster = decode_png(png)
    assert (raster.width, raster.height, raster.channels) == (13, 7, channels)
    assert raster.rows == rows


def test_decoder_handles_mixed_filters_per_row() -> None:
    rng = random.Random(7)
    rows = _random_rows(rng, 9, 10, 4)
    assert decode_png(_make_png(9, 10, 6, rows, [4, 3, 2, 1, 0])).rows == rows


def test_gray_and_gray_alpha_expand_to_rgb_and_rgba() -> None:
    gray = [bytes([0, 128, 255]), bytes([1, 2, 3])]
    r = decode_png(_make_png(3, 2, 0, gray, [1]))
    assert r.channels == 3
    assert r.pixel(1, 0) == (128, 128, 128)
    ga = [bytes([10, 0, 20, 255])]
    r = decode_png(_make_png(2, 1, 4, ga, [0]))
    assert r.channels == 4
    assert r.pixel(0, 0) == (10, 10, 10, 0)
    assert r.pixel(1, 0) == (20, 20, 20, 255)


def test_palette_with_and_without_transparency() -> None:
    plte = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255])
    rows = [bytes([0, 1, 2])]
    r = decode_png(_make_png(3, 1, 3, rows, [0], PLTE=plte))
    assert r.channels == 3
    assert [r.pixel(x, 0) for x in range(3)] == [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    r = decode_png(_make_png(3, 1, 3, rows, [0], PLTE=plte, tRNS=bytes([0])))
    assert r.channels == 4
    assert r.pixel(0, 0) == (255, 0, 0, 0)
    assert r.pixel(2, 0) == (0, 0, 255, 255)


def test_roundtrip_through_own_encoder() -> None:
    rng = random.Random(1)
    for channels in (3, 4):
        rows = _random_rows(rng, 17, 5, channels)
        raster = Raster(17, 5, channels, rows)
        assert decode_png(encode_png(raster)) == raster


def test_pillow_reads_our_png_and_we_read_pillows() -> None:
    Image = pytest.importorskip("PIL.Image")
    rng = random.Random(3)
    rows = _random_rows(rng, 31, 11, 4)
    img = Image.open(io.BytesIO(encode_png(Raster(31, 11, 4, rows))))
    assert img.mode == "RGBA"
    assert img.tobytes() == b"".join(rows)
    # Pillow picks filters adaptively per row, so this covers real-world filter mixes.
    for mode in ("RGB", "RGBA", "L", "LA", "P"):
        src = Image.frombytes("RGBA", (31, 11), b"".join(rows)).convert(mode)
        buf = io.BytesIO()
        src.save(buf, "PNG", optimize=True)
        decoded = decode_png(buf.getvalue())
        expected = src.convert("RGBA" if decoded.channels == 4 else "RGB").tobytes()
        assert decoded.tobytes() == expected, mode


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"GIF89a" + b[6:], "signature"),
        (lambda b: b[:-14], "truncated"),
        (lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:], "CRC"),
    ],
)
def test_broken_files_raise_png_error(mutate, message: str) -> None:
    good = encode_png(Raster(2, 2, 3, [bytes(6), bytes(6)]))
    with pytest.raises(PngError, match=message):
        decode_png(mutate(good))


def test_unsupported_variants_raise_png_unsupported() -> None:
    ihdr16 = struct.pack(">IIBBBBB", 1, 1, 16, 2, 0, 0, 0)
    png16 = PNG_SIGNATURE + _chunk(b"IHDR", ihdr16) + _chunk(b"IDAT", zlib.compress(bytes(7))) + _chunk(b"IEND", b"")
    with pytest.raises(PngUnsupported):
        decode_png(png16)
    ihdr_i = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 1)
    png_i = PNG_SIGNATURE + _chunk(b"IHDR", ihdr_i) + _chunk(b"IDAT", zlib.compress(bytes(4))) + _chunk(b"IEND", b"")
    with pytest.raises(PngUnsupported):
        decode_png(png_i)


def test_bad_filter_byte_is_an_error() -> None:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    png = PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x09abc")) + _chunk(b"IEND", b"")
    with pytest.raises(PngError, match="filter"):
        decode_png(png)


@settings(max_examples=60, deadline=None)
@given(
    st.binary(min_size=1, max_size=64).flatmap(
        lambda a: st.tuples(st.just(a), st.binary(min_size=len(a), max_size=len(a)))
    )
)
def test_add_bytes_is_bytewise_modular_addition(pair: tuple[bytes, bytes]) -> None:
    a, b = pair
    assert add_bytes(a, b) == bytes((x + y) & 255 for x, y in zip(a, b, strict=True))
