"""Agent endpoints end to end: both clients against the emulator over loopback; routing an endpoint, calls
through it (what the emulator received), background work through it, and ephemeral versions that put the
routing back."""

from __future__ import annotations

from typing import Any

import pytest

from foundry_imagegen import AgentReference, ConfigurationError, ImageGenerationTool, NotFoundError
from tests.e2e.helpers import pil

pytestmark = pytest.mark.e2e

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"
TOOL = ImageGenerationTool(image_deployment="gpt-image-1", quality="low")
ENDPOINT_PATH = "/api/projects/demo/agents/poster-artist/endpoint/protocols/openai/responses"


@pytest.fixture
def harness_options() -> dict[str, Any]:
    return {"image_deployment": None, "allow_retries": False}


def endpoint_posts(emu) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path == ENDPOINT_PATH]


async def test_create_version_with_endpoint_then_call_through_it(h, foundry_emulator):
    client = h.client(foundry_emulator)

    version = await h.run(client.agents.create_version, "poster-artist", model="gpt-4.1", tool=TOOL, endpoint=True)
    agent = await h.run(client.agents.get, "poster-artist")
    assert version.version == "1"
    assert agent.agent_endpoint is not None and agent.agent_endpoint.versions == {"1": 100}
    assert list(agent.agent_endpoint.protocols) == ["responses"]
    [patch] = [r for r in foundry_emulator.requests if r.method == "PATCH"]
    assert patch.headers["content-type"].startswith("application/merge-patch+json")

    result = await h.run(client.generate, "a jazz poster", agent="poster-artist", agent_endpoint=True)

    assert pil(result.image).size == (1024, 1024)
    reference = {"type": "agent_reference", "name": "poster-artist", "version": "1"}
    assert result.response.model_extra["agent_reference"] == reference  # the version the endpoint chose
    [post] = endpoint_posts(foundry_emulator)
    assert post.query == {"api-version": "v1"}
    assert post.headers["foundry-features"]
    assert post.headers[IMAGE_HEADER] == "gpt-image-1"  # from the agent's latest version
    assert post.json == {"input": "a jazz poster"}  # the endpoint picks the agent and version


async def test_the_endpoint_routes_to_the_version_set_and_refuses_a_pinned_one(h, foundry_emulator):
    client = h.client(foundry_emulator)
    first = await h.run(client.agents.create_version, "poster-artist", model="gpt-4.1", tool=TOOL, endpoint=True)
    second = await h.run(client.agents.create_version, "poster-artist", model="gpt-4.1", tool=TOOL)
    assert (await h.run(client.agents.get, "poster-artist")).agent_endpoint.versions == {"1": 100}

    routed = await h.run(client.agents.set_endpoint, "poster-artist", second.version)
    assert routed.agent_endpoint.versions == {"2": 100}
    result = await h.run(client.generate, "a poster", agent="poster-artist", agent_endpoint=True)
    assert result.response.model_extra["agent_reference"]["version"] == "2"

    split = await h.run(client.agents.set_endpoint, "poster-artist", {first.version: 90, second.version: 10})
    assert split.agent_endpoint.versions == {"1": 90, "2": 10}

    # The endpoint's rules pick the version: a pinned reference is refused before sending, a version object
    # is called by its name.
    sent = len(foundry_emulator.requests)
    with pytest.raises(ConfigurationError, match="agent_endpoint"):
        pinned = AgentReference(name="poster-artist", version="1")
        await h.run(client.generate, "a poster", agent=pinned, agent_endpoint=True)
    assert len(foundry_emulator.requests) == sent
    by_name = await h.run(client.generate, "a poster", agent=first, agent_endpoint=True)
    assert by_name.response.model_extra["agent_reference"]["version"] in {"1", "2"}

    removed = await h.run(client.agents.remove_endpoint, "poster-artist")
    assert removed.agent_endpoint is None
    with pytest.raises(NotFoundError):
        await h.run(client.generate, "a poster", agent="poster-artist", agent_endpoint=True)


async def test_background_through_the_agent_endpoint(h):
    from foundry_imagegen.emulator import Emulator, FakeClock

    clock = FakeClock()
    with Emulator(clock=clock, background_duration=5) as emu:

        def sleep(seconds: float) -> None:
            clock.advance(seconds)

        async def sleep_async(seconds: float) -> None:
            clock.advance(seconds)

        client = h.client(emu, sleep=sleep_async if h.is_async else sleep)
        await h.run(client.agents.create_version, "poster-artist", model="gpt-4.1", tool=TOOL, endpoint=True)

        handle = await h.run(
            client.generate, "a festival poster", agent="poster-artist", agent_endpoint=True, background=True
        )
        assert handle.status == "queued"
        result = await h.run(client.background(handle.id, agent_endpoint="poster-artist").wait)

        assert result.id == handle.id and pil(result.image).size == (1024, 1024)
        polls = [r for r in emu.requests if r.method == "GET" and handle.id in r.path]
        assert polls and all(r.path == f"{ENDPOINT_PATH}/{handle.id}" for r in polls)
        assert endpoint_posts(emu)[0].json["background"] is True


async def test_ephemeral_with_endpoint_puts_the_routing_back(h, foundry_emulator):
    client = h.client(foundry_emulator)
    await h.run(client.agents.create_version, "poster-artist", model="gpt-4.1", tool=TOOL, endpoint=True)
    await h.run(client.agents.create_version, "poster-artist", model="gpt-4.1", tool=TOOL)
    await h.run(client.agents.set_endpoint, "poster-artist", {"1": 90, "2": 10})

    async with h.entered(client.agents.ephemeral("poster-artist", model="gpt-4.1", tool=TOOL, endpoint=True)) as trial:
        assert trial.version == "3"
        assert (await h.run(client.agents.get, "poster-artist")).agent_endpoint.versions == {"3": 100}
        result = await h.run(client.generate, "a trial poster", agent="poster-artist", agent_endpoint=True)
        assert result.response.model_extra["agent_reference"]["version"] == "3"

    agent = await h.run(client.agents.get, "poster-artist")
    assert agent.agent_endpoint.versions == {"1": 90, "2": 10}
    assert [v.version for v in await h.run(client.agents.list_versions, "poster-artist")] == ["1", "2"]


async def test_ephemeral_with_endpoint_on_a_new_agent_is_gone_after(h, foundry_emulator):
    client = h.client(foundry_emulator)

    async with h.entered(client.agents.ephemeral(model="gpt-4.1", tool=TOOL, endpoint=True)) as trial:
        assert (await h.run(client.agents.get, trial.name)).agent_endpoint.versions == {"1": 100}
        await h.run(client.generate, "a poster", agent=trial.name, agent_endpoint=True)

    with pytest.raises(NotFoundError):
        await h.run(client.agents.get, trial.name)
