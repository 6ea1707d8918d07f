"""Pure core of agents: names, references, the agent models and the wire shapes of the agent and file builders."""

from __future__ import annotations

import re
from typing import Any

import pytest

from foundry_imagegen import (
    IMAGE_DEPLOYMENT_HEADER,
    Agent,
    AgentReference,
    AgentVersion,
    ConfigurationError,
    ImageGenerationTool,
    MissingImageDeploymentError,
)
from foundry_imagegen._core.agents import (
    agent_reference_param,
    build_create_version,
    build_delete_agent,
    build_delete_file,
    build_delete_version,
    build_get_agent,
    build_get_version,
    build_list_versions,
    build_upload,
    validate_agent_name,
)
from tests.testkit import make_png

PROJECT = "https://acme.services.ai.azure.com/api/projects/p1"


BASE = PROJECT + "/openai/v1"


TOOL = ImageGenerationTool(image_deployment="gpt-image-1")


# --------------------------------------------------------------------------- agent names


@pytest.mark.parametrize("name", ["a", "7", "poster", "Poster-Artist-2", "a-b", "a--b", "1-2-3", "a" * 63])
def test_valid_agent_names_are_returned_unchanged(name):
    assert validate_agent_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "-a", "a-", "-", "a" * 64, "a_b", "a b", "a.b", "poster!", "äb", " a", "a\n", None, 5, b"abc"],
)
def test_invalid_agent_names_raise_configuration_error_with_the_fix(name):
    with pytest.raises(ConfigurationError) as info:
        validate_agent_name(name)
    assert type(info.value) is ConfigurationError
    assert str(info.value) == (
        f"agent name {name!r} is not valid: it needs 1-63 letters, digits or hyphens, starting and "
        "ending with a letter or digit. Fix: e.g. 'poster-artist'"
    )


def test_agent_reference_validates_its_name():
    assert AgentReference(name="poster").version is None
    assert AgentReference(name="poster", version="3").version == "3"
    for bad in ("-poster", "a" * 64, "with space"):
        with pytest.raises(ValueError, match=re.escape("Fix: e.g. 'poster-artist'")):
            AgentReference(name=bad)


def test_agent_reference_is_frozen_and_strict():
    ref = AgentReference(name="poster")
    with pytest.raises(ValueError):
        ref.name = "other"
    with pytest.raises(ValueError):
        AgentReference(name="poster", id="x")  # type: ignore[call-arg]


def test_agent_reference_param_names_the_version_only_when_given():
    assert agent_reference_param(AgentReference(name="poster")) == {"type": "agent_reference", "name": "poster"}
    assert agent_reference_param(AgentReference(name="poster", version="2")) == {
        "type": "agent_reference",
        "name": "poster",
        "version": "2",
    }


# --------------------------------------------------------------------------- agent models


def version(tools: list[object], **extra: Any) -> AgentVersion:
    return AgentVersion(
        name="poster", version="4", definition={"kind": "prompt", "model": "gpt-4.1", "tools": tools}, **extra
    )


def test_image_tool_turns_the_wire_model_into_the_deployment():
    v = version(
        [
            {"type": "code_interpreter"},
            {"type": "image_generation", "model": "img-deploy", "quality": "low", "size": "1024x1536", "n": 1},
        ]
    )

    tool = v.image_tool

    assert isinstance(tool, ImageGenerationTool)
    assert tool.image_deployment == "img-deploy"
    assert (tool.quality, tool.size) == ("low", "1024x1536")
    assert tool.headers() == {IMAGE_DEPLOYMENT_HEADER: "img-deploy"}
    assert tool.to_param() == {"type": "image_generation", "model": "img-deploy", "quality": "low", "size": "1024x1536"}


def test_image_tool_is_none_without_an_image_tool_or_with_a_broken_one():
    assert version([]).image_tool is None
    assert version([{"type": "code_interpreter"}, "junk"]).image_tool is None
    assert AgentVersion(name="poster", version="1").image_tool is None
    assert version([{"type": "image_generation", "quality": "ultra"}]).image_tool is None


def test_image_tool_without_a_model_has_no_deployment():
    tool = version([{"type": "image_generation", "quality": "high"}]).image_tool
    assert tool is not None
    assert (tool.image_deployment, tool.quality) == (None, "high")


def test_version_reference_pins_the_version_and_agent_latest():
    v = version([{"type": "image_generation", "model": "gpt-image-1"}])
    assert v.reference == AgentReference(name="poster", version="4")
    agent = Agent.model_validate({"object": "agent", "id": "poster", "name": "poster", "versions": {"latest": v}})
    assert agent.latest == v
    assert Agent(name="empty").latest is None


# --------------------------------------------------------------------------- agent builders


def test_create_version_body_is_exact():
    tool = ImageGenerationTool(image_deployment="gpt-image-1", quality="low", size="1024x1024")

    call = build_create_version(
        PROJECT,
        "poster",
        model="gpt-4.1",
        tool=tool,
        instructions="Draw posters.",
        description="Poster artist",
        metadata={"team": "design"},
    )

    assert (call.method, call.url) == ("POST", PROJECT + "/agents/poster/versions")
    assert dict(call.params) == {"api-version": "v1"}
    assert call.json == {
        "definition": {
            "kind": "prompt",
            "model": "gpt-4.1",
            "instructions": "Draw posters.",
            "tools": [{"type": "image_generation", "model": "gpt-image-1", "quality": "low", "size": "1024x1024"}],
        },
        "description": "Poster artist",
        "metadata": {"team": "design"},
    }
    assert list(call.json["definition"]) == ["kind", "model", "instructions", "tools"]
    assert call.files is None


def test_create_version_omits_what_is_not_given():
    call = build_create_version(
        PROJECT, "poster", model="gpt-4.1", tool=TOOL, instructions=None, description=None, metadata=None
    )
    assert call.json == {
        "definition": {
            "kind": "prompt",
            "model": "gpt-4.1",
            "tools": [{"type": "image_generation", "model": "gpt-image-1"}],
        }
    }


def create(**changes: object):
    kwargs: dict[str, object] = {
        "model": "gpt-4.1",
        "tool": TOOL,
        "instructions": None,
        "description": None,
        "metadata": None,
    }
    kwargs.update(changes)
    return build_create_version(PROJECT, str(kwargs.pop("name", "poster")), **kwargs)  # type: ignore[arg-type]


def test_create_version_refuses_no_model():
    for model in ("", None):
        with pytest.raises(ConfigurationError, match=r"orchestrator \(chat\) model.*Fix: model='gpt-5.1'"):
            create(model=model)


def test_create_version_refuses_a_tool_without_deployment():
    with pytest.raises(MissingImageDeploymentError, match=r"Fix:"):
        create(tool=ImageGenerationTool(quality="low"))


def test_create_version_refuses_the_image_deployment_as_model():
    with pytest.raises(ConfigurationError, match=r"is also the image deployment.*Fix:"):
        create(model="gpt-image-1")


def test_create_version_refuses_a_bad_name():
    with pytest.raises(ConfigurationError, match=r"Fix: e.g. 'poster-artist'"):
        create(name="-poster")


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{i}": "v" for i in range(17)},
        {"k" * 65: "v"},
        {"k": "v" * 513},
    ],
    ids=["17-pairs", "key-65", "value-513"],
)
def test_create_version_refuses_metadata_over_the_limits(metadata):
    with pytest.raises(ConfigurationError, match=r"at most 16 pairs, keys up to 64 and values up to 512.*Fix:"):
        create(metadata=metadata)


def test_create_version_accepts_metadata_at_the_limits():
    metadata = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    assert create(metadata=metadata).json["metadata"] == metadata


def test_read_and_delete_builders():
    assert (build_get_agent(PROJECT, "poster").method, build_get_agent(PROJECT, "poster").url) == (
        "GET",
        PROJECT + "/agents/poster",
    )
    call = build_get_version(PROJECT, "poster", "2")
    assert (call.method, call.url, dict(call.params)) == (
        "GET",
        PROJECT + "/agents/poster/versions/2",
        {"api-version": "v1"},
    )
    call = build_list_versions(PROJECT, "poster")
    assert (call.method, call.url) == ("GET", PROJECT + "/agents/poster/versions")
    assert dict(call.params) == {"api-version": "v1", "limit": "100", "order": "asc"}
    assert dict(build_list_versions(PROJECT, "poster", after="poster:2").params) == {
        "api-version": "v1",
        "limit": "100",
        "order": "asc",
        "after": "poster:2",
    }
    call = build_delete_version(PROJECT, "poster", "2")
    assert (call.method, call.url, dict(call.params)) == (
        "DELETE",
        PROJECT + "/agents/poster/versions/2",
        {"api-version": "v1"},
    )
    call = build_delete_agent(PROJECT, "poster")
    assert (call.method, call.url, dict(call.params)) == ("DELETE", PROJECT + "/agents/poster", {"api-version": "v1"})
    for builder in (build_get_agent, build_delete_agent):
        with pytest.raises(ConfigurationError):
            builder(PROJECT, "bad name")


def test_upload_builder_is_multipart_with_a_purpose():
    png = make_png()
    call = build_upload(BASE, png, filename="cat.png", mime="image/png", purpose="assistants")
    assert (call.method, call.url) == ("POST", BASE + "/files")
    assert call.files == {"file": ("cat.png", png, "image/png")}
    assert call.data == {"purpose": "assistants"}
    assert call.json is None
    with pytest.raises(ConfigurationError, match=r"Fix: purpose='assistants'"):
        build_upload(BASE, png, filename="cat.png", mime="image/png", purpose="")
    call = build_delete_file(BASE, "assistant-1")
    assert (call.method, call.url) == ("DELETE", BASE + "/files/assistant-1")
