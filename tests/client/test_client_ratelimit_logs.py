"""``result.rate_limit`` / ``exc.rate_limit`` and ``.http`` on both clients, and the per-attempt log lines."""

from __future__ import annotations

import logging

import pytest

from foundry_imagegen import RateLimitError
from foundry_imagegen._shell import tracing
from tests.client.test_client_stream import mock_stream
from tests.client.wire import PROJECT_URL, ok_response, rate_limited, server_error
from tests.harness import API_KEY
from tests.testkit import image_stream

LIMITS = {"x-ratelimit-remaining-requests": "19", "x-ratelimit-remaining-tokens": "900", "x-ms-region": "West Europe"}


async def test_a_result_carries_rate_limit_and_http(h):
    h.mock.post(PROJECT_URL).mock(return_value=ok_response(headers=LIMITS))
    client = h.client()

    result = await h.run(client.generate, "a fox")

    assert result.rate_limit.remaining_requests == 19
    assert result.rate_limit.remaining_tokens == 900
    assert result.rate_limit.region == "West Europe"
    assert result.rate_limit.request_id == "req-ok-1"
    assert result.http.status == 200
    assert result.http.headers["x-ms-region"] == "West Europe"


async def test_an_error_carries_rate_limit_and_http(h):
    h.mock.post(PROJECT_URL).mock(return_value=rate_limited(**{"retry-after-ms": "250", **LIMITS}))
    client = h.client(max_retries=0)

    with pytest.raises(RateLimitError) as caught:
        await h.run(client.generate, "a fox")

    assert caught.value.rate_limit is not None and caught.value.rate_limit.retry_after == 0.25
    assert caught.value.http is not None and caught.value.http.status == 429


async def test_a_stream_result_and_a_refused_stream_carry_them_too(h):
    mock_stream(h, image_stream(partials=0))
    client = h.client()
    async with h.opened(client) as stream:
        result = await h.run(stream.final)
    assert result.http.status == 200 and result.rate_limit.request_id == "r1"


async def test_one_info_line_per_attempt_and_no_key_in_debug(h, caplog):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [server_error(), ok_response()]
    client = h.client()

    with caplog.at_level(logging.DEBUG, logger="foundry_imagegen"):
        await h.run(client.generate, "a fox")

    lines = [r.getMessage() for r in caplog.records if r.name == "foundry_imagegen.http" and r.levelno == logging.INFO]
    assert len(lines) == 2
    assert lines[0].startswith("POST /api/projects/p1/openai/v1/responses -> 500 in ")
    assert lines[0].endswith("(request id req-err-1, attempt 1)")
    assert lines[1].endswith("(request id req-ok-1, attempt 2)")
    assert any(r.name == "foundry_imagegen.retry" for r in caplog.records)
    assert API_KEY not in caplog.text
    assert "'api-key': '***'" in caplog.text


def test_the_log_variable_adds_one_handler(monkeypatch):
    logger = logging.getLogger("foundry_imagegen")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)

    tracing.configure_logging({"FOUNDRY_IMAGEGEN_LOG": "debug"})
    tracing.configure_logging({"FOUNDRY_IMAGEGEN_LOG": "debug"})

    assert len(logger.handlers) == 1 and logger.level == logging.DEBUG
    tracing.configure_logging({})
    tracing.configure_logging({"FOUNDRY_IMAGEGEN_LOG": "loud"})
    assert len(logger.handlers) == 1
