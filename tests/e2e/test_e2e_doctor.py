"""``client.diagnose()`` end to end against the emulator, both clients: a good setup and broken ones."""

from __future__ import annotations

import pytest

from foundry_imagegen.emulator import Emulator

pytestmark = pytest.mark.e2e


def _statuses(report) -> dict[str, str]:
    return {check.id: check.status for check in report.checks}


async def test_diagnose_a_good_setup(h, foundry_emulator):
    client = h.client(foundry_emulator, model="gpt-5.1", image_deployment="gpt-image-2")
    report = await h.run(client.diagnose)
    assert report.ok, report.to_json()
    statuses = _statuses(report)
    assert statuses["image.exists"] == statuses["orchestrator.exists"] == statuses["auth"] == "pass"


async def test_diagnose_finds_a_deployment_left_out_of_the_listing(h):
    with Emulator(unlisted_deployments=["gpt-image-2"]) as emulator:
        client = h.client(emulator, model="gpt-5.1", image_deployment="gpt-image-2")
        report = await h.run(client.diagnose)
    assert not report.ok
    failed = [check for check in report.checks if check.status == "fail"]
    assert [check.id for check in failed] == ["image"], report.to_json()
    assert "no deployment named 'gpt-image-2'" in failed[0].detail and failed[0].fix


async def test_diagnose_finds_an_image_deployment_that_runs_a_chat_model(h):
    with Emulator(deployment_overrides={"gpt-image-2": {"modelName": "gpt-4.1"}}) as emulator:
        client = h.client(emulator, model="gpt-5.1", image_deployment="gpt-image-2")
        report = await h.run(client.diagnose)
    assert not report.ok
    assert _statuses(report)["image.kind"] == "fail"
    [kind] = [check for check in report.checks if check.id == "image.kind"]
    assert "not an image model" in kind.detail and "gpt-image" in (kind.fix or "")


async def test_diagnose_warns_about_an_orchestrator_that_may_be_retired(h, foundry_emulator):
    client = h.client(foundry_emulator, model="gpt-4.1", image_deployment="gpt-image-2")
    report = await h.run(client.diagnose)
    assert _statuses(report)["orchestrator.date"] == "warn"  # its two retirement dates disagree: a warning
