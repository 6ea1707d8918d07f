"""What a credential raises while fetching a token becomes the SDK's own errors, before any request."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from azure.core.exceptions import ClientAuthenticationError

from foundry_imagegen import AsyncFoundryClient, AuthenticationError, ConfigurationError, FoundryClient
from tests.testkit import AsyncFakeCredential, FakeCredential, make_png

ENDPOINT = "https://acme.services.ai.azure.com/api/projects/p1"


async def generate(is_async: bool, error: Exception) -> None:
    kwargs: dict[str, Any] = {"model": "gpt-4.1", "image_deployment": "gpt-image-1"}
    if is_async:
        async with AsyncFoundryClient(ENDPOINT, credential=AsyncFakeCredential(error=error), **kwargs) as client:
            await client.generate("a cat")
    else:
        with FoundryClient(ENDPOINT, credential=FakeCredential(error=error), **kwargs) as client:
            client.generate("a cat")


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_missing_aiohttp_names_the_extra(is_async: bool) -> None:
    with respx.mock(assert_all_mocked=True) as router, pytest.raises(ConfigurationError) as info:
        await generate(is_async, ImportError("aiohttp package is not installed"))
    assert "foundry-imagegen[aio]" in str(info.value) and router.calls.call_count == 0
    assert isinstance(info.value.__cause__, ImportError)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_failed_sign_in_is_an_authentication_error(is_async: bool) -> None:
    with respx.mock(assert_all_mocked=True) as router, pytest.raises(AuthenticationError) as info:
        await generate(is_async, ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token"))
    assert "failed to retrieve a token" in str(info.value) and "az login" in info.value.hint
    assert info.value.status is None and router.calls.call_count == 0


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_other_credential_errors_pass_through(is_async: bool) -> None:
    with pytest.raises(ImportError, match="something_else"):
        await generate(is_async, ImportError("No module named something_else"))


async def test_concurrent_calls_share_one_token_fetch() -> None:
    import asyncio
    import base64

    import httpx

    credential = AsyncFakeCredential("tok")  # yields once, so the other calls arrive while this one is fetching

    answer = {
        "id": "resp_1",
        "status": "completed",
        "output": [
            {
                "type": "image_generation_call",
                "id": "ig_1",
                "status": "completed",
                "result": base64.b64encode(make_png()).decode(),
            }
        ],
    }
    with respx.mock() as router:
        route = router.post(ENDPOINT + "/openai/v1/responses").mock(return_value=httpx.Response(200, json=answer))
        async with AsyncFoundryClient(
            ENDPOINT, credential=credential, model="gpt-4.1", image_deployment="gpt-image-1"
        ) as client:
            await asyncio.gather(*(client.generate("a cat") for _ in range(8)))
    assert len(credential.calls) == 1 and route.call_count == 8
