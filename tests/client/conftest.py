"""The ``h`` fixture of the client tests: every test runs with FoundryClient and AsyncFoundryClient."""

from __future__ import annotations

import pytest
import respx

from tests.client.client_testkit import Harness


@pytest.fixture(params=["sync", "async"])
async def h(request: pytest.FixtureRequest):
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        harness = Harness(request.param == "async", router)
        try:
            yield harness
        finally:
            await harness.close_all()
