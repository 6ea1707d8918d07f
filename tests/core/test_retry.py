"""Retry decisions: backoff, which errors are retried, and Retry-After headers."""

from __future__ import annotations

import email.utils

import pytest

from foundry_imagegen import (
    APIConnectionError,
    ContentFilterError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    ServiceError,
)
from foundry_imagegen._core.retry import retry_after_seconds


def policy(**kwargs: object) -> RetryPolicy:
    return RetryPolicy(random=lambda: 0.0, **kwargs)  # type: ignore[arg-type]


def test_backoff_grows_and_caps() -> None:
    error = ServerError("boom", status=500)
    assert [policy(max_retries=6).wait_before_retry(error, n) for n in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]
    assert RetryPolicy(random=lambda: 1.0).wait_before_retry(error, 1) == 0.375


def test_retry_decisions() -> None:
    p = policy(max_retries=2)
    assert p.wait_before_retry(RateLimitError("x", status=429, retry_after=7), 1) == 7
    assert p.wait_before_retry(RateLimitError("x", status=429, retry_after=121), 1) is None
    assert p.wait_before_retry(ServerError("x", status=500), 3) is None
    assert p.wait_before_retry(ServiceError("x", status=408), 1) == 0.5
    assert p.wait_before_retry(ServiceError("x", status=409), 1) == 0.5
    assert p.wait_before_retry(ServiceError("x", status=400), 1) is None
    assert p.wait_before_retry(ContentFilterError("x", status=400), 1) is None
    assert p.wait_before_retry(ServerError("x", status=500, should_retry=False), 1) is None
    assert p.wait_before_retry(ServiceError("x", status=400, should_retry=True), 1) == 0.5
    assert p.wait_before_retry(ServerError("x", status=200), 1) is None  # failed inside a 200: may be billed
    assert p.wait_before_retry(APIConnectionError("x"), 1) == 0.5
    assert p.wait_before_retry(APIConnectionError("x", retryable=False), 1) is None
    assert p.wait_before_retry(ValueError("x"), 1) is None
    with pytest.raises(ValueError, match="max_retries=-1"):
        RetryPolicy(max_retries=-1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": email.utils.formatdate(1_000_030, usegmt=True)}, 30.0),
        ({"retry-after": email.utils.formatdate(999_000, usegmt=True)}, 0.0),
    ],
)
def test_retry_after_header_table(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, now=1_000_000) == expected
