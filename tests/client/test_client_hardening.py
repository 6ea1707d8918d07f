"""Secrets stay put and wrong configuration fails fast: redirects, user info, misplaced keys, clients."""

from __future__ import annotations

import httpx
import pytest
import respx

from foundry_imagegen import AsyncFoundryClient, ConfigurationError, FoundryClient, ServiceError

ENDPOINT = "https://acme.services.ai.azure.com/api/projects/p1"
URL = ENDPOINT + "/openai/v1/responses"


def test_a_redirect_is_not_followed_even_by_an_injected_client() -> None:
    # httpx drops Authorization on a cross-origin redirect but keeps a custom api-key header.
    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(return_value=httpx.Response(307, headers={"location": "http://evil.example/x"}))
        evil = router.post("http://evil.example/x").mock(return_value=httpx.Response(200))
        with (
            httpx.Client(follow_redirects=True) as http,
            FoundryClient(
                ENDPOINT,
                api_key="SECRET-KEY",
                model="gpt-4.1",
                image_deployment="gpt-image-1",
                http_client=http,
                max_retries=0,
            ) as client,
            pytest.raises(ServiceError) as caught,
        ):
            client.generate("a cat")
    assert not evil.called
    assert caught.value.status == 307 and "SECRET-KEY" not in str(caught.value)


async def test_async_redirect_is_not_followed() -> None:
    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(return_value=httpx.Response(302, headers={"location": "http://evil.example/x"}))
        evil = router.post("http://evil.example/x").mock(return_value=httpx.Response(200))
        async with (
            httpx.AsyncClient(follow_redirects=True) as http,
            AsyncFoundryClient(
                ENDPOINT, api_key="k", model="gpt-4.1", image_deployment="gpt-image-1", http_client=http, max_retries=0
            ) as client,
        ):
            with pytest.raises(ServiceError):
                await client.generate("a cat")
        assert not evil.called


def test_user_info_in_the_endpoint_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        FoundryClient("https://user:hunter2@acme.openai.azure.com", api_key="k")
    assert "hunter2" not in str(caught.value) and "user:password@" in str(caught.value)


def test_a_key_passed_as_the_endpoint_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError) as caught:
        FoundryClient("sk-THIS-IS-MY-KEY", api_key="https://acme.openai.azure.com")
    assert "THIS-IS-MY-KEY" not in str(caught.value) and "key in the wrong place" in str(caught.value)


def test_the_wrong_kind_of_http_client_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"needs an httpx\.AsyncClient"):
        AsyncFoundryClient(ENDPOINT, api_key="k", http_client=httpx.Client())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"needs an httpx\.Client"):
        FoundryClient(ENDPOINT, api_key="k", http_client=httpx.AsyncClient())  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, "5", True])
def test_max_retry_wait_is_checked(value: object) -> None:
    with pytest.raises(ConfigurationError, match="max_retry_wait"):
        FoundryClient(ENDPOINT, api_key="k", max_retry_wait=value)  # type: ignore[arg-type]
