"""The ``h`` fixture of the client tests: each test runs with FoundryClient and AsyncFoundryClient, over a
strict respx router (``h.mock``) that fails the test on an unmatched request or an unused route."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import respx

from tests.harness import FLAVOURS, Harness, harness


@pytest.fixture(params=FLAVOURS)
async def h(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        async with harness(request.param, mock=router) as opened:
            yield opened
