"""Rate-limit and diagnostic headers read into ``RateLimit``; credentials redacted in ``HttpInfo``."""

from __future__ import annotations

import pytest

from foundry_imagegen import HttpInfo, RateLimit
from foundry_imagegen._core.ratelimit import rate_limit_from_headers, redact_headers


def test_every_header_the_service_sends():
    headers = {
        "x-ratelimit-limit-requests": "120",
        "x-ratelimit-limit-tokens": "12000",
        "x-ratelimit-remaining-requests": "19",
        "X-RateLimit-Remaining-Tokens": "11000",
        "x-ratelimit-reset-requests": "10",
        "x-ratelimit-reset-tokens": "300",
        "retry-after-ms": "1500",
        "x-request-id": "req-1",
        "apim-request-id": "apim-1",
        "x-ms-client-request-id": "c-1",
        "x-ms-region": "East US 2",
        "x-ms-deployment-name": "img",
        "x-ms-spillover-from-deployment": "ptu",
    }
    assert rate_limit_from_headers(headers) == RateLimit(
        limit_requests=120,
        limit_tokens=12000,
        remaining_requests=19,
        remaining_tokens=11000,
        reset_requests=10.0,
        reset_tokens=300.0,
        retry_after=1.5,
        request_id="req-1",
        apim_request_id="apim-1",
        client_request_id="c-1",
        region="East US 2",
        deployment="img",
        spillover_from="ptu",
    )


def test_no_headers_means_all_none():
    assert rate_limit_from_headers({}) == RateLimit()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("10", 10.0), ("1.5", 1.5), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3s", 3723.0), ("soon", None), ("-1", None)],
)
def test_reset_values(value, seconds):
    assert rate_limit_from_headers({"x-ratelimit-reset-tokens": value}).reset_tokens == seconds


def test_unparsable_counts_are_none():
    assert rate_limit_from_headers({"x-ratelimit-remaining-requests": "many"}).remaining_requests is None


def test_credentials_are_redacted():
    headers = {"api-key": "k", "Authorization": "Bearer t", "x-request-id": "r", "Set-Cookie": "s"}
    assert redact_headers(headers) == {
        "api-key": "***",
        "authorization": "***",
        "x-request-id": "r",
        "set-cookie": "***",
    }
    assert HttpInfo.of(200, headers).headers["authorization"] == "***"
