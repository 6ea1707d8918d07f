"""Response parsing and error classification: bytes in, result or typed error out."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundry_imagegen import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    DeploymentNotFoundError,
    FoundryImageGenError,
    GenerationFailedError,
    ImageDeploymentError,
    ImageFormatWarning,
    InvalidResponseError,
    NoImageGeneratedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceError,
    UnknownOutputItem,
)
from foundry_imagegen._core.parse import error_from_http, parse_response, result_from_response
from tests.testkit import make_png

HEADERS = {"x-request-id": "req-123", "content-type": "application/json"}
MISSING_HEADER = {
    "error": {
        "message": ("imagegen deployment must be provided through header: x-ms-oai-image-generation-deployment"),
        "type": "image_generation_user_error",
        "param": "tools",
        "code": "invalid_request_error",
    }
}


def body(**fields: Any) -> bytes:
    return json.dumps({"id": "resp_1", "object": "response", "status": "completed", "output": [], **fields}).encode()


def image_item(data: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "type": "image_generation_call",
        "id": "ig_1",
        "status": "completed",
        "result": base64.b64encode(data).decode(),
        **extra,
    }


def parse_result(content: bytes, *, require_image: bool = True, fmt: str | None = None) -> Any:
    response = parse_response(200, HEADERS, content)
    return result_from_response(response, request_id="req-123", requested_format=fmt, require_image=require_image)


def test_image_and_text_and_unknown_items() -> None:
    png = make_png(16, 9)
    result = parse_result(
        body(
            output=[
                {"type": "reasoning", "id": "rs_1", "summary": []},
                image_item(png, revised_prompt="A fox.", size="1024x1024", quality="high"),
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "Here it is."}, {"type": "new_kind"}],
                },
            ],
            usage={"input_tokens": 5, "output_tokens": 7, "total_tokens": 12},
            some_new_field={"x": 1},
        )
    )
    assert result.image.data == png
    assert (result.image.format, result.image.width, result.image.height) == ("png", 16, 9)
    assert result.revised_prompt == "A fox." and result.text == "Here it is."
    assert result.usage is not None and result.usage.total_tokens == 12
    assert isinstance(result.response.output[0], UnknownOutputItem)
    assert result.response.model_extra == {"some_new_field": {"x": 1}}
    assert result.request_id == "req-123" and result.id == "resp_1"
    assert "bytes=" in repr(result.image) and png.hex() not in repr(result)


def test_format_mismatch_warns() -> None:
    with pytest.warns(ImageFormatWarning, match="asked for output_format='jpeg' but got png"):
        parse_result(body(output=[image_item(make_png())]), fmt="jpeg")


@pytest.mark.parametrize(
    ("output", "error", "code"),
    [
        ([], NoImageGeneratedError, "no_image"),
        (
            [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "No."}]}],
            NoImageGeneratedError,
            "no_image",
        ),
        (
            [{"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": ""}],
            NoImageGeneratedError,
            "empty_result",
        ),
        (
            [{"type": "image_generation_call", "id": "ig_1", "status": "failed", "result": None}],
            GenerationFailedError,
            "image_generation_failed",
        ),
    ],
)
def test_no_image_is_an_error_not_an_empty_list(output: list[Any], error: type[Exception], code: str) -> None:
    with pytest.raises(error) as info:
        parse_result(body(output=output))
    assert getattr(info.value, "code", None) == code
    assert parse_result(body(output=output), require_image=False).images == ()


def test_no_image_error_keeps_the_text() -> None:
    text_only = [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "I won't."}]}]
    with pytest.raises(NoImageGeneratedError) as info:
        parse_result(body(output=text_only))
    assert info.value.text == "I won't." and "force_image" in info.value.hint


@pytest.mark.parametrize(
    "result_value",
    ["not base64!!", base64.b64encode(b"BM6 a bitmap, not ours").decode()],
)
def test_corrupt_images_are_typed(result_value: str) -> None:
    item = {"type": "image_generation_call", "id": "ig_9", "status": "completed", "result": result_value}
    with pytest.raises(InvalidResponseError, match="ig_9"):
        parse_result(body(output=[item]))


@pytest.mark.parametrize(
    ("status", "payload", "error", "code"),
    [
        (400, MISSING_HEADER, ImageDeploymentError, "invalid_request_error"),
        (
            400,
            {
                "error": {
                    "message": "The model 'nope' does not exist.",
                    "type": "image_generation_user_error",
                    "param": "model",
                    "code": "invalid_value",
                }
            },
            ImageDeploymentError,
            "invalid_value",
        ),
        (
            404,
            {"error": {"code": "DeploymentNotFound", "message": "The API deployment ... does not exist."}},
            DeploymentNotFoundError,
            "DeploymentNotFound",
        ),
        (404, {"error": {"code": "not_found", "message": "nope"}}, NotFoundError, "not_found"),
        (401, {"error": {"code": "401", "message": "Access denied"}}, AuthenticationError, "401"),
        (403, {"error": {"code": "Forbidden", "message": "no role"}}, PermissionDeniedError, "Forbidden"),
        (429, {"error": {"code": "429", "message": "Please retry after 7 seconds."}}, RateLimitError, "429"),
        (
            500,
            {
                "error": {
                    "message": "An error occurred",
                    "type": "server_error",
                    "param": None,
                    "code": "server_error",
                }
            },
            ServerError,
            "server_error",
        ),
        (503, {"error": {"message": "busy"}}, ServerError, None),
        (
            400,
            {
                "error": {
                    "message": "Hosted tool 'image_generation' is not supported with gpt-3.5.",
                    "type": "invalid_request_error",
                    "param": "tools",
                    "code": None,
                }
            },
            BadRequestError,
            None,
        ),
        (418, {"error": {"message": "teapot"}}, ServiceError, None),
    ],
)
def test_http_errors_are_typed(status: int, payload: Any, error: type[ServiceError], code: str | None) -> None:
    with pytest.raises(error) as info:
        parse_response(status, HEADERS, json.dumps(payload).encode())
    exc = info.value
    assert type(exc) is error
    assert (exc.status, exc.code, exc.request_id, exc.body) == (status, code, "req-123", payload)
    assert exc.hint and "Hint:" in str(exc) and "req-123" in str(exc)


def test_missing_header_hint_says_what_to_do() -> None:
    exc = error_from_http(400, {}, json.dumps(MISSING_HEADER).encode())
    assert "deployment=" in exc.hint and exc.param == "tools" and not exc.retryable


def test_rate_limit_reads_retry_after_from_headers_then_message() -> None:
    exc = error_from_http(429, {"retry-after-ms": "2500"}, b'{"error": {"code": "429", "message": "slow"}}')
    assert isinstance(exc, RateLimitError) and exc.retry_after == 2.5 and exc.retryable
    exc = error_from_http(429, {}, b'{"error":{"code":"429","message":"Please retry after 12 seconds."}}')
    assert exc.retry_after == 12.0


def test_content_filter_http_400_with_categories() -> None:
    payload = {
        "error": {
            "message": "The response was filtered due to the prompt triggering the content policy.",
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": {
                    "hate": {"filtered": False, "severity": "safe"},
                    "jailbreak": {"filtered": False, "detected": True},
                    "violence": {"filtered": True, "severity": "medium"},
                },
            },
        }
    }
    exc = error_from_http(400, HEADERS, json.dumps(payload).encode())
    assert isinstance(exc, ContentFilterError)
    assert exc.categories == ("jailbreak", "violence") and not exc.retryable and exc.param == "prompt"


@pytest.mark.parametrize("code", ["moderation_blocked", "image_content_policy_violation", "content_filter"])
def test_failed_response_with_moderation_is_content_filter(code: str) -> None:
    with pytest.raises(ContentFilterError) as info:
        parse_response(200, HEADERS, body(status="failed", error={"code": code, "message": "blocked"}))
    assert info.value.status == 200 and info.value.code == code


def test_failed_and_incomplete_responses() -> None:
    # One condition, one type, however it arrives; inside a 200 it is never resent (it may be billed).
    with pytest.raises(ServerError) as info:
        parse_response(200, HEADERS, body(status="failed", error={"code": "server_error", "message": "oops"}))
    assert info.value.status == 200
    with pytest.raises(GenerationFailedError) as failed:
        parse_response(200, HEADERS, body(status="failed", error={"code": "invalid_image", "message": "bad"}))
    assert failed.value.code == "invalid_image" and not failed.value.retryable
    with pytest.raises(ContentFilterError):
        parse_response(200, HEADERS, body(status="incomplete", incomplete_details={"reason": "content_filter"}))
    with pytest.raises(GenerationFailedError, match="max_output_tokens"):
        parse_response(200, HEADERS, body(status="incomplete", incomplete_details={"reason": "max_output_tokens"}))


@pytest.mark.parametrize(
    "content",
    [b"", b"<html>gateway</html>", b"[]", b'"text"', b'{"output": []}', b'{"id": 5, "output": "x"}'],
)
def test_not_a_response_is_invalid_response(content: bytes) -> None:
    with pytest.raises(InvalidResponseError):
        parse_response(200, HEADERS, content)


def test_non_json_error_body_keeps_a_snippet() -> None:
    exc = error_from_http(502, {"apim-request-id": "apim-1"}, b"<html>Bad Gateway</html>")
    assert isinstance(exc, ServerError) and exc.request_id == "apim-1" and "Bad Gateway" in exc.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
item_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["image_generation_call", "message", "reasoning", 3, None])},
    optional={
        "id": json_values,
        "status": st.sampled_from(["completed", "failed", "generating", None]),
        "result": st.one_of(st.text(max_size=30), st.none(), st.just(base64.b64encode(make_png()).decode())),
        "content": json_values,
    },
)
response_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=8), st.integers()),
        "status": st.sampled_from(["completed", "failed", "incomplete", "in_progress", None, 7]),
        "output": st.one_of(st.lists(item_like, max_size=3), json_values),
        "error": json_values,
        "incomplete_details": json_values,
        "usage": json_values,
    },
)


@given(st.one_of(json_values, response_like), st.sampled_from([200, 400, 401, 404, 429, 500]))
def test_random_json_gives_a_result_or_a_typed_error(payload: Any, status: int) -> None:
    content = json.dumps(payload).encode()
    try:
        response = parse_response(status, HEADERS, content)
        result_from_response(response, request_id=None, requested_format=None, require_image=True)
    except FoundryImageGenError:
        pass


@given(st.binary(max_size=64), st.sampled_from([200, 400, 500]))
def test_random_bytes_give_a_result_or_a_typed_error(content: bytes, status: int) -> None:
    with contextlib.suppress(FoundryImageGenError):
        parse_response(status, HEADERS, content)


def test_incomplete_response_that_holds_a_finished_image_keeps_it(caplog: pytest.LogCaptureFixture) -> None:
    content = body(
        status="incomplete", incomplete_details={"reason": "max_output_tokens"}, output=[image_item(make_png())]
    )
    result = parse_result(content)
    assert result.image.data == make_png() and result.response.status == "incomplete"
    assert "holds a finished image" in caplog.text
    with pytest.raises(ContentFilterError):
        parse_result(
            body(status="incomplete", incomplete_details={"reason": "content_filter"}, output=[image_item(make_png())])
        )
