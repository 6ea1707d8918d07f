"""A long data line split over chunks decodes the same whatever the split, `data: ` prefix included."""

from __future__ import annotations

import pytest

from foundry_imagegen import ResponseTooLargeError
from foundry_imagegen._core.sse import SSEDecoder

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
