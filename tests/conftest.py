from __future__ import annotations

import struct
import zlib

import pytest

from foundry_imagegen._constants import (
    ENV_API_KEY,
    ENV_IMAGE_DEPLOYMENT,
    ENV_MODEL,
    ENV_OPENAI_ENDPOINT,
    ENV_PROJECT_ENDPOINT,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real Azure settings."""
    for name in (ENV_PROJECT_ENDPOINT, ENV_OPENAI_ENDPOINT, ENV_API_KEY, ENV_MODEL, ENV_IMAGE_DEPLOYMENT):
        monkeypatch.delenv(name, raising=False)


def make_png(width: int = 8, height: int = 8, rgba: bool = False) -> bytes:
    """A small valid PNG, built by hand so tests need no image library."""
    channels = 4 if rgba else 3
    row = b"\x00" + bytes(range(width * channels)) * 1
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def png_bytes() -> bytes:
    return make_png()


# The CI machine has 2 cores shared with loopback servers: judge hypothesis on results, not speed.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("foundry", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("foundry")
