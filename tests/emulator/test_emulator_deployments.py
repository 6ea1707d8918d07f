"""The project deployments listing over loopback HTTP: shape, filters, the knobs that make it lie."""

from __future__ import annotations

import pytest

from foundry_imagegen.emulator import Emulator
from foundry_imagegen.emulator._serve import build_parser

SKU_KEYS = {"capacity", "family", "name", "size", "tier"}


def _listing(api, query: str = "") -> list[dict]:
    r = api.client.get(f"{api.emu.endpoint}/deployments?api-version=v1{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"value"}
    return body["value"]


def test_listing_has_every_deployment_with_model_fields(api) -> None:
    items = {i["name"]: i for i in _listing(api)}
    assert {"gpt-4.1", "gpt-5", "gpt-image-1", "gpt-image-2"} <= set(items)
    image = items["gpt-image-2"]
    assert image == {
        "type": "ModelDeployment",
        "name": "gpt-image-2",
        "modelName": "gpt-image-2",
        "modelVersion": "2026-04-21",
        "modelPublisher": "OpenAI",
        "capabilities": {},
        "sku": image["sku"],
    }
    assert set(image["sku"]) == SKU_KEYS and image["sku"]["name"] == "GlobalStandard"
    chat = items["gpt-5"]
    # A deployment of gpt-5-chat lists the model, not the deployment name.
    assert (chat["modelName"], chat["modelVersion"]) == ("gpt-5-chat", "2025-08-07")
    assert chat["capabilities"] == {"chat_completion": "true", "completion": "false"}
    assert items["gpt-image-1"]["modelVersion"] == "2025-04-15"


def test_get_one_and_unknown_is_foundry_404(api) -> None:
    r = api.client.get(f"{api.emu.endpoint}/deployments/gpt-image-1.5?api-version=v1")
    assert r.status_code == 200 and r.json()["modelVersion"] == "2025-12-16"
    r = api.client.get(f"{api.emu.endpoint}/deployments/nope?api-version=v1")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": "Deployment 'nope' not found."}}


def test_filters(api) -> None:
    names = {i["name"] for i in _listing(api, "&modelName=gpt-image-2")}
    assert names == {"gpt-image-2"}
    assert _listing(api, "&modelPublisher=Contoso") == []
    assert len(_listing(api, "&deploymentType=ModelDeployment")) == len(_listing(api))


def test_only_on_project_endpoints(api) -> None:
    assert api.client.get(f"{api.emu.url}/deployments").status_code == 404


def test_snapshot_model_names_carry_their_version(make_api) -> None:
    api = make_api(image_deployments={"img": "gpt-image-2-2026-04-21"})
    [item] = [i for i in _listing(api) if i["name"] == "img"]
    assert (item["modelName"], item["modelVersion"]) == ("gpt-image-2", "2026-04-21")


def test_unlisted_deployment_still_serves_calls(make_api) -> None:
    api = make_api(unlisted_deployments=["gpt-image-2"])
    assert "gpt-image-2" not in {i["name"] for i in _listing(api)}
    assert api.client.get(f"{api.emu.endpoint}/deployments/gpt-image-2").status_code == 404
    r = api.create(api.image_body(), image_deployment="gpt-image-2")
    assert r.status_code == 200 and r.json()["output"][0]["status"] == "completed"


def test_overrides_misname_and_add_listed_only_deployments(make_api) -> None:
    api = make_api(
        deployment_overrides={
            "gpt-image-2": {"modelName": "gpt-image-1", "modelVersion": "2025-04-15"},
            "ghost": {"modelName": "gpt-image-1.5", "capabilities": {}},
        }
    )
    items = {i["name"]: i for i in _listing(api)}
    assert (items["gpt-image-2"]["modelName"], items["gpt-image-2"]["modelVersion"]) == ("gpt-image-1", "2025-04-15")
    assert items["ghost"]["modelName"] == "gpt-image-1.5" and items["ghost"]["capabilities"] == {}
    # Listed, but the Responses API does not know it.
    r = api.create(api.image_body(), image_deployment="ghost")
    assert r.status_code == 400 and r.json()["error"]["message"] == "The model 'ghost' does not exist."


def test_override_with_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fields"):
        Emulator(deployment_overrides={"gpt-image-2": {"model": "x"}})


def test_listing_needs_auth_when_auth_is_on(make_api) -> None:
    api = make_api(bearer_tokens=["t"])
    assert api.client.get(f"{api.emu.endpoint}/deployments").status_code == 401
    r = api.client.get(f"{api.emu.endpoint}/deployments", headers={"authorization": "Bearer t"})
    assert r.status_code == 200


def test_serve_options() -> None:
    args = build_parser().parse_args(
        [
            "--unlisted-deployment",
            "a",
            "--unlisted-deployment",
            "b",
            "--listed-model",
            "gpt-image-2=gpt-image-1@2025-04-15",
        ]
    )
    assert args.unlisted_deployments == ["a", "b"]
    assert dict(args.listed_models) == {"gpt-image-2": {"modelName": "gpt-image-1", "modelVersion": "2025-04-15"}}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--listed-model", "nomodel"])
