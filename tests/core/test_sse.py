"""The incremental SSE decoder: any chunking, any line ends, comments, multi-line data, huge lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundry_imagegen._core.sse import ServerSentEvent, SSEDecoder
from tests.testkit import image_stream


def decode(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.flush()


def test_basic_fields() -> None:
    [event] = decode([b'event: ping\nid: 7\nretry: 1500\ndata: {"a": 1}\n\n'])
    assert event == ServerSentEvent(event="ping", data=b'{"a": 1}', id="7", retry=1500)
    assert event.json() == {"a": 1} and event.text == '{"a": 1}'


def test_multiline_data_comments_and_keepalives() -> None:
    events = decode([b": keep-alive\n\ndata: one\ndata:two\n: comment\ndata:  three\n\n"])
    assert [e.data for e in events] == [b"one\ntwo\n three"]


def test_field_without_colon_and_unknown_fields() -> None:
    [event] = decode([b"data\nfoo: bar\ndata: x\n\n"])
    assert event.data == b"\nx"


def test_bom_only_at_the_start() -> None:
    assert decode([b"\xef\xbb", b"\xbfdata: a\n\n"])[0].data == b"a"


def test_last_event_without_blank_line_is_dispatched_at_flush() -> None:
    assert [e.data for e in decode([b"data: a\n\ndata: b"])] == [b"a", b"b"]


def test_id_persists_and_events_reset() -> None:
    events = decode([b"event: x\nid: 1\ndata: a\n\ndata: b\n\n"])
    assert [(e.event, e.id) for e in events] == [("x", "1"), (None, "1")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_split_point_of_a_recorded_stream(newline: str) -> None:
    stream = image_stream(dialect="azure", partials=1, newline=newline, done_sentinel=True)
    expected = decode([stream])
    assert [e.event for e in expected][-2:] == ["response.completed", None]
    for cut in range(1, len(stream)):
        assert decode([stream[:cut], stream[cut:]]) == expected, cut


@given(st.data())
def test_random_chunking_gives_the_same_events(data: st.DataObject) -> None:
    newline = data.draw(st.sampled_from(["\n", "\r\n", "\r"]))
    stream = image_stream(partials=2, newline=newline)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(stream) - 1), max_size=40)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert decode(chunks) == decode([stream])


def test_huge_single_data_line_in_small_chunks() -> None:
    payload = b"A" * (8 * 1024 * 1024 + 3)
    body = b"event: big\ndata: " + payload + b"\n\n"
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for start in range(0, len(body), 65536):
        events += decoder.feed(body[start : start + 65536])
    assert len(events) == 1 and events[0].data == payload
    assert decoder.flush() == []
