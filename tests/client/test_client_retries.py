"""Retries: what is resent, how long the client waits (recorded, never slept), and what is raised."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
import tenacity

from foundry_imagegen import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    RateLimitError,
    ServerError,
)
from tests.client.wire import PNG, PROJECT_URL, error_response, ok_response, rate_limited, server_error


def first_backoff_ok(seconds: float) -> bool:
    # min(0.5 * 2**0, 8) less up to 25 % jitter.
    return 0.375 <= seconds <= 0.5


async def test_500_then_429_then_success(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [server_error(), rate_limited(**{"retry-after": "3"}), ok_response()]
    client = h.client()

    result = await h.run(client.generate, "a red fox")

    assert result.image.data == PNG
    assert route.call_count == 3
    assert len(h.waits) == 2
    assert first_backoff_ok(h.waits[0]), h.waits
    assert h.waits[1] == 3.0
    ids = {call.request.headers["x-ms-client-request-id"] for call in route.calls}
    assert len(ids) == 1


async def test_retry_after_ms(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [rate_limited(**{"retry-after-ms": "1500"}), ok_response()]
    client = h.client()

    await h.run(client.generate, "a red fox")

    assert route.call_count == 2
    assert h.waits == [1.5]


async def test_retry_after_ms_wins_over_retry_after(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [rate_limited(**{"retry-after-ms": "1500", "retry-after": "9"}), ok_response()]
    client = h.client()

    await h.run(client.generate, "a red fox")

    assert h.waits == [1.5]


async def test_retry_after_as_http_date(h):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [rate_limited(**{"retry-after": when}), ok_response()]
    client = h.client()

    await h.run(client.generate, "a red fox")

    assert route.call_count == 2
    assert len(h.waits) == 1
    # The date has whole seconds, so the wait is a little under 30 s.
    assert 27.0 <= h.waits[0] <= 30.0, h.waits


async def test_retry_after_on_a_500_is_honoured(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [server_error(**{"retry-after": "2"}), ok_response()]
    client = h.client()

    await h.run(client.generate, "a red fox")

    assert h.waits == [2.0]


async def test_retry_after_beyond_max_retry_wait_raises_at_once(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=rate_limited(**{"retry-after": "500"}))
    client = h.client()

    with pytest.raises(RateLimitError) as info:
        await h.run(client.generate, "a red fox")

    assert info.value.retry_after == 500.0
    assert route.call_count == 1
    assert h.waits == []


async def test_max_retry_wait_is_configurable(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [rate_limited(**{"retry-after": "500"}), ok_response()]
    client = h.client(max_retry_wait=600)

    await h.run(client.generate, "a red fox")

    assert route.call_count == 2
    assert h.waits == [500.0]


async def test_max_retries_zero_sends_once(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=server_error())
    client = h.client(max_retries=0)

    with pytest.raises(ServerError):
        await h.run(client.generate, "a red fox")

    assert route.call_count == 1
    assert h.waits == []


async def test_server_errors_exhaust_retries_with_the_typed_error(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=server_error())
    client = h.client()

    with pytest.raises(ServerError) as info:
        await h.run(client.generate, "a red fox")

    assert type(info.value) is ServerError
    assert not isinstance(info.value, tenacity.RetryError)
    assert info.value.status == 500
    assert route.call_count == 3
    assert len(h.waits) == 2
    assert first_backoff_ok(h.waits[0])
    assert 0.75 <= h.waits[1] <= 1.0


async def test_rate_limits_exhaust_retries_with_the_typed_error(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=rate_limited(**{"retry-after": "1"}))
    client = h.client(max_retries=3)

    with pytest.raises(RateLimitError) as info:
        await h.run(client.generate, "a red fox")

    assert type(info.value) is RateLimitError
    assert info.value.retry_after == 1.0
    assert route.call_count == 4
    assert h.waits == [1.0, 1.0, 1.0]


async def test_x_should_retry_false_stops_retries(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=server_error(**{"x-should-retry": "false"}))
    client = h.client()

    with pytest.raises(ServerError) as info:
        await h.run(client.generate, "a red fox")

    assert route.call_count == 1
    assert h.waits == []
    assert info.value.retryable is False


async def test_400_is_sent_once(h):
    error = {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}
    route = h.mock.post(PROJECT_URL).mock(return_value=error_response(400, error))
    client = h.client()

    with pytest.raises(BadRequestError):
        await h.run(client.generate, "a red fox")

    assert route.call_count == 1
    assert h.waits == []


async def test_connect_error_is_retried(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [httpx.ConnectError("connection refused"), ok_response()]
    client = h.client()

    result = await h.run(client.generate, "a red fox")

    assert result.image.data == PNG
    assert route.call_count == 2
    assert len(h.waits) == 1
    assert first_backoff_ok(h.waits[0])


async def test_connect_errors_exhaust_retries(h):
    route = h.mock.post(PROJECT_URL).mock(side_effect=httpx.ConnectError("connection refused"))
    client = h.client()

    with pytest.raises(APIConnectionError) as info:
        await h.run(client.generate, "a red fox")

    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert route.call_count == 3


async def test_read_timeout_is_not_retried(h):
    route = h.mock.post(PROJECT_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    client = h.client()

    with pytest.raises(APITimeoutError) as info:
        await h.run(client.generate, "a red fox")

    assert info.value.retryable is False
    assert info.value.hint == APITimeoutError.hint
    assert route.call_count == 1
    assert h.waits == []


async def test_connect_timeout_is_retried(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [httpx.ConnectTimeout("timed out"), ok_response()]
    client = h.client()

    result = await h.run(client.generate, "a red fox")

    assert result.image.data == PNG
    assert route.call_count == 2
    assert len(h.waits) == 1
