"""What a credential raises while fetching a token becomes the SDK's own errors, before any request."""

from __future__ import annotations

import pytest
import respx
from azure.core.exceptions import ClientAuthenticationError

from foundry_imagegen import AsyncFoundryClient, AuthenticationError, ConfigurationError
from tests.client.wire import PROJECT_URL
from tests.harness import PROJECT_ENDPOINT, Harness
from tests.testkit import AsyncFakeCredential, make_png


async def generate(h: Harness, error: Exception) -> None:
    client = h.client(credential=h.credential(error=error))
    await h.run(client.generate, "a cat")


async def test_missing_aiohttp_names_the_extra(h):
    with pytest.raises(ConfigurationError) as info:
        await generate(h, ImportError("aiohttp package is not installed"))
    assert "foundry-imagegen[aio]" in str(info.value) and h.mock.calls.call_count == 0
    assert isinstance(info.value.__cause__, ImportError)


async def test_failed_sign_in_is_an_authentication_error(h):
    with pytest.raises(AuthenticationError) as info:
        await generate(h, ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token"))
    assert "failed to retrieve a token" in str(info.value) and "az login" in info.value.hint
    assert info.value.status is None and h.mock.calls.call_count == 0


async def test_other_credential_errors_pass_through(h):
    with pytest.raises(ImportError, match="something_else"):
        await generate(h, ImportError("No module named something_else"))


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
        route = router.post(PROJECT_URL).mock(return_value=httpx.Response(200, json=answer))
        async with AsyncFoundryClient(
            PROJECT_ENDPOINT, credential=credential, model="gpt-4.1", image_deployment="gpt-image-1"
        ) as client:
            await asyncio.gather(*(client.generate("a cat") for _ in range(8)))
    assert len(credential.calls) == 1 and route.call_count == 8
