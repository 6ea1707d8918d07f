"""The ``h`` fixture of the end-to-end tests: each test runs with FoundryClient and AsyncFoundryClient
against the emulator over loopback (``h.client(emulator)``); the harness is tests/harness.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.helpers import STREAM_PROMPT
from tests.harness import FLAVOURS, Harness, harness


@pytest.fixture
def harness_options() -> dict[str, Any]:
    """Keyword arguments for ``Harness``; a test module overrides this fixture to tune its harness."""
    return {}


@pytest.fixture(params=FLAVOURS)
async def h(request: pytest.FixtureRequest, harness_options: dict[str, Any]) -> AsyncIterator[Harness]:
    async with harness(request.param, prompt=STREAM_PROMPT, **harness_options) as opened:
        yield opened
