"""A long data line split over chunks decodes the same whatever the split, `data: ` prefix and scanning included."""

from __future__ import annotations

import base64
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundry_imagegen import ResponseTooLargeError
from foundry_imagegen._core.sse import ServerSentEvent, SSEDecoder

PAYLOAD = b'{"type":"x","b64":"' + b"A" * 5000 + b'"}'
STREAM = b"event: x\ndata: " + PAYLOAD + b"\n\n"


@pytest.mark.parametrize("cut", [1, 3, 5, 6, 7, 9, 15, 16, 100, len(STREAM) - 3])
@pytest.mark.parametrize("size", [4096, 1 << 20])
def test_any_split_gives_the_same_event(cut: int, size: int) -> None:
    decoder = SSEDecoder()
    events = []
    rest = STREAM[cut:]
    events += decoder.feed(STREAM[:cut])
    for start in range(0, len(rest), size):
        events += decoder.feed(rest[start : start + size])
    events += decoder.flush()
    assert [(e.event, e.data) for e in events] == [("x", PAYLOAD)]


def test_multi_line_data_spread_over_chunks_is_joined_with_newlines() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"data: ab") + decoder.feed(b"cd\ndata:ef") + decoder.feed(b"gh\n\n")
    assert [e.data for e in events] == [b"abcd\nefgh"]


def test_a_line_over_the_limit_ending_in_its_last_piece_is_refused() -> None:
    decoder = SSEDecoder(max_event_bytes=2048)
    decoder.feed(b"data: " + b"A" * 2000)
    with pytest.raises(ResponseTooLargeError):
        decoder.feed(b"A" * 100 + b"\n\n")


IMAGE = bytes(range(256)) * 40
LINE = b'{"type":"x","partial_image_b64":"' + base64.b64encode(IMAGE) + b'","n":1}'
IMAGE_STREAM = b"event: x\ndata: " + LINE + b"\r\n\r\nevent: y\ndata: {}\n\n"


def scanning(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    decoder.scan_keys = (b'"partial_image_b64"',)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.flush()


@settings(max_examples=150, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(IMAGE_STREAM)), max_size=10))
def test_a_scanned_image_line_gives_the_event_as_sent_whatever_the_split(cuts: list[int]) -> None:
    bounds = [0, *sorted(set(cuts)), len(IMAGE_STREAM)]
    events = scanning([IMAGE_STREAM[a:b] for a, b in itertools.pairwise(bounds)])
    assert [(e.event, e.raw) for e in events] == [("x", LINE), ("y", b"{}")]
    for event in events:
        if event.cut is not None:  # the line spanned chunks: its image came out decoded
            assert list(event.cut.decoded.values()) == [IMAGE]
            assert len(event.data) < 100


def test_a_long_image_line_is_decoded_as_it_arrives() -> None:
    size = 1000
    events = scanning([IMAGE_STREAM[i : i + size] for i in range(0, len(IMAGE_STREAM), size)])
    assert events[0].cut is not None and events[0].cut.decoded
    assert events[0].json()["n"] == 1


def test_a_scanned_line_over_the_limit_is_refused() -> None:
    decoder = SSEDecoder(max_event_bytes=4096)
    decoder.scan_keys = (b'"partial_image_b64"',)
    decoder.feed(b'data: {"partial_image_b64":"' + b"A" * 3000)
    with pytest.raises(ResponseTooLargeError):
        decoder.feed(b"A" * 2000)


def test_a_scanned_line_among_other_data_lines_is_given_as_sent() -> None:
    decoder = SSEDecoder()
    decoder.scan_keys = (b'"partial_image_b64"',)
    events = decoder.feed(b"data: " + LINE[:500]) + decoder.feed(LINE[500:] + b"\ndata: 2\n\n")
    assert [(e.data, e.cut) for e in events] == [(LINE + b"\n2", None)]
