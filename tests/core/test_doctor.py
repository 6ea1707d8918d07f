"""The doctor's checks as a table: facts in, pass / warn / fail out (no HTTP)."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest

from foundry_imagegen._core.doctor import (
    DeploymentInfo,
    DoctorFacts,
    deployments_from_listing,
    exit_code,
    identity_from_token,
    render_text,
    run_checks,
)

TODAY = date(2026, 12, 2)
GOOD = [
    DeploymentInfo("chat", "gpt-5.1", "2025-11-13", "OpenAI", "GlobalStandard"),
    DeploymentInfo("img", "gpt-image-2", "2026-04-21", "OpenAI", "GlobalStandard"),
]


def facts(**changes: Any) -> DoctorFacts:
    base: dict[str, Any] = {
        "endpoint": "https://acme.services.ai.azure.com/api/projects/p1",
        "is_project": True,
        "reachable": True,
        "auth_ok": True,
        "deployments": GOOD,
        "deployments_detail": "2 deployments listed",
        "model": "chat",
        "image_deployment": "img",
        "custom_headers": ("x-ms-client-request-id", "x-ms-oai-image-generation-deployment"),
        "region": "East US 2",
        "today": TODAY,
    }
    base.update(changes)
    return DoctorFacts(**base)


def statuses(report: Any) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


def test_a_good_setup_passes_everything_and_exits_0():
    report = run_checks(facts())
    assert {s for s in statuses(report).values()} <= {"pass", "skip"}, render_text(report)
    assert exit_code(report) == 0
    assert list(statuses(report))[:3] == ["endpoint", "reach", "auth"]  # the troubleshooting table's order


@pytest.mark.parametrize(
    ("changes", "check", "status"),
    [
        ({"endpoint_error": "endpoint 'x' is not a URL"}, "endpoint", "fail"),
        ({"is_project": False, "deployments": None}, "endpoint", "warn"),
        ({"reachable": False, "reach_detail": "ConnectError"}, "reach", "fail"),
        ({"auth_ok": False, "auth_detail": "HTTP 401"}, "auth", "fail"),
        ({"model": "nope"}, "orchestrator", "fail"),
        ({"image_deployment": "nope"}, "image", "fail"),
        ({"image_deployment": None}, "image", "fail"),
        ({"image_deployment": "chat"}, "image.kind", "fail"),
        ({"model": "img"}, "orchestrator.kind", "fail"),
        ({"deployments": [DeploymentInfo("chat", "o3", "2025-04-16"), GOOD[1]]}, "orchestrator.date", "fail"),
        ({"deployments": [DeploymentInfo("chat", "gpt-4o"), GOOD[1]]}, "orchestrator.date", "warn"),
        ({"deployments": [GOOD[0], DeploymentInfo("img", "gpt-image-1")]}, "image.date", "fail"),
        ({"deployments": [GOOD[0], DeploymentInfo("img", "my-own-model")]}, "image.kind", "fail"),
        ({"deployments": None, "deployments_detail": "HTTP 404"}, "deployments", "warn"),
        ({"deployments": None, "deployments_detail": "HTTP 404"}, "image.exists", "skip"),
        ({"tool": {"quality": "ultra"}}, "tool", "fail"),
        ({"tool": {"size": "17x17"}}, "tool", "fail"),
        ({"custom_headers": tuple(f"x-h{i}" for i in range(11))}, "headers", "fail"),
        ({"generation": (False, "HTTP 500")}, "generate", "fail"),
        ({"generation": (True, "1024x1024 png")}, "generate", "pass"),
    ],
)
def test_each_broken_fact_is_named(changes, check, status):
    report = run_checks(facts(**changes))
    assert statuses(report)[check] == status, render_text(report)
    assert exit_code(report) == (1 if status == "fail" else 0)
    named = next(c for c in report.checks if c.id == check)
    if status == "fail":
        assert named.fix  # every failure says what to do


def test_the_same_name_for_both_fails():
    report = run_checks(facts(model="img", image_deployment="img"))
    assert statuses(report)["names"] == "fail"


def test_json_and_text():
    report = run_checks(facts(image_deployment="nope"))
    data = json.loads(report.to_json())
    assert data["ok"] is False
    assert any(c["id"] == "image" and c["status"] == "fail" for c in data["checks"])
    text = render_text(report)
    assert "FAIL  image deployment: no deployment named 'nope'" in text
    assert text.splitlines()[-1].startswith("problems found: 1 failed")


def test_listing_shapes():
    body = {
        "value": [
            {
                "type": "ModelDeployment",
                "name": "img",
                "modelName": "gpt-image-2",
                "modelVersion": "2026-04-21",
                "modelPublisher": "OpenAI",
                "capabilities": {},
                "sku": {"name": "GlobalStandard", "capacity": 10},
            },
            {"name": 3},
            "junk",
        ],
        "nextLink": None,
    }
    assert deployments_from_listing(body) == [
        DeploymentInfo("img", "gpt-image-2", "2026-04-21", "OpenAI", "GlobalStandard", {})
    ]
    assert deployments_from_listing({"data": [{"name": "a"}]}) == [DeploymentInfo("a")]
    assert deployments_from_listing([1, 2]) == []


def test_identity_is_read_from_the_token_claims():
    claims = base64.urlsafe_b64encode(json.dumps({"upn": "ada@contoso.com", "tid": "t1"}).encode()).decode().rstrip("=")
    assert identity_from_token(f"h.{claims}.s") == "user ada@contoso.com in tenant t1"
    assert identity_from_token("not-a-jwt") is None
    assert identity_from_token("a.!!!.c") is None
