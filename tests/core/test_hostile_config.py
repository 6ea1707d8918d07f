"""Secrets stay out of messages; plain http only to this machine; timeouts refused when absurd (items 10-12)."""

from __future__ import annotations

import math

import pytest

from foundry_imagegen import AsyncFoundryClient, ConfigurationError, FoundryClient
from foundry_imagegen._core.config import is_loopback, resolve_endpoint, shown_endpoint

SECRET = "SECRET-KEY-123"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]", "LOCALHOST"])
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["evil.localhost", "localhost.evil.com", "128.0.0.1", "10.0.0.1", "::2", "local"])
def test_not_loopback(host):
    assert not is_loopback(host)


def test_plain_http_to_a_localhost_subdomain_is_refused():
    with pytest.raises(ConfigurationError, match="plain http"):
        resolve_endpoint("http://evil.localhost:8080")


@pytest.mark.parametrize(
    "endpoint",
    [
        f"https://acme.openai.azure.com/?key={SECRET}",
        f"https://acme.openai.azure.com/#{SECRET}",
        f"http://example.com/?api-key={SECRET}",
        f"https://acme.openai.azure.com/some/path?key={SECRET}",
        f"ftp://acme.openai.azure.com/?key={SECRET}",
        f"https://acme.openai.azure.com:99999999/?key={SECRET}",
    ],
)
def test_configuration_errors_do_not_echo_the_query(endpoint):
    with pytest.raises(ConfigurationError) as info:
        resolve_endpoint(endpoint)
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None or SECRET not in str(info.value.__cause__)


def test_shown_endpoint_hides_user_info_and_query():
    assert shown_endpoint(f"https://u:{SECRET}@h.example/p?k={SECRET}") == "https://***@h.example/p?..."


@pytest.mark.parametrize("cls", [FoundryClient, AsyncFoundryClient])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e12, 0, -1, "10"])
def test_absurd_timeouts_are_refused_at_construction(cls, value):
    with pytest.raises(ConfigurationError, match="timeout="):
        cls("https://acme.openai.azure.com", api_key="k", timeout=value)


@pytest.mark.parametrize("cls", [FoundryClient, AsyncFoundryClient])
def test_an_httpx_timeout_with_nan_is_refused(cls):
    import httpx

    with pytest.raises(ConfigurationError, match="timeout="):
        cls("https://acme.openai.azure.com", api_key="k", timeout=httpx.Timeout(10, read=math.nan))


@pytest.mark.parametrize("cls", [FoundryClient, AsyncFoundryClient])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_absurd_max_retry_wait_is_refused(cls, value):
    with pytest.raises(ConfigurationError, match="max_retry_wait="):
        cls("https://acme.openai.azure.com", api_key="k", max_retry_wait=value)
