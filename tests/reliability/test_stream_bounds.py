"""Streams read by events alone hold no decoded partials; partial files are checked before reading (items 7, 8)."""

from __future__ import annotations

import asyncio

import pytest

from foundry_imagegen import ImageGenerationTool, ResponseTooLargeError, TruncatedStreamError
from tests.reliability.raw_testkit import RawServer, folder_listing, sse_response, stream_events
from tests.reliability.test_fault_matrix import make_client


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


def cut_after_partials(conn):
    head, _ = stream_events(partials=2)
    sse_response(conn, head[: head.index(b"event: response.output_item.done")])
    conn.reset()


def save_stream(flavour: str, url: str, target, *, overwrite: bool) -> tuple[object, int]:
    """(the exception or path, events read) of stream.save(target, partials=True)."""
    seen = [0]
    tool = ImageGenerationTool(partial_images=2)
    try:
        if flavour == "sync":
            with make_client("sync", url) as client, client.stream("a fox", tool=tool) as stream:
                try:
                    return stream.save(target, partials=True, overwrite=overwrite), stream.events_seen
                finally:
                    seen[0] = stream.events_seen

        async def main() -> object:
            async with make_client("async", url) as client, client.stream("a fox", tool=tool) as stream:
                try:
                    return await stream.save(target, partials=True, overwrite=overwrite)
                finally:
                    seen[0] = stream.events_seen

        return asyncio.run(main()), seen[0]
    except Exception as exc:
        return exc, seen[0]


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_an_existing_partial_file_is_refused_before_the_stream_is_read(flavour, tmp_path):
    (tmp_path / "img.partial-1.png").write_bytes(b"mine")
    server = RawServer([many_partials])
    try:
        outcome, events = save_stream(flavour, server.url, tmp_path / "img.png", overwrite=False)
    finally:
        server.close()
    assert isinstance(outcome, FileExistsError) and "img.partial-1.png" in str(outcome)
    assert events == 0
    assert folder_listing(tmp_path) == ["img.partial-1.png"]
    assert (tmp_path / "img.partial-1.png").read_bytes() == b"mine"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_overwrite_puts_back_the_users_partial_file_when_the_stream_fails(flavour, tmp_path):
    (tmp_path / "img.partial-0.png").write_bytes(b"mine")
    server = RawServer([cut_after_partials])
    try:
        outcome, _ = save_stream(flavour, server.url, tmp_path / "img.png", overwrite=True)
    finally:
        server.close()
    assert isinstance(outcome, TruncatedStreamError)
    assert folder_listing(tmp_path) == ["img.partial-0.png"]
    assert (tmp_path / "img.partial-0.png").read_bytes() == b"mine"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_overwrite_replaces_the_users_partial_file_when_the_stream_succeeds(flavour, tmp_path):
    (tmp_path / "img.partial-0.png").write_bytes(b"mine")
    server = RawServer([many_partials])
    try:
        outcome, _ = save_stream(flavour, server.url, tmp_path / "img.png", overwrite=True)
    finally:
        server.close()
    assert outcome == tmp_path / "img.png"
    assert folder_listing(tmp_path) == ["img.partial-0.png", "img.partial-1.png", "img.partial-2.png", "img.png"]
    assert (tmp_path / "img.partial-0.png").read_bytes() != b"mine"


def test_an_endless_line_stops_the_reading_early(tmp_path):
    """The client hangs up soon after the limit: the server cannot push 64 MiB into it."""
    sent = [0]

    def endless(conn):
        conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: ")
        piece = b"A" * 65536
        try:
            for _ in range(1024):
                conn.sock.sendall(piece)
                sent[0] += len(piece)
        except OSError:
            return

    server = RawServer([endless])
    try:
        with (
            pytest.raises(ResponseTooLargeError),
            make_client("sync", server.url) as client,
            client.stream("a fox") as stream,
        ):
            stream.final()
    finally:
        server.close()
    assert sent[0] < 32 * 1024 * 1024  # the limit is 64 KiB; socket buffers hold a few MiB more
