"""The emulator's wire JSON validates against the official ``openai`` package's Responses types."""

from __future__ import annotations

import base64

import pytest

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")

from openai.types.responses import Response, ResponseStreamEvent  # noqa: E402

STREAM_EVENTS = pydantic.TypeAdapter(ResponseStreamEvent)


def _validate_stream(events) -> list:
    parsed = []
    for e in events:
        if e.data == "[DONE]":
            continue
        ev = STREAM_EVENTS.validate_python(e.json)
        assert ev.type == e.event
        parsed.append(ev)
    return parsed


@pytest.mark.parametrize(
    "tool",
    [
        {},
        {"quality": "high", "size": "1024x1536", "background": "transparent"},
        {"output_format": "jpeg", "output_compression": 60},
        {"output_format": "webp", "moderation": "low", "input_fidelity": "high"},
        {"action": "generate", "partial_images": 2},
    ],
)
def test_non_streaming_bodies_validate(api, tool: dict) -> None:
    body = api.create(api.image_body(tool, instructions="be brief", metadata={"a": "b"})).json()
    resp = Response.model_validate(body)
    assert resp.status == "completed"
    call = resp.output[0]
    assert call.type == "image_generation_call"
    assert call.result and base64.b64decode(call.result)
    assert resp.output_text


def test_text_only_and_no_tool_bodies_validate(api) -> None:
    Response.model_validate(api.create({"model": "gpt-5", "input": "hi"}, image_deployment=None).json())
    api.emu.inject("text_only")
    Response.model_validate(api.create(api.image_body()).json())
    api.emu.inject("empty_result")
    Response.model_validate(api.create(api.image_body()).json())


def test_failed_body_validates_with_a_known_error_code(api) -> None:
    # openai's ResponseError.code is a closed enum without "moderation_blocked" (the default, taken from
    # the Images API); the shape is still checked here with a code the enum has.
    api.emu.inject("moderation_blocked", code="image_content_policy_violation")
    resp = Response.model_validate(api.create(api.image_body()).json())
    assert resp.status == "failed" and resp.error is not None
    assert resp.output[0].status == "failed"


def test_stored_response_validates(api, http) -> None:
    created = api.create(api.image_body()).json()
    stored = http.get(f"{api.emu.url}/openai/v1/responses/{created['id']}").json()
    assert Response.model_validate(stored).output[0].result is None


@pytest.mark.parametrize("dialect", ["openai", "azure"])
@pytest.mark.parametrize("tool", [{}, {"partial_images": 3, "background": "transparent"}])
def test_stream_events_validate(make_api, dialect: str, tool: dict) -> None:
    api = make_api(stream_dialect=dialect)
    _, events = api.stream(api.image_body(tool))
    parsed = _validate_stream(events)
    assert parsed[-1].type == "response.completed"
    Response.model_validate(events[-2 if dialect == "azure" else -1].json["response"])


def test_fault_stream_events_validate(api) -> None:
    api.emu.inject("stream_error", after=2)
    assert _validate_stream(api.stream(api.image_body())[1])[-1].type == "error"
    api.emu.inject("stream_failed", after=5)
    assert _validate_stream(api.stream(api.image_body())[1])[-1].type == "response.failed"
    api.emu.inject("moderation_blocked", code="image_content_policy_violation")
    assert _validate_stream(api.stream(api.image_body())[1])[-1].type == "response.failed"
    api.emu.inject("text_only")
    assert _validate_stream(api.stream(api.image_body())[1])[-1].type == "response.completed"


def test_openai_client_end_to_end(emu) -> None:
    client = openai.OpenAI(
        base_url=emu.url + "/openai/v1",
        api_key="x",
        default_headers={"x-ms-oai-image-generation-deployment": "gpt-image-1"},
        max_retries=0,
    )
    with client:
        resp = client.responses.create(model="gpt-4.1", input="a cat", tools=[{"type": "image_generation"}])
        with client.responses.stream(
            model="gpt-4.1", input="a cat", tools=[{"type": "image_generation", "partial_images": 1}]
        ) as stream:
            kinds = [ev.type for ev in stream]
            final = stream.get_final_response()
    image = base64.b64decode(resp.output[0].result)
    assert image.startswith(b"\x89PNG")
    assert "response.image_generation_call.partial_image" in kinds
    assert final.output[0].result == resp.output[0].result  # deterministic rendering
    assert emu.requests[0].headers["authorization"] == "***"


def test_openai_client_sees_typed_errors(emu) -> None:
    client = openai.OpenAI(base_url=emu.url + "/openai/v1", api_key="x", max_retries=0)
    with client:
        with pytest.raises(openai.BadRequestError) as info:
            client.responses.create(model="gpt-4.1", input="a cat", tools=[{"type": "image_generation"}])
        assert info.value.code == "invalid_request_error"
        assert info.value.request_id
        emu.inject("rate_limit", retry_after=0)
        with pytest.raises(openai.RateLimitError):
            client.responses.create(model="gpt-4.1", input="hi")
        with pytest.raises(openai.NotFoundError):
            client.responses.create(model="gpt-404", input="hi")


def test_openai_client_retries_on_injected_429(emu) -> None:
    client = openai.OpenAI(base_url=emu.url + "/openai/v1", api_key="x", max_retries=2)
    emu.inject("rate_limit", retry_after=0, retry_after_ms=1)
    with client:
        resp = client.responses.create(model="gpt-4.1", input="hi")
    assert resp.status == "completed"
    assert [r.headers.get("x-stainless-retry-count") for r in emu.requests] == ["0", "1"]


async def test_async_openai_client(emu) -> None:
    client = openai.AsyncOpenAI(
        base_url=emu.endpoint + "/openai/v1",
        api_key="x",
        default_headers={"x-ms-oai-image-generation-deployment": "gpt-image-2"},
        max_retries=0,
    )
    async with client:
        resp = await client.responses.create(
            model="gpt-5", input="a dog", tools=[{"type": "image_generation", "size": "1280x720"}]
        )
    assert resp.output[0].size == "1280x720"
