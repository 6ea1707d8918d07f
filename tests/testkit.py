"""Helpers shared by the test folders (``from tests.testkit import ...``; tests/ is a package)."""

from __future__ import annotations

import asyncio
import io
import struct
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azure.core.credentials import AccessToken

if TYPE_CHECKING:
    from PIL import Image


def make_png(width: int = 8, height: int = 8, rgba: bool = False) -> bytes:
    """A small valid PNG, built by hand so tests need no image library."""
    channels = 4 if rgba else 3
    row = b"\x00" + bytes(range(width * channels)) * 1
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def encode(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    """The bytes of a Pillow image saved as ``fmt``, for tests that draw their pixels."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


class FakeCredential:
    """A sync azure-core TokenCredential that records the scopes of every call in ``calls``.

    It hands out ``token`` when given, else tok-SECRET-1, tok-SECRET-2, ... (one new token a call),
    each valid for ``lifetime`` seconds; with ``error`` it raises that instead.
    """

    def __init__(self, token: str | None = None, *, lifetime: float = 3600.0, error: Exception | None = None) -> None:
        self.token = token
        self.lifetime = lifetime
        self.error = error
        self.calls: list[tuple[str, ...]] = []

    def _next(self, scopes: tuple[str, ...]) -> AccessToken:
        self.calls.append(scopes)
        if self.error is not None:
            raise self.error
        token = self.token if self.token is not None else f"tok-SECRET-{len(self.calls)}"
        return AccessToken(token, int(time.time() + self.lifetime))

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._next(scopes)


class AsyncFakeCredential(FakeCredential):
    """The async flavour (``async def get_token``); it yields to the loop once, as a real fetch would,
    so concurrent callers overlap."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # type: ignore[override]
        await asyncio.sleep(0)
        return self._next(scopes)

    # The rest of azure-core's AsyncTokenCredential protocol.
    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncFakeCredential:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        pass


def sse(event_type: str, payload: dict[str, object], *, newline: str = "\n") -> bytes:
    """One SSE event as the service frames it: event line, one data line, blank line."""
    import json

    body = json.dumps({"type": event_type, **payload}, separators=(",", ":"))
    return f"event: {event_type}{newline}data: {body}{newline}{newline}".encode()


def image_stream(
    *,
    dialect: str = "openai",
    partials: int = 2,
    final: bytes | None = None,
    newline: str = "\n",
    done_sentinel: bool = False,
) -> bytes:
    """A Responses image stream in the OpenAI dialect (with image_generation_call.completed) or the
    Azure one (no .completed event, last item status "generating"), written by hand from the recorded shapes."""
    import base64

    final = final if final is not None else make_png(16, 16)
    b64 = base64.b64encode(final).decode()
    response = {"id": "resp_s", "object": "response", "status": "in_progress", "output": []}
    item = {"type": "image_generation_call", "id": "ig_s", "status": "in_progress"}
    events = [
        sse("response.created", {"sequence_number": 0, "response": response}, newline=newline),
        sse("response.in_progress", {"sequence_number": 1, "response": response}, newline=newline),
        sse(
            "response.output_item.added",
            {"sequence_number": 2, "output_index": 0, "item": item},
            newline=newline,
        ),
        sse(
            "response.image_generation_call.in_progress",
            {"sequence_number": 3, "item_id": "ig_s"},
            newline=newline,
        ),
        sse(
            "response.image_generation_call.generating",
            {"sequence_number": 4, "item_id": "ig_s"},
            newline=newline,
        ),
    ]
    seq = 5
    for index in range(partials):
        partial = base64.b64encode(make_png(4 * (index + 1), 4 * (index + 1))).decode()
        events.append(
            sse(
                "response.image_generation_call.partial_image",
                {
                    "sequence_number": seq,
                    "item_id": "ig_s",
                    "output_index": 0,
                    "partial_image_index": index,
                    "partial_image_b64": partial,
                    "output_format": "png",
                },
                newline=newline,
            )
        )
        seq += 1
    if dialect == "openai":
        events.append(
            sse(
                "response.image_generation_call.completed",
                {"sequence_number": seq, "item_id": "ig_s"},
                newline=newline,
            )
        )
        seq += 1
    done_item = {
        **item,
        "status": "completed" if dialect == "openai" else "generating",
        "result": b64,
        "revised_prompt": "A fox.",
    }
    events.append(
        sse(
            "response.output_item.done",
            {"sequence_number": seq, "output_index": 0, "item": done_item},
            newline=newline,
        )
    )
    completed = {**response, "status": "completed", "output": [done_item]}
    events.append(sse("response.completed", {"sequence_number": seq + 1, "response": completed}, newline=newline))
    if done_sentinel:
        events.append(f"data: [DONE]{newline}{newline}".encode())
    return b"".join(events)


def listing(folder: Path) -> list[str]:
    """The names in a folder, sorted."""
    return sorted(p.name for p in folder.iterdir())
