"""Responses requests built from image inputs (with_images) and for agents (agent_reference)."""

from __future__ import annotations

import base64

import pytest

from foundry_imagegen import (
    IMAGE_DEPLOYMENT_HEADER,
    AgentReference,
    ConfigurationError,
    FileId,
    ImageGenerationTool,
    MissingImageDeploymentError,
)
from foundry_imagegen._core.inputs import resolve_image
from foundry_imagegen._core.request import build_responses_request, with_images
from tests.testkit import make_png

TOOL = ImageGenerationTool(image_deployment="gpt-image-1")


# --------------------------------------------------------------------------- with_images


def test_with_images_builds_one_user_message():
    png = make_png(4, 4)
    images = [resolve_image(png), resolve_image(FileId("assistant-2"))]

    value = with_images("make it night", images)

    assert value == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "make it night"},
                {
                    "type": "input_image",
                    "image_url": "data:image/png;base64," + base64.b64encode(png).decode(),
                    "detail": "auto",
                },
                {"type": "input_image", "file_id": "assistant-2", "detail": "auto"},
            ],
        }
    ]


def test_with_images_without_images_keeps_the_input():
    messages = [{"role": "user", "content": "hi"}]
    assert with_images("a fox", []) == "a fox"
    assert with_images(messages, []) is messages


def test_with_images_refuses_message_lists_and_empty_prompts():
    image = resolve_image(make_png())
    with pytest.raises(ConfigurationError, match=r"images= needs a string prompt. Fix:"):
        with_images([{"role": "user", "content": "hi"}], [image])
    with pytest.raises(ConfigurationError, match=r"empty. Fix:"):
        with_images("  ", [image])


# --------------------------------------------------------------------------- agent requests


def test_agent_request_names_the_agent_instead_of_model_and_tools():
    request = build_responses_request(
        TOOL, "a poster", model="gpt-4.1", agent=AgentReference(name="poster", version="2")
    )

    assert (request.method, request.path) == ("POST", "/responses")
    assert request.json == {
        "agent_reference": {"type": "agent_reference", "name": "poster", "version": "2"},
        "input": "a poster",
    }
    assert dict(request.headers) == {IMAGE_DEPLOYMENT_HEADER: "gpt-image-1"}
    assert not request.stream


def test_agent_request_without_version_and_with_options():
    request = build_responses_request(
        TOOL,
        [{"role": "user", "content": "a poster"}],
        model=None,
        agent=AgentReference(name="poster"),
        instructions="Bold colours.",
        tool_choice="image_generation",
        previous_response_id="resp_1",
        store=False,
        stream=True,
        extra_body={"metadata": {"run": "7"}},
    )

    assert request.json == {
        "agent_reference": {"type": "agent_reference", "name": "poster"},
        "input": [{"role": "user", "content": "a poster"}],
        "instructions": "Bold colours.",
        "tool_choice": {"type": "image_generation"},
        "previous_response_id": "resp_1",
        "store": False,
        "stream": True,
        "metadata": {"run": "7"},
    }
    assert request.headers == {IMAGE_DEPLOYMENT_HEADER: "gpt-image-1", "Accept": "text/event-stream"}


def test_legacy_agent_field():
    request = build_responses_request(
        TOOL, "a poster", model=None, agent=AgentReference(name="poster"), agent_field="agent"
    )
    assert request.json == {"agent": {"type": "agent_reference", "name": "poster"}, "input": "a poster"}
    with pytest.raises(ConfigurationError, match=r"Fix: 'agent_reference' or 'agent'"):
        build_responses_request(TOOL, "a poster", model=None, agent=AgentReference(name="poster"), agent_field="ref")


def test_agent_request_refuses_tool_settings_it_would_drop():
    tool = ImageGenerationTool(image_deployment="gpt-image-1", size="1024x1024", quality="low")
    with pytest.raises(ConfigurationError) as info:
        build_responses_request(tool, "a poster", model=None, agent=AgentReference(name="poster"))
    assert "tool sets quality, size" in str(info.value)
    assert "Fix: create an agent version with those settings" in str(info.value)
    with pytest.raises(ConfigurationError, match=r"tool sets partial_images"):
        build_responses_request(
            ImageGenerationTool(image_deployment="gpt-image-1", partial_images=2),
            "a poster",
            model=None,
            agent=AgentReference(name="poster"),
        )


def test_agent_request_accepts_a_tool_that_only_names_the_deployment():
    tool = ImageGenerationTool(image_deployment="img")
    request = build_responses_request(tool, "a poster", model=None, agent=AgentReference(name="poster"))
    assert request.headers == {IMAGE_DEPLOYMENT_HEADER: "img"}
    assert "tools" not in request.json and "model" not in request.json


def test_agent_request_refuses_a_tool_model_it_would_drop():
    tool = ImageGenerationTool(image_deployment="img", model="gpt-image-2")
    with pytest.raises(ConfigurationError, match="tool sets model"):
        build_responses_request(tool, "a poster", model=None, agent=AgentReference(name="poster"))


@pytest.mark.parametrize("key", ["stream", "model", "tools", "agent_reference", "store"])
def test_extra_body_cannot_set_fields_the_sdk_owns(key):
    tool = ImageGenerationTool(image_deployment="img")
    with pytest.raises(ConfigurationError, match=f"extra_body sets {key}"):
        build_responses_request(tool, "x", model="gpt-4.1", extra_body={key: True})
    assert build_responses_request(tool, "x", model="gpt-4.1", extra_body={"metadata": {"a": "b"}}).json["metadata"]


def test_agent_request_still_needs_the_image_header():
    with pytest.raises(MissingImageDeploymentError, match=r"Fix:"):
        build_responses_request(ImageGenerationTool(), "a poster", model=None, agent=AgentReference(name="poster"))


def test_agent_request_checks_input_and_extra_body():
    agent = AgentReference(name="poster")
    with pytest.raises(ConfigurationError, match=r"empty. Fix:"):
        build_responses_request(TOOL, "", model=None, agent=agent)
    with pytest.raises(ConfigurationError, match=r"extra_body sets agent_reference"):
        build_responses_request(TOOL, "a poster", model=None, agent=agent, extra_body={"agent_reference": {}})
