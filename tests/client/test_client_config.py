"""Configuration checked before anything is sent: endpoints, secrets in reprs, inputs, from_env."""

from __future__ import annotations

import json

import pydantic
import pytest

from foundry_imagegen import (
    IMAGE_DEPLOYMENT_HEADER,
    ConfigurationError,
    ImageGenerationTool,
    MissingImageDeploymentError,
)
from tests.client.wire import PROJECT_URL, RESOURCE_ENDPOINT, RESOURCE_URL, ok_response
from tests.harness import API_KEY, IMAGE_DEPLOYMENT, MODEL, PROJECT_ENDPOINT


class TestEndpoints:
    async def test_plain_http_off_loopback_is_refused(self, h):
        with pytest.raises(ConfigurationError, match="https"):
            h.client("http://example.com")

    async def test_plain_http_project_endpoint_is_refused(self, h):
        with pytest.raises(ConfigurationError, match="https"):
            h.client("http://acme.services.ai.azure.com/api/projects/p1")

    @pytest.mark.parametrize(
        ("endpoint", "base_url"),
        [
            ("http://127.0.0.1:8080/api/projects/x", "http://127.0.0.1:8080/api/projects/x/openai/v1"),
            ("http://localhost:1234", "http://localhost:1234/openai/v1"),
            ("http://[::1]:9000/openai/v1", "http://[::1]:9000/openai/v1"),
        ],
    )
    async def test_plain_http_on_loopback_is_accepted(self, h, endpoint, base_url):
        client = h.client(endpoint)

        assert client.base_url == base_url

    @pytest.mark.parametrize(
        ("endpoint", "base_url"),
        [
            (PROJECT_ENDPOINT, PROJECT_URL.removesuffix("/responses")),
            (RESOURCE_ENDPOINT, RESOURCE_URL.removesuffix("/responses")),
            ("https://acme.openai.azure.com/openai", RESOURCE_URL.removesuffix("/responses")),
            ("  https://acme.openai.azure.com/openai/v1/  ", RESOURCE_URL.removesuffix("/responses")),
        ],
    )
    async def test_base_url(self, h, endpoint, base_url):
        assert h.client(endpoint).base_url == base_url

    @pytest.mark.parametrize(
        "endpoint",
        [
            "https://acme.openai.azure.com/some/other/path",
            "https://acme.services.ai.azure.com/api/projects",
            "https://acme.services.ai.azure.com/api/projects/p1/agents",
        ],
    )
    async def test_unknown_path_is_refused(self, h, endpoint):
        with pytest.raises(ConfigurationError, match="path"):
            h.client(endpoint)

    @pytest.mark.parametrize(
        "endpoint",
        [
            "https://acme.openai.azure.com/openai/v1?api-version=2025-04-01-preview",
            "https://acme.services.ai.azure.com/api/projects/p1?x=1",
        ],
    )
    async def test_query_string_is_refused(self, h, endpoint):
        with pytest.raises(ConfigurationError, match="query"):
            h.client(endpoint)

    @pytest.mark.parametrize("endpoint", ["", "   ", "ftp://acme.openai.azure.com", "acme.openai.azure.com"])
    async def test_not_an_endpoint_is_refused(self, h, endpoint):
        with pytest.raises(ConfigurationError):
            h.client(endpoint)


class TestSecretsStayHidden:
    async def test_api_key_not_in_repr_or_str(self, h):
        client = h.client()

        for text in (repr(client), str(client)):
            assert API_KEY not in text
            assert "auth='api-key'" in text
            assert PROJECT_URL.removesuffix("/responses") in text
            assert MODEL in text

    async def test_token_credential_repr(self, h):
        client = h.client(credential=h.credential())

        assert "auth='token-credential'" in repr(client)
        assert "tok-SECRET" not in repr(client)

    async def test_properties(self, h):
        client = h.client()

        assert client.model == MODEL
        assert client.image_deployment == IMAGE_DEPLOYMENT
        assert client.is_closed is False


class TestInputChecksBeforeAnyRequest:
    async def test_no_model_names_model(self, h):
        client = h.client(model=None)

        with pytest.raises(ConfigurationError) as info:
            await h.run(client.generate, "a red fox")

        assert "model" in str(info.value)
        assert not isinstance(info.value, MissingImageDeploymentError)

    async def test_no_image_deployment_names_the_header(self, h):
        client = h.client(image_deployment=None)

        with pytest.raises(MissingImageDeploymentError) as info:
            await h.run(client.generate, "a red fox")

        assert IMAGE_DEPLOYMENT_HEADER in str(info.value)
        assert isinstance(info.value, ConfigurationError)

    async def test_model_equal_to_image_deployment_is_refused(self, h):
        client = h.client(model=IMAGE_DEPLOYMENT)

        with pytest.raises(ConfigurationError, match="image deployment"):
            await h.run(client.generate, "a red fox")

    async def test_per_call_model_equal_to_image_deployment_is_refused(self, h):
        client = h.client()

        with pytest.raises(ConfigurationError, match="image deployment"):
            await h.run(client.generate, "a red fox", model=IMAGE_DEPLOYMENT)

    @pytest.mark.parametrize("prompt", ["", "   \n", []])
    async def test_empty_prompt_is_refused(self, h, prompt):
        client = h.client()

        with pytest.raises(ConfigurationError):
            await h.run(client.generate, prompt)

    async def test_tool_dict_is_validated(self, h):
        client = h.client()

        with pytest.raises(pydantic.ValidationError) as info:
            await h.run(client.generate, "a red fox", tool={"type": "image_generation", "quality": "ultra"})

        assert "quality" in str(info.value)

    async def test_tool_dict_with_unknown_field_is_refused(self, h):
        client = h.client()

        with pytest.raises(pydantic.ValidationError):
            await h.run(client.generate, "a red fox", tool={"qualty": "low"})

    async def test_bad_per_call_timeout_is_refused(self, h):
        client = h.client()

        with pytest.raises(ConfigurationError, match="timeout"):
            await h.run(client.generate, "a red fox", timeout=-1)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"max_retries": -1}, "max_retries"),
            ({"max_retries": True}, "max_retries"),
            ({"timeout": 0}, "timeout"),
            ({"scope": "ai.azure.com"}, "scope"),
        ],
    )
    async def test_bad_client_settings_are_refused(self, h, kwargs, match):
        with pytest.raises(ConfigurationError, match=match):
            h.client(**kwargs)

    async def test_bad_client_image_deployment_is_refused(self, h):
        with pytest.raises(ConfigurationError, match="image_deployment='not a name!'"):
            h.client(image_deployment="not a name!")


class TestToolAndDeploymentResolution:
    async def test_tool_dict_is_sent_with_the_client_deployment(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(client.generate, "a red fox", tool={"quality": "low", "size": "1024x1024"})

        request = route.calls.last.request
        assert json.loads(request.content)["tools"] == [
            {"type": "image_generation", "model": IMAGE_DEPLOYMENT, "quality": "low", "size": "1024x1024"}
        ]
        assert request.headers[IMAGE_DEPLOYMENT_HEADER] == IMAGE_DEPLOYMENT

    async def test_client_default_fills_a_tool_without_deployment(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment="img-default")

        await h.run(client.generate, "a red fox", tool=ImageGenerationTool(background="opaque"))

        request = route.calls.last.request
        assert request.headers[IMAGE_DEPLOYMENT_HEADER] == "img-default"
        assert json.loads(request.content)["tools"] == [
            {"type": "image_generation", "model": "img-default", "background": "opaque"}
        ]

    async def test_tool_deployment_wins_over_client_default(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment="img-default")

        await h.run(client.generate, "a red fox", tool=ImageGenerationTool(image_deployment="img-tool"))

        request = route.calls.last.request
        assert request.headers[IMAGE_DEPLOYMENT_HEADER] == "img-tool"
        assert json.loads(request.content)["tools"] == [{"type": "image_generation", "model": "img-tool"}]

    async def test_tool_deployment_works_without_client_default(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client(image_deployment=None)

        await h.run(client.generate, "a red fox", tool=ImageGenerationTool(image_deployment="img-tool"))

        assert route.calls.last.request.headers[IMAGE_DEPLOYMENT_HEADER] == "img-tool"

    async def test_tool_wire_model_differs_from_header_deployment(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()

        await h.run(
            client.generate, "a red fox", tool=ImageGenerationTool(image_deployment="my-img", model="gpt-image-1")
        )

        request = route.calls.last.request
        assert request.headers[IMAGE_DEPLOYMENT_HEADER] == "my-img"
        assert json.loads(request.content)["tools"] == [{"type": "image_generation", "model": "gpt-image-1"}]


FULL_ENV = {
    "AZURE_AI_PROJECT_ENDPOINT": PROJECT_ENDPOINT,
    "AZURE_OPENAI_API_KEY": API_KEY,
    "AZURE_AI_MODEL_DEPLOYMENT_NAME": "env-model",
    "IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME": "env-image",
}


class TestFromEnv:
    async def test_reads_every_variable(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.from_env(dict(FULL_ENV))

        assert isinstance(client, h.client_cls)
        assert client.base_url == PROJECT_URL.removesuffix("/responses")
        assert client.model == "env-model"
        assert client.image_deployment == "env-image"
        assert "auth='api-key'" in repr(client)
        assert API_KEY not in repr(client)

        await h.run(client.generate, "a red fox")

        request = route.calls.last.request
        assert request.headers["api-key"] == API_KEY
        assert request.headers[IMAGE_DEPLOYMENT_HEADER] == "env-image"
        assert json.loads(request.content)["model"] == "env-model"

    async def test_openai_endpoint_variable_is_the_fallback(self, h):
        env = {k: v for k, v in FULL_ENV.items() if k != "AZURE_AI_PROJECT_ENDPOINT"}
        env["AZURE_OPENAI_ENDPOINT"] = RESOURCE_ENDPOINT

        client = h.from_env(env)

        assert client.base_url == RESOURCE_URL.removesuffix("/responses")

    async def test_missing_endpoint_names_the_variable(self, h):
        env = {k: v for k, v in FULL_ENV.items() if k != "AZURE_AI_PROJECT_ENDPOINT"}

        with pytest.raises(ConfigurationError, match="AZURE_AI_PROJECT_ENDPOINT"):
            h.from_env(env)

    async def test_overrides_win(self, h):
        client = h.from_env(
            dict(FULL_ENV),
            endpoint=RESOURCE_ENDPOINT,
            model="override-model",
            image_deployment="override-image",
            api_key="override-key",
        )

        assert client.base_url == RESOURCE_URL.removesuffix("/responses")
        assert client.model == "override-model"
        assert client.image_deployment == "override-image"
        assert "override-key" not in repr(client)

    async def test_override_api_key_is_sent(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.from_env(dict(FULL_ENV), api_key="override-key")

        await h.run(client.generate, "a red fox")

        assert route.calls.last.request.headers["api-key"] == "override-key"

    async def test_endpoint_override_needs_no_endpoint_variable(self, h):
        env = {k: v for k, v in FULL_ENV.items() if k != "AZURE_AI_PROJECT_ENDPOINT"}

        client = h.from_env(env, endpoint=RESOURCE_ENDPOINT)

        assert client.base_url == RESOURCE_URL.removesuffix("/responses")

    async def test_credential_override_wins_over_the_key_variable(self, h):
        credential = h.credential()

        client = h.from_env(dict(FULL_ENV), credential=credential)
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        await h.run(client.generate, "a red fox")

        assert "auth='token-credential'" in repr(client)
        assert route.calls.last.request.headers["authorization"] == "Bearer tok-SECRET-1"
        assert "api-key" not in route.calls.last.request.headers

    async def test_empty_variables_count_as_unset(self, h):
        env = dict(FULL_ENV, AZURE_AI_MODEL_DEPLOYMENT_NAME="", IMAGE_GENERATION_MODEL_DEPLOYMENT_NAME="")

        client = h.from_env(env)

        assert client.model is None
        assert client.image_deployment is None
