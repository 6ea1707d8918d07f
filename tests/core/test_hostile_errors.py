"""Errors stay small and say the right thing (issue 9, items 10 and 16)."""

from __future__ import annotations

import json

import pytest

from foundry_imagegen._core.parse import error_from_http, parse_response
from foundry_imagegen._core.retry import RetryPolicy
from foundry_imagegen._core.stream import stream_body_kind
from foundry_imagegen.exceptions import InvalidResponseError, ServerError


def test_a_huge_error_message_is_capped_in_str_and_body():
    content = json.dumps({"error": {"code": "server_error", "message": "x" * 5_000_000}}).encode()
    error = error_from_http(500, {}, content)
    assert len(str(error)) < 5000
    assert "more characters not kept" in error.message
    assert len(str(error.body)) < 1000


def test_a_huge_non_json_error_body_is_a_snippet():
    error = error_from_http(500, {}, b"<html>" + b"y" * 1_000_000)
    assert len(str(error)) < 2000 and len(str(error.body)) < 1000


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_are_not_resent_for_a_post_but_are_for_a_get(status):
    policy = RetryPolicy(max_retries=2, random=lambda: 0.0)
    post = error_from_http(status, {}, b"bad gateway", method="POST")
    get = error_from_http(status, {}, b"bad gateway", method="GET")
    assert isinstance(post, ServerError) and not post.retryable
    assert policy.wait_before_retry(post, 1) is None
    assert policy.wait_before_retry(get, 1) is not None


def test_500_and_503_are_still_resent_for_a_post():
    policy = RetryPolicy(max_retries=2, random=lambda: 0.0)
    for status in (500, 503):
        assert policy.wait_before_retry(error_from_http(status, {}, b"", method="POST"), 1) is not None


def test_an_error_envelope_in_a_200_is_that_error():
    with pytest.raises(ServerError, match="overloaded"):
        parse_response(200, {}, json.dumps({"error": {"code": "server_error", "message": "overloaded"}}).encode())


def test_a_completed_response_without_output_is_invalid_not_no_image():
    with pytest.raises(InvalidResponseError, match="no output list"):
        parse_response(200, {}, b'{"id": "r", "status": "completed"}')


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("text/event-stream", "events"),
        ("text/event-stream; charset=utf-8", "events"),
        ("", "events"),
        ("application/json", "json"),
        ("text/html", "other"),
        ("text/plain", "other"),
    ],
)
def test_stream_body_kind(content_type, kind):
    assert stream_body_kind(content_type) == kind
