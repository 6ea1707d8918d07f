"""Conversations over loopback HTTP (httpx and the openai client): CRUD, items, and Responses turns."""

from __future__ import annotations

import openai
import pytest

from foundry_imagegen.emulator import FakeClock
from foundry_imagegen.emulator._conversations import MAX_CONVERSATIONS

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"


def _conv(api, path: str = "", method: str = "GET", **kwargs):
    return api.client.request(method, f"{api.emu.endpoint}/openai/v1/conversations{path}", **kwargs)


def test_create_get_update_delete(api) -> None:
    r = _conv(
        api,
        method="POST",
        json={"items": [{"type": "message", "role": "user", "content": "draw a fox"}], "metadata": {"topic": "fox"}},
    )
    assert r.status_code == 200
    conv = r.json()
    assert set(conv) == {"id", "object", "created_at", "metadata"}
    assert conv["id"].startswith("conv_") and conv["object"] == "conversation"
    assert conv["metadata"] == {"topic": "fox"}
    assert _conv(api, f"/{conv['id']}").json() == conv
    updated = _conv(api, f"/{conv['id']}", method="POST", json={"metadata": {"topic": "owl"}}).json()
    assert updated == {**conv, "metadata": {"topic": "owl"}}
    missing = _conv(api, f"/{conv['id']}", method="POST", json={})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "missing_required_parameter"
    deleted = _conv(api, f"/{conv['id']}", method="DELETE").json()
    assert deleted == {"id": conv["id"], "object": "conversation.deleted", "deleted": True}
    r = _conv(api, f"/{conv['id']}")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "message": f"Conversation with id '{conv['id']}' not found.",
        "type": "invalid_request_error",
        "param": None,
        "code": "not_found",
    }


def test_items_add_list_get_delete(api) -> None:
    cid = _conv(api, method="POST", json={}).json()["id"]
    added = _conv(
        api,
        f"/{cid}/items",
        method="POST",
        json={"items": [{"role": "user", "content": f"m{i}"} for i in range(3)]},
    ).json()
    assert added["object"] == "list" and len(added["data"]) == 3 and added["has_more"] is False
    first = added["data"][0]
    assert first == {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "m0"}],
        "status": "completed",
        "id": first["id"],
    }
    page = _conv(api, f"/{cid}/items?limit=2").json()
    # Newest first by default.
    assert [i["content"][0]["text"] for i in page["data"]] == ["m2", "m1"] and page["has_more"] is True
    rest = _conv(api, f"/{cid}/items?limit=2&after={page['last_id']}").json()
    assert [i["content"][0]["text"] for i in rest["data"]] == ["m0"]
    asc = _conv(api, f"/{cid}/items?order=asc").json()
    assert [i["content"][0]["text"] for i in asc["data"]] == ["m0", "m1", "m2"]
    assert _conv(api, f"/{cid}/items/{first['id']}").json() == first
    after_delete = _conv(api, f"/{cid}/items/{first['id']}", method="DELETE").json()
    assert after_delete["object"] == "conversation" and after_delete["id"] == cid
    assert _conv(api, f"/{cid}/items/{first['id']}").status_code == 404
    too_many = _conv(api, f"/{cid}/items", method="POST", json={"items": [{"role": "user", "content": "x"}] * 21})
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "array_above_max_length"
    bad_role = _conv(api, f"/{cid}/items", method="POST", json={"items": [{"role": "robot", "content": "x"}]})
    assert bad_role.status_code == 400 and bad_role.json()["error"]["param"] == "items[0].role"


def test_metadata_limits(api) -> None:
    r = _conv(api, method="POST", json={"metadata": {f"k{i}": "v" for i in range(17)}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "metadata"


def test_conversations_only_on_project_endpoints(api) -> None:
    r = api.client.post(f"{api.emu.url}/openai/v1/conversations", json={})
    assert r.status_code == 404
    body = api.image_body(conversation="conv_abc")
    r = api.create(body, project=False)
    assert r.status_code == 404 and r.json()["error"]["param"] == "conversation"


def test_response_turns_join_the_conversation(api) -> None:
    cid = _conv(api, method="POST", json={"items": [{"role": "user", "content": "a red fox in the snow"}]}).json()["id"]
    # Like the Foundry sample: the conversation holds the first message, the call brings no input.
    body = {"model": "gpt-4.1", "tools": [{"type": "image_generation"}], "conversation": cid}
    first = api.create(body).json()
    assert first["status"] == "completed" and first["conversation"] == {"id": cid}
    assert "red fox" in first["output"][0]["revised_prompt"].lower()
    second = api.create({**body, "input": "now make it night", "conversation": {"id": cid}}).json()
    # The earlier picture, found through the conversation, is what the second turn edits.
    assert second["output"][0]["action"] == "edit"
    items = _conv(api, f"/{cid}/items?order=asc").json()["data"]
    assert [i["type"] for i in items] == [
        "message",
        "image_generation_call",
        "message",
        "message",
        "image_generation_call",
        "message",
    ]
    assert items[1]["id"] == first["output"][0]["id"] and items[1]["result"] is None
    assert items[3]["role"] == "user" and items[3]["content"] == [{"type": "input_text", "text": "now make it night"}]
    assert items[5]["role"] == "assistant"


def test_failed_turn_is_not_recorded(api) -> None:
    cid = _conv(api, method="POST", json={}).json()["id"]
    api.emu.inject("moderation_blocked")
    r = api.create(api.image_body(conversation=cid))
    assert r.json()["status"] == "failed"
    assert _conv(api, f"/{cid}/items").json()["data"] == []


def test_conversation_and_previous_response_are_exclusive(api) -> None:
    cid = _conv(api, method="POST", json={}).json()["id"]
    prev = api.create(api.image_body()).json()["id"]
    r = api.create(api.image_body(conversation=cid, previous_response_id=prev))
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "message": "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' "
            "or 'conversation'.",
            "type": "invalid_request_error",
            "param": None,
            "code": "mutually_exclusive_parameters",
        }
    }
    r = api.create(api.image_body(conversation="conv_nope"))
    assert r.status_code == 404 and r.json()["error"]["message"] == "Conversation with id 'conv_nope' not found."


def test_background_turn_joins_when_it_finishes(make_api) -> None:
    clock = FakeClock()
    api = make_api(clock=clock, background_duration=5)
    cid = _conv(api, method="POST", json={}).json()["id"]
    rid = api.create(api.image_body(conversation=cid, background=True)).json()["id"]
    assert _conv(api, f"/{cid}/items").json()["data"] == []
    clock.advance(5)
    assert api.client.get(f"{api.emu.endpoint}/openai/v1/responses/{rid}").json()["status"] == "completed"
    assert len(_conv(api, f"/{cid}/items").json()["data"]) == 3


def test_conversations_are_bounded(api) -> None:
    store = api.emu._service.conversations
    first = store.create({})["id"]
    for _ in range(MAX_CONVERSATIONS):
        store.create({})
    assert len(store._conversations) == MAX_CONVERSATIONS
    assert _conv(api, f"/{first}").status_code == 404


def test_with_openai_client(api) -> None:
    client = openai.OpenAI(
        base_url=api.emu.endpoint + "/openai/v1",
        api_key="k",
        max_retries=0,
        default_headers={IMAGE_HEADER: "gpt-image-1"},
    )
    with client:
        conv = client.conversations.create(
            items=[{"type": "message", "role": "user", "content": "a lighthouse at dusk"}], metadata={"a": "b"}
        )
        assert conv.object == "conversation" and conv.metadata == {"a": "b"}
        assert client.conversations.retrieve(conv.id).id == conv.id
        assert client.conversations.update(conv.id, metadata={"a": "c"}).metadata == {"a": "c"}
        resp = client.responses.create(model="gpt-4.1", tools=[{"type": "image_generation"}], conversation=conv.id)
        assert resp.conversation is not None and resp.conversation.id == conv.id
        assert resp.output[0].type == "image_generation_call" and resp.output[0].result
        added = client.conversations.items.create(conv.id, items=[{"type": "message", "role": "user", "content": "hi"}])
        assert len(added.data) == 1
        listed = list(client.conversations.items.list(conv.id, order="asc"))
        assert [i.type for i in listed] == ["message", "image_generation_call", "message", "message"]
        item = client.conversations.items.retrieve(listed[-1].id, conversation_id=conv.id)
        assert item.id == listed[-1].id
        assert client.conversations.items.delete(listed[-1].id, conversation_id=conv.id).id == conv.id
        assert client.conversations.delete(conv.id).deleted is True
        with pytest.raises(openai.NotFoundError):
            client.conversations.retrieve(conv.id)
