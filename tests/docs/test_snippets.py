"""Every Python block of README.md and docs/ runs against the emulator (see docs_testkit.py for the marks).

What a block may rely on, and how blocks written for Azure are pointed at the emulator:

- Every public name of ``foundry_imagegen`` (blocks are read as fragments of a program that imported them),
  ``client`` (a ``FoundryClient``), ``endpoint`` and ``emulator`` (a fresh emulator per block), ``tool``
  (``ImageGenerationTool(image_deployment="gpt-image-2", quality="low")``), ``openai_client``
  (openai-python pointed at the emulator), ``prompt``, and the stand-ins ``show(data)`` and ``preview(image)``.
- The placeholder endpoints ``https://<resource>.services.ai.azure.com/api/projects/<project>`` and
  ``https://<resource>.openai.azure.com`` are replaced by the emulator's.
- ``azure.identity.DefaultAzureCredential`` and ``azure.identity.aio.DefaultAzureCredential`` hand out a
  fixed token (the emulator checks none).
- Top-level ``await`` / ``async with`` work: such a block runs as a coroutine.
- The working directory is a fresh temporary one holding ``photo.png`` and ``mask.png`` (1024x1024).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import struct
import time
import types
import zlib
from pathlib import Path
from typing import Any

import pytest

from foundry_imagegen.emulator import Emulator
from tests.docs.docs_testkit import Block, all_blocks

pytest_plugins = ["pytester"]

PLUGIN_ARGS = ("-p", "no:foundry_imagegen", "-p", "foundry_imagegen.pytest_plugin", "-p", "no:cacheprovider")

BLOCKS = all_blocks()
PYTHON = [block for block in BLOCKS if block.kind != "other"]

ENDPOINT_PLACEHOLDERS = {
    "https://<resource>.services.ai.azure.com/api/projects/<project>": "endpoint",
    "https://<resource>.openai.azure.com": "url",
}


def _png(width: int, height: int, *, hole: bool) -> bytes:
    """An RGBA PNG, opaque, with a transparent square in the middle when ``hole``."""
    opaque, clear = b"\x20\x40\x80\xff", b"\x00\x00\x00\x00"
    rows = []
    for y in range(height):
        inside = hole and height // 4 <= y < height * 3 // 4
        pixels = (
            opaque * (width // 4) + clear * (width // 2) + opaque * (width - width // 4 - width // 2)
            if inside
            else opaque * width
        )
        rows.append(b"\x00" + pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


class _Token:
    def __init__(self) -> None:
        from azure.core.credentials import AccessToken

        self._token = AccessToken("snippet-token", int(time.time()) + 3600)


class FakeCredential(_Token):
    """Stands in for azure.identity.DefaultAzureCredential."""

    def __init__(self, **_: Any) -> None:
        super().__init__()

    def get_token(self, *scopes: str, **_: Any) -> Any:
        return self._token

    def close(self) -> None:
        pass


class FakeAsyncCredential(_Token):
    """Stands in for azure.identity.aio.DefaultAzureCredential."""

    def __init__(self, **_: Any) -> None:
        super().__init__()

    async def get_token(self, *scopes: str, **_: Any) -> Any:
        return self._token

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> FakeAsyncCredential:
        return self

    async def __aexit__(self, *_: object) -> None:
        pass


@pytest.fixture
def snippet_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import azure.identity
    import azure.identity.aio

    from foundry_imagegen import FoundryClient

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", FakeCredential)
    monkeypatch.setattr(azure.identity.aio, "DefaultAzureCredential", FakeAsyncCredential)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(_png(1024, 1024, hole=False))
    (tmp_path / "mask.png").write_bytes(_png(1024, 1024, hole=True))
    with (
        Emulator() as emulator,
        FoundryClient(emulator.endpoint, api_key="emulator", model="gpt-5", image_deployment="gpt-image-2") as c,
    ):
        namespace: dict[str, Any] = {}
        exec("from foundry_imagegen import *", namespace)
        yield {
            **namespace,
            "tool": namespace["ImageGenerationTool"](image_deployment="gpt-image-2", quality="low"),
            "emulator": emulator,
            "endpoint": emulator.endpoint,
            "client": c,
            "prompt": "a lighthouse at dusk",
            "show": lambda data: None,
            "preview": lambda image: None,
            "__name__": "__snippet__",
        }


def _rewrite(code: str, emulator: Emulator) -> str:
    for placeholder, attribute in ENDPOINT_PLACEHOLDERS.items():
        code = code.replace(placeholder, getattr(emulator, attribute))
    return code


def _run(block: Block, namespace: dict[str, Any]) -> None:
    source = _rewrite(block.code, namespace["emulator"])
    if "openai_client" in source:
        import openai

        namespace["openai_client"] = openai.OpenAI(base_url=namespace["endpoint"] + "/openai/v1", api_key="emulator")
    code = compile(source, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(types.FunctionType(code, namespace)())
    else:
        exec(code, namespace)


SESSION_RESULT = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(Error|Exception|Warning)): (?P<message>.*)$", re.S)


def _run_session(block: Block, namespace: dict[str, Any]) -> None:
    """A ``>>>`` block: each statement runs; an expected ``Name: message`` must be the exception raised."""
    statements: list[tuple[str, str]] = []
    for line in block.code.splitlines():
        if line.startswith(">>> ") or line.startswith("... "):
            if line.startswith(">>> "):
                statements.append((line[4:], ""))
            else:
                statements[-1] = (statements[-1][0] + "\n" + line[4:], statements[-1][1])
        elif statements:
            statements[-1] = (statements[-1][0], (statements[-1][1] + "\n" + line).strip())
    for source, expected in statements:
        wanted = SESSION_RESULT.match(expected)
        if wanted is None:
            exec(compile(source, block.id, "single"), namespace)
            continue
        with pytest.raises(Exception) as caught:
            exec(compile(source, block.id, "single"), namespace)
        assert type(caught.value).__name__ == wanted["name"].split(".")[-1]
        said = " ".join(str(caught.value).split())
        assert " ".join(wanted["message"].split()) in said, said


@pytest.mark.parametrize("block", PYTHON, ids=[block.id for block in PYTHON])
def test_block(block: Block, snippet_env: dict[str, Any], request: pytest.FixtureRequest) -> None:
    if block.kind == "skip":
        assert block.reason, f"{block.id}: a skipped block must say why (<!-- snippet: skip: REASON -->)"
        pytest.skip(block.reason)
    if block.kind == "pytest":
        pytester: pytest.Pytester = request.getfixturevalue("pytester")
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n")
        pytester.makepyfile(**{"test_snippet": _rewrite(block.code, snippet_env["emulator"])})
        result = pytester.runpytest(
            "-p", "no:foundry_imagegen", "-p", "foundry_imagegen.pytest_plugin", "-p", "no:cacheprovider"
        )
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= 1 and not outcomes.get("failed") and not outcomes.get("errors"), str(
            result.stdout
        )
        return
    if block.code.lstrip().startswith(">>>"):
        _run_session(block, snippet_env)
    else:
        _run(block, snippet_env)


def test_blocks_are_found() -> None:
    assert len(PYTHON) >= 10, [block.id for block in PYTHON]
