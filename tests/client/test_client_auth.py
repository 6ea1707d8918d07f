"""Authentication: api keys, key credentials, token caching, one re-auth after a 401, and misuse."""

from __future__ import annotations

import pytest
from azure.core.credentials import AzureKeyCredential

from foundry_imagegen import AuthenticationError, ConfigurationError
from tests.client.wire import PROJECT_URL, SCOPE, error_response, ok_response
from tests.harness import API_KEY

UNAUTHORIZED = {"code": "401", "message": "Unauthorized. Access token is missing, invalid or expired."}


def bearer_tokens(route) -> list[str]:
    return [call.request.headers["authorization"] for call in route.calls]


async def test_token_is_cached_across_calls(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    credential = h.credential(lifetime=3600)
    client = h.client(credential=credential)

    await h.run(client.generate, "a red fox")
    await h.run(client.generate, "a grey wolf")

    assert credential.calls == [(SCOPE,)]
    assert bearer_tokens(route) == ["Bearer tok-SECRET-1", "Bearer tok-SECRET-1"]


async def test_token_close_to_expiry_is_fetched_again(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    credential = h.credential(lifetime=200)  # inside the 300 s refresh margin
    client = h.client(credential=credential)

    await h.run(client.generate, "a red fox")
    await h.run(client.generate, "a grey wolf")

    assert credential.calls == [(SCOPE,), (SCOPE,)]
    assert bearer_tokens(route) == ["Bearer tok-SECRET-1", "Bearer tok-SECRET-2"]


async def test_401_refetches_the_token_once_and_resends(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [error_response(401, UNAUTHORIZED), ok_response()]
    credential = h.credential()
    client = h.client(credential=credential)

    result = await h.run(client.generate, "a red fox")

    assert result.id == "resp_123"
    assert route.call_count == 2
    assert len(credential.calls) == 2
    assert bearer_tokens(route) == ["Bearer tok-SECRET-1", "Bearer tok-SECRET-2"]
    assert h.waits == []
    ids = {call.request.headers["x-ms-client-request-id"] for call in route.calls}
    assert len(ids) == 1


async def test_fresh_token_after_401_is_cached_for_the_next_call(h):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [error_response(401, UNAUTHORIZED), ok_response(), ok_response()]
    credential = h.credential()
    client = h.client(credential=credential)

    await h.run(client.generate, "a red fox")
    await h.run(client.generate, "a grey wolf")

    assert len(credential.calls) == 2
    assert bearer_tokens(route)[-1] == "Bearer tok-SECRET-2"


async def test_401_twice_raises_after_two_sends(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=error_response(401, UNAUTHORIZED))
    credential = h.credential()
    client = h.client(credential=credential)

    with pytest.raises(AuthenticationError) as info:
        await h.run(client.generate, "a red fox")

    assert info.value.status == 401
    assert route.call_count == 2
    assert len(credential.calls) == 2
    assert h.waits == []
    assert "tok-SECRET" not in str(info.value)


async def test_401_with_an_api_key_is_not_resent(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=error_response(401, UNAUTHORIZED))
    client = h.client()

    with pytest.raises(AuthenticationError) as info:
        await h.run(client.generate, "a red fox")

    assert route.call_count == 1
    assert API_KEY not in str(info.value)


async def test_azure_key_credential_is_read_on_every_call(h):
    route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    credential = AzureKeyCredential("key-one")
    client = h.client(credential=credential)

    await h.run(client.generate, "a red fox")
    credential.update("new")
    await h.run(client.generate, "a grey wolf")

    assert [call.request.headers["api-key"] for call in route.calls] == ["key-one", "new"]
    assert all("authorization" not in call.request.headers for call in route.calls)
    assert "key-one" not in repr(client)
    assert "auth='key-credential'" in repr(client)


async def test_credential_of_the_other_flavour_is_refused(h):
    with pytest.raises(ConfigurationError) as info:
        h.client(credential=h.wrong_credential())

    wanted = "azure.identity.aio" if h.is_async else "azure.identity"
    assert wanted in str(info.value)


async def test_credential_and_api_key_together_are_refused(h):
    with pytest.raises(ConfigurationError, match="both"):
        h.client(credential=h.credential(), api_key=API_KEY)


async def test_no_credential_at_all_is_refused(h):
    with pytest.raises(ConfigurationError, match="credential"):
        h.client(api_key=None)


@pytest.mark.parametrize("key", ["", "   "])
async def test_empty_api_key_is_refused(h, key):
    with pytest.raises(ConfigurationError, match="api_key"):
        h.client(api_key=key)


async def test_object_that_is_no_credential_is_refused(h):
    with pytest.raises(ConfigurationError, match="get_token"):
        h.client(credential=object())
