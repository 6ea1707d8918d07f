"""Fixtures for the emulator's own tests.

The plugin fixtures are imported here (rather than via ``pytest_plugins``, which only the root conftest
may declare) so these tests run whether or not the package's pytest11 entry point is active.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from foundry_imagegen.emulator import Emulator
from foundry_imagegen.emulator.pytest_plugin import foundry_emulator, foundry_emulator_factory

__all__ = ["foundry_emulator", "foundry_emulator_factory"]

IMAGE_HEADER = "x-ms-oai-image-generation-deployment"


@dataclass
class SSE:
    event: str | None
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(text: str) -> list[SSE]:
    """Independent, strict-enough SSE parser: blocks separated by blank lines, one data line each."""
    events: list[SSE] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
            else:
                raise AssertionError(f"unexpected SSE line {line[:80]!r}")
        assert len(data) == 1, "each event must carry exactly one data line"
        events.append(SSE(event, data[0]))
    return events


def decode_b64_image(b64: str) -> Any:
    from PIL import Image

    img = Image.open(io.BytesIO(base64.b64decode(b64, validate=True)))
    img.load()
    return img


class Api:
    """Thin httpx helper bound to one emulator."""

    def __init__(self, emu: Emulator, client: httpx.Client) -> None:
        self.emu = emu
        self.client = client

    def create(
        self,
        body: Any = None,
        *,
        image_deployment: str | None = "gpt-image-1",
        headers: dict[str, str] | None = None,
        project: bool = True,
        raw: bytes | None = None,
        query: str = "",
    ) -> httpx.Response:
        hdrs = dict(headers or {})
        if image_deployment is not None:
            hdrs[IMAGE_HEADER] = image_deployment
        base = self.emu.endpoint if project else self.emu.url
        url = f"{base}/openai/v1/responses{query}"
        if raw is not None:
            return self.client.post(url, content=raw, headers={"content-type": "application/json", **hdrs})
        return self.client.post(url, json=body, headers=hdrs)

    def image_body(self, tool: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "model": "gpt-4.1",
            "input": "a red fox in the snow",
            "tools": [{"type": "image_generation", **(tool or {})}],
            **extra,
        }

    def stream(self, body: dict[str, Any], **kwargs: Any) -> tuple[httpx.Response, list[SSE]]:
        resp = self.create({**body, "stream": True}, **kwargs)
        return resp, parse_sse(resp.text) if resp.status_code == 200 else []


@pytest.fixture
def emu(foundry_emulator: Emulator) -> Emulator:
    return foundry_emulator


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def api(emu: Emulator, http: httpx.Client) -> Api:
    return Api(emu, http)


@pytest.fixture
def make_api(foundry_emulator_factory: Callable[..., Emulator], http: httpx.Client) -> Callable[..., Api]:
    def factory(**kwargs: Any) -> Api:
        return Api(foundry_emulator_factory(**kwargs), http)

    return factory


@pytest.fixture
def sse_parser() -> Callable[[str], list[SSE]]:
    return parse_sse


@pytest.fixture
def decode_image() -> Callable[[str], Any]:
    return decode_b64_image
