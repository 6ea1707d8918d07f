"""The doctor against a real project; skipped unless FOUNDRY_IMAGEGEN_LIVE=1 and the endpoint variables are set.

No paid call: ``diagnose()`` without ``generate=True`` lists deployments and fetches a token only.
"""

from __future__ import annotations

import pytest

from foundry_imagegen import AsyncFoundryClient, FoundryClient
from tests.live.test_live import ENABLED, environ

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not ENABLED, reason="set FOUNDRY_IMAGEGEN_LIVE=1 and the Azure endpoint variables"),
]


def test_diagnose_sync() -> None:
    with FoundryClient.from_env(environ()) as client:
        report = client.diagnose()
    assert report.ok, report.to_json()


async def test_diagnose_async() -> None:
    async with AsyncFoundryClient.from_env(environ()) as client:
        report = await client.diagnose()
    assert report.ok, report.to_json()
