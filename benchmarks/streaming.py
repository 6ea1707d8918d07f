"""Streaming cost of a 3-partial image stream: our sync and async clients next to raw httpx and openai-python.

A loopback server (a thread in this process, stdlib ``http.server``, 127.0.0.1, port 0) answers
``POST /openai/v1/responses`` with one pre-built SSE body in the OpenAI dialect:
created, in_progress, output_item.added, image_generation_call.in_progress/.generating, 3 x partial_image,
image_generation_call.completed, output_item.done (the final image) and response.completed (the final
image again inside ``output``, as the real service sends it). Each image is ``--image-mb`` MB of random
(incompressible) bytes in a well-formed PNG chunk layout. The body goes out with
``Transfer-Encoding: chunked`` in 64 KiB chunks, pre-framed at start-up, with no delays, so the server's
share is the same small constant for every client.

Every client does the whole job: all images decoded to bytes and the final image written to a file.

- raw httpx: ``httpx.Client.stream`` + ``iter_bytes``, lines split by hand (each byte searched once),
  ``json.loads`` of the data lines, ``base64.b64decode``, ``open(...).write`` of the final image.
  This is the reference of every ratio.
- foundry sync / async: ``client.stream(...)``, ``images()``, ``final()``, ``result.save(...)``.
- raw httpx async: the same hand-written loop on ``httpx.AsyncClient``; not a goal, but the floor the
  async client stands on, so the async gap splits into httpx's share and ours.
- openai-python: ``responses.create(stream=True)``, events iterated, partials and final b64-decoded, written.

Figures per client: wall time to the first partial image decoded, wall time to the final image on disk
(total), the client thread's CPU time over the total (steadier than wall time on a busy machine; the
server thread is not counted) and the final write alone. Medians of N rounds run round-robin (the order
rotates every round) after one warm-up round; each client, its connection and (async) its event loop are
built once, outside the timing. Goal (issue): ours within 1.15x of raw httpx on first partial and total.

All clients share one process, as the issue asks, so they share one malloc heap: how often multi-megabyte
buffers cost fresh pages (minor faults) depends on what else ran, and a client that copies or regrows big
buffers pays more for it here than when alone.

Run: ``.venv/bin/python benchmarks/streaming.py [--rounds 7] [--image-mb 2] [--emulator] [--smoke]``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import platform
import random
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx

from foundry_imagegen import AsyncFoundryClient, FoundryClient, ImageGenerationTool

CHUNK = 64 * 1024
PARTIALS = 3
MODEL = "gpt-5.1"
PROMPT = "a lighthouse at dusk, oil painting"
T = TypeVar("T")


# ------------------------------------------------------------------ payload


def fake_png(size: int, rng: random.Random, width: int = 1024, height: int = 1024) -> bytes:
    """PNG signature + IHDR + one IDAT chunk of random bytes + IEND, ``size`` bytes in all.

    The chunks are well formed (lengths and CRCs) because the SDK checks that an image is whole; the
    pixel data is not a valid zlib stream, which nothing here decodes.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    tail = chunk(b"IEND", b"")
    return head + chunk(b"IDAT", rng.randbytes(max(size - len(head) - len(tail) - 12, 0))) + tail


@dataclass
class Payload:
    body: bytes  # the SSE body
    frames: list[bytes]  # the same, framed as HTTP/1.1 chunks of CHUNK bytes plus the last-chunk
    final: bytes


def build_payload(image_bytes: int, seed: int = 1) -> Payload:
    rng = random.Random(seed)
    partials = [fake_png(image_bytes, rng) for _ in range(PARTIALS)]
    final = fake_png(image_bytes, rng)
    final_b64 = base64.b64encode(final).decode("ascii")
    item_id = "ig_0123456789abcdef"
    response: dict[str, Any] = {
        "id": "resp_0123456789abcdef",
        "object": "response",
        "created_at": 1767225600,
        "status": "in_progress",
        "model": MODEL,
        "output": [],
        "tools": [{"type": "image_generation", "partial_images": PARTIALS}],
        "usage": None,
    }
    image_fields = {"size": "1024x1024", "quality": "high", "background": "opaque", "output_format": "png"}
    item = {"type": "image_generation_call", "id": item_id, "status": "in_progress"}
    done_item = {
        **item,
        "status": "completed",
        "result": final_b64,
        "revised_prompt": PROMPT,
        "action": "generate",
        **image_fields,
    }
    call = {"item_id": item_id, "output_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": response},
        {"type": "response.in_progress", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.image_generation_call.in_progress", **call},
        {"type": "response.image_generation_call.generating", **call},
    ]
    for index, image in enumerate(partials):
        events.append(
            {
                "type": "response.image_generation_call.partial_image",
                **call,
                "partial_image_index": index,
                "partial_image_b64": base64.b64encode(image).decode("ascii"),
                **image_fields,
            }
        )
    usage = {"input_tokens": 12, "output_tokens": 40, "total_tokens": 52}
    completed = {**response, "status": "completed", "output": [done_item], "usage": usage}
    events += [
        {"type": "response.image_generation_call.completed", **call},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {"type": "response.completed", "response": completed},
    ]
    parts = []
    for number, event in enumerate(events):
        event = {"type": event["type"], "sequence_number": number, **event}
        data = json.dumps(event, separators=(",", ":")).encode("utf-8")
        parts.append(b"event: " + event["type"].encode("ascii") + b"\ndata: " + data + b"\n\n")
    body = b"".join(parts)
    frames = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in _pieces(body)] + [b"0\r\n\r\n"]
    return Payload(body=body, frames=frames, final=final)


def _pieces(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


# ------------------------------------------------------------------ loopback server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes; without this Nagle + delayed ACK can add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.partition("?")[0] != "/openai/v1/responses":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", "req-bench")
        self.end_headers()
        write = self.wfile.write
        for frame in self.server.frames:
            write(frame)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, frames: list[bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.frames = frames


class LoopbackServer:
    """The pre-built stream on ``http://127.0.0.1:PORT``, served from a background thread."""

    def __init__(self, payload: Payload) -> None:
        self._server = _Server(payload.frames)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="sse-loopback", daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# ------------------------------------------------------------------ clients


@dataclass
class Run:
    first: float  # seconds from the request to the first partial image decoded
    total: float  # seconds from the request to the final image written
    cpu: float  # CPU seconds of this thread over the same span (immune to waiting for a busy CPU)
    write: float  # seconds spent writing the final image
    partials: int
    final: bytes  # emptied once checked, so that runs do not pile up megabytes
    final_size: int


class Clock:
    """Wall and thread-CPU time since the request was started."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.cpu = time.thread_time()
        self.first = 0.0
        self.partials = 0

    def partial(self) -> None:
        self.partials += 1
        if self.partials == 1:
            self.first = time.perf_counter() - self.start

    def done(self, final: bytes, write_started: float) -> Run:
        end = time.perf_counter()
        return Run(
            first=self.first,
            total=end - self.start,
            cpu=time.thread_time() - self.cpu,
            write=end - write_started,
            partials=self.partials,
            final=final,
            final_size=len(final),
        )


@dataclass
class Target:
    url: str  # endpoint; requests go to {url}/openai/v1/responses
    image_deployment: str
    tool: dict[str, Any]  # the image_generation tool, as sent on the wire
    out: Path


def _raw_body(target: Target) -> dict[str, Any]:
    return {
        "model": MODEL,
        "input": PROMPT,
        "tools": [target.tool],
        "tool_choice": {"type": "image_generation"},
        "stream": True,
    }


def _raw_headers(target: Target) -> dict[str, str]:
    return {
        "api-key": "k",
        "x-ms-oai-image-generation-deployment": target.image_deployment,
        "Accept": "text/event-stream",
    }


class RawEvents:
    """The hand-written baseline: split lines (each byte searched once), json.loads, b64decode."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.pending: list[bytes] = []  # pieces of the line not yet ended
        self.final = b""
        self.completed = False

    def feed(self, chunk: bytes) -> None:
        lines = chunk.split(b"\n")
        if len(lines) == 1:
            self.pending.append(chunk)
            return
        self.pending.append(lines[0])
        lines[0] = b"".join(self.pending)
        self.pending = [lines.pop()]
        for line in lines:
            if line.startswith(b"data:"):
                self.event(json.loads(line[5:]))

    def event(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "response.image_generation_call.partial_image":
            base64.b64decode(event["partial_image_b64"])
            self.clock.partial()
        elif kind == "response.output_item.done":
            if event["item"].get("type") == "image_generation_call":
                self.final = base64.b64decode(event["item"]["result"])
        elif kind == "response.completed":
            self.completed = True
        elif kind in ("response.failed", "response.incomplete", "error"):
            raise RuntimeError(f"stream failed: {kind}")

    def finish(self, path: Path) -> Run:
        if not self.completed or not self.final:
            raise RuntimeError("stream ended without response.completed and a final image")
        return _write(self.clock, self.final, path)


def _write(clock: Clock, final: bytes, path: Path) -> Run:
    write_started = time.perf_counter()
    with open(path, "wb") as handle:
        handle.write(final)
    return clock.done(final, write_started)


class RawHttpx:
    name = "raw httpx"

    def __init__(self, target: Target) -> None:
        self.http = httpx.Client()
        self.url = target.url + "/openai/v1/responses"
        self.body = _raw_body(target)
        self.headers = _raw_headers(target)
        self.path = target.out / "raw-httpx.png"

    def run(self) -> Run:
        raw = RawEvents(Clock())
        with self.http.stream("POST", self.url, json=self.body, headers=self.headers) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                raw.feed(chunk)
        return raw.finish(self.path)

    def close(self) -> None:
        self.http.close()


class _Loop:
    """One event loop for all rounds: loop start-up stays outside the timing and the pool is reused."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.loop.close()


class RawHttpxAsync:
    name = "raw httpx async"

    def __init__(self, target: Target) -> None:
        self.loop = _Loop()
        self.http = self.loop.call(self._make())
        self.url = target.url + "/openai/v1/responses"
        self.body = _raw_body(target)
        self.headers = _raw_headers(target)
        self.path = target.out / "raw-httpx-async.png"

    @staticmethod
    async def _make() -> httpx.AsyncClient:
        return httpx.AsyncClient()

    async def _run(self) -> Run:
        raw = RawEvents(Clock())
        async with self.http.stream("POST", self.url, json=self.body, headers=self.headers) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                raw.feed(chunk)
        return raw.finish(self.path)

    def run(self) -> Run:
        return self.loop.call(self._run())

    def close(self) -> None:
        self.loop.call(self.http.aclose())
        self.loop.close()


class FoundrySync:
    name = "foundry sync"

    def __init__(self, target: Target) -> None:
        self.client = FoundryClient(
            target.url, api_key="k", model=MODEL, image_deployment=target.image_deployment, max_retries=0
        )
        self.tool = ImageGenerationTool(**_tool_kwargs(target.tool))
        self.path = target.out / "foundry-sync.png"

    def run(self) -> Run:
        clock = Clock()
        with self.client.stream(PROMPT, tool=self.tool) as stream:
            for image in stream.images():
                if image.is_partial:
                    clock.partial()
            result = stream.final()
        write_started = time.perf_counter()
        result.save(self.path, overwrite=True)
        return clock.done(result.image.data, write_started)

    def close(self) -> None:
        self.client.close()


class FoundryAsync:
    name = "foundry async"

    def __init__(self, target: Target) -> None:
        self.loop = _Loop()
        self.client = self.loop.call(self._make(target))
        self.tool = ImageGenerationTool(**_tool_kwargs(target.tool))
        self.path = target.out / "foundry-async.png"

    @staticmethod
    async def _make(target: Target) -> AsyncFoundryClient:
        return AsyncFoundryClient(
            target.url, api_key="k", model=MODEL, image_deployment=target.image_deployment, max_retries=0
        )

    async def _run(self) -> Run:
        clock = Clock()
        async with self.client.stream(PROMPT, tool=self.tool) as stream:
            async for image in stream.images():
                if image.is_partial:
                    clock.partial()
            result = await stream.final()
        write_started = time.perf_counter()
        result.save(self.path, overwrite=True)
        return clock.done(result.image.data, write_started)

    def run(self) -> Run:
        return self.loop.call(self._run())

    def close(self) -> None:
        self.loop.call(self.client.close())
        self.loop.close()


class OpenAIPython:
    name = "openai-python"

    def __init__(self, target: Target) -> None:
        import openai

        self.client = openai.OpenAI(
            base_url=target.url + "/openai/v1",
            api_key="k",
            max_retries=0,
            default_headers={"x-ms-oai-image-generation-deployment": target.image_deployment},
        )
        self.tool = target.tool
        self.path = target.out / "openai-python.png"

    def run(self) -> Run:
        clock = Clock()
        final = b""
        completed = False
        create: Any = self.client.responses.create  # the tool is a plain dict, not openai's TypedDict
        stream = create(
            model=MODEL,
            input=PROMPT,
            tools=[self.tool],
            tool_choice={"type": "image_generation"},
            stream=True,
        )
        with stream:
            for event in stream:
                if event.type == "response.image_generation_call.partial_image":
                    base64.b64decode(event.partial_image_b64)
                    clock.partial()
                elif event.type == "response.output_item.done":
                    if event.item.type == "image_generation_call" and event.item.result:
                        final = base64.b64decode(event.item.result)
                elif event.type == "response.completed":
                    completed = True
        if not completed or not final:
            raise RuntimeError("stream ended without response.completed and a final image")
        return _write(clock, final, self.path)

    def close(self) -> None:
        self.client.close()


def _tool_kwargs(tool: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in tool.items() if key != "type"}


# Raw httpx first: the reference every ratio is taken against. Raw httpx async is extra context: the
# floor an async client stands on, so the async row's gap can be split into httpx's share and ours.
CLIENTS: list[Callable[[Target], Any]] = [RawHttpx, FoundrySync, RawHttpxAsync, FoundryAsync, OpenAIPython]


# ------------------------------------------------------------------ measurement


def measure(target: Target, rounds: int, warmup: int, expected: bytes | None) -> dict[str, list[Run]]:
    clients = [make(target) for make in CLIENTS]
    runs: dict[str, list[Run]] = {client.name: [] for client in clients}
    try:
        for number in range(warmup + rounds):
            shift = number % len(clients)
            # Round-robin, rotated every round, so drift and position effects hit every client alike.
            for client in clients[shift:] + clients[:shift]:
                gc.collect()
                run = client.run()
                if run.partials != PARTIALS or (expected is not None and run.final != expected):
                    raise SystemExit(
                        f"{client.name}: got {run.partials} partials and a final image of "
                        f"{run.final_size} bytes; expected {PARTIALS} partials and the server's image"
                    )
                run.final = b""
                if number >= warmup:
                    runs[client.name].append(run)
    finally:
        for client in clients:
            client.close()
    return runs


def report(runs: dict[str, list[Run]]) -> None:
    def median(name: str, figure: str) -> float:
        return float(statistics.median(getattr(run, figure) for run in runs[name]))

    base = RawHttpx.name
    print(
        f"{'client':16} {'first partial ms':>17} {'x httpx':>8} {'total ms':>10} {'x httpx':>8}"
        f" {'cpu ms':>8} {'x httpx':>8} {'write ms':>9}"
    )
    for name in runs:
        cells = []
        for figure, width in (("first", 17), ("total", 10), ("cpu", 8)):
            value = median(name, figure)
            cells.append(f"{value * 1e3:{width}.1f} {value / median(base, figure):8.2f}")
        print(f"{name:16} {' '.join(cells)} {median(name, 'write') * 1e3:9.1f}")
    print(
        "first partial / total: wall time from the request to the first partial decoded / to the final "
        "image on disk.\ncpu: CPU time of the client's thread over the total (the server thread not "
        "included).\nwrite: the final image's write, inside total (foundry: save(), an atomic write "
        "with fsync; the others: open/write)."
    )


def versions() -> str:
    import openai

    return (
        f"Python {platform.python_version()} ({platform.machine()}), httpx {httpx.__version__}, "
        f"openai {openai.__version__}"
    )


def run_loopback(args: argparse.Namespace, out: Path) -> None:
    payload = build_payload(int(args.image_mb * 1_000_000))
    with LoopbackServer(payload) as server:
        target = Target(
            url=server.url,
            image_deployment="gpt-image-2",
            tool={"type": "image_generation", "model": "gpt-image-2", "partial_images": PARTIALS},
            out=out,
        )
        print(
            f"loopback SSE: {len(payload.body) / 1e6:.1f} MB body ({PARTIALS} partials + final x2, "
            f"{len(payload.final) / 1e6:.2f} MB images), chunked, {CHUNK // 1024} KiB chunks; "
            f"medians of {args.rounds} rounds"
        )
        report(measure(target, args.rounds, args.warmup, payload.final))


def run_emulator(args: argparse.Namespace, out: Path) -> None:
    from foundry_imagegen.emulator import Emulator

    with Emulator(stream_dialect="openai") as emulator:
        target = Target(
            url=emulator.url,
            image_deployment="gpt-image-2",
            tool={
                "type": "image_generation",
                "model": "gpt-image-2",
                "partial_images": PARTIALS,
                "size": args.emulator_size,
                "quality": "high",
            },
            out=out,
        )
        print(
            f"emulator (openai dialect), gpt-image-2 {args.emulator_size} quality high, {PARTIALS} partials; "
            f"medians of {args.rounds} rounds (the emulator renders every image, in this process)"
        )
        runs = measure(target, args.rounds, args.warmup, None)
        report(runs)
        final_size = runs[RawHttpx.name][-1].final_size
        print(f"emulator final image: {final_size / 1e6:.2f} MB (compressible PNG, unlike the loopback's)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--image-mb", type=float, default=2.0, help="size of each image in MB (default 2)")
    parser.add_argument("--emulator", action="store_true", help="also run against the bundled emulator")
    parser.add_argument("--emulator-size", default="3840x2160", help="image size asked of the emulator")
    parser.add_argument("--smoke", action="store_true", help="1 round of small images, no timing claims (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.warmup, args.image_mb = 1, 0, 0.05
        args.emulator_size = "1024x1024"
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    print(versions())
    with tempfile.TemporaryDirectory(prefix="foundry-bench-") as tmp:
        run_loopback(args, Path(tmp))
        if args.emulator:
            print()
            run_emulator(args, Path(tmp))
    if args.smoke:
        print("smoke: all clients streamed 3 partials and the final image (timings not meaningful)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
