"""The ``shell`` fixture of the end-to-end tests; the harness itself lives in tests/e2e_testkit.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e_testkit import Shell


@pytest.fixture
def shell_options() -> dict[str, Any]:
    """Keyword arguments for ``Shell``; a test module overrides this fixture to tune its harness."""
    return {}


@pytest.fixture(params=["sync", "async"])
async def shell(request: pytest.FixtureRequest, shell_options: dict[str, Any]):
    harness = Shell(request.param == "async", **shell_options)
    try:
        yield harness
    finally:
        await harness.close_all()
