"""A retry after a 429 never dies on the keep-alive connection the server just closed (item 15)."""

from __future__ import annotations

import contextlib

import pytest

from tests.reliability.raw_testkit import Conn, RawServer, folder_listing
from tests.reliability.test_fault_matrix import error_body, json_ok, run_call, stream_ok


def rate_limited_then_closed(conn: Conn) -> None:
    # A 429 that keeps the connection open (no Connection: close), then the server drops that connection
    # as the retry arrives on it, without reading or answering it.
    body = error_body("429")
    conn.send(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(OSError):
        conn.sock.recv(1)
    conn.reset()


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("mode", "ok"), [("json", json_ok), ("stream", stream_ok)])
def test_the_retry_reaches_the_service(flavour, mode, ok, tmp_path):
    server = RawServer([rate_limited_then_closed, ok])
    try:
        saved = run_call(flavour, mode, server.url, tmp_path / "img.png")
    finally:
        server.close()
    assert saved == tmp_path / "img.png"
    assert len(server.requests) == 2
    assert "img.png" in folder_listing(tmp_path)
