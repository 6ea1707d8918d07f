"""Streams read by events alone hold no decoded partials; partial files are checked before reading (items 7, 8)."""

from __future__ import annotations

import asyncio

import pytest
from raw_testkit import RawServer, sse_response, stream_events
from test_fault_matrix import make_client


def many_partials(conn):
    head, closing = stream_events(partials=3)
    sse_response(conn, head + closing)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_iterating_events_keeps_no_decoded_image(flavour):
    server = RawServer([many_partials])
    held: list[int] = []
    try:
        if flavour == "sync":
            with make_client("sync", server.url) as client, client.stream("a fox") as stream:
                for _ in stream:
                    held.append(len(stream._processor._ready))
        else:

            async def main() -> None:
                async with make_client("async", server.url) as client, client.stream("a fox") as stream:
                    async for _ in stream:
                        held.append(len(stream._processor._ready))

            asyncio.run(main())
    finally:
        server.close()
    assert held and max(held) == 0
