"""Conversations without I/O: builders, the state checks, the history rule, the edit plan, the size limit."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from foundry_imagegen import MAX_REQUEST_BYTES, ConfigurationError, Conversation, GeneratedImage, GenerationResult
from foundry_imagegen._core import conversations as conv
from foundry_imagegen._core.config import resolve_endpoint
from foundry_imagegen._core.results import Response
from foundry_imagegen._core.routes import agent_endpoint_route, default_route
from tests.testkit import make_png

PROJECT = resolve_endpoint("https://acme.services.ai.azure.com/api/projects/p1")
RESOURCE = resolve_endpoint("https://acme.openai.azure.com")
BASE = "https://acme.services.ai.azure.com/api/projects/p1/openai/v1"
ROUTE = default_route(PROJECT)
PNG = make_png()
PNG_B64 = base64.b64encode(PNG).decode()


def result(*, store: bool | None = True, conversation: str | None = None, image: bool = True) -> GenerationResult:
    extra = {"conversation": {"id": conversation}} if conversation else {}
    response = Response.model_validate({"id": "resp_1", "status": "completed", "store": store, **extra})
    images = (GeneratedImage(id="ig_1", data=PNG, format="png"),) if image else ()
    return GenerationResult(response=response, images=images)


class TestBuilders:
    def test_create_with_a_string_item_and_metadata(self) -> None:
        call = conv.build_create(ROUTE, items="posters for a cafe", metadata={"topic": "posters"})
        assert (call.method, call.url) == ("POST", f"{BASE}/conversations")
        assert call.json == {
            "items": [{"type": "message", "role": "user", "content": "posters for a cafe"}],
            "metadata": {"topic": "posters"},
        }

    def test_create_empty_sends_an_empty_body(self) -> None:
        assert conv.build_create(ROUTE, items=None, metadata=None).json == {}

    @pytest.mark.parametrize(
        ("call", "method", "path"),
        [
            (lambda: conv.build_get(ROUTE, "conv_1"), "GET", "/conversations/conv_1"),
            (lambda: conv.build_get(ROUTE, Conversation(id="conv_2")), "GET", "/conversations/conv_2"),
            (lambda: conv.build_delete(ROUTE, {"id": "conv_3"}), "DELETE", "/conversations/conv_3"),
            (lambda: conv.build_update(ROUTE, "conv_1", metadata={}), "POST", "/conversations/conv_1"),
            (lambda: conv.build_add_items(ROUTE, "conv_1", "more"), "POST", "/conversations/conv_1/items"),
            (lambda: conv.build_list_items(ROUTE, "conv_1"), "GET", "/conversations/conv_1/items"),
        ],
    )
    def test_routes(self, call, method: str, path: str) -> None:
        built = call()
        assert (built.method, built.url) == (method, BASE + path)

    def test_update_may_be_resent_but_adding_items_may_not(self) -> None:
        assert conv.build_update(ROUTE, "conv_1", metadata={"a": "b"}).idempotent
        assert not conv.build_add_items(ROUTE, "conv_1", "x").idempotent

    def test_list_items_params(self) -> None:
        call = conv.build_list_items(ROUTE, "conv_1", after="msg_9", order="desc", limit=5)
        assert call.params == {"order": "desc", "limit": "5", "after": "msg_9"}

    def test_agent_scoped_route(self) -> None:
        call = conv.build_get(agent_endpoint_route(PROJECT, "poster-artist"), "conv_1")
        assert call.url == (
            "https://acme.services.ai.azure.com/api/projects/p1/agents/poster-artist/endpoint/protocols/openai"
            "/conversations/conv_1"
        )
        assert call.params == {"api-version": "v1"}
        assert "Foundry-Features" in call.headers

    @pytest.mark.parametrize(
        ("kwargs", "fragment"),
        [
            ({"items": [{"role": "user", "content": "x"}] * 21}, "at most 20"),
            ({"items": "", "metadata": None}, "empty"),
            ({"metadata": {f"k{i}": "v" for i in range(17)}}, "at most 16"),
            ({"metadata": {"k": 1}}, "strings to strings"),
            ({"metadata": {"k" * 65: "v"}}, "keys up to 64"),
        ],
    )
    def test_refusals(self, kwargs: dict[str, Any], fragment: str) -> None:
        kwargs.setdefault("items", None)
        kwargs.setdefault("metadata", None)
        with pytest.raises(ConfigurationError, match=fragment):
            conv.build_create(ROUTE, **kwargs)

    @pytest.mark.parametrize("bad", ["", "conv/../x", "..", None, 3, "a b"])
    def test_bad_ids(self, bad: object) -> None:
        with pytest.raises(ConfigurationError, match="not a conversation id"):
            conv.build_get(ROUTE, bad)

    def test_update_needs_metadata(self) -> None:
        with pytest.raises(ConfigurationError, match="metadata=None"):
            conv.build_update(ROUTE, "conv_1", metadata=None)  # type: ignore[arg-type]


class TestState:
    def test_both_conversation_and_previous_response_id(self) -> None:
        with pytest.raises(ConfigurationError, match="both given") as info:
            conv.check_state(
                previous_response_id="resp_1", conversation="conv_1", background=False, store=None, route=ROUTE
            )
        assert "conv_1" in str(info.value) and "resp_1" in str(info.value)

    def test_conversation_on_a_resource_is_refused(self) -> None:
        with pytest.raises(ConfigurationError, match="Azure OpenAI resource"):
            conv.check_state(
                previous_response_id=None,
                conversation="conv_1",
                background=False,
                store=None,
                route=default_route(RESOURCE),
            )

    def test_resource_base_url_is_a_resource_too(self) -> None:
        route = default_route(resolve_endpoint("https://acme.openai.azure.com/openai/v1"))
        assert route.is_resource

    def test_background_sets_store_and_refuses_store_false(self) -> None:
        state = conv.check_state(previous_response_id=None, conversation=None, background=True, store=None, route=ROUTE)
        assert state == (None, True)
        with pytest.raises(ConfigurationError, match="store=False"):
            conv.check_state(previous_response_id=None, conversation=None, background=True, store=False, route=ROUTE)

    def test_with_state_adds_the_fields(self) -> None:
        from foundry_imagegen import ResponsesRequest

        request = ResponsesRequest("POST", "/responses", json={"input": "x"})
        assert conv.with_state(request, conversation=None, background=False) is request
        body = conv.with_state(request, conversation="conv_1", background=True).json
        assert body == {"input": "x", "conversation": "conv_1", "background": True}


class TestHistoryRule:
    def test_strings_and_plain_messages_pass(self) -> None:
        items = [{"role": "user", "content": "hi"}]
        assert conv.replay_input("hi", served_by=None) == "hi"
        assert conv.replay_input(items, served_by="conversation") == items

    def test_an_image_item_with_bytes_becomes_an_input_image(self) -> None:
        items = [{"type": "image_generation_call", "id": "ig_1", "result": PNG_B64}, {"role": "user", "content": "x"}]
        out = conv.replay_input(items, served_by=None)
        assert out[0] == {
            "role": "user",
            "content": [{"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"}],
        }
        assert out[1] == items[1]

    def test_an_image_item_by_id_alone_is_refused(self) -> None:
        with pytest.raises(ConfigurationError, match="by id alone") as info:
            conv.replay_input([{"type": "image_generation_call", "id": "ig_1"}], served_by=None)
        assert "previous_response_id" in str(info.value)

    @pytest.mark.parametrize("served_by", ["conversation", "previous_response_id"])
    def test_an_image_item_is_never_resent_when_the_service_has_it(self, served_by: str) -> None:
        with pytest.raises(ConfigurationError, match=f"{served_by}= already"):
            conv.replay_input([{"type": "image_generation_call", "id": "ig_1", "result": PNG_B64}], served_by=served_by)

    def test_undecodable_bytes(self) -> None:
        with pytest.raises(ConfigurationError, match="not a PNG"):
            conv.replay_input([{"type": "image_generation_call", "id": "ig_1", "result": "AAAA"}], served_by=None)

    def test_size_limit(self) -> None:
        conv.check_request_size(MAX_REQUEST_BYTES)
        with pytest.raises(ConfigurationError, match="413") as info:
            conv.check_request_size(MAX_REQUEST_BYTES + 1)
        assert "previous_response_id" in str(info.value) and "upload_images=True" in str(info.value)


class TestContinuePlan:
    def test_a_result_in_a_conversation_continues_there(self) -> None:
        plan = conv.plan_continue(result(conversation="conv_1"))
        assert plan == conv.ContinuePlan("conversation", conversation="conv_1")

    def test_a_stored_result_goes_on_by_id(self) -> None:
        plan = conv.plan_continue(result())
        assert (plan.via, plan.previous_response_id, plan.conversation) == ("previous_response_id", "resp_1", None)

    def test_an_unstored_result_resends_its_image(self) -> None:
        plan = conv.plan_continue(result(store=False))
        assert plan.via == "input_image" and plan.image is not None

    def test_conversation_given_for_a_result_outside_it_resends_the_image_inside_it(self) -> None:
        plan = conv.plan_continue(result(), conversation="conv_9")
        assert (plan.via, plan.conversation, plan.previous_response_id) == ("input_image", "conv_9", None)
        assert plan.image is not None

    def test_the_same_conversation_given_again_is_fine(self) -> None:
        assert conv.plan_continue(result(conversation="conv_1"), conversation="conv_1").via == "conversation"

    def test_a_result_in_a_conversation_may_fork_by_id(self) -> None:
        plan = conv.plan_continue(result(conversation="conv_1"), via="previous_response_id")
        assert (plan.via, plan.conversation) == ("previous_response_id", None)

    @pytest.mark.parametrize(
        ("kwargs", "fragment"),
        [
            ({"previous": result(conversation="conv_1"), "conversation": "conv_2"}, "belongs to conversation"),
            ({"previous": result(), "conversation": "conv_2", "via": "previous_response_id"}, "takes one"),
            ({"previous": result(), "via": "conversation"}, "belongs to no conversation"),
            ({"previous": result(), "via": "sideways"}, "via='sideways'"),
        ],
    )
    def test_refusals(self, kwargs: dict[str, Any], fragment: str) -> None:
        with pytest.raises(ConfigurationError, match=fragment):
            conv.plan_continue(kwargs.pop("previous"), **kwargs)

    def test_result_with_marks_the_conversation(self) -> None:
        marked = conv.result_with(result(), conversation="conv_5")
        assert marked.conversation_id == "conv_5"
        assert result().conversation_id is None
        assert conv.result_with(marked, conversation="conv_5") is marked
