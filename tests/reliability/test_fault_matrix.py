"""The fault matrix: {fault} x {sync, async} x {stream, not}, against a server whose every byte we control.

Each cell asserts the outcome (success, success with a warning, or the exact typed error), how many
requests the server saw, and what the output folder holds afterwards (no partial, no temp file).
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from foundry_imagegen import (
    APIConnectionError,
    APITimeoutError,
    AsyncFoundryClient,
    ContentFilterError,
    FoundryClient,
    GenerationFailedError,
    ImageGenerationTool,
    IncompleteStreamWarning,
    InvalidResponseError,
    NoImageGeneratedError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TruncatedStreamError,
)
from tests.reliability.raw_testkit import (
    API_KEY,
    FINAL,
    Conn,
    RawServer,
    Script,
    folder_listing,
    response_body,
    sse_event,
    sse_response,
    stream_events,
)
from tests.testkit import make_png

OK = "ok"
OK_WARNED = "ok, with IncompleteStreamWarning"
LIMIT = 64 * 1024  # max_body_bytes and max_event_bytes of the oversize cells


def json_ok(conn: Conn) -> None:
    conn.respond(200, response_body(), ctype="application/json")


def stream_ok(conn: Conn) -> None:
    head, closing = stream_events()
    sse_response(conn, head + closing)


def status(code: int, body: bytes = b"", headers: dict[str, str] | None = None, ctype: str = "") -> Script:
    return lambda conn: conn.respond(code, body, headers=headers, ctype=ctype)


def error_body(code: str, message: str = "boom") -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def json_200(payload: bytes) -> Script:
    return lambda conn: conn.respond(200, payload, ctype="application/json")


def stream_of(body: bytes) -> Script:
    return lambda conn: sse_response(conn, body)


def slow_then(script: Script) -> Script:
    def run(conn: Conn) -> None:
        time.sleep(0.15)
        script(conn)

    return run


def fin(conn: Conn) -> None:
    conn.sock.close()


def reset(conn: Conn) -> None:
    conn.reset()


def json_cut(conn: Conn) -> None:
    body = response_body()
    conn.head_only(length=len(body))
    conn.send(body[: len(body) // 2])
    conn.reset()


def stream_cut(after_final: bool, how: Callable[[Conn], None], item_status: str = "completed") -> Script:
    def run(conn: Conn) -> None:
        head, _ = stream_events(status=item_status)
        sse_response(conn, head if after_final else head[: len(head) // 2])
        how(conn)

    return run


def failed_response(code: str) -> dict[str, Any]:
    return {"id": "resp_1", "status": "failed", "output": [], "error": {"code": code, "message": "no"}}


def stream_terminal(kind: str, response: dict[str, Any]) -> bytes:
    return sse_event("response.created", {"response": {"id": "resp_1", "status": "in_progress"}}) + sse_event(
        "response." + kind, {"response": response}
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PARTIAL_OK = base64.b64encode(make_png(4, 4)).decode()
INCOMPLETE = {"id": "resp_1", "status": "incomplete", "output": [], "incomplete_details": {"reason": "max_tokens"}}
TEXT_ONLY = {
    "id": "resp_1",
    "status": "completed",
    "output": [
        {"type": "message", "id": "m1", "role": "assistant", "content": [{"type": "output_text", "text": "no"}]}
    ],
}
NESTED = b"[" * 5000 + b"]" * 5000
HTTP_DATE = email.utils.formatdate(time.time() - 5, usegmt=True)


@dataclass(frozen=True)
class Cell:
    scripts: tuple[Script, ...]
    outcome: Any  # OK, OK_WARNED or an exception type
    requests: int
    options: tuple[tuple[str, Any], ...] = ()
    files: tuple[str, ...] | None = None  # what a success leaves; None: the image (and partial 0 for streams)


def drip(conn: Conn, piece: bytes, head: bytes) -> None:
    """Send ``head``, then ``piece`` every 50 ms for at most 1.5 s (or until the client hangs up)."""
    conn.sock.sendall(head)
    for _ in range(30):
        time.sleep(0.05)
        try:
            conn.sock.sendall(piece)
        except OSError:
            return


def json_drip(conn: Conn) -> None:
    drip(conn, b" ", b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")


def stream_keepalive(conn: Conn) -> None:
    drip(conn, b": keep-alive\n\n", b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")


SHORT = (("timeout", 0.3),)


def image_cells(name: str, result: str | None) -> dict[tuple[str, str], Cell]:
    head, closing = stream_events(result=result)
    return {
        (name, "json"): Cell((json_200(response_body(result)),), _image_error(result), 1),
        (name, "stream"): Cell((stream_of(head + closing),), _image_error(result), 1),
    }


def _image_error(result: str | None) -> type[Exception]:
    return NoImageGeneratedError if not result else InvalidResponseError


def cells() -> dict[tuple[str, str], Cell]:
    table: dict[tuple[str, str], Cell] = {}
    for mode, ok in (("json", json_ok), ("stream", stream_ok)):
        table[("ok", mode)] = Cell((ok,), OK, 1)
        for form, headers in {
            "retry-after-0": {"Retry-After": "0"},
            "retry-after-seconds": {"Retry-After": "1"},
            "retry-after-date": {"Retry-After": HTTP_DATE},
            "retry-after-ms": {"retry-after-ms": "20"},
            "no-retry-after": {},
        }.items():
            table[(f"429 {form}", mode)] = Cell((status(429, error_body("429"), headers), ok), OK, 2)
        table[("429 every time", mode)] = Cell(
            (status(429, error_body("429"), {"Retry-After": "0"}),) * 3, RateLimitError, 3
        )
        table[("500 then ok", mode)] = Cell((status(500, error_body("server_error")), ok), OK, 2)
        table[("503 every time", mode)] = Cell((status(503, b"busy"),) * 3, ServerError, 3)
        # A gateway that gave up on the backend: the generation may have run, so a POST is not resent.
        table[("502 gateway", mode)] = Cell((status(502, b"bad gateway"), ok), ServerError, 1)
        table[("504 gateway", mode)] = Cell((status(504, b"gateway timeout"), ok), ServerError, 1)
        table[("slow first byte", mode)] = Cell((slow_then(ok),), OK, 1)
        table[("reset before any byte", mode)] = Cell((reset,), APIConnectionError, 1)
        table[("FIN before any byte", mode)] = Cell((fin,), APIConnectionError, 1)
        table[("content filter 400", mode)] = Cell((status(400, error_body("content_filter")),), ContentFilterError, 1)
        table[("HTML 200", mode)] = Cell((status(200, b"<html>hi</html>", ctype="text/html"),), InvalidResponseError, 1)
        table[("nested JSON 429", mode)] = Cell((status(429, NESTED, {"Retry-After": "0"}),) * 3, RateLimitError, 3)
        table[("nested JSON 500", mode)] = Cell((status(500, NESTED),) * 3, ServerError, 3)
        drip_script = json_drip if mode == "json" else stream_keepalive
        table[("keep-alive drip", mode)] = Cell((drip_script,), APITimeoutError, 1, SHORT)
        # The wait the server asks for would end past the call's deadline: raised at once, not slept.
        table[("429 past the deadline", mode)] = Cell(
            (status(429, error_body("429"), {"Retry-After": "50"}), ok), RateLimitError, 1, (("deadline", 30),)
        )
    json_cells: dict[str, Cell] = {
        "mid-body drop": Cell((json_cut,), APIConnectionError, 1),
        "response.failed": Cell((json_200(json.dumps(failed_response("server_error")).encode()),), ServerError, 1),
        "response.incomplete": Cell((json_200(json.dumps(INCOMPLETE).encode()),), GenerationFailedError, 1),
        "moderation": Cell(
            (json_200(json.dumps(failed_response("moderation_blocked")).encode()),), ContentFilterError, 1
        ),
        "text-only": Cell((json_200(json.dumps(TEXT_ONLY).encode()),), NoImageGeneratedError, 1),
        "invalid JSON": Cell((json_200(b'{"id": "resp_1", "output": ['),), InvalidResponseError, 1),
        "JSON array": Cell((json_200(b"[1, 2]"),), InvalidResponseError, 1),
        "error envelope 200": Cell((json_200(error_body("server_error")),), ServerError, 1),
        "no output": Cell((json_200(b'{"id": "resp_1", "status": "completed"}'),), InvalidResponseError, 1),
        "nested JSON 200": Cell((json_200(NESTED),), InvalidResponseError, 1),
        "oversize body": Cell(
            (json_200(response_body(b64(make_png(64, 64)) + "A" * 2 * LIMIT)),), ResponseTooLargeError, 1
        ),
    }
    created = sse_event("response.created", {"response": {"id": "resp_1", "status": "in_progress"}})
    head_ok, closing_ok = stream_events(partials=0)

    def bad_partial(index: int, data: str) -> bytes:
        partial = {"item_id": "ig_1", "partial_image_index": index, "partial_image_b64": data}
        return created + sse_event("response.image_generation_call.partial_image", partial) + head_ok

    stream_cells: dict[str, Cell] = {
        "drop before the final image (reset)": Cell((stream_cut(False, reset),), TruncatedStreamError, 1),
        "drop before the final image (FIN)": Cell((stream_cut(False, fin),), TruncatedStreamError, 1),
        "drop after the final image (FIN)": Cell((stream_cut(True, fin),), OK_WARNED, 1),
        "drop after the final image (reset)": Cell((stream_cut(True, reset),), OK_WARNED, 1),
        "drop after the final image (reset, Azure)": Cell((stream_cut(True, reset, "generating"),), OK_WARNED, 1),
        "in-stream error": Cell(
            (stream_of(created + sse_event("error", {"code": "server_error", "message": "x"})),), ServerError, 1
        ),
        "response.failed": Cell(
            (stream_of(stream_terminal("failed", failed_response("server_error"))),), ServerError, 1
        ),
        "response.incomplete": Cell((stream_of(stream_terminal("incomplete", INCOMPLETE)),), GenerationFailedError, 1),
        "moderation": Cell(
            (stream_of(stream_terminal("failed", failed_response("moderation_blocked"))),), ContentFilterError, 1
        ),
        "text-only": Cell((stream_of(stream_terminal("completed", TEXT_ONLY)),), NoImageGeneratedError, 1),
        "invalid JSON": Cell((stream_of(created + b"data: {not json\n\n"),), InvalidResponseError, 1),
        "JSON array": Cell((stream_of(created + b"data: [1, 2]\n\n"),), InvalidResponseError, 1),
        "nested JSON event": Cell((stream_of(created + b"data: " + NESTED + b"\n\n"),), InvalidResponseError, 1),
        "partial index -1": Cell((stream_of(bad_partial(-1, PARTIAL_OK) + closing_ok),), OK, 1, files=("img.png",)),
        "partial index 10**300": Cell(
            (stream_of(bad_partial(10**300, PARTIAL_OK) + closing_ok),), OK, 1, files=("img.png",)
        ),
        "truncated partial image": Cell(
            (stream_of(bad_partial(0, b64(make_png(4, 4)[:-10])) + closing_ok),), InvalidResponseError, 1
        ),
        "oversize JSON body": Cell(
            (json_200(response_body(b64(make_png(64, 64)) + "A" * 2 * LIMIT)),), ResponseTooLargeError, 1
        ),
        "oversize line": Cell((stream_of(created + b"data: " + b"A" * 4 * LIMIT),), ResponseTooLargeError, 1),
    }
    table.update({(name, "json"): cell for name, cell in json_cells.items()})
    table.update({(name, "stream"): cell for name, cell in stream_cells.items()})
    for name, result in {
        "empty result": "",
        "corrupt base64": "!!!not base64!!!",
        "non-image bytes": b64(b"hello, this is text and not an image at all"),
        "truncated image": b64(FINAL[:-20]),
        "wrong magic": b64(b"\x89PNX" + FINAL[4:]),
        "PNG magic then garbage": b64(FINAL[:8] + bytes(range(256)) * 4),
    }.items():
        table.update(image_cells(name, result))
    return table


CELLS = cells()


def make_client(flavour: str, url: str, **options: Any) -> Any:
    common: dict[str, Any] = {
        "api_key": API_KEY,
        "model": "gpt-4.1",
        "image_deployment": "gpt-image-1",
        "timeout": 5,
        "max_body_bytes": LIMIT,
        "max_event_bytes": LIMIT,
        **options,
    }
    if flavour == "sync":
        return FoundryClient(url, sleep=lambda seconds: None, **common)

    async def no_sleep(seconds: float) -> None:
        return None

    return AsyncFoundryClient(url, sleep=no_sleep, **common)


def run_call(flavour: str, mode: str, url: str, target: Path, **options: Any) -> Any:
    """Generate (or stream) and save to ``target``; the saved path, or the exception raised."""
    tool = ImageGenerationTool(partial_images=2)
    if flavour == "sync":
        with make_client(flavour, url, **options) as client:
            if mode == "json":
                return client.generate("a fox", tool=tool).save(target)
            with client.stream("a fox", tool=tool) as stream:
                return stream.save(target, partials=True)

    async def main() -> Path:
        async with make_client(flavour, url, **options) as client:
            saved: Path
            if mode == "json":
                saved = (await client.generate("a fox", tool=tool)).save(target)
                return saved
            async with client.stream("a fox", tool=tool) as stream:
                saved = await stream.save(target, partials=True)
                return saved

    return asyncio.run(main())


def outcome_of(flavour: str, mode: str, cell: Cell, tmp_path: Path) -> tuple[Any, list[str], int]:
    server = RawServer(list(cell.scripts))
    out = tmp_path / "out"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                run_call(flavour, mode, server.url, out / "img.png", **dict(cell.options))
                outcome: Any = OK_WARNED if any(issubclass(w.category, IncompleteStreamWarning) for w in caught) else OK
            except Exception as exc:
                outcome = exc
    finally:
        server.close()
    return outcome, folder_listing(out), len(server.requests)


#: Cells whose fix has not landed yet (strict: they must fail until it does).
PENDING: dict[tuple[str, str], str] = {}


def _params() -> list[Any]:
    return [
        pytest.param(fault, mode, id=f"{fault}-{mode}", marks=[pytest.mark.xfail(reason=PENDING[(fault, mode)])])
        if (fault, mode) in PENDING
        else pytest.param(fault, mode, id=f"{fault}-{mode}")
        for fault, mode in sorted(CELLS)
    ]


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("fault", "mode"), _params())
def test_cell(fault: str, mode: str, flavour: str, tmp_path: Path) -> None:
    cell = CELLS[(fault, mode)]
    outcome, files, requests = outcome_of(flavour, mode, cell, tmp_path)
    if isinstance(cell.outcome, str):
        assert outcome == cell.outcome, f"{fault}: {outcome!r}"
        default = ["img.png"] + (["img.partial-0.png"] if mode == "stream" else [])
        expected = sorted(cell.files if cell.files is not None else default)
        assert files == expected
    else:
        assert type(outcome) is cell.outcome, f"{fault}: {type(outcome).__name__}: {outcome}"
        assert API_KEY not in str(outcome)
        assert files == []
    assert requests == cell.requests
