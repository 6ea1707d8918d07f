"""A proxy from the environment never sees a plain-http request carrying the key (item 4)."""

from __future__ import annotations

import httpx
import pytest

from foundry_imagegen import ConfigurationError, FoundryClient
from tests.reliability.raw_testkit import API_KEY, RawServer
from tests.reliability.test_fault_matrix import json_ok, run_call, stream_ok


@pytest.fixture
def env_proxy(monkeypatch):
    proxy = RawServer([json_ok, stream_ok])
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy.url)
    yield proxy
    proxy.close()


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("mode", "script"), [("json", json_ok), ("stream", stream_ok)])
def test_loopback_http_ignores_proxy_variables(env_proxy, flavour, mode, script, tmp_path):
    server = RawServer([script])
    try:
        run_call(flavour, mode, server.url, tmp_path / "img.png")
    finally:
        server.close()
    assert len(server.requests) == 1
    assert env_proxy.requests == []


def test_an_injected_client_with_a_proxy_is_refused_for_plain_http():
    http = httpx.Client(proxy="http://127.0.0.1:9")
    try:
        with pytest.raises(ConfigurationError, match="proxy") as info:
            FoundryClient("http://127.0.0.1:8080", api_key=API_KEY, http_client=http)
        assert API_KEY not in str(info.value)
    finally:
        http.close()


def test_an_injected_client_with_a_proxy_is_fine_for_https():
    http = httpx.Client(proxy="http://127.0.0.1:9")
    try:
        FoundryClient("https://acme.openai.azure.com", api_key=API_KEY, http_client=http).close()
    finally:
        http.close()
