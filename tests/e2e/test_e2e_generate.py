"""client.generate() end to end: both clients over real loopback sockets against the emulator; real
images decoded with Pillow, tool options on the wire, faults and retries, auth, typed errors."""

from __future__ import annotations

from typing import Any

import pytest

from foundry_imagegen import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ContentFilterError,
    DeploymentNotFoundError,
    ImageDeploymentError,
    ImageGenerationTool,
    NoImageGeneratedError,
)
from tests.e2e.helpers import band_extrema, pil, responses_posts

pytestmark = pytest.mark.e2e

PROMPT = "a red fox in fresh snow"


@pytest.fixture
def harness_options() -> dict[str, Any]:
    # The tests below compare h.request_ids with the request ids the errors and results carry.
    return {"record_request_ids": True}


def backoff_ok(seconds: float) -> bool:
    return 0 < seconds <= 8


# --------------------------------------------------------------------------- images and the wire


async def test_default_tool_gives_a_1024_png(h, foundry_emulator):
    client = h.client(foundry_emulator)

    result = await h.run(client.generate, PROMPT)

    image = result.image
    assert (image.format, image.width, image.height) == ("png", 1024, 1024)
    decoded = pil(image)
    assert (decoded.format, decoded.size, decoded.mode) == ("PNG", (1024, 1024), "RGB")
    assert result.id.startswith("resp_")
    assert result.response.status == "completed"
    assert result.revised_prompt
    assert result.text
    assert image.id.startswith("ig_")
    [request] = responses_posts(foundry_emulator)
    assert request.path == "/api/projects/demo/openai/v1/responses"
    assert request.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-1"
    assert request.headers["api-key"] == "***"
    assert "k" not in request.headers["api-key"]
    assert request.headers["accept"] == "application/json"
    assert request.json == {
        "model": "gpt-4.1",
        "input": PROMPT,
        "tools": [{"type": "image_generation", "model": "gpt-image-1"}],
        "tool_choice": {"type": "image_generation"},
    }


async def test_request_id_is_the_emulators_x_request_id(h, foundry_emulator):
    client = h.client(foundry_emulator)

    first = await h.run(client.generate, PROMPT)
    second = await h.run(client.generate, PROMPT)

    assert h.request_ids == [first.request_id, second.request_id]
    assert first.request_id != second.request_id


async def test_size_quality_and_transparent_background(h, foundry_emulator):
    client = h.client(foundry_emulator)
    tool = ImageGenerationTool(size="1536x1024", quality="low", background="transparent")

    result = await h.run(client.generate, PROMPT, tool=tool)

    assert (result.image.width, result.image.height) == (1536, 1024)
    decoded = pil(result.image)
    assert (decoded.format, decoded.size, decoded.mode) == ("PNG", (1536, 1024), "RGBA")
    assert band_extrema(decoded)[3] == (0, 255)  # a see-through background behind opaque shapes
    [request] = responses_posts(foundry_emulator)
    assert request.json["tools"] == [
        {
            "type": "image_generation",
            "model": "gpt-image-1",
            "background": "transparent",
            "quality": "low",
            "size": "1536x1024",
        }
    ]


async def test_jpeg_with_compression(h, foundry_emulator, tmp_path):
    client = h.client(foundry_emulator)

    small = await h.run(client.generate, PROMPT, tool=ImageGenerationTool(output_format="jpeg", output_compression=30))
    large = await h.run(client.generate, PROMPT, tool=ImageGenerationTool(output_format="jpeg", output_compression=95))

    for result in (small, large):
        assert result.image.format == "jpeg"
        decoded = pil(result.image)
        assert (decoded.format, decoded.size, decoded.mode) == ("JPEG", (1024, 1024), "RGB")
    assert len(small.image.data) < len(large.image.data)
    assert [r.json["tools"][0]["output_compression"] for r in responses_posts(foundry_emulator)] == [30, 95]
    assert small.save(tmp_path / "fox.png") == tmp_path / "fox.jpg"


async def test_gpt_image_2_custom_size(h, foundry_emulator):
    client = h.client(foundry_emulator)  # the tool's deployment wins over the client's gpt-image-1
    tool = ImageGenerationTool(image_deployment="gpt-image-2", size="2048x1152")

    result = await h.run(client.generate, PROMPT, tool=tool)

    assert (result.image.width, result.image.height) == (2048, 1152)
    assert pil(result.image).size == (2048, 1152)
    [request] = responses_posts(foundry_emulator)
    assert request.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-2"
    assert request.json["tools"] == [{"type": "image_generation", "model": "gpt-image-2", "size": "2048x1152"}]


async def test_azure_openai_resource_endpoint(h, foundry_emulator):
    client = h.client(foundry_emulator.resource_endpoint)

    result = await h.run(client.generate, PROMPT, tool=ImageGenerationTool(quality="low"))

    assert pil(result.image).size == (1024, 1024)
    [request] = responses_posts(foundry_emulator)
    assert request.path == "/openai/v1/responses"


async def test_create_response_with_a_built_request(h, foundry_emulator):
    client = h.client(foundry_emulator)
    tool = ImageGenerationTool(image_deployment="gpt-image-1-mini", quality="medium", size="1024x1536")
    request = tool.build_request("a koi pond", model="gpt-4o", tool_choice="image_generation")

    result = await h.run(client.create_response, request)

    assert [(image.width, image.height) for image in result.images] == [(1024, 1536)]
    assert pil(result.image).size == (1024, 1536)
    [recorded] = responses_posts(foundry_emulator)
    assert recorded.json == dict(request.json)
    assert recorded.headers["x-ms-oai-image-generation-deployment"] == "gpt-image-1-mini"
    assert result.request_id == h.request_ids[-1]


async def test_create_response_returns_a_text_only_answer(h, foundry_emulator):
    foundry_emulator.inject("text_only", text="Only words today.")
    client = h.client(foundry_emulator)
    request = ImageGenerationTool(image_deployment="gpt-image-1").build_request("a cat", model="gpt-4.1")

    result = await h.run(client.create_response, request)

    assert list(result.images) == []
    assert result.text == "Only words today."


# --------------------------------------------------------------------------- faults and retries


async def test_rate_limit_is_retried_after_the_server_wait(h, foundry_emulator):
    foundry_emulator.inject("rate_limit", retry_after=3)
    client = h.client(foundry_emulator)

    result = await h.run(client.generate, PROMPT)

    assert result.image.format == "png"
    assert h.waits == [3.0]
    sent = responses_posts(foundry_emulator)
    assert len(sent) == 2
    assert sent[0].headers["x-ms-client-request-id"] == sent[1].headers["x-ms-client-request-id"]
    assert result.request_id == h.request_ids[-1] != h.request_ids[0]


async def test_server_error_twice_then_success(h, foundry_emulator):
    foundry_emulator.inject("server_error", count=2)
    client = h.client(foundry_emulator)

    result = await h.run(client.generate, PROMPT)

    assert pil(result.image).size == (1024, 1024)
    assert len(responses_posts(foundry_emulator)) == 3
    assert len(h.waits) == 2 and all(backoff_ok(w) for w in h.waits), h.waits
    assert foundry_emulator.faults == []


async def test_dropped_connection_after_sending_is_not_resent(h, foundry_emulator):
    # The service had the request: a generation may be running and billed, so it is not sent again.
    foundry_emulator.inject("drop_connection")
    client = h.client(foundry_emulator)

    with pytest.raises(APIConnectionError) as caught:
        await h.run(client.generate, PROMPT)

    assert not caught.value.retryable and not isinstance(caught.value, APITimeoutError)
    assert len(responses_posts(foundry_emulator)) == 1
    assert h.waits == []


async def test_content_filter_is_not_retried(h, foundry_emulator):
    foundry_emulator.inject("content_filter", category="violence", severity="high")
    client = h.client(foundry_emulator)

    with pytest.raises(ContentFilterError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.status == 400
    assert caught.value.code == "content_filter"
    assert caught.value.categories == ("violence",)
    assert caught.value.request_id == h.request_ids[-1]
    assert len(responses_posts(foundry_emulator)) == 1
    assert h.waits == []


async def test_moderation_blocked_is_a_content_filter_error(h, foundry_emulator):
    foundry_emulator.inject("moderation_blocked")
    client = h.client(foundry_emulator)

    with pytest.raises(ContentFilterError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.code == "moderation_blocked"
    assert "safety system" in str(caught.value)
    assert len(responses_posts(foundry_emulator)) == 1
    assert h.waits == []


async def test_text_only_answer_is_no_image_generated(h, foundry_emulator):
    foundry_emulator.inject("text_only", text="I would rather describe it: a fox.")
    client = h.client(foundry_emulator)

    with pytest.raises(NoImageGeneratedError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.text == "I would rather describe it: a fox."
    assert len(responses_posts(foundry_emulator)) == 1


async def test_empty_result_is_no_image_generated(h, foundry_emulator):
    foundry_emulator.inject("empty_result")
    client = h.client(foundry_emulator)

    with pytest.raises(NoImageGeneratedError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.code == "empty_result"
    assert len(responses_posts(foundry_emulator)) == 1


# --------------------------------------------------------------------------- auth and deployments


async def test_api_key_accepted(h, foundry_emulator_factory):
    emu = foundry_emulator_factory(api_keys=["k1"])
    client = h.client(emu, api_key="k1")

    result = await h.run(client.generate, PROMPT)

    assert result.image.format == "png"
    [request] = responses_posts(emu)
    assert request.headers["api-key"] == "***"


async def test_bad_api_key_is_an_authentication_error(h, foundry_emulator_factory):
    emu = foundry_emulator_factory(api_keys=["k1"])
    # Not "bad": that is valid hex and turns up inside request-id UUIDs now and then.
    client = h.client(emu, api_key="wrong-key-xyz")

    with pytest.raises(AuthenticationError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.status == 401
    assert "wrong-key-xyz" not in str(caught.value)
    assert len(responses_posts(emu)) == 1
    assert h.waits == []


async def test_bearer_token_from_a_credential(h, foundry_emulator_factory):
    emu = foundry_emulator_factory(bearer_tokens=["tok"])
    credential = h.credential("tok")
    client = h.client(emu, credential=credential)

    await h.run(client.generate, PROMPT)
    result = await h.run(client.generate, PROMPT)

    assert pil(result.image).size == (1024, 1024)
    assert credential.calls == [("https://ai.azure.com/.default",)]  # cached for the second call
    sent = responses_posts(emu)
    assert len(sent) == 2
    assert all(r.headers["authorization"] == "***" for r in sent)
    assert all("api-key" not in r.headers for r in sent)


async def test_rejected_bearer_token_is_an_authentication_error(h, foundry_emulator_factory):
    emu = foundry_emulator_factory(bearer_tokens=["tok"])
    credential = h.credential("stale")
    client = h.client(emu, credential=credential)

    with pytest.raises(AuthenticationError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.status == 401
    # One fresh token after the first 401, then the error.
    assert len(credential.calls) == 2
    assert len(responses_posts(emu)) == 2
    assert h.waits == []


async def test_unknown_orchestrator_model(h, foundry_emulator):
    client = h.client(foundry_emulator, model="gpt-no-such-model")

    with pytest.raises(DeploymentNotFoundError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.status == 404
    assert caught.value.code == "DeploymentNotFound"
    assert len(responses_posts(foundry_emulator)) == 1


async def test_unknown_image_deployment(h, foundry_emulator):
    client = h.client(foundry_emulator, image_deployment="no-such-image")

    with pytest.raises(ImageDeploymentError) as caught:
        await h.run(client.generate, PROMPT)

    assert caught.value.status == 400
    assert "no-such-image" in str(caught.value)
    [request] = responses_posts(foundry_emulator)
    assert request.headers["x-ms-oai-image-generation-deployment"] == "no-such-image"
