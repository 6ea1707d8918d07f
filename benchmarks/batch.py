"""Batch pacing against a quota: wall time versus the quota-limited ideal, 429s earned, two deployments, kill -9.

Goals: one deployment at R requests a minute and latency L finishes N items in at most 1.05x the ideal
``(N - 1) * 60 / R + L`` and earns no 429; two deployments give at least 1.9x the throughput of one
(items per second once the pipeline is full: ``N / (wall - L)``);
kill -9 at a random point then resume does every item once, and every POST beyond one an item is reported
as "may have been billed twice" (direct mode). In background mode (``background=True``) the resume polls
every item whose response id was journaled: killed while the generations run, it sends 0 duplicate POSTs;
killed during the creates, only a create cut in flight is sent again, and it is reported.

The quota and the latency come from the emulator (``Emulator(rpm={...}, latency=...)``) when it has
those options; until then from a small transport in front of it here, which answers 429 with Retry-After
the way the service does (a bucket refilled at R/60 a second holding one second's worth).

Run: ``.venv/bin/python benchmarks/batch.py [--items 200 --rpm 600 --latency 2] [--smoke]``
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from foundry_imagegen import FoundryClient
from foundry_imagegen.emulator import Emulator

DEPLOYMENTS = ["gpt-image-2", "gpt-image-1-mini"]


class QuotaTransport(httpx.BaseTransport):
    """Adds latency and a per-deployment request quota in front of a real transport."""

    def __init__(self, rpm: float, latency: float) -> None:
        self.inner = httpx.HTTPTransport()
        self.rpm = rpm
        self.latency = latency
        self.capacity = max(1.0, rpm / 60.0)
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()
        self.refused = 0

    def _admit(self, deployment: str) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(deployment, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rpm / 60.0)
            if tokens < 1.0:
                self.buckets[deployment] = (tokens, now)
                self.refused += 1
                return False
            self.buckets[deployment] = (tokens - 1.0, now)
            return True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/responses"):
            deployment = request.headers.get("x-ms-oai-image-generation-deployment", "")
            if not self._admit(deployment):
                body = {"error": {"code": "429", "message": "Requests have exceeded the rate limit. Retry after 1 s."}}
                return httpx.Response(429, json=body, headers={"retry-after": "1"}, request=request)
            time.sleep(self.latency)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


_SERVE = textwrap.dedent(
    """
    import json, sys
    from foundry_imagegen.emulator import Emulator

    rpm, latency, deployments = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
    try:
        emulator, native = Emulator(rpm=dict.fromkeys(deployments, round(rpm)), latency=latency), True
    except TypeError:  # the emulator without quota options: the benchmark's transport plays the quota
        emulator, native = Emulator(), False
    with emulator:
        print("READY", emulator.endpoint, "native" if native else "proxy", flush=True)
        sys.stdin.read()
    """
)


class EmulatorProcess:
    """The emulator in its own process: its rendering must not compete with the client for one GIL."""

    def __init__(self, rpm: float, latency: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(rpm), str(latency), json.dumps(DEPLOYMENTS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        _, self.endpoint, mode = self.process.stdout.readline().split()
        self.native = mode == "native"

    def posts(self) -> int:
        requests = httpx.get(self.endpoint.split("/api/")[0] + "/_emulator/requests").json()
        return sum(1 for r in requests if r["method"] == "POST" and r["path"].endswith("/responses"))

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def timed_batch(n: int, rpm: float, latency: float, deployments: list[str], concurrency: int) -> dict[str, Any]:
    with EmulatorProcess(rpm, latency) as emulator, tempfile.TemporaryDirectory() as outdir:
        native = emulator.native
        transport = None if native else QuotaTransport(rpm, latency)
        http = httpx.Client(transport=transport, timeout=120) if transport else None
        client = FoundryClient(
            emulator.endpoint, api_key="k", model="gpt-5.1", image_deployment=deployments[0], http_client=http
        )
        with client:
            runner = client.batch(outdir, deployments=deployments, rpm=rpm, concurrency=concurrency)
            start, cpu = time.perf_counter(), time.process_time()
            report = runner.run([f"a lighthouse on a cliff, variation {i}" for i in range(n)])
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        if http is not None:
            http.close()
        refused = transport.refused if transport else emulator.posts() - n
    # Each deployment starts at once and sends its share at its own pace.
    ideal = (math.ceil(n / len(deployments)) - 1) * 60.0 / rpm + latency
    return {
        "wall": wall,
        "ideal": ideal,
        "ratio": wall / ideal,
        "done": report.done,
        "429s": refused,
        "native": native,
        "cpu_ms": cpu * 1000 / n,
    }


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from foundry_imagegen import FoundryClient

    endpoint, outdir, prompts, after = sys.argv[1:5]
    count = [0]

    def on_progress(record, progress):
        count[0] += record["kind"] == "done"
        if count[0] >= int(after):
            os.kill(os.getpid(), signal.SIGKILL)

    client = FoundryClient(endpoint, api_key="k", model="gpt-5.1", image_deployment="gpt-image-2")
    client.batch(outdir, rpm=3000, concurrency=8, on_progress=on_progress).run(prompts)
    """
)


def kill_and_resume(n: int, seed: int) -> dict[str, Any]:
    after = random.Random(seed).randint(2, n - 2)
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        prompts = Path(tmp) / "prompts.txt"
        prompts.write_text("".join(f"a koi pond, variation {i}\n" for i in range(n)))
        outdir = Path(tmp) / "out"
        killed = subprocess.run(
            [sys.executable, "-c", _KILLER, emulator.endpoint, str(outdir), str(prompts), str(after)],
            capture_output=True,
            timeout=300,
        )
        with FoundryClient(emulator.endpoint, api_key="k", model="gpt-5.1", image_deployment="gpt-image-2") as client:
            report = client.batch(outdir, rpm=3000, concurrency=8, resume=True).run(prompts)
        posts = sum(1 for r in emulator.requests if r.method == "POST" and r.path.endswith("/responses"))
        files = len(list(outdir.glob("*.png")))
    return {
        "killed_after": after,
        "killed": killed.returncode == -9,
        "done": report.done,
        "files": files,
        "posts": posts,
        "extra_posts": posts - n,
        "reported_twice": len(report.may_be_billed_twice),
    }


_BG_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from foundry_imagegen import FoundryClient

    endpoint, outdir, prompts, trigger, after, poll = sys.argv[1:7]
    count = [0]

    def on_progress(record, progress):
        count[0] += record["kind"] == trigger
        if count[0] >= int(after):
            os.kill(os.getpid(), signal.SIGKILL)

    client = FoundryClient(endpoint, api_key="k", model="gpt-5.1", image_deployment="gpt-image-2")
    options = dict(rpm=3000, concurrency=8, background=True, poll_interval=float(poll), on_progress=on_progress)
    client.batch(outdir, **options).run(prompts)
    """
)


def kill_and_resume_background(n: int, seed: int, *, trigger: str, duration: float) -> dict[str, Any]:
    """kill -9 a background-mode batch after ``after`` records of kind ``trigger``, then --resume it."""
    from foundry_imagegen._shell.journal import read_journal

    after = random.Random(seed).randint(2, n - 2)
    poll = duration / 4
    with Emulator(background_duration=duration) as emulator, tempfile.TemporaryDirectory() as tmp:
        prompts = Path(tmp) / "prompts.txt"
        lines = [f"a paper crane, variation {i}" for i in range(n)]
        prompts.write_text("".join(f"{line}\n" for line in lines))
        outdir = Path(tmp) / "out"
        argv = [emulator.endpoint, str(outdir), str(prompts), trigger, str(after), str(poll)]
        killed = subprocess.run([sys.executable, "-c", _BG_KILLER, *argv], capture_output=True, timeout=300)
        records = read_journal(outdir / "journal.jsonl")
        pending = {r["id"]: r["prompt"] for r in records if r["kind"] == "pending"}
        accepted = {pending[r["id"]] for r in records if r["kind"] == "accepted"}
        with FoundryClient(emulator.endpoint, api_key="k", model="gpt-5.1", image_deployment="gpt-image-2") as client:
            runner = client.batch(outdir, rpm=3000, concurrency=8, background=True, resume=True, poll_interval=poll)
            report = runner.run(prompts)
        bodies = [r.json for r in emulator.requests if r.method == "POST" and r.path.endswith("/responses")]
        per_prompt = {line: sum(1 for b in bodies if b.get("input") == line) for line in lines}
        files = len(list(outdir.glob("*.png")))
    return {
        "killed_after": after,
        "trigger": trigger,
        "killed": killed.returncode == -9,
        "done": report.done,
        "files": files,
        "posts": len(bodies),
        "extra_posts": len(bodies) - n,
        "accepted": len(accepted),
        "accepted_resent": sum(per_prompt[line] - 1 for line in accepted),
        "reported_twice": len(report.may_be_billed_twice),
    }


def _row(name: str, cells: dict[str, Any]) -> None:
    row = f"{cells['wall']:9.2f}{cells['ideal']:9.2f}{cells['ratio']:8.3f}{cells['429s']:6d}{cells['done']:6d}"
    row += f"{cells['cpu_ms']:14.1f}"
    print(f"{name:28}{row}")


def traced_memory(n: int) -> tuple[float, float, float]:
    """Memory (MiB) a batch of ``n`` items holds at its end and at its peak in this process (the emulator
    runs in its own), and the mean image size (MiB)."""
    import gc
    import tracemalloc

    with EmulatorProcess(60000, 0.0) as emulator, tempfile.TemporaryDirectory() as outdir:
        client = FoundryClient(emulator.endpoint, api_key="k", model="gpt-5.1", image_deployment="gpt-image-2")
        with client:
            runner = client.batch(outdir, rpm=60000, concurrency=4)
            tracemalloc.start()
            runner.run([f"a quiet harbour, variation {i}" for i in range(n)])
            gc.collect()
            held, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        sizes = [path.stat().st_size for path in Path(outdir).glob("*.png")]
    return held / 2**20, peak / 2**20, sum(sizes) / len(sizes) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--rpm", type=float, default=600.0, help="quota of each deployment")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per image")
    parser.add_argument("--smoke", action="store_true", help="tiny inputs: a check that it runs, not a timing")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.smoke:
        args.items, args.rpm, args.latency = 20, 3000.0, 0.05
    concurrency = max(8, int(args.rpm * args.latency / 60.0) + 4)
    ok = True

    one = timed_batch(args.items, args.rpm, args.latency, DEPLOYMENTS[:1], concurrency)
    source = "emulator" if one["native"] else "transport in front of the emulator"
    print(f"quota {args.rpm:g} rpm per deployment, latency {args.latency:g} s, {args.items} items ({source})")
    print(f"{'scenario':28}{'wall s':>9}{'ideal s':>9}{'ratio':>8}{'429s':>6}{'done':>6}{'CPU ms/image':>14}")
    _row("one deployment", one)
    two = timed_batch(args.items, args.rpm, args.latency, DEPLOYMENTS, concurrency * 2)
    _row("two deployments", two)
    # Throughput in the steady state: the first image's latency fills the pipeline once, whatever the count.
    speedup = (one["wall"] - args.latency) / (two["wall"] - args.latency)
    print(f"two deployments / one: {speedup:.2f}x throughput ({one['wall'] / two['wall']:.2f}x wall time)")
    kill = kill_and_resume(min(args.items, 60), args.seed if args.seed is not None else random.randrange(1 << 30))
    print(
        f"kill -9 after {kill['killed_after']} done, then --resume: {kill['done']} done, {kill['files']} files, "
        f"{kill['posts']} POSTs ({kill['extra_posts']} extra, {kill['reported_twice']} reported as maybe billed twice)"
    )
    # Background mode: a create returns at once and the generation takes seconds (minutes on the service),
    # so a kill nearly always lands while items are polled. Killed then, the resume sends 0 duplicates.
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    duration = 0.8 if args.smoke else 2.0
    bg_n = min(args.items, 60)
    bg = kill_and_resume_background(bg_n, seed, trigger="done", duration=duration)
    mid = kill_and_resume_background(bg_n, seed, trigger="accepted", duration=duration)
    for case, label in ((bg, "done"), (mid, "accepted")):
        print(
            f"background mode, kill -9 after {case['killed_after']} {label}, then --resume: {case['done']} done, "
            f"{case['files']} files, {case['posts']} POSTs for {bg_n} items ({case['extra_posts']} duplicate, "
            f"{case['reported_twice']} reported as maybe billed twice; {case['accepted']} accepted before the "
            f"kill, {case['accepted_resent']} of them sent again)"
        )
    counts = (5, 25) if args.smoke else (20, 200)
    traced_memory(1)  # first-use costs (model schemas, connections) out of the way
    (small, small_peak, image), (large, large_peak, _) = (traced_memory(count) for count in counts)
    # Keeping the images would add (difference in items) x (image size); flat means well under a tenth of that.
    kept = (counts[1] - counts[0]) * image
    print(
        f"memory held at the end: {small:.2f} MiB after {counts[0]} items, {large:.2f} MiB after {counts[1]} "
        f"(peaks {small_peak:.1f} / {large_peak:.1f} MiB, the images in flight; keeping the images would "
        f"hold {kept:.1f} MiB more)"
    )
    if not args.smoke:
        goals = [
            ("one deployment <= 1.05x ideal", one["ratio"] <= 1.05),
            ("no 429 earned", one["429s"] == 0 and two["429s"] == 0),
            ("two deployments >= 1.9x", speedup >= 1.9),
        ]
    else:
        goals = []
    goals += [
        ("every item done once after kill -9", kill["killed"] and kill["done"] == kill["files"]),
        # An attempt the kill cut before its POST left is reported too: the journal cannot tell.
        ("extra POSTs all reported", kill["extra_posts"] <= kill["reported_twice"]),
        ("background: every item done once after kill -9", bg["killed"] and bg["done"] == bg["files"] == bg_n),
        ("background: kill -9 while generating, 0 duplicate POSTs", bg["extra_posts"] == 0),
        ("background: no accepted item sent again", bg["accepted_resent"] == mid["accepted_resent"] == 0),
        # Killed during the creates: a create cut in flight (sent, its id not yet journaled) is sent again.
        ("background: duplicates all reported", mid["done"] == bg_n and mid["extra_posts"] <= mid["reported_twice"]),
        ("all done", one["done"] == two["done"] == args.items),
        ("memory flat (growth < a tenth of the images' size)", large - small < 0.1 * kept),
    ]
    for name, passed in goals:
        print(f"  {'ok  ' if passed else 'MISS'} {name}")
        ok = ok and passed
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
