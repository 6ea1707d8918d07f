"""No exception in the chain of an error holds the key: not in its text, not in a chained request (item 10)."""

from __future__ import annotations

import pytest

from tests.reliability.raw_testkit import API_KEY, Conn, RawServer, sse_response, stream_events
from tests.reliability.test_fault_matrix import run_call


def reset(conn: Conn) -> None:
    conn.reset()


def cut_stream(conn: Conn) -> None:
    head, _ = stream_events()
    sse_response(conn, head[:200])
    conn.reset()


def chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("mode", "script"), [("json", reset), ("stream", reset), ("stream", cut_stream)])
def test_no_key_anywhere_in_the_chain(flavour, mode, script, tmp_path):
    server = RawServer([script])
    try:
        with pytest.raises(Exception) as info:
            run_call(flavour, mode, server.url, tmp_path / "img.png")
    finally:
        server.close()
    for exc in chain(info.value):
        assert API_KEY not in str(exc) and API_KEY not in repr(exc)
        request = getattr(exc, "_request", None)
        if request is not None:
            assert API_KEY not in str(dict(request.headers))
    assert any(getattr(exc, "_request", None) is not None for exc in chain(info.value))
