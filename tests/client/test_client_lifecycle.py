"""Lifecycle (context manager, close, use after close, injected http clients) and per-request timeouts."""

from __future__ import annotations

import httpx
import pytest

from foundry_imagegen import ClientClosedError, ImageGenerationTool
from tests.client.wire import PNG, PROJECT_URL, ok_response

DEFAULT_TIMEOUT = {"connect": 10.0, "read": 600.0, "write": 600.0, "pool": 600.0}


async def enter_and_generate(h, client):
    """Use the client inside its (async) with-block; return what the block saw."""
    if h.is_async:
        async with client as entered:
            return entered, await entered.generate("a red fox")
    with client as entered:
        return entered, entered.generate("a red fox")


async def test_context_manager_returns_the_client_and_closes_it(h):
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()

    entered, result = await enter_and_generate(h, client)

    assert entered is client
    assert result.image.data == PNG
    assert client.is_closed is True
    assert client._http.is_closed is True  # the pool the client opened itself is released


async def test_context_manager_closes_on_error(h):
    client = h.client()

    with pytest.raises(KeyError):
        if h.is_async:
            async with client:
                raise KeyError("boom")
        else:
            with client:
                raise KeyError("boom")

    assert client.is_closed is True


async def test_use_after_close_raises_client_closed(h):
    client = h.client()
    await h.run(client.close)

    with pytest.raises(ClientClosedError) as info:
        await h.run(client.generate, "a red fox")

    assert isinstance(info.value, RuntimeError)
    assert "closed" in str(info.value)


async def test_create_response_after_close_raises_client_closed(h):
    client = h.client()
    request = ImageGenerationTool(image_deployment="gpt-image-1").build_request("a cat", model="gpt-4.1")
    await h.run(client.close)

    with pytest.raises(ClientClosedError):
        await h.run(client.create_response, request)


async def test_entering_a_closed_client_raises(h):
    client = h.client()
    await h.run(client.close)

    with pytest.raises(ClientClosedError):
        if h.is_async:
            async with client:
                pass
        else:
            with client:
                pass


async def test_close_twice_is_fine(h):
    client = h.client()

    await h.run(client.close)
    await h.run(client.close)

    assert client.is_closed is True


async def test_injected_http_client_is_not_closed(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    http = h.http_client()
    client = h.client(http_client=http)

    await h.run(client.generate, "a red fox")
    await h.run(client.close)

    assert client.is_closed is True
    assert http.is_closed is False
    assert route.call_count == 1


async def test_injected_http_client_is_used(h):
    seen: list[str] = []

    def hook(request):
        seen.append(str(request.url))

    async def async_hook(request):
        hook(request)

    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    http = h.http_client(event_hooks={"request": [async_hook if h.is_async else hook]})
    client = h.client(http_client=http)

    await h.run(client.generate, "a red fox")

    assert seen == [PROJECT_URL]


async def test_default_timeout_beats_an_injected_clients_short_default(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client(http_client=h.http_client(timeout=5.0))

    await h.run(client.generate, "a red fox")

    assert route.calls.last.request.extensions["timeout"] == DEFAULT_TIMEOUT


async def test_default_timeout_with_an_owned_http_client(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()

    await h.run(client.generate, "a red fox")

    assert route.calls.last.request.extensions["timeout"] == DEFAULT_TIMEOUT


async def test_per_call_timeout_overrides_the_default(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client(http_client=h.http_client(timeout=5.0))

    await h.run(client.generate, "a red fox", timeout=30)
    await h.run(client.generate, "a red fox")

    first, second = (call.request.extensions["timeout"] for call in route.calls)
    assert first == {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert second == DEFAULT_TIMEOUT


async def test_per_call_httpx_timeout_is_used_as_is(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()

    await h.run(client.generate, "a red fox", timeout=httpx.Timeout(42.0, connect=3.0))

    assert route.calls.last.request.extensions["timeout"] == {
        "connect": 3.0,
        "read": 42.0,
        "write": 42.0,
        "pool": 42.0,
    }


async def test_client_timeout_setting(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client(timeout=120)

    await h.run(client.generate, "a red fox")

    assert route.calls.last.request.extensions["timeout"] == {
        "connect": 10.0,
        "read": 120.0,
        "write": 120.0,
        "pool": 120.0,
    }


async def test_create_response_per_call_timeout(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()
    request = ImageGenerationTool(image_deployment="gpt-image-1").build_request("a cat", model="gpt-4.1")

    await h.run(client.create_response, request, timeout=5)

    assert route.calls.last.request.extensions["timeout"] == {
        "connect": 5.0,
        "read": 5.0,
        "write": 5.0,
        "pool": 5.0,
    }


async def test_tls_and_the_connection_pool_are_built_on_the_first_call_not_before(h, monkeypatch):
    built: list[str] = []
    for name in ("HTTPTransport", "AsyncHTTPTransport"):
        original = getattr(httpx, name)

        class Counting(original):  # type: ignore[misc, valid-type]
            def __init__(self, *args, _name=name, **kwargs):
                built.append(_name)
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(httpx, name, Counting)
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()
    assert built == []  # constructing a client loads no CA bundle
    await h.run(client.generate, "a red fox")
    await h.run(client.generate, "a red fox")
    assert built == ["AsyncHTTPTransport" if h.is_async else "HTTPTransport"]
