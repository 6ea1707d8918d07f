"""Foundry agent endpoints over loopback HTTP: the merge-patch, the agent fields, calls through the endpoint."""

from __future__ import annotations

import httpx
import openai
import pytest

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"
FEATURES = {"Foundry-Features": "WorkflowAgents=V1Preview,ExternalAgents=V1Preview"}
MERGE = {"content-type": "application/merge-patch+json"}
DEFINITION = {
    "kind": "prompt",
    "model": "gpt-4.1",
    "instructions": "Draw what you are asked for.",
    "tools": [{"type": "image_generation", "quality": "low", "size": "1024x1024"}],
}


def _version(api, name: str = "painter", **definition) -> dict:
    r = api.client.post(
        f"{api.emu.endpoint}/agents/{name}/versions?api-version=v1", json={"definition": {**DEFINITION, **definition}}
    )
    assert r.status_code == 200, r.text
    return r.json()


def _endpoint(*rules: tuple[str, int], protocols=("responses",)) -> dict:
    return {
        "agent_endpoint": {
            "version_selector": {
                "version_selection_rules": [
                    {"type": "FixedRatio", "agent_version": v, "traffic_percentage": p} for v, p in rules
                ]
            },
            "protocol_configuration": {p: {} for p in protocols},
        }
    }


def _patch(api, body, name: str = "painter", headers=MERGE) -> httpx.Response:
    return api.client.patch(f"{api.emu.endpoint}/agents/{name}?api-version=v1", json=body, headers=headers)


def _call(api, body, name: str = "painter", headers=None) -> httpx.Response:
    hdrs = {IMAGE_HEADER: "gpt-image-1", **FEATURES} if headers is None else headers
    url = f"{api.emu.endpoint}/agents/{name}/endpoint/protocols/openai/responses?api-version=v1"
    return api.client.post(url, json=body, headers=hdrs)


def test_patch_sets_the_endpoint_and_the_agent_shows_it(api) -> None:
    _version(api)
    plain = api.client.get(f"{api.emu.endpoint}/agents/painter").json()
    assert "agent_endpoint" not in plain  # an agent without endpoint keeps its plain shape
    r = _patch(api, _endpoint(("1", 100)))
    assert r.status_code == 200
    agent = r.json()
    assert agent["state"] == "enabled" and agent["configuration_state"] == "enabled"
    assert agent["agent_endpoint"] == {
        "version_selector": {
            "version_selection_rules": [{"type": "FixedRatio", "agent_version": "1", "traffic_percentage": 100}]
        },
        "protocol_configuration": {"responses": {}},
        "publish_approval_status": "no_approval_needed",
    }
    assert api.client.get(f"{api.emu.endpoint}/agents/painter").json() == agent
    # Merge patch: what is not named stays, null removes, read-only fields sent back are ignored.
    again = _patch(
        api,
        {"agent_endpoint": {"authorization_schemes": [{"type": "Entra"}], "publish_approval_status": "approved"}},
    ).json()
    assert again["agent_endpoint"]["authorization_schemes"] == [{"type": "Entra"}]
    assert again["agent_endpoint"]["protocol_configuration"] == {"responses": {}}
    assert again["agent_endpoint"]["publish_approval_status"] == "no_approval_needed"
    removed = _patch(api, {"agent_endpoint": None}).json()
    assert "agent_endpoint" not in removed


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (_endpoint(("1", 60)), 400, "add up to 60"),
        (_endpoint(("9", 100)), 400, "has no version '9'"),
        (_endpoint(("1", 100), protocols=("telepathy",)), 400, "Unknown protocols"),
        ({"agent_endpoint": {"protocols": ["responses"]}}, 400, "Unknown agent_endpoint properties"),
        ({"name": "x"}, 400, "only agent_endpoint and agent_card"),
    ],
)
def test_patch_validation(api, body, status, fragment) -> None:
    _version(api)
    r = _patch(api, body)
    assert r.status_code == status and fragment in r.json()["error"]["message"]


def test_patch_needs_merge_patch_content_type(api) -> None:
    _version(api)
    r = _patch(api, _endpoint(("1", 100)), headers={"content-type": "application/json"})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    assert _patch(api, _endpoint(("1", 100)), name="ghost").status_code == 404


def test_responses_through_the_endpoint(api, decode_image) -> None:
    _version(api)
    _patch(api, _endpoint(("1", 100)))
    r = _call(api, {"input": "a red fox"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agent_reference"] == {"type": "agent_reference", "name": "painter", "version": "1"}
    assert body["model"] == "gpt-4.1" and body["instructions"] == "Draw what you are asked for."
    call = body["output"][0]
    assert call["quality"] == "low" and decode_image(call["result"]).size == (1024, 1024)
    rid = body["id"]
    got = api.client.get(
        f"{api.emu.endpoint}/agents/painter/endpoint/protocols/openai/responses/{rid}?api-version=v1", headers=FEATURES
    )
    assert got.status_code == 200 and got.json()["id"] == rid


def test_missing_foundry_features_is_the_preview_error(api) -> None:
    _version(api)
    _patch(api, _endpoint(("1", 100)))
    r = _call(api, {"input": "a fox"}, headers={IMAGE_HEADER: "gpt-image-1"})
    assert r.status_code == 403
    err = r.json()["error"]
    assert err == {
        "code": "preview_feature_required",
        "message": "Agent endpoints is in preview. This operation requires the following opt-in preview "
        "feature(s): AgentEndpoints=V1Preview. Include the 'Foundry-Features: AgentEndpoints=V1Preview' header "
        "in your request.",
        "param": "Foundry-Features",
        "type": "invalid_request_error",
        "details": [],
        "additionalInfo": {"request_id": err["additionalInfo"]["request_id"]},
    }
    assert err["additionalInfo"]["request_id"] == r.headers["x-request-id"].replace("-", "")


def test_endpoint_errors(api) -> None:
    assert _call(api, {"input": "x"}, name="ghost").status_code == 404
    _version(api)
    r = _call(api, {"input": "x"})  # no endpoint configured yet
    assert r.status_code == 404 and "no endpoint for the 'responses' protocol" in r.json()["error"]["message"]
    _patch(api, _endpoint(("1", 100), protocols=("a2a",)))
    assert _call(api, {"input": "x"}).status_code == 404
    _patch(api, _endpoint(("1", 100)))
    r = _call(api, {"input": "x", "tools": [{"type": "image_generation"}]})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Not allowed when agent is specified.",
        "type": "invalid_request_error",
        "param": "tools",
        "code": None,
    }


def test_traffic_split_uses_both_versions(api) -> None:
    _version(api)
    _version(api, tools=[{"type": "image_generation", "quality": "high"}])
    _patch(api, _endpoint(("1", 50), ("2", 50)))
    versions = {_call(api, {"input": "x"}).json()["agent_reference"]["version"] for _ in range(40)}
    assert versions == {"1", "2"}
    _patch(api, _endpoint(("2", 100)))
    assert _call(api, {"input": "x"}).json()["output"][0]["quality"] == "high"


def test_agent_scoped_conversations(api) -> None:
    _version(api)
    _patch(api, _endpoint(("1", 100)))
    base = f"{api.emu.endpoint}/agents/painter/endpoint/protocols/openai"
    conv = api.client.post(
        f"{base}/conversations?api-version=v1",
        json={"items": [{"role": "user", "content": "a lighthouse"}]},
        headers=FEATURES,
    ).json()
    r = _call(api, {"conversation": conv["id"]})
    assert r.status_code == 200 and r.json()["conversation"] == {"id": conv["id"]}
    items = api.client.get(f"{base}/conversations/{conv['id']}/items", headers=FEATURES).json()["data"]
    assert len(items) == 3


def test_openai_client_on_the_agent_endpoint(api) -> None:
    _version(api)
    _patch(api, _endpoint(("1", 100)))
    client = openai.OpenAI(
        base_url=f"{api.emu.endpoint}/agents/painter/endpoint/protocols/openai",
        api_key="k",
        max_retries=0,
        default_query={"api-version": "v1"},
        default_headers=FEATURES,
    )
    with client:
        resp = client.responses.create(input="a gull", extra_headers={IMAGE_HEADER: "gpt-image-1"})
        assert resp.output[0].type == "image_generation_call" and resp.output[0].result
        # The quota headers name the agent's model deployment.
        raw = client.responses.with_raw_response.create(input="a gull", extra_headers={IMAGE_HEADER: "gpt-image-1"})
        assert raw.headers["x-ms-deployment-name"] == "gpt-4.1"


def test_serve_tls_and_background_options() -> None:
    from foundry_imagegen.emulator._serve import build_parser, main

    args = build_parser().parse_args(["--background-duration", "0.5", "--tls-cert", "c.pem", "--tls-key", "k.pem"])
    assert (args.background_duration, args.tls_cert, args.tls_key) == (0.5, "c.pem", "k.pem")
    with pytest.raises(SystemExit) as info:
        main(["--tls-cert", "c.pem"])
    assert info.value.code == 2
