"""What checking that an image is whole costs: ``image_problem`` on a 2 MB PNG and a 2 MB JPEG.

Every image the service sends (partials and finals) is checked before it is handed out or saved, so this
cost is paid once per image. The images are made of noise so that they do not compress: a 2 MB PNG of
noise has one large IDAT chunk (one CRC pass), a 2 MB JPEG of noise has many 0xFF bytes to step over in
its scan data (its worst case). Prints the median of N runs per format, in milliseconds and MB/s.

Run: ``.venv/bin/python benchmarks/image_check.py [--runs 31]``; ``--smoke`` runs each check once quickly.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import struct
import time
import zlib

from foundry_imagegen._core.images import image_problem

TARGET = 2 * 1024 * 1024


def noise_png(size: int) -> bytes:
    """A valid PNG of about ``size`` bytes (random pixels, stored with no compression gain)."""
    width = 1024
    height = max(1, size // (width * 3))
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")


def noise_jpeg(size: int) -> bytes:
    """A valid JPEG of about ``size`` bytes (Pillow, noise at high quality)."""
    from PIL import Image

    side = 256
    while True:
        buffer = io.BytesIO()
        Image.effect_noise((side, side), 120).convert("RGB").save(buffer, "JPEG", quality=95)
        if buffer.tell() >= size:
            return buffer.getvalue()
        side = int(side * 1.1)


def median_ms(data: bytes, fmt: str, runs: int) -> float:
    assert image_problem(data, fmt) is None  # type: ignore[arg-type]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        image_problem(data, fmt)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--smoke", action="store_true", help="one run of each, with small images")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    size = 64 * 1024 if args.smoke else TARGET
    for fmt, data in (("png", noise_png(size)), ("jpeg", noise_jpeg(size))):
        ms = median_ms(data, fmt, runs)
        rate = len(data) / 1e6 / (ms / 1000) if ms else float("inf")
        print(f"{fmt:5} {len(data) / 1e6:6.2f} MB  median of {runs:3}: {ms:7.3f} ms  ({rate:,.0f} MB/s)")


if __name__ == "__main__":
    main()
