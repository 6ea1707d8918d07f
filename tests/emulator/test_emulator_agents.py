"""Foundry agent routes and Responses calls that reference an agent."""

from __future__ import annotations

import pytest

DEFINITION = {
    "kind": "prompt",
    "model": "gpt-4.1",
    "instructions": "You draw things.",
    "tools": [{"type": "image_generation", "quality": "low", "size": "1024x1536"}],
}


@pytest.fixture
def agents(emu, http):
    base = emu.endpoint + "/agents"

    class Agents:
        url = base

        def create_version(self, name, body, **params):
            return http.post(f"{base}/{name}/versions", params={"api-version": "v1", **params}, json=body)

        def create(self, body):
            return http.post(base, params={"api-version": "v1"}, json=body)

        def get(self, path="", **params):
            return http.get(base + path, params={"api-version": "v1", **params})

        def delete(self, path):
            return http.delete(base + path, params={"api-version": "v1"})

    return Agents()


def test_create_versions_and_read_them_back(agents) -> None:
    r = agents.create_version("painter", {"definition": DEFINITION, "description": "d", "metadata": {"team": "x"}})
    assert r.status_code == 200
    v1 = r.json()
    assert v1["object"] == "agent.version"
    assert (v1["id"], v1["name"], v1["version"], v1["status"]) == ("painter:1", "painter", "1", "active")
    assert v1["definition"] == DEFINITION
    assert (v1["description"], v1["metadata"]) == ("d", {"team": "x"})
    assert isinstance(v1["created_at"], int)
    v2 = agents.create_version("painter", {"definition": {**DEFINITION, "instructions": "v2"}}).json()
    assert v2["version"] == "2"
    assert agents.get("/painter/versions/1").json() == v1
    agent = agents.get("/painter").json()
    assert agent == {"object": "agent", "id": "painter", "name": "painter", "versions": {"latest": v2}}
    listing = agents.get("/painter/versions").json()
    assert listing["object"] == "list" and listing["has_more"] is False
    assert [v["version"] for v in listing["data"]] == ["2", "1"]  # newest first by default
    assert (listing["first_id"], listing["last_id"]) == ("painter:2", "painter:1")
    asc = agents.get("/painter/versions", order="asc", limit="1").json()
    assert [v["version"] for v in asc["data"]] == ["1"] and asc["has_more"] is True
    after = agents.get("/painter/versions", order="asc", after="painter:1").json()
    assert [v["version"] for v in after["data"]] == ["2"]


def test_create_agent_route_and_list(agents) -> None:
    a = agents.create({"name": "alpha", "definition": DEFINITION}).json()
    assert a["object"] == "agent" and a["versions"]["latest"]["version"] == "1"
    again = agents.create({"name": "alpha", "definition": DEFINITION}).json()
    assert again["versions"]["latest"]["version"] == "2"
    agents.create({"name": "beta", "definition": DEFINITION})
    listing = agents.get().json()
    assert [x["name"] for x in listing["data"]] == ["beta", "alpha"]


def test_delete_version_and_agent(agents) -> None:
    agents.create_version("a1", {"definition": DEFINITION})
    agents.create_version("a1", {"definition": DEFINITION})
    r = agents.delete("/a1/versions/1")
    assert r.json() == {"object": "agent.version.deleted", "name": "a1", "version": "1", "deleted": True}
    assert agents.get("/a1/versions/1").status_code == 404
    assert agents.get("/a1").json()["versions"]["latest"]["version"] == "2"
    assert agents.delete("/a1").json() == {"object": "agent.deleted", "name": "a1", "deleted": True}
    missing = agents.get("/a1")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Agent 'a1' not found."}}
    assert agents.delete("/a1").status_code == 404


def test_deleting_the_last_version_removes_the_agent(agents) -> None:
    agents.create_version("solo", {"definition": DEFINITION})
    agents.delete("/solo/versions/1")
    assert agents.get("/solo").status_code == 404


@pytest.mark.parametrize("name", ["-bad", "bad-", "a" * 64, "has space", "under_score", ""])
def test_bad_agent_names(agents, name: str) -> None:
    r = agents.create({"name": name, "definition": DEFINITION})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_request_error"


@pytest.mark.parametrize("name", ["a", "A1", "a-b-c", "x" * 63])
def test_good_agent_names(agents, name: str) -> None:
    assert agents.create_version(name, {"definition": DEFINITION}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"definition": "x"},
        {"definition": {"kind": "prompt"}},
        {"definition": {"kind": "workflow", "model": "gpt-4.1"}},
        {"definition": {**DEFINITION, "tools": [{"type": "image_generation", "quality": "ultra"}]}},
        {"definition": {**DEFINITION, "tools": [{"type": "image_generation", "size": "1000x1000"}]}},
        {"definition": DEFINITION, "metadata": {"k": 1}},
    ],
)
def test_bad_definitions(agents, body: dict) -> None:
    r = agents.create_version("agent", body)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid_request_error" and err["message"]


def test_definition_tool_errors_name_the_field(agents) -> None:
    body = {"definition": {**DEFINITION, "tools": [{"type": "image_generation", "quality": "ultra"}]}}
    assert agents.create_version("agent", body).json()["error"]["param"] == "definition.tools[0].quality"


def test_custom_size_allowed_when_tool_names_gpt_image_2_or_no_model(agents) -> None:
    tools = [{"type": "image_generation", "size": "1280x720"}]
    assert agents.create_version("a", {"definition": {**DEFINITION, "tools": tools}}).status_code == 200
    tools = [{"type": "image_generation", "size": "1280x720", "model": "gpt-image-1"}]
    assert agents.create_version("b", {"definition": {**DEFINITION, "tools": tools}}).status_code == 400


def test_unknown_routes_and_methods(agents, http, emu) -> None:
    assert agents.get("/x/versions/1/extra").status_code == 404
    assert http.put(agents.url + "/x").status_code == 405
    # Agents exist only under the project endpoint.
    assert http.get(emu.url + "/agents").status_code == 404


def test_response_through_agent_reference(api, agents, decode_image) -> None:
    agents.create_version("painter", {"definition": DEFINITION})
    r = api.create({"input": "a lighthouse", "agent_reference": {"type": "agent_reference", "name": "painter"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "gpt-4.1"
    assert body["instructions"] == "You draw things."
    assert body["agent_reference"] == {"type": "agent_reference", "name": "painter", "version": "1"}
    call = body["output"][0]
    assert (call["quality"], call["size"]) == ("low", "1024x1536")
    assert decode_image(call["result"]).size == (1024, 1536)


def test_legacy_agent_field_and_explicit_version(api, agents) -> None:
    agents.create_version("painter", {"definition": DEFINITION})
    agents.create_version("painter", {"definition": {**DEFINITION, "model": "gpt-4o"}})
    latest = api.create({"input": "x", "agent": {"type": "agent_reference", "name": "painter"}}).json()
    assert latest["model"] == "gpt-4o"
    pinned = api.create({"input": "x", "agent_reference": {"name": "painter", "version": "1"}}).json()
    assert pinned["model"] == "gpt-4.1"


def test_agent_reference_still_needs_the_image_header(api, agents) -> None:
    agents.create_version("painter", {"definition": DEFINITION})
    r = api.create({"input": "x", "agent_reference": {"name": "painter"}}, image_deployment=None)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "tools"
    assert r.json()["error"]["type"] == "image_generation_user_error"


def test_agent_without_image_tool_needs_no_header(api, agents) -> None:
    agents.create_version("talker", {"definition": {"kind": "prompt", "model": "gpt-4o"}})
    r = api.create({"input": "x", "agent_reference": {"name": "talker"}}, image_deployment=None)
    assert r.status_code == 200
    assert [o["type"] for o in r.json()["output"]] == ["message"]


def test_unknown_agent_and_version(api, agents) -> None:
    r = api.create({"input": "x", "agent_reference": {"type": "agent_reference", "name": "ghost"}})
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "Agent 'ghost' not found."}}
    agents.create_version("painter", {"definition": DEFINITION})
    r = api.create({"input": "x", "agent_reference": {"name": "painter", "version": "9"}})
    assert r.status_code == 404


@pytest.mark.parametrize("ref", ["painter", {"type": "agent_reference"}, {"type": "agent", "name": "painter"}])
def test_malformed_agent_reference(api, ref) -> None:
    r = api.create({"input": "x", "agent_reference": ref})
    assert r.status_code == 400


def test_agent_model_must_be_a_deployment_at_run_time(api, agents) -> None:
    agents.create_version("ghost-model", {"definition": {**DEFINITION, "model": "gpt-99"}})
    r = api.create({"input": "x", "agent_reference": {"name": "ghost-model"}})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "DeploymentNotFound"


def test_agent_tool_is_revalidated_against_the_header_deployment(api, agents) -> None:
    tools = [{"type": "image_generation", "size": "1280x720"}]
    agents.create_version("wide", {"definition": {**DEFINITION, "tools": tools}})
    bad = api.create({"input": "x", "agent_reference": {"name": "wide"}}, image_deployment="gpt-image-1")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tools[0].size"
    ok = api.create({"input": "x", "agent_reference": {"name": "wide"}}, image_deployment="gpt-image-2")
    assert ok.status_code == 200


def test_agent_stream(api, agents) -> None:
    agents.create_version(
        "painter",
        {"definition": {**DEFINITION, "tools": [{"type": "image_generation", "partial_images": 1}]}},
    )
    _, events = api.stream({"input": "x", "agent_reference": {"name": "painter"}})
    assert [e.event for e in events].count("response.image_generation_call.partial_image") == 1
    assert events[-1].json["response"]["agent_reference"]["name"] == "painter"


def test_agent_response_validates_with_openai_types(api, agents) -> None:
    Response = pytest.importorskip("openai.types.responses").Response
    agents.create_version("painter", {"definition": DEFINITION})
    Response.model_validate(api.create({"input": "x", "agent_reference": {"name": "painter"}}).json())


def test_agents_require_auth_when_configured(make_api, http) -> None:
    api = make_api(bearer_tokens=["t"])
    url = api.emu.endpoint + "/agents/a/versions"
    assert http.post(url, json={"definition": DEFINITION}).status_code == 401
    assert http.post(url, json={"definition": DEFINITION}, headers={"Authorization": "Bearer t"}).status_code == 200
