"""Conversations end to end: both clients against the emulator over loopback; the conversation's lifecycle,
a generation and an edit continuing in it (what the emulator received: no image resent), and the rules the
SDK checks before sending."""

from __future__ import annotations

from typing import Any

import pytest

from foundry_imagegen import ConfigurationError, Conversation, ImageGenerationTool, NotFoundError
from tests.e2e.helpers import pil, responses_posts

pytestmark = pytest.mark.e2e

TOOL = ImageGenerationTool(quality="low")


@pytest.fixture
def harness_options() -> dict[str, Any]:
    return {"allow_retries": False}


async def test_create_get_update_items_delete(h, foundry_emulator):
    client = h.client(foundry_emulator)

    conversation = await h.run(
        client.conversations.create, "Posters for a fox-themed cafe", metadata={"project": "cafe"}
    )
    assert isinstance(conversation, Conversation)
    assert conversation.id.startswith("conv_") and conversation.metadata == {"project": "cafe"}

    fetched = await h.run(client.conversations.get, conversation.id)
    assert (fetched.id, fetched.metadata) == (conversation.id, {"project": "cafe"})

    updated = await h.run(client.conversations.update, conversation, metadata={"project": "cafe", "status": "draft"})
    assert updated.metadata == {"project": "cafe", "status": "draft"}
    assert (await h.run(client.conversations.get, conversation)).metadata == updated.metadata

    added = await h.run(client.conversations.add_items, conversation, "Keep the palette warm.")
    assert [item.type for item in added] == ["message"]

    items = await h.run(client.conversations.list_items, conversation)
    assert [item.type for item in items] == ["message", "message"]
    assert [item.content[0].text for item in items] == ["Posters for a fox-themed cafe", "Keep the palette warm."]
    newest_first = await h.run(client.conversations.list_items, conversation, order="desc")
    assert [item.id for item in newest_first] == [item.id for item in reversed(items)]

    deleted = await h.run(client.conversations.delete, conversation)
    assert (deleted.id, deleted.deleted) == (conversation.id, True)
    with pytest.raises(NotFoundError, match=conversation.id):
        await h.run(client.conversations.get, conversation)

    paths = {(r.method, r.path) for r in foundry_emulator.requests}
    base = "/api/projects/demo/openai/v1/conversations"
    assert ("POST", base) in paths and ("POST", f"{base}/{conversation.id}/items") in paths


async def test_generate_then_edit_continues_in_the_conversation(h, foundry_emulator):
    client = h.client(foundry_emulator)
    conversation = await h.run(client.conversations.create, metadata={"project": "cafe"})

    first = await h.run(client.generate, "a poster of a fox drinking coffee", conversation=conversation, tool=TOOL)
    second = await h.run(client.edit, first, "make the background night blue", tool=TOOL)

    assert first.conversation_id == conversation.id == second.conversation_id
    assert first.edited_via is None and second.edited_via == "conversation"
    assert second.response.image_calls[0].action == "edit"
    assert second.revised_prompt is not None and second.revised_prompt.startswith("Edit of the previous image")
    assert first.image.data != second.image.data
    assert pil(second.image).size == (1024, 1024)

    start, edit = responses_posts(foundry_emulator)
    assert start.json["conversation"] == conversation.id and start.json["input"] == "a poster of a fox drinking coffee"
    assert edit.json["conversation"] == conversation.id
    assert edit.json["input"] == "make the background night blue"  # the service holds the image: none resent
    assert "previous_response_id" not in edit.json
    assert "base64" not in str(edit.json) and "input_image" not in str(edit.json)

    # The service kept both turns: two prompts, two image calls (stored without their bytes), two answers.
    items = await h.run(client.conversations.list_items, conversation)
    calls = [item for item in items if item.type == "image_generation_call"]
    assert [call.id for call in calls] == [first.image.id, second.image.id]
    assert all(call.result is None for call in calls)
    prompts = [item.content[0].text for item in items if item.type == "message" and item.role == "user"]
    assert prompts == ["a poster of a fox drinking coffee", "make the background night blue"]


async def test_a_result_from_a_conversation_can_branch_by_response_id(h, foundry_emulator):
    client = h.client(foundry_emulator)
    conversation = await h.run(client.conversations.create)
    first = await h.run(client.generate, "a fox", conversation=conversation, tool=TOOL)

    branch = await h.run(client.edit, first, "in the rain", tool=TOOL, via="previous_response_id")

    assert branch.edited_via == "previous_response_id" and branch.conversation_id is None
    post = responses_posts(foundry_emulator)[-1]
    assert post.json["previous_response_id"] == first.id and "conversation" not in post.json
    assert len(await h.run(client.conversations.list_items, conversation)) == 3  # the branch stayed outside


async def test_previous_response_id_with_conversation_is_refused_before_sending(h, foundry_emulator):
    client = h.client(foundry_emulator)
    conversation = await h.run(client.conversations.create)
    first = await h.run(client.generate, "a fox", tool=TOOL)
    sent = len(foundry_emulator.requests)

    with pytest.raises(ConfigurationError, match="previous_response_id") as info:
        await h.run(client.generate, "again", conversation=conversation, previous_response_id=first.id, tool=TOOL)
    assert "conversation" in str(info.value)
    with pytest.raises(ConfigurationError, match="previous_response_id"):
        async with h.opened(client, "again", conversation=conversation, previous_response_id=first.id, tool=TOOL):
            pass
    assert len(foundry_emulator.requests) == sent


async def test_an_unknown_conversation_is_the_services_404(h, foundry_emulator):
    client = h.client(foundry_emulator)
    with pytest.raises(NotFoundError, match="conv_missing"):
        await h.run(client.generate, "a fox", conversation="conv_missing", tool=TOOL)


async def test_a_streamed_result_in_a_conversation_is_edited_there(h, foundry_emulator):
    client = h.client(foundry_emulator)
    conversation = await h.run(client.conversations.create)

    async with h.opened(client, "a lighthouse", conversation=conversation, tool=TOOL) as stream:
        first = await h.run(stream.final)
    edited = await h.run(client.edit, first, "in fog", tool=TOOL)

    assert first.conversation_id == conversation.id  # read from the stream's echo
    assert edited.edited_via == "conversation"
    sent = responses_posts(foundry_emulator)[-1].json
    assert (sent["input"], sent["conversation"]) == ("in fog", conversation.id)
    assert not {"previous_response_id", "stream"} & set(sent)
