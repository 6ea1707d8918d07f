"""What a credential raises while fetching a token becomes the SDK's own errors, before any request."""

from __future__ import annotations

import pytest
import respx
from azure.core.exceptions import ClientAuthenticationError

from foundry_imagegen import AsyncFoundryClient, AuthenticationError, ConfigurationError, FoundryClient

ENDPOINT = "https://acme.services.ai.azure.com/api/projects/p1"


class SyncCredential:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        raise self.error


class AsyncCredential(SyncCredential):
    async def get_token(self, *scopes: str, **kwargs: object) -> object:  # type: ignore[override]
        raise self.error


async def generate(is_async: bool, error: Exception) -> None:
    kwargs = {"model": "gpt-4.1", "image_deployment": "gpt-image-1"}
    if is_async:
        async with AsyncFoundryClient(ENDPOINT, credential=AsyncCredential(error), **kwargs) as client:
            await client.generate("a cat")
    else:
        with FoundryClient(ENDPOINT, credential=SyncCredential(error), **kwargs) as client:
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
