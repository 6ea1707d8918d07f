"""``client.diagnose()`` end to end against the emulator, both clients (skips until it lists deployments)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e


async def test_diagnose_against_the_emulator(h, foundry_emulator):
    listing = httpx.get(foundry_emulator.endpoint + "/deployments", params={"api-version": "v1"})
    if listing.status_code == 404:
        pytest.skip("this emulator answers 404 to GET /deployments (the emulator branch adds the listing)")
    client = h.client(foundry_emulator, model="gpt-5.1", image_deployment="gpt-image-2")

    report = await h.run(client.diagnose)

    assert report.ok, report.to_json()
    assert {c.id: c.status for c in report.checks}["image.exists"] == "pass"
