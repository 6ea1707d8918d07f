"""How long the emulator takes to answer one image request, per size and format, over loopback HTTP.

Each cell is the median wall time of N requests (request sent -> full JSON answer received), with a fresh
prompt each time so no cache helps. Pillow is needed for the JPEG and WebP columns (dev extra).

Run: ``.venv/bin/python benchmarks/emulator_images.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time

import httpx

from foundry_imagegen.emulator import Emulator

SIZES = [
    ("1024x1024", "gpt-image-2"),
    ("1024x1536", "gpt-image-2"),
    ("1536x1024", "gpt-image-2"),
    ("2048x1152", "gpt-image-2"),
    ("3840x2160", "gpt-image-2"),
]
FORMATS = [("png", "opaque"), ("png", "transparent"), ("jpeg", "opaque"), ("webp", "opaque")]


def one(client: httpx.Client, url: str, size: str, deployment: str, fmt: str, background: str, n: int) -> float:
    body = {
        "model": "gpt-5.1",
        "input": f"a lighthouse on a cliff, variation {n}",
        "tools": [{"type": "image_generation", "size": size, "output_format": fmt, "background": background}],
    }
    start = time.perf_counter()
    response = client.post(url, json=body, headers={"x-ms-oai-image-generation-deployment": deployment})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    pillow = importlib.util.find_spec("PIL") is not None
    formats = FORMATS if pillow else FORMATS[:2]
    with Emulator() as emulator, httpx.Client(timeout=60) as client:
        url = emulator.endpoint + "/openai/v1/responses"
        header = "".join(f"{fmt + (' transparent' if bg == 'transparent' else ''):>18}" for fmt, bg in formats)
        print(f"{'size':12}{header}   (median ms of {args.runs}, request to full answer)")
        counter = 0
        for size, deployment in SIZES:
            cells = []
            for fmt, background in formats:
                times = []
                for _ in range(args.runs):
                    counter += 1
                    times.append(one(client, url, size, deployment, fmt, background, counter))
                cells.append(f"{statistics.median(times) * 1000:18.1f}")
            print(f"{size:12}{''.join(cells)}")
    if not pillow:
        print("(install Pillow for the JPEG and WebP columns)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
