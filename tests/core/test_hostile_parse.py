"""Hostile answers end in a result or an SDK error: deep nesting, corrupt images (issue 9, items 2 and 3)."""

from __future__ import annotations

import base64
import contextlib
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundry_imagegen._core.images import image_problem
from foundry_imagegen._core.parse import decode_image, parse_model, parse_response, result_from_response
from foundry_imagegen._core.results import Response
from foundry_imagegen._core.stream import StreamProcessor
from foundry_imagegen.exceptions import FoundryImageGenError, InvalidResponseError, RateLimitError, ServerError
from tests.testkit import make_png

DEEP_LIST = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000
DEEP_INSIDE = b'{"id":"r","output":[],"x":' + b"[" * 900 + b"]" * 900 + b"}"


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT, DEEP_INSIDE], ids=["list", "object", "inside"])
@pytest.mark.parametrize(("status", "error"), [(200, InvalidResponseError), (429, RateLimitError), (500, ServerError)])
def test_nested_json_bodies_raise_typed_errors(body, status, error):
    if body is DEEP_INSIDE and status == 200:
        assert parse_response(200, {}, body).id == "r"  # deep but readable: still a result
        return
    with pytest.raises(error):
        parse_response(status, {}, body)


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT])
def test_nested_json_in_a_stream_event_is_invalid_response(body):
    with pytest.raises(InvalidResponseError):
        StreamProcessor().feed(b"data: " + body + b"\n\n")


def test_nested_json_for_a_model_is_invalid_response():
    with pytest.raises(InvalidResponseError):
        parse_model(200, {}, DEEP_OBJECT, Response)


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def _progressive_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 80).convert("RGB").save(buffer, "JPEG", progressive=True, quality=90)
    return buffer.getvalue()


def _webp() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (16, 16), (1, 2, 3, 4)).save(buffer, "WEBP")
    return buffer.getvalue()


def test_whole_images_pass():
    assert image_problem(make_png(), "png") is None
    assert image_problem(_jpeg(), "jpeg") is None
    assert image_problem(_progressive_jpeg(), "jpeg") is None
    assert image_problem(_webp(), "webp") is None


PNG = make_png(16, 16)


@pytest.mark.parametrize(
    ("data", "fmt", "says"),
    [
        (PNG[:-12], "png", "IEND"),
        (PNG[:40], "png", "truncated PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "png", "instead of IHDR"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x00" + b"\x01\x02\x03\x04" * 5, "png", "invalid type"),
        (PNG[:30] + bytes([PNG[30] ^ 0xFF]) + PNG[31:], "png", "CRC"),
        (b"\x89PNG\r\n\x1a\n", "png", "truncated PNG"),
    ],
)
def test_broken_pngs_are_named(data, fmt, says):
    problem = image_problem(data, fmt)
    assert problem is not None and says in problem


def test_broken_jpegs_and_webps_are_named():
    jpeg = _jpeg()
    assert "EOI" in (image_problem(jpeg[:-2], "jpeg") or "")
    assert image_problem(jpeg[: len(jpeg) // 2], "jpeg") is not None
    assert image_problem(b"\xff\xd8\xff\xe0" + bytes(20), "jpeg") is not None
    assert image_problem(b"\xff\xd8\xff", "jpeg") is not None
    webp = _webp()
    assert "RIFF" in (image_problem(webp[:-4], "webp") or "")
    assert image_problem(b"RIFF\x04\x00\x00\x00WEBP", "webp") is not None


def test_decode_image_refuses_a_truncated_png_naming_the_problem():
    encoded = base64.b64encode(PNG[:-12]).decode()
    with pytest.raises(InvalidResponseError, match=r"ig_1 is not a whole image: truncated PNG"):
        decode_image("ig_1", encoded)


def test_a_response_with_a_truncated_image_is_not_a_result():
    body = {
        "id": "r",
        "status": "completed",
        "output": [
            {
                "type": "image_generation_call",
                "id": "ig_1",
                "status": "completed",
                "result": base64.b64encode(PNG[:-5]).decode(),
            }
        ],
    }
    response = parse_response(200, {}, json.dumps(body).encode())
    with pytest.raises(InvalidResponseError, match="not a whole image"):
        result_from_response(response, request_id=None, requested_format="png", require_image=True)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["png", "jpeg", "webp"]))
def test_image_problem_never_raises(tail, fmt):
    heads = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "webp": b"RIFF\x10\x00\x00\x00WEBP"}
    result = image_problem(heads[fmt] + tail, fmt)
    assert result is None or isinstance(result, str)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([200, 400, 429, 500]))
def test_parse_response_ends_in_a_result_or_an_sdk_error(content, status):
    with contextlib.suppress(FoundryImageGenError):
        parse_response(status, {}, content)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["type", "error", "response", "a"]), inner, max_size=3)
        ),
    )
)
def test_stream_events_end_in_an_event_or_an_sdk_error(payload):
    with contextlib.suppress(FoundryImageGenError):
        StreamProcessor().feed(b"data: " + json.dumps(payload).encode() + b"\n\n")
