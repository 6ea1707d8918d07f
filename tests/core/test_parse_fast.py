"""parse_generation: images decoded straight from the body, with the same results and errors as the plain path."""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from typing import Any

import pytest

from foundry_imagegen import InvalidResponseError, UnknownOutputItem
from foundry_imagegen._core.parse import (
    _cut_images,
    parse_generation,
    parse_response,
    result_from_response,
    without_base64,
)
from foundry_imagegen._core.results import GenerationResult

HEADERS = {"x-request-id": "req-fast"}


def big_png(size: int = 6000, seed: int = 1) -> bytes:
    """A PNG whose chunks are well formed (lengths, CRCs) around ``size`` random bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 64, 32, 8, 2, 0, 0, 0)
    data = random.Random(seed).randbytes(size)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def body(*items: dict[str, Any], separators: tuple[str, str] = (",", ":"), **extra: Any) -> bytes:
    answer = {"id": "resp_1", "object": "response", "status": "completed", "output": list(items), **extra}
    return json.dumps(answer, separators=separators).encode()


def call(result: str | None, item_id: str = "ig_1", **fields: Any) -> dict[str, Any]:
    return {"type": "image_generation_call", "id": item_id, "status": "completed", "result": result, **fields}


def plain(content: bytes, **kwargs: Any) -> GenerationResult:
    response = parse_response(200, HEADERS, content)
    return result_from_response(response, request_id="req-fast", **kwargs)


def fast(content: bytes, *, requested_format: str | None = None, require_image: bool = True) -> GenerationResult:
    return parse_generation(200, HEADERS, content, requested_format=requested_format, require_image=require_image)


PNG = big_png()
B64 = base64.b64encode(PNG).decode()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(body(call(B64, size="64x32", revised_prompt="a fox")), id="compact"),
        pytest.param(body(call(B64), separators=(", ", ": ")), id="spaced"),
        pytest.param(body(call(B64).copy()).replace(b'"result":', b'"result" :\n '), id="space-before-colon"),
        pytest.param(
            body(
                call(B64, "ig_1"),
                {"type": "message", "content": []},
                call(base64.b64encode(big_png(seed=2)).decode(), "ig_2"),
            ),
            id="two-images",
        ),
    ],
)
def test_same_images_and_fields_as_the_plain_path(content: bytes) -> None:
    expected = plain(content, requested_format=None, require_image=True)
    got = fast(content)
    assert [image.data for image in got.images] == [image.data for image in expected.images]
    assert [image.id for image in got.images] == [image.id for image in expected.images]
    assert got.revised_prompt == expected.revised_prompt
    assert got.response == without_base64(parse_response(200, HEADERS, content))
    assert got.request_id == "req-fast"


def test_the_kept_result_holds_the_image_once() -> None:
    result = fast(body(call(B64)))
    assert result.image.data == PNG
    assert all(call.result is None for call in result.response.image_calls)
    assert result.image.call is not None and result.image.call.result is None
    assert B64 not in repr(result.response.model_dump())


def test_the_plain_path_keeps_no_base64_either() -> None:
    result = plain(body(call(B64)), requested_format=None, require_image=True)
    assert result.response.image_calls[0].result is None
    assert result.image.call is not None and result.image.call.result is None


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(body(call(B64)).replace(b"/", b"\\/"), id="escaped-slashes"),
        pytest.param(body(call("data:image/png;base64," + B64)), id="data-url"),
    ],
)
def test_values_that_are_not_strict_base64_go_the_plain_way(content: bytes) -> None:
    rest, decoded = _cut_images(content)
    assert decoded == {} and rest == content
    assert fast(content).image.data == PNG


def test_corrupt_base64_fails_as_before() -> None:
    content = body(call(B64[:-5] + "!!!!="))
    with pytest.raises(InvalidResponseError, match="not valid base64"):
        plain(content, requested_format=None, require_image=True)
    with pytest.raises(InvalidResponseError, match="not valid base64"):
        fast(content)


def test_a_truncated_image_fails_its_whole_image_check() -> None:
    content = body(call(base64.b64encode(PNG[:-40]).decode()))
    assert _cut_images(content)[1]  # decoded straight from the body, then checked like any image
    with pytest.raises(InvalidResponseError, match="not a whole image"):
        fast(content)


def test_a_result_outside_an_image_call_is_kept_as_sent() -> None:
    other = {"type": "code_interpreter_call", "id": "ci_1", "result": B64}
    content = body(call(B64), other)
    result = fast(content)
    assert result.image.data == PNG
    unknown = result.response.output[1]
    assert isinstance(unknown, UnknownOutputItem)
    assert unknown.model_extra is not None and unknown.model_extra["result"] == B64


def test_a_body_holding_a_placeholder_like_string_is_not_cut() -> None:
    content = body(call(B64), instructions="\u0000foundry-imagegen:0")
    assert _cut_images(content) == (content, {})
    assert fast(content).image.data == PNG


def test_small_values_stay_in_the_json() -> None:
    tiny = base64.b64encode(b"\x89PNG").decode()
    assert _cut_images(body(call(tiny)))[1] == {}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(body(call(""), call(None, "ig_2")), id="empty-results"),
        pytest.param(body({"type": "message", "content": [{"type": "output_text", "text": "no"}]}), id="text-only"),
        pytest.param(body(call(B64, status="failed")), id="failed-call"),
        pytest.param(b'{"output": [', id="not-json"),
        pytest.param(body(call(B64), status="failed", error={"code": "server_error", "message": "boom"}), id="failed"),
    ],
)
def test_errors_are_the_plain_path_errors(content: bytes) -> None:
    with pytest.raises(Exception) as plain_error:
        plain(content, requested_format=None, require_image=True)
    with pytest.raises(Exception) as fast_error:
        fast(content)
    assert type(fast_error.value) is type(plain_error.value)
    assert str(fast_error.value) == str(plain_error.value)


def test_without_an_image_required_an_empty_answer_is_fine() -> None:
    result = fast(body(call(None)), require_image=False)
    assert result.images == ()


def test_error_statuses_are_read_from_the_body_as_sent() -> None:
    content = json.dumps({"error": {"code": "server_error", "message": "down"}}).encode()
    with pytest.raises(Exception, match="down"):
        parse_generation(500, HEADERS, content, requested_format=None, require_image=True)
