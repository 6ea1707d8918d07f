"""Harness of the end-to-end tests in tests/e2e (``from tests.e2e_testkit import ...``).

``Shell`` is one flavour of client, sync or async, built against the emulator: ``await shell.run(...)``
calls sync and async methods alike, ``shell.entered(...)`` / ``shell.opened(...)`` enter their context
managers, ``shell.drain(...)`` collects their iterators. The ``shell`` fixture (tests/e2e/conftest.py)
runs every test with both flavours; a test module tunes its ``Shell`` by overriding ``shell_options``.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from foundry_imagegen import AsyncFoundryClient, FoundryClient, GeneratedImage
from foundry_imagegen.emulator import Emulator
from tests.testkit import AsyncFakeCredential, FakeCredential

STREAM_PROMPT = "a lighthouse at dusk over a stormy sea"


class Shell:
    """One flavour of client (sync or async) against the emulator.

    By default it records retry waits in ``waits`` instead of sleeping. ``allow_retries=False`` makes
    any retry wait fail the test instead. ``record_request_ids=True`` gives each client its own httpx
    client that records the x-request-id headers the emulator actually sent back in ``request_ids``.
    ``image_deployment`` is the clients' default deployment (None: the clients get none).
    """

    def __init__(
        self,
        is_async: bool,
        *,
        allow_retries: bool = True,
        record_request_ids: bool = False,
        image_deployment: str | None = "gpt-image-1",
    ) -> None:
        self.is_async = is_async
        self.allow_retries = allow_retries
        self.record_request_ids = record_request_ids
        self.image_deployment = image_deployment
        self.waits: list[float] = []
        self.request_ids: list[str] = []
        self.clients: list[Any] = []
        self.http_clients: list[Any] = []

    def _sleep(self) -> Callable[[float], Any]:
        if not self.allow_retries:
            return self._no_sleep()
        if self.is_async:

            async def record_async(seconds: float) -> None:
                self.waits.append(seconds)

            return record_async

        def record(seconds: float) -> None:
            self.waits.append(seconds)

        return record

    def _no_sleep(self) -> Callable[[float], Any]:
        if self.is_async:

            async def no_sleep_async(seconds: float) -> None:
                raise AssertionError(f"unexpected retry wait of {seconds}s")

            return no_sleep_async

        def no_sleep(seconds: float) -> None:
            raise AssertionError(f"unexpected retry wait of {seconds}s")

        return no_sleep

    def _http_client(self) -> httpx.Client | httpx.AsyncClient:
        if self.is_async:

            async def on_response_async(response: httpx.Response) -> None:
                self.request_ids.append(response.headers["x-request-id"])

            http: httpx.Client | httpx.AsyncClient = httpx.AsyncClient(event_hooks={"response": [on_response_async]})
        else:

            def on_response(response: httpx.Response) -> None:
                self.request_ids.append(response.headers["x-request-id"])

            http = httpx.Client(event_hooks={"response": [on_response]})
        self.http_clients.append(http)
        return http

    def credential(self, token: str) -> FakeCredential:
        """A fixed-token credential of this flavour."""
        return AsyncFakeCredential(token) if self.is_async else FakeCredential(token)

    def client(self, emu: Emulator, *, endpoint: str | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("model", "gpt-4.1")
        if self.image_deployment is not None:
            kwargs.setdefault("image_deployment", self.image_deployment)
        if "credential" not in kwargs:
            kwargs.setdefault("api_key", "k")
        kwargs.setdefault("sleep", self._sleep())
        if self.record_request_ids:
            kwargs.setdefault("http_client", self._http_client())
        cls = AsyncFoundryClient if self.is_async else FoundryClient
        client = cls(endpoint or emu.endpoint, **kwargs)
        self.clients.append(client)
        return client

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        if self.is_async:
            result = await result
        return result

    @asynccontextmanager
    async def entered(self, manager: Any) -> AsyncIterator[Any]:
        if self.is_async:
            async with manager as value:
                yield value
        else:
            with manager as value:
                yield value

    @asynccontextmanager
    async def opened(self, client: Any, prompt: str = STREAM_PROMPT, **kwargs: Any) -> AsyncIterator[Any]:
        async with self.entered(client.stream(prompt, **kwargs)) as stream:
            yield stream

    async def drain(self, iterable: Any) -> list[Any]:
        if self.is_async:
            return [item async for item in iterable]
        return list(iterable)

    async def close_all(self) -> None:
        for client in self.clients:
            await self.run(client.close)
        for http in self.http_clients:
            if isinstance(http, httpx.AsyncClient):
                await http.aclose()
            else:
                http.close()


def pil(image: GeneratedImage | bytes) -> Image.Image:
    """Decode an image (a GeneratedImage or its bytes) with Pillow, fully loaded."""
    data = image if isinstance(image, bytes) else image.data
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    return decoded


def responses_posts(emu: Emulator) -> list[Any]:
    """The POSTs to .../responses the emulator received, in order."""
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/responses")]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())
