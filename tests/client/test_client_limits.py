"""Size limits: options checked at construction, a body or event past its limit fails at once (issue 9, item 1)."""

from __future__ import annotations

import pytest

from foundry_imagegen import AsyncFoundryClient, ConfigurationError, FoundryClient, ResponseTooLargeError
from foundry_imagegen._core.constants import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVENT_BYTES
from foundry_imagegen._core.limits import BodyBuffer
from foundry_imagegen._core.sse import SSEDecoder


@pytest.mark.parametrize("cls", [FoundryClient, AsyncFoundryClient])
@pytest.mark.parametrize("option", ["max_body_bytes", "max_event_bytes"])
@pytest.mark.parametrize("value", [0, -1, 10, 1.5, True, "1"])
def test_bad_limits_are_refused_naming_the_option(cls, option, value):
    with pytest.raises(ConfigurationError, match=rf"{option}=.*Fix"):
        cls("https://acme.openai.azure.com", api_key="k", **{option: value})


def test_defaults_are_well_above_the_largest_image():
    largest_base64 = 3840 * 2160 * 4 * 4 // 3  # raw RGBA 4K, base64
    assert largest_base64 * 1.4 < DEFAULT_MAX_EVENT_BYTES
    assert DEFAULT_MAX_BODY_BYTES >= 2 * DEFAULT_MAX_EVENT_BYTES


def test_a_line_that_never_ends_fails_once_past_the_limit():
    decoder = SSEDecoder(max_event_bytes=4096)
    decoder.feed(b"data: " + b"A" * 4000)
    with pytest.raises(ResponseTooLargeError) as info:
        decoder.feed(b"A" * 200)
    assert info.value.limit == 4096 and info.value.option == "max_event_bytes"
    assert "max_event_bytes=4096" in str(info.value)


def test_an_event_of_many_data_lines_is_bounded_too():
    decoder = SSEDecoder(max_event_bytes=4096)
    with pytest.raises(ResponseTooLargeError):
        decoder.feed(b"data: " + b"A" * 1000 + b"\n" * 1 + (b"data: " + b"A" * 1000 + b"\n") * 4)


def test_a_line_that_ends_within_the_limit_is_fine():
    decoder = SSEDecoder(max_event_bytes=4096)
    events = decoder.feed(b"data: " + b"A" * 3000) + decoder.feed(b"\n\n")
    assert len(events[0].data) == 3000


def test_body_buffer_refuses_past_its_limit():
    buffer = BodyBuffer(2048)
    buffer.feed(b"x" * 2048)
    with pytest.raises(ResponseTooLargeError, match="max_body_bytes=2048"):
        buffer.feed(b"x")
