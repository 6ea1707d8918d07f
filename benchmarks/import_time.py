"""Cold import cost of foundry_imagegen next to its own dependencies, measured side by side.

``import foundry_imagegen`` resolves public names lazily (PEP 562), so the rows below it show what a
program pays once it touches the clients, which is the figure that matters in practice.

Each figure is the median wall time of N fresh interpreters (``python -c 'import ...'``), minus the
median of a bare interpreter, so only the import itself counts. Goal (issue 2): at most ~1.2x of
``import httpx, pydantic, tenacity``.

Run: ``.venv/bin/python benchmarks/import_time.py [--runs 15]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "bare interpreter": "pass",
    "httpx, pydantic, tenacity": "import httpx, pydantic, tenacity",
    "foundry_imagegen": "import foundry_imagegen",
    "httpx, tenacity, pydantic.BaseModel": "import httpx, tenacity; from pydantic import BaseModel",
    "... + FoundryClient, ImageGenerationTool": ("from foundry_imagegen import FoundryClient, ImageGenerationTool"),
    "... + AsyncFoundryClient": "from foundry_imagegen import AsyncFoundryClient",
    "foundry_imagegen + emulator": "import foundry_imagegen.emulator",
    "azure.identity (for scale)": "import azure.identity",
}


def timed(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def measure(runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        # Interleaved, so that machine noise hits every case alike.
        for name, code in CASES.items():
            samples[name].append(timed(code))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    medians = measure(args.runs)
    bare = medians["bare interpreter"]
    deps = medians["httpx, pydantic, tenacity"] - bare
    print(f"{'import':44} {'median ms':>10} {'net ms':>8} {'x deps':>7}")
    for name, value in medians.items():
        net = value - bare
        ratio = f"{net / deps:6.2f}x" if name != "bare interpreter" and deps > 0 else "      -"
        print(f"{name:44} {value * 1000:10.1f} {net * 1000:8.1f} {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
