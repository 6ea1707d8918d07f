"""Agent endpoints through both clients: the merge-patch that routes one, and calls that go through it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from foundry_imagegen import IMAGE_DEPLOYMENT_HEADER, AgentEndpoint, AgentReference, AgentVersion, ConfigurationError
from tests.client.wire import PROJECT_URL, RESOURCE_ENDPOINT, ok_response
from tests.harness import IMAGE_DEPLOYMENT, MODEL, PROJECT_ENDPOINT
from tests.testkit import image_stream

AGENT_URL = f"{PROJECT_ENDPOINT}/agents/artist"
ENDPOINT_BASE = f"{AGENT_URL}/endpoint/protocols/openai"
ENDPOINT_RESPONSES = f"{ENDPOINT_BASE}/responses"


def version_json(version: str = "3") -> dict[str, Any]:
    return {
        "object": "agent.version",
        "id": f"artist:{version}",
        "name": "artist",
        "version": version,
        "definition": {"kind": "prompt", "model": MODEL, "tools": [{"type": "image_generation", "model": "img-2"}]},
    }


def agent_json(version: str = "3", **extra: Any) -> dict[str, Any]:
    endpoint = {
        "version_selector": {
            "version_selection_rules": [{"agent_version": version, "traffic_percentage": 100, "type": "FixedRatio"}]
        },
        "protocol_configuration": {"responses": {}},
        "authorization_schemes": [{"type": "Entra"}],
        "publish_approval_status": "no_approval_needed",
    }
    return {
        "object": "agent",
        "id": "artist",
        "name": "artist",
        "state": "enabled",
        "configuration_state": "enabled",
        "versions": {"latest": version_json(version)},
        "agent_endpoint": endpoint,
        **extra,
    }


def sent(route) -> Any:
    return json.loads(route.calls.last.request.content)


class TestManaging:
    async def test_get_exposes_the_endpoint(self, h):
        h.mock.get(AGENT_URL, params={"api-version": "v1"}).mock(return_value=httpx.Response(200, json=agent_json()))
        client = h.client()
        agent = await h.run(client.agents.get, "artist")
        assert isinstance(agent.agent_endpoint, AgentEndpoint)
        assert agent.agent_endpoint.versions == {"3": 100} and agent.agent_endpoint.protocols == ["responses"]
        assert agent.agent_endpoint.publish_approval_status == "no_approval_needed"
        assert agent.agent_endpoint.authorization_schemes == [{"type": "Entra"}]
        assert (agent.state, agent.configuration_state) == ("enabled", "enabled")

    async def test_set_endpoint_is_a_merge_patch(self, h):
        route = h.mock.patch(AGENT_URL, params={"api-version": "v1"}).mock(
            return_value=httpx.Response(200, json=agent_json())
        )
        client = h.client()
        agent = await h.run(client.agents.set_endpoint, "artist", "3")
        request = route.calls.last.request
        assert request.headers["content-type"] == "application/merge-patch+json"
        assert request.headers["accept"] == "application/json"
        assert "foundry-features" not in request.headers
        assert sent(route) == {
            "agent_endpoint": {
                "version_selector": {
                    "version_selection_rules": [{"agent_version": "3", "traffic_percentage": 100, "type": "FixedRatio"}]
                },
                "protocol_configuration": {"responses": {}},
            }
        }
        assert agent.agent_endpoint.versions == {"3": 100}

    async def test_restore_and_remove(self, h):
        route = h.mock.patch(AGENT_URL).mock(return_value=httpx.Response(200, json=agent_json()))
        client = h.client()
        saved = AgentEndpoint.model_validate(agent_json("1")["agent_endpoint"])
        await h.run(client.agents.set_endpoint, "artist", saved)
        assert "publish_approval_status" not in sent(route)["agent_endpoint"]
        assert sent(route)["agent_endpoint"]["authorization_schemes"] == [{"type": "Entra"}]
        await h.run(client.agents.remove_endpoint, "artist")
        assert sent(route) == {"agent_endpoint": None}

    async def test_create_version_with_endpoint(self, h):
        create = h.mock.post(f"{AGENT_URL}/versions").mock(return_value=httpx.Response(200, json=version_json("4")))
        patch = h.mock.patch(AGENT_URL).mock(return_value=httpx.Response(200, json=agent_json("4")))
        client = h.client()
        version = await h.run(client.agents.create_version, "artist", endpoint=True)
        assert version.version == "4" and create.called
        assert sent(patch)["agent_endpoint"]["version_selector"]["version_selection_rules"][0]["agent_version"] == "4"

    async def test_a_bad_split_is_refused_before_sending(self, h):
        client = h.client()
        with pytest.raises(ConfigurationError, match="add up to 100"):
            await h.run(client.agents.set_endpoint, "artist", {"3": 50})


class TestCalls:
    async def test_generate_through_the_endpoint(self, h):
        route = h.mock.post(ENDPOINT_RESPONSES, params={"api-version": "v1"}).mock(return_value=ok_response())
        client = h.client()
        await h.run(client.generate, "a jazz poster", agent="artist", agent_endpoint=True)
        request = route.calls.last.request
        assert sent(route) == {"input": "a jazz poster"}
        assert request.headers[IMAGE_DEPLOYMENT_HEADER] == IMAGE_DEPLOYMENT
        assert "ModelRouterControls=V1Preview" in request.headers["foundry-features"]

    async def test_agent_reference_stays_the_default(self, h):
        route = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
        client = h.client()
        await h.run(client.generate, "a jazz poster", agent="artist")
        assert sent(route)["agent_reference"] == {"type": "agent_reference", "name": "artist"}

    async def test_an_agent_version_object_is_called_by_name(self, h):
        route = h.mock.post(ENDPOINT_RESPONSES).mock(return_value=ok_response())
        client = h.client(image_deployment=None)
        version = AgentVersion.model_validate(version_json("3"))
        await h.run(client.generate, "a poster", agent=version, agent_endpoint=True)
        assert "agent_reference" not in sent(route)
        assert route.calls.last.request.headers[IMAGE_DEPLOYMENT_HEADER] == "img-2"  # the agent's own tool

    async def test_stream_and_background_through_the_endpoint(self, h):
        stream_route = h.mock.post(ENDPOINT_RESPONSES).mock(
            side_effect=[
                httpx.Response(200, headers={"content-type": "text/event-stream"}, content=image_stream()),
                httpx.Response(200, json={"id": "resp_bg", "status": "queued", "output": []}),
            ]
        )
        poll = h.mock.get(f"{ENDPOINT_RESPONSES}/resp_bg", params={"api-version": "v1"}).mock(
            return_value=ok_response(id="resp_bg")
        )
        client = h.client()
        stream = client.stream("a poster", agent="artist", agent_endpoint=True)
        if h.is_async:
            async with stream:
                await stream.final()
        else:
            with stream:
                stream.final()
        handle = await h.run(client.generate, "a poster", agent="artist", agent_endpoint=True, background=True)
        await h.run(handle.wait)
        assert stream_route.call_count == 2 and poll.called

    @pytest.mark.parametrize(
        ("kwargs", "fragment"),
        [
            ({"agent": AgentReference(name="artist", version="2")}, "pinned version would be ignored"),
            ({}, "needs agent="),
            ({"agent": "bad name!"}, "not valid"),
        ],
    )
    async def test_refused_before_sending(self, h, kwargs, fragment):
        client = h.client()
        with pytest.raises(ConfigurationError, match=fragment):
            await h.run(client.generate, "a poster", agent_endpoint=True, **kwargs)

    async def test_a_resource_has_no_agent_endpoints(self, h):
        client = h.client(RESOURCE_ENDPOINT)
        with pytest.raises(ConfigurationError, match="Foundry project"):
            await h.run(client.generate, "a poster", agent="artist", agent_endpoint=True)


class TestEphemeral:
    async def test_an_existing_agents_endpoint_is_put_back(self, h):
        h.mock.get(AGENT_URL).mock(return_value=httpx.Response(200, json=agent_json("1")))
        h.mock.post(f"{AGENT_URL}/versions").mock(return_value=httpx.Response(200, json=version_json("5")))
        patch = h.mock.patch(AGENT_URL).mock(return_value=httpx.Response(200, json=agent_json("5")))
        delete = h.mock.delete(f"{AGENT_URL}/versions/5").mock(
            return_value=httpx.Response(
                200, json={"object": "agent.version.deleted", "name": "artist", "deleted": True}
            )
        )
        client = h.client()

        manager = client.agents.ephemeral("artist", endpoint=True)
        if h.is_async:
            async with manager as version:
                assert version.version == "5"
        else:
            with manager as version:
                assert version.version == "5"

        routed = [json.loads(call.request.content)["agent_endpoint"] for call in patch.calls]
        rules = [r["version_selector"]["version_selection_rules"][0]["agent_version"] for r in routed]
        assert rules == ["5", "1"] and delete.called

    async def test_a_new_named_agent_loses_the_endpoint_it_got(self, h):
        h.mock.get(AGENT_URL).mock(return_value=httpx.Response(404, json={"error": {"message": "no", "code": "x"}}))
        h.mock.post(f"{AGENT_URL}/versions").mock(return_value=httpx.Response(200, json=version_json("1")))
        patch = h.mock.patch(AGENT_URL).mock(return_value=httpx.Response(200, json=agent_json("1")))
        h.mock.delete(f"{AGENT_URL}/versions/1").mock(return_value=httpx.Response(200, json={"deleted": True}))
        client = h.client()
        manager = client.agents.ephemeral("artist", endpoint=True)
        if h.is_async:
            async with manager:
                pass
        else:
            with manager:
                pass
        assert json.loads(patch.calls.last.request.content) == {"agent_endpoint": None}
