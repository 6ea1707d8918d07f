"""client.conversations and conversation= through both clients: wire shapes, local refusals, the edit flow."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from foundry_imagegen import ConfigurationError, Conversation, ImageGenerationCall, MessageItem
from foundry_imagegen._core import conversations as conv_core
from tests.client.wire import PNG_B64, PROJECT_URL, RESOURCE_ENDPOINT, image_call, message, ok_response
from tests.harness import PROJECT_ENDPOINT

CONVERSATIONS = f"{PROJECT_ENDPOINT}/openai/v1/conversations"
AGENT_CONVERSATIONS = f"{PROJECT_ENDPOINT}/agents/artist/endpoint/protocols/openai/conversations"


def conversation(id: str = "conv_1", **extra: object) -> httpx.Response:
    body = {"id": id, "object": "conversation", "created_at": 1741369938, "metadata": {"topic": "posters"}, **extra}
    return httpx.Response(200, json=body)


def sent(route) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


class TestResource:
    async def test_create_get_update_delete(self, h):
        create = h.mock.post(CONVERSATIONS).mock(return_value=conversation())
        get = h.mock.get(f"{CONVERSATIONS}/conv_1").mock(return_value=conversation())
        update = h.mock.post(f"{CONVERSATIONS}/conv_1").mock(return_value=conversation(metadata={"topic": "menus"}))
        delete = h.mock.delete(f"{CONVERSATIONS}/conv_1").mock(
            return_value=httpx.Response(200, json={"id": "conv_1", "object": "conversation.deleted", "deleted": True})
        )
        client = h.client()

        created = await h.run(client.conversations.create, "posters for a cafe", metadata={"topic": "posters"})
        assert isinstance(created, Conversation) and created.id == "conv_1"
        assert sent(create) == {
            "items": [{"type": "message", "role": "user", "content": "posters for a cafe"}],
            "metadata": {"topic": "posters"},
        }
        assert (await h.run(client.conversations.get, created)).metadata == {"topic": "posters"}
        assert get.called
        updated = await h.run(client.conversations.update, "conv_1", metadata={"topic": "menus"})
        assert updated.metadata == {"topic": "menus"} and sent(update) == {"metadata": {"topic": "menus"}}
        assert (await h.run(client.conversations.delete, "conv_1")).deleted
        assert delete.called

    async def test_add_and_list_items_follow_pages(self, h):
        add = h.mock.post(f"{CONVERSATIONS}/conv_1/items").mock(
            return_value=httpx.Response(200, json={"object": "list", "data": [message("noted")]})
        )
        pages = [
            {"data": [message("one")], "has_more": True, "last_id": "msg_1"},
            {"data": [image_call(None)], "has_more": False, "last_id": "ig_1"},
        ]
        listing = h.mock.get(f"{CONVERSATIONS}/conv_1/items").mock(
            side_effect=[httpx.Response(200, json=page) for page in pages]
        )
        client = h.client()

        added = await h.run(client.conversations.add_items, "conv_1", [{"role": "user", "content": "warm palette"}])
        assert isinstance(added[0], MessageItem)
        assert sent(add) == {"items": [{"role": "user", "content": "warm palette"}]}
        items = await h.run(client.conversations.list_items, "conv_1")
        assert [type(item) for item in items] == [MessageItem, ImageGenerationCall]
        assert listing.calls[1].request.url.params["after"] == "msg_1"
        assert listing.calls[0].request.url.params["order"] == "asc"

    async def test_agent_scoped(self, h):
        route = h.mock.post(AGENT_CONVERSATIONS, params={"api-version": "v1"}).mock(return_value=conversation())
        client = h.client()
        await h.run(client.conversations.for_agent("artist").create)
        assert route.calls.last.request.headers["foundry-features"].startswith("WorkflowAgents")

    async def test_a_resource_endpoint_has_none(self, h):
        client = h.client(RESOURCE_ENDPOINT)
        with pytest.raises(ConfigurationError, match="not on an Azure OpenAI resource"):
            await h.run(client.conversations.create)
        with pytest.raises(ConfigurationError, match="conversation= needs a Foundry project"):
            await h.run(client.generate, "a fox", conversation="conv_1")
        with pytest.raises(ConfigurationError, match="Foundry projects"):
            client.conversations.for_agent("artist")


class TestOnResponses:
    async def test_generate_in_a_conversation(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()
        result = await h.run(client.generate, "a poster", conversation=Conversation(id="conv_1"))
        assert sent(route)["conversation"] == "conv_1"
        assert result.conversation_id == "conv_1"  # kept even though the service did not echo it

    async def test_stream_in_a_conversation(self, h):
        from tests.testkit import image_stream

        route = h.mock.post(PROJECT_URL).mock(
            return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, content=image_stream())
        )
        client = h.client()
        stream = client.stream("a poster", conversation="conv_1")
        if h.is_async:
            async with stream:
                await stream.final()
        else:
            with stream:
                stream.final()
        assert sent(route)["conversation"] == "conv_1" and sent(route)["stream"] is True

    async def test_previous_response_id_with_a_conversation_is_refused_before_sending(self, h):
        client = h.client()
        with pytest.raises(ConfigurationError, match="both given"):
            await h.run(client.generate, "a poster", conversation="conv_1", previous_response_id="resp_1")
        with pytest.raises(ConfigurationError, match="both given"):
            client.stream("a poster", conversation="conv_1", previous_response_id="resp_1")

    async def test_extra_body_cannot_smuggle_the_state(self, h):
        client = h.client()
        for key in ("conversation", "background"):
            with pytest.raises(ConfigurationError, match=key):
                await h.run(client.generate, "a poster", extra_body={key: "x"})

    async def test_edit_continues_the_conversation_without_resending_the_image(self, h):
        echo: dict[str, Any] = {"conversation": {"id": "conv_1"}}
        route = h.mock.post(PROJECT_URL).mock(
            side_effect=[ok_response(store=True, **echo), ok_response(store=True, id="resp_2", **echo)]
        )
        client = h.client()
        first = await h.run(client.generate, "a cottage", conversation="conv_1")
        second = await h.run(client.edit, first, "make it winter")

        body = sent(route)
        assert second.edited_via == "conversation" and second.conversation_id == "conv_1"
        assert body["conversation"] == "conv_1" and body["input"] == "make it winter"
        assert "previous_response_id" not in body and PNG_B64 not in route.calls.last.request.content.decode()

    async def test_edit_into_a_conversation_of_an_outside_result_sends_the_image(self, h):
        route = h.mock.post(PROJECT_URL).mock(side_effect=[ok_response(store=True), ok_response(id="resp_2")])
        client = h.client()
        first = await h.run(client.generate, "a cottage", store=True)
        second = await h.run(client.edit, first, "make it winter", conversation="conv_7")
        body = sent(route)
        assert second.edited_via == "input_image"
        assert body["conversation"] == "conv_7" and "previous_response_id" not in body
        assert body["input"][0]["content"][1]["type"] == "input_image"

    async def test_edit_by_id_in_a_conversation_is_refused(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response(store=True))
        client = h.client()
        first = await h.run(client.generate, "a cottage", store=True)
        with pytest.raises(ConfigurationError, match="takes one of the two"):
            await h.run(client.edit, first, "winter", conversation="conv_1", via="previous_response_id")


class TestHistory:
    async def test_an_earlier_image_item_goes_back_as_an_input_image(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()
        earlier = {"type": "image_generation_call", "id": "ig_0", "status": "completed", "result": PNG_B64}
        await h.run(client.generate, [earlier, {"role": "user", "content": "now at night"}])
        sent_input = sent(route)["input"]
        assert sent_input[0]["role"] == "user" and sent_input[0]["content"][0]["type"] == "input_image"
        assert all(item.get("type") != "image_generation_call" for item in sent_input)

    async def test_an_earlier_image_item_with_a_previous_response_is_refused(self, h):
        client = h.client()
        earlier = {"type": "image_generation_call", "id": "ig_0", "result": PNG_B64}
        with pytest.raises(ConfigurationError, match="previous_response_id= already"):
            await h.run(client.generate, [earlier, {"role": "user", "content": "x"}], previous_response_id="resp_1")

    async def test_an_oversized_body_is_refused_before_sending(self, h, monkeypatch):
        monkeypatch.setattr(conv_core, "MAX_REQUEST_BYTES", 1000)
        client = h.client()
        with pytest.raises(ConfigurationError, match="413"):
            await h.run(client.generate, "x" * 2000)
