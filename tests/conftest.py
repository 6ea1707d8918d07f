from __future__ import annotations

import pytest

from foundry_imagegen._core.constants import (
    ENV_API_KEY,
    ENV_IMAGE_DEPLOYMENT,
    ENV_MODEL,
    ENV_OPENAI_ENDPOINT,
    ENV_PROJECT_ENDPOINT,
)
from tests.testkit import make_png


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real Azure settings."""
    for name in (ENV_PROJECT_ENDPOINT, ENV_OPENAI_ENDPOINT, ENV_API_KEY, ENV_MODEL, ENV_IMAGE_DEPLOYMENT):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def png_bytes() -> bytes:
    return make_png()


# The CI machine has 2 cores shared with loopback servers: judge hypothesis on results, not speed.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("foundry", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("foundry")
