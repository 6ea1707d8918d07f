"""generate() and create_response(): what goes on the wire, and what comes back decoded."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from foundry_imagegen import (
    IMAGE_DEPLOYMENT_HEADER,
    GenerationResult,
    ImageGenerationTool,
    NoImageGeneratedError,
    __version__,
)
from tests.client.wire import (
    PNG,
    PNG_HEIGHT,
    PNG_WIDTH,
    PROJECT_URL,
    RESOURCE_URL,
    SCOPE,
    image_call,
    message,
    ok_response,
    server_error,
)
from tests.harness import API_KEY, IMAGE_DEPLOYMENT, MODEL


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


class TestRequestOnTheWire:
    async def test_method_url_and_body(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "a red fox in fresh snow")

        assert route.call_count == 1
        request = route.calls.last.request
        assert request.method == "POST"
        assert str(request.url) == PROJECT_URL
        assert sent_json(request) == {
            "model": MODEL,
            "input": "a red fox in fresh snow",
            "tools": [{"type": "image_generation", "model": IMAGE_DEPLOYMENT}],
            "tool_choice": {"type": "image_generation"},
        }

    async def test_force_image_false_sends_no_tool_choice(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "a red fox", force_image=False)

        body = sent_json(route.calls.last.request)
        assert "tool_choice" not in body
        assert body["tools"] == [{"type": "image_generation", "model": IMAGE_DEPLOYMENT}]

    async def test_optional_fields_reach_the_body(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(
            client.generate,
            "a red fox",
            model="gpt-4.1-mini",
            instructions="Be terse.",
            previous_response_id="resp_prev",
            store=False,
            tool=ImageGenerationTool(quality="low", size="1024x1536"),
            extra_body={"metadata": {"run": "7"}},
        )

        assert sent_json(route.calls.last.request) == {
            "model": "gpt-4.1-mini",
            "input": "a red fox",
            "instructions": "Be terse.",
            "tools": [{"type": "image_generation", "model": IMAGE_DEPLOYMENT, "quality": "low", "size": "1024x1536"}],
            "tool_choice": {"type": "image_generation"},
            "previous_response_id": "resp_prev",
            "store": False,
            "metadata": {"run": "7"},
        }

    async def test_headers_with_api_key(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "a red fox")

        headers = route.calls.last.request.headers
        assert headers[IMAGE_DEPLOYMENT_HEADER] == IMAGE_DEPLOYMENT
        assert headers["x-ms-oai-image-generation-deployment"] == IMAGE_DEPLOYMENT
        assert headers["api-key"] == API_KEY
        assert "authorization" not in headers
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"].startswith(f"foundry-imagegen/{__version__} ")
        assert str(uuid.UUID(headers["x-ms-client-request-id"])) == headers["x-ms-client-request-id"]

    async def test_headers_with_token_credential(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        credential = h.credential()
        client = h.client(credential=credential)

        await h.run(client.generate, "a red fox")

        headers = route.calls.last.request.headers
        assert headers["authorization"] == "Bearer tok-SECRET-1"
        assert "api-key" not in headers
        assert headers[IMAGE_DEPLOYMENT_HEADER] == IMAGE_DEPLOYMENT
        assert credential.calls == [(SCOPE,)]

    async def test_custom_scope_is_asked_for(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        credential = h.credential()
        client = h.client(credential=credential, scope="https://cognitiveservices.azure.com/.default")

        await h.run(client.generate, "a red fox")

        assert credential.calls == [("https://cognitiveservices.azure.com/.default",)]

    async def test_client_request_id_same_across_retries_new_per_call(self, h):
        route = h.mock.post(PROJECT_URL)
        route.side_effect = [server_error(), ok_response(), ok_response()]
        client = h.client()

        await h.run(client.generate, "a red fox")
        await h.run(client.generate, "a red fox")

        ids = [call.request.headers["x-ms-client-request-id"] for call in route.calls]
        assert len(ids) == 3
        assert ids[0] == ids[1]
        assert ids[2] != ids[0]

    @pytest.mark.parametrize(
        ("endpoint", "url"),
        [
            ("https://acme.services.ai.azure.com/api/projects/p1", PROJECT_URL),
            ("https://acme.services.ai.azure.com/api/projects/p1/", PROJECT_URL),
            ("https://acme.openai.azure.com", RESOURCE_URL),
            ("https://acme.openai.azure.com/", RESOURCE_URL),
            ("https://acme.openai.azure.com/openai/v1", RESOURCE_URL),
            ("https://acme.services.ai.azure.com/api/projects/p1/openai/v1", PROJECT_URL),
        ],
    )
    async def test_endpoint_forms_map_to_the_v1_responses_url(self, h, endpoint, url):
        route = h.mock.post(url).mock(return_value=ok_response())
        client = h.client(endpoint)

        await h.run(client.generate, "a red fox")

        assert str(route.calls.last.request.url) == url
        assert client.base_url == url.removesuffix("/responses")


class TestResult:
    async def test_image_text_and_ids(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response(request_id="req-abc-123", id="resp_777"))
        client = h.client()

        result = await h.run(client.generate, "a red fox")

        assert isinstance(result, GenerationResult)
        assert len(result.images) == 1
        image = result.image
        assert image.data == PNG
        assert image.format == "png"
        assert image.mime_type == "image/png"
        assert (image.width, image.height) == (PNG_WIDTH, PNG_HEIGHT)
        assert image.id == "ig_1"
        assert image.is_partial is False
        assert result.text == "Here is your fox."
        assert result.revised_prompt == "A red fox in fresh snow"
        assert result.request_id == "req-abc-123"
        assert result.id == "resp_777"
        assert result.response.status == "completed"

    async def test_request_id_falls_back_to_apim_request_id(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response(request_id=None, headers={"apim-request-id": "apim-42"}))
        client = h.client()

        result = await h.run(client.generate, "a red fox")

        assert result.request_id == "apim-42"

    async def test_x_request_id_wins_over_apim_request_id(self, h):
        h.mock.post(PROJECT_URL).mock(
            return_value=ok_response(request_id="req-1", headers={"apim-request-id": "apim-42"})
        )
        client = h.client()

        result = await h.run(client.generate, "a red fox")

        assert result.request_id == "req-1"

    async def test_no_request_id_header_gives_none(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response(request_id=None))
        client = h.client()

        result = await h.run(client.generate, "a red fox")

        assert result.request_id is None

    async def test_two_images_and_unknown_items_are_kept(self, h):
        output = [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            image_call(id="ig_a", revised_prompt="first"),
            image_call(id="ig_b", revised_prompt="second"),
            message("Two foxes."),
        ]
        h.mock.post(PROJECT_URL).mock(return_value=ok_response(output))
        client = h.client()

        result = await h.run(client.generate, "two foxes")

        assert [image.id for image in result.images] == ["ig_a", "ig_b"]
        assert all(image.data == PNG for image in result.images)
        assert result.revised_prompt == "first"
        assert result.text == "Two foxes."

    async def test_image_without_message_has_empty_text(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response([image_call()]))
        client = h.client()

        result = await h.run(client.generate, "a red fox")

        assert result.text == ""
        assert result.revised_prompt is None
        assert result.image.data == PNG


class TestCreateResponse:
    async def test_sends_the_built_request_and_decodes_images(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response(request_id="req-cr"))
        client = h.client()
        request = ImageGenerationTool(image_deployment="img-deploy", quality="low").build_request(
            "a cat", model="gpt-4.1-nano", tool_choice="image_generation"
        )

        result = await h.run(client.create_response, request)

        sent = route.calls.last.request
        assert sent_json(sent) == dict(request.json)
        assert sent_json(sent) == {
            "model": "gpt-4.1-nano",
            "input": "a cat",
            "tools": [{"type": "image_generation", "model": "img-deploy", "quality": "low"}],
            "tool_choice": {"type": "image_generation"},
        }
        assert sent.headers[IMAGE_DEPLOYMENT_HEADER] == "img-deploy"
        assert sent.headers["api-key"] == API_KEY
        assert result.image.data == PNG
        assert result.image.format == "png"
        assert result.request_id == "req-cr"

    async def test_no_image_is_not_an_error(self, h):
        h.mock.post(PROJECT_URL).mock(return_value=ok_response([message("I would rather describe it.")]))
        client = h.client()
        request = ImageGenerationTool(image_deployment=IMAGE_DEPLOYMENT).build_request("a cat", model=MODEL)

        result = await h.run(client.create_response, request)

        assert result.images == ()
        assert result.text == "I would rather describe it."
        with pytest.raises(IndexError):
            _ = result.image

    async def test_generate_with_the_same_answer_raises(self, h):
        # The counterpart of the test above: generate() insists on an image.
        h.mock.post(PROJECT_URL).mock(return_value=ok_response([message("I would rather describe it.")]))
        client = h.client()

        with pytest.raises(NoImageGeneratedError):
            await h.run(client.generate, "a cat")
