"""``client.diagnose()`` on both clients against a respx deployments listing: good and broken setups."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from foundry_imagegen import DoctorReport
from tests.client.wire import PROJECT_URL, ok_response
from tests.harness import API_KEY, PROJECT_ENDPOINT

LISTING_URL = PROJECT_ENDPOINT + "/deployments"


def deployment(name: str, model: str, version: str = "2025-11-13") -> dict[str, Any]:
    return {
        "type": "ModelDeployment",
        "name": name,
        "modelName": model,
        "modelVersion": version,
        "modelPublisher": "OpenAI",
        "capabilities": {"chat_completion": "true"} if not model.startswith("gpt-image") else {},
        "sku": {"name": "GlobalStandard", "capacity": 10},
    }


GOOD = [deployment("chat", "gpt-5.1"), deployment("img", "gpt-image-2", "2026-04-21")]


def listing(h, items: list[dict[str, Any]] | None = None, *, status: int = 200) -> Any:
    body = {"value": GOOD if items is None else items}
    return h.mock.get(LISTING_URL, params={"api-version": "v1"}).mock(
        return_value=httpx.Response(
            status,
            json=body if status == 200 else {"error": {"code": str(status)}},
            headers={"x-ms-region": "Sweden Central"},
        )
    )


def by_id(report: DoctorReport) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


async def test_a_good_setup_passes(h):
    route = listing(h)
    client = h.client(model="chat", image_deployment="img")

    report = await h.run(client.diagnose)

    assert report.ok, report.to_json()
    assert route.calls.last.request.headers["api-key"] == API_KEY
    statuses = by_id(report)
    assert statuses["image.exists"] == statuses["orchestrator.exists"] == "pass"
    assert statuses["generate"] == "skip"  # no paid call unless asked
    assert any("Sweden Central" in c.detail for c in report.checks)


@pytest.mark.parametrize(
    ("items", "client_kwargs", "failed"),
    [
        ([GOOD[0]], {}, "image"),  # the image deployment is left out
        ([GOOD[0], deployment("img", "gpt-5.1")], {}, "image.kind"),  # misnamed: img runs a chat model
        ([GOOD[1], deployment("chat", "gpt-image-2")], {}, "orchestrator.kind"),
        (GOOD, {"model": "img"}, "names"),
        ([deployment("chat", "o3", "2025-04-16"), GOOD[1]], {}, "orchestrator.date"),
    ],
)
async def test_a_broken_setup_fails_the_right_check(h, items, client_kwargs, failed):
    listing(h, items)
    client = h.client(**{"model": "chat", "image_deployment": "img", **client_kwargs})

    report = await h.run(client.diagnose)

    assert not report.ok
    assert by_id(report)[failed] == "fail", report.to_json()


async def test_a_refused_key_fails_auth(h):
    listing(h, status=401)
    client = h.client(model="chat", image_deployment="img")

    report = await h.run(client.diagnose)

    assert by_id(report)["auth"] == "fail"
    assert API_KEY not in report.to_json()


async def test_an_unreachable_service_fails_reachability(h):
    h.mock.get(LISTING_URL, params={"api-version": "v1"}).mock(side_effect=httpx.ConnectError("no route"))
    client = h.client(model="chat", image_deployment="img", max_retries=0)

    report = await h.run(client.diagnose)

    assert by_id(report)["reach"] == "fail"


async def test_a_token_credential_names_the_identity(h):
    claims = base64.urlsafe_b64encode(json.dumps({"appid": "app-1", "tid": "t"}).encode()).decode().rstrip("=")
    listing(h)
    client = h.client(credential=h.credential(f"h.{claims}.s"), model="chat", image_deployment="img")

    report = await h.run(client.diagnose)

    auth = next(c for c in report.checks if c.id == "auth")
    assert auth.status == "pass"
    assert "app app-1 in tenant t" in auth.detail and "https://ai.azure.com/.default" in auth.detail


async def test_generate_makes_one_low_quality_image(h):
    listing(h)
    generate = h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client(model="chat", image_deployment="img")

    report = await h.run(client.diagnose, generate=True)

    assert by_id(report)["generate"] == "pass"
    assert json.loads(generate.calls.last.request.content)["tools"][0]["quality"] == "low"
