"""Our clients next to raw httpx and openai-python, every case in its own process, side by side in one run.

A loopback server (a separate process: stdlib ``http.server``, 127.0.0.1, port 0) answers
``POST /openai/v1/responses`` with pre-built answers picked by the prompt: ``small`` (a 20 KB image, the
warm-up), ``2mb`` (a 1.5 MB PNG, 2.0 MB of JSON) and ``4k`` (an 11.7 MB PNG, as large as a 3840x2160
render), as one JSON body (with Content-Length) or, with ``"stream": true``, as an SSE stream of
3 partial images and the final image (twice: in ``output_item.done`` and ``response.completed``), sent
chunked in 64 KiB chunks. The PNGs are random bytes in a well-formed chunk layout (the SDK checks
images are whole).

Every case does the same work: request, parse, base64-decode every image (partials too), write the final
image to a file. Cases:

- ``raw``: hand-written on ``httpx.Client``: ``json.loads``, ``base64.b64decode``, ``open().write``.
  The reference of every ratio. ``raw async``: the same on ``httpx.AsyncClient``.
- ``openai``: ``openai.OpenAI().responses.create(...)`` (with and without ``stream=True``).
- ``ours``: ``FoundryClient.generate(...).save(path, fsync=False)`` / ``client.stream(...).save(...)``:
  atomic (temporary file + rename), not fsynced, so the same disk work as the others.
  ``ours+fsync``: the default ``save()``, flushed to the disk before the rename.
- ``ours async``: ``AsyncFoundryClient``, saved with ``await result.asave(...)`` (in a worker thread).

Workloads: ``call`` (one 2 MB answer), ``stream`` (the 2 MB stream), ``4k`` (the 4K stream: the peak),
``batch`` (32 concurrent async calls, each saved; async cases only).

Each (case, workload) runs in a fresh process: import the client library (timed: ``import``), build the
client (``RSS setup`` after that), one ``small`` call of the same kind (``first`` = its wall time: what the
first call of a process pays for lazy imports and schemas), then the measured calls. ``growth``: RSS after
the first measured call minus RSS before it, ``peak``: the process's high-water RSS minus RSS before
the measured calls, both also as multiples of the image. Times are per call: wall, CPU (the process's,
client threads included), first partial (decoded). Processes run interleaved (every repeat shuffles the
order) and the figures are medians over repeats of each process's median, with the spread (min-max
over repeats) in brackets. Ratios are against raw httpx (sync; async for ``batch``) of the same run.

Run: ``.venv/bin/python benchmarks/compare.py [--repeats 5] [--calls 5] [--smoke]``
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODEL = "gpt-5.1"
DEPLOYMENT = "gpt-image-2"
PARTIALS = 3
BATCH = 32
TOOL: dict[str, Any] = {"type": "image_generation", "model": DEPLOYMENT}
SIZES = {"small": 20_000, "2mb": 1_500_000, "4k": 11_700_000}


# ------------------------------------------------------------------ the server (its own process)


def _json_answer(image: bytes) -> bytes:
    item = {
        "type": "image_generation_call",
        "id": "ig_0123456789abcdef",
        "status": "completed",
        "result": base64.b64encode(image).decode("ascii"),
        "revised_prompt": "a lighthouse at dusk",
        "size": "1024x1024",
        "quality": "high",
        "output_format": "png",
    }
    answer = {
        "id": "resp_0123456789abcdef",
        "object": "response",
        "created_at": 1767225600,
        "status": "completed",
        "model": MODEL,
        "output": [item],
        "usage": {"input_tokens": 12, "output_tokens": 40, "total_tokens": 52},
    }
    return json.dumps(answer, separators=(",", ":")).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        import socket

        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        size = str(request.get("input"))
        stream = bool(request.get("stream"))
        self.send_response(200)
        self.send_header("x-request-id", "req-bench")
        if stream:
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for frame in self.server.streams[size]:
                self.wfile.write(frame)
        else:
            content = self.server.answers[size]
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, sizes: dict[str, int]) -> None:
        sys.path.insert(0, str(HERE))
        from streaming import build_payload, fake_png

        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = {name: _json_answer(fake_png(size, random.Random(7))) for name, size in sizes.items()}
        self.streams = {name: build_payload(size).frames for name, size in sizes.items()}


def serve(sizes: dict[str, int]) -> None:
    server = _Server(sizes)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# ------------------------------------------------------------------ the cases (one process each)


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak() -> None:
    # ru_maxrss survives exec on Linux (a child starts with its parent's peak): VmHWM, reset here, does not.
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def peak_rss() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


#: What the last non-streamed call of ours or openai's returned, for the ``kept`` figure.
KEPT: list[Any] = []


def deep_size(root: object) -> int:
    """Bytes held by ``root`` and everything it references (types, modules and functions not counted)."""
    import gc
    import types

    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    seen: set[int] = set()
    todo, total = [root], 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        todo.extend(gc.get_referents(obj))
    return total


@dataclass
class Case:
    """One client doing one workload: ``call(size)`` runs one request end to end, returns (first partial s)."""

    call: Callable[[str], float | None]
    close: Callable[[], None]


def _raw_events(lines: Any, on_event: Callable[[dict[str, Any]], None]) -> None:
    for line in lines:
        if line.startswith("data:"):
            on_event(json.loads(line[5:]))


def make_case(client: str, workload: str, url: str, out: Path) -> Case:
    body = {"model": MODEL, "tools": [TOOL], "tool_choice": {"type": "image_generation"}}
    headers = {"api-key": "k", "x-ms-oai-image-generation-deployment": DEPLOYMENT}
    stream = workload in ("stream", "4k")
    if client in ("raw", "raw+simd", "raw async"):
        import httpx

        endpoint = url + "/openai/v1/responses"
        # raw+simd: the same loop with the SIMD base64 decoder ours uses, to show what is left besides it.
        b64decode = __import__("pybase64").b64decode if client == "raw+simd" else base64.b64decode

        def handle(event: dict[str, Any], state: dict[str, Any], start: float) -> None:
            if event["type"] == "response.image_generation_call.partial_image":
                b64decode(event["partial_image_b64"])
                state.setdefault("first", time.perf_counter() - start)
            elif event["type"] == "response.output_item.done" and event["item"].get("result"):
                state["final"] = b64decode(event["item"]["result"])

        def write(data: bytes, name: str) -> None:
            with open(out / name, "wb") as handle_:
                handle_.write(data)

        if client != "raw async":
            http = httpx.Client(timeout=60)

            def raw_call(size: str) -> float | None:
                start, state = time.perf_counter(), {}  # type: ignore[var-annotated]
                if stream:
                    with http.stream(
                        "POST", endpoint, json={**body, "input": size, "stream": True}, headers=headers
                    ) as r:
                        _raw_events(r.iter_lines(), lambda e: handle(e, state, start))
                    write(state["final"], "raw.png")
                    return state.get("first")
                answer = http.post(endpoint, json={**body, "input": size}, headers=headers).json()
                for item in answer["output"]:
                    if item["type"] == "image_generation_call":
                        write(b64decode(item["result"]), "raw.png")
                return None

            return Case(raw_call, http.close)
        import asyncio

        loop = asyncio.new_event_loop()
        ahttp = loop.run_until_complete(_make_async(httpx))

        async def one(size: str, index: int) -> None:
            r = await ahttp.post(endpoint, json={**body, "input": size}, headers=headers)
            for item in r.json()["output"]:
                if item["type"] == "image_generation_call":
                    write(base64.b64decode(item["result"]), f"raw-{index}.png")

        async def batch(size: str) -> None:
            count = BATCH if workload == "batch" and size != "small" else 1
            await asyncio.gather(*(one(size, index) for index in range(count)))

        return Case(lambda size: loop.run_until_complete(batch(size)), lambda: loop.run_until_complete(ahttp.aclose()))
    if client == "openai":
        import openai

        oclient = openai.OpenAI(
            base_url=url + "/openai/v1",
            api_key="k",
            max_retries=0,
            default_headers={"x-ms-oai-image-generation-deployment": DEPLOYMENT},
        )
        create: Any = oclient.responses.create

        def openai_call(size: str) -> float | None:
            start, first, final = time.perf_counter(), None, b""
            if stream:
                with create(
                    model=MODEL, input=size, tools=[TOOL], tool_choice={"type": "image_generation"}, stream=True
                ) as events:
                    for event in events:
                        if event.type == "response.image_generation_call.partial_image":
                            base64.b64decode(event.partial_image_b64)
                            first = first if first is not None else time.perf_counter() - start
                        elif event.type == "response.output_item.done" and getattr(event.item, "result", None):
                            final = base64.b64decode(event.item.result)
            else:
                response = create(model=MODEL, input=size, tools=[TOOL], tool_choice={"type": "image_generation"})
                KEPT[:] = [response]
                for item in response.output:
                    if item.type == "image_generation_call" and item.result:
                        final = base64.b64decode(item.result)
            with open(out / "openai.png", "wb") as handle_:
                handle_.write(final)
            return first

        return Case(openai_call, oclient.close)
    from foundry_imagegen import ImageGenerationTool

    fsync = client.endswith("+fsync")
    tool = ImageGenerationTool(model=DEPLOYMENT, partial_images=PARTIALS if stream else None)
    if client.startswith("ours async"):
        import asyncio

        from foundry_imagegen import AsyncFoundryClient

        loop = asyncio.new_event_loop()

        async def make() -> AsyncFoundryClient:
            return AsyncFoundryClient(url, api_key="k", model=MODEL, image_deployment=DEPLOYMENT, max_retries=0)

        aclient = loop.run_until_complete(make())

        async def aone(size: str, index: int) -> None:
            result = await aclient.generate(size, tool=tool)
            await result.asave(out / f"ours-{index}.png", overwrite=True, fsync=fsync)

        async def astream(size: str) -> float | None:
            start, first = time.perf_counter(), None
            async with aclient.stream(size, tool=tool) as events:
                async for image in events.images():
                    if image.is_partial and first is None:
                        first = time.perf_counter() - start
                    del image  # let go once seen, as the raw loop does
                result = await events.final()
            await result.asave(out / "ours.png", overwrite=True, fsync=fsync)
            return first

        async def abatch(size: str) -> float | None:
            if stream:
                return await astream(size)
            count = BATCH if workload == "batch" and size != "small" else 1
            await asyncio.gather(*(aone(size, index) for index in range(count)))
            return None

        return Case(
            lambda size: loop.run_until_complete(abatch(size)), lambda: loop.run_until_complete(aclient.close())
        )
    from foundry_imagegen import FoundryClient

    fclient = FoundryClient(url, api_key="k", model=MODEL, image_deployment=DEPLOYMENT, max_retries=0)

    def ours_call(size: str) -> float | None:
        start, first = time.perf_counter(), None
        if stream:
            with fclient.stream(size, tool=tool) as events:
                for image in events.images():
                    if image.is_partial and first is None:
                        first = time.perf_counter() - start
                    del image  # let go once seen, as the raw loop does
                result = events.final()
        else:
            result = fclient.generate(size, tool=tool)
            KEPT[:] = [result]
        result.save(out / "ours.png", overwrite=True, fsync=fsync)
        return first

    return Case(ours_call, fclient.close)


async def _make_async(httpx: Any) -> Any:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=BATCH))


IMPORTS = {
    "raw": "import httpx",
    "raw+simd": "import httpx, pybase64",
    "raw async": "import httpx",
    "openai": "import openai; openai.OpenAI",
    "ours": "from foundry_imagegen import FoundryClient, ImageGenerationTool",
    "ours async": "from foundry_imagegen import AsyncFoundryClient, ImageGenerationTool",
}


def run_case(client: str, workload: str, url: str, calls: int, size: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="foundry-compare-") as tmp:
        rss_bare = rss()
        started = time.perf_counter()
        exec(IMPORTS[client.removesuffix("+fsync")])
        imported = time.perf_counter() - started
        case = make_case(client, workload, url, Path(tmp))
        setup = time.perf_counter() - started
        rss_setup = rss()
        started = time.perf_counter()
        case.call("small")
        first_call = time.perf_counter() - started
        before = rss()
        reset_peak()
        walls, cpus, firsts = [], [], []
        growth = 0
        kept: int | None = None
        for index in range(calls):
            wall, cpu = time.perf_counter(), time.process_time()
            first = case.call(size)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            if first is not None:
                firsts.append(first)
            if index == 0:
                growth = rss() - before
                kept = deep_size(KEPT[0]) if KEPT else None
        peak = max(peak_rss() - before, 0)
        case.close()
    return {
        "rss_bare": rss_bare,
        "import": imported,
        "setup": setup,
        "rss_setup": rss_setup,
        "first_call": first_call,
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "first": statistics.median(firsts) if firsts else None,
        "growth": growth,
        "kept": kept,
        "peak": peak,
    }


# ------------------------------------------------------------------ the parent: interleave, aggregate, print

CASES = {
    "call": ["raw", "raw+simd", "openai", "ours", "ours+fsync", "ours async"],
    "stream": ["raw", "raw+simd", "openai", "ours", "ours async"],
    "4k": ["raw", "raw+simd", "openai", "ours"],
    "batch": ["raw async", "ours async", "ours async+fsync"],
}


def spawn(client: str, workload: str, url: str, calls: int) -> dict[str, Any]:
    size = "4k" if workload == "4k" else "2mb"
    command = [sys.executable, __file__, "--case", client, workload, url, str(calls), size]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _fmt(values: list[float], scale: float, unit: str) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median * scale:.1f}{unit}"
    return f"{median * scale:.1f}{unit} [{min(values) * scale:.1f}-{max(values) * scale:.1f}]"


def report(
    runs: dict[tuple[str, str], list[dict[str, Any]]], image_sizes: dict[str, int], cases: dict[str, list[str]]
) -> None:
    def med(key: tuple[str, str], figure: str) -> float:
        values = [run[figure] for run in runs[key] if run[figure] is not None]
        return statistics.median(values) if values else float("nan")

    ms, mib = 1000.0, 1 / (1 << 20)
    print(
        f"{'workload':8} {'case':17} {'wall ms':>19} {'x raw':>6} {'CPU ms':>19} {'first partial ms':>19} "
        f"{'x raw':>6} {'first call ms':>14} {'RSS setup MiB':>14} {'growth':>12} {'peak':>12}"
    )
    for workload, clients in cases.items():
        reference = (("raw async" if workload == "batch" else "raw"), workload)
        image = image_sizes["4k" if workload == "4k" else "2mb"]
        for client in clients:
            key = (client, workload)
            got = runs[key]
            wall_ratio = med(key, "wall") / med(reference, "wall")
            firsts = [run["first"] for run in got if run["first"] is not None]
            first = _fmt(firsts, ms, "") if firsts else "-"
            first_ratio = f"{med(key, 'first') / med(reference, 'first'):5.2f}x" if firsts else "     -"
            growth = med(key, "growth")
            peak = med(key, "peak")
            print(
                f"{workload:8} {client:17} {_fmt([r['wall'] for r in got], ms, ''):>19} {wall_ratio:5.2f}x "
                f"{_fmt([r['cpu'] for r in got], ms, ''):>19} {first:>19} {first_ratio:>6} "
                f"{med(key, 'first_call') * ms:14.1f} {med(key, 'rss_setup') * mib:14.1f} "
                f"{growth * mib:5.1f} {growth / image:4.1f}x {peak * mib:5.1f} {peak / image:4.1f}x"
            )
    print()

    def over(client: str, figure: str) -> float:
        return statistics.median(run[figure] for (name, _), got in runs.items() if name == client for run in got)

    for client in ("raw", "openai", "ours"):
        print(
            f"{client:8} import {over(client, 'import') * ms:6.1f} ms, "
            f"import + client {over(client, 'setup') * ms:6.1f} ms, "
            f"RSS after setup {over(client, 'rss_setup') * mib:5.1f} MiB "
            f"({(over(client, 'rss_setup') - over(client, 'rss_bare')) * mib:5.1f} MiB over the bare process)"
        )
    if "call" not in cases or "stream" not in cases:
        return
    for client in ("ours", "openai"):
        kept = med((client, "call"), "kept")
        print(
            f"{client:8} a kept result of the 2 MB call holds {kept * mib:5.2f} MiB, "
            f"{kept / image_sizes['2mb']:.2f}x the image"
        )
    net = {c: over(c, "rss_setup") - over(c, "rss_bare") for c in ("ours", "openai")}
    first_stream = med(("ours", "stream"), "first_call") / med(("openai", "stream"), "first_call")
    print(
        f"ours / openai: import {over('ours', 'import') / over('openai', 'import'):.2f}x, RSS after setup "
        f"{over('ours', 'rss_setup') / over('openai', 'rss_setup'):.2f}x ({net['ours'] / net['openai']:.2f}x over the "
        f"bare process), first (small) stream of a fresh process {first_stream:.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="processes per case (default 5)")
    parser.add_argument("--calls", type=int, default=5, help="measured calls per process (default 5)")
    parser.add_argument("--smoke", action="store_true", help="1 repeat, 1 call, small images (CI; no claims)")
    parser.add_argument(
        "--only", default=",".join(CASES), help=f"workloads to run, comma-separated (default {','.join(CASES)})"
    )
    parser.add_argument("--case", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(json.loads(args.serve))
        return 0
    if args.case:
        client, workload, url, calls, size = args.case
        print(json.dumps(run_case(client, workload, url, int(calls), size)))
        return 0
    import compileall

    import foundry_imagegen

    # What pip does on install: an editable checkout run with PYTHONDONTWRITEBYTECODE would otherwise
    # compile our sources in every process, while openai and httpx load their bytecode.
    compileall.compile_dir(str(Path(foundry_imagegen.__file__).parent), quiet=1)
    sizes = dict(SIZES)
    if args.smoke:
        args.repeats, args.calls = 1, 1
        sizes = {"small": 2_000, "2mb": 30_000, "4k": 60_000}
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", json.dumps(sizes)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        import httpx
        import openai

        import foundry_imagegen

        print(
            f"python {sys.version.split()[0]}, httpx {httpx.__version__}, openai {openai.__version__}, "
            f"foundry_imagegen {foundry_imagegen.__version__}, {os.cpu_count()} CPUs; {args.repeats} processes "
            f"per case x {args.calls} calls; images {sizes['2mb'] / 1e6:.1f} MB and {sizes['4k'] / 1e6:.1f} MB"
        )
        cases = {workload: CASES[workload] for workload in args.only.split(",")}
        plan = [(client, workload) for workload, clients in cases.items() for client in clients]
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in plan}
        rng = random.Random(11)
        for _ in range(args.repeats):
            rng.shuffle(plan)
            for client, workload in plan:
                runs[(client, workload)].append(spawn(client, workload, url, args.calls))
        report(runs, sizes, cases)
    finally:
        server.terminate()
        server.wait(timeout=10)
    if args.smoke:
        print("smoke: every case ran (timings not meaningful)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
