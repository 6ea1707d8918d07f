"""The one sync/async harness: every client test (respx) and e2e test (the emulator) runs with both clients.

``Harness(is_async)`` is one flavour. ``h.client(...)`` builds FoundryClient or AsyncFoundryClient with test
defaults, ``await h.run(client.generate, ...)`` calls sync and async methods alike, ``h.entered(...)`` /
``h.opened(client, ...)`` enter their context managers, ``h.each(...)`` / ``h.drain(...)`` /
``h.first(...)`` read their iterators, and ``h.waits`` holds the retry waits the client asked for instead of
sleeping. The ``h`` fixtures of tests/client (with ``h.mock``, a strict respx router) and tests/e2e (against
the emulator over loopback) open one with ``harness(...)`` for each flavour and close whatever it built.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import respx

from foundry_imagegen import AsyncFoundryClient, FoundryClient
from foundry_imagegen.emulator import Emulator
from tests.testkit import AsyncFakeCredential, FakeCredential

PROJECT_ENDPOINT = "https://acme.services.ai.azure.com/api/projects/p1"
API_KEY = "sk-UNIT-TEST-SECRET-0123456789"
MODEL = "gpt-4.1"
IMAGE_DEPLOYMENT = "gpt-image-1"
FLAVOURS = ["sync", "async"]


class Harness:
    """One flavour (sync or async) of everything a test needs to drive a client.

    ``mock`` is the respx router of the client tests (None against the emulator). ``endpoint`` is where
    ``client()`` points by default, ``prompt`` what ``opened()`` streams by default, ``image_deployment``
    the clients' default deployment (None: they get none). ``allow_retries=False`` fails the test on any
    retry wait; ``record_request_ids=True`` gives each client its own httpx client that records the
    x-request-id headers the server sent back in ``request_ids``.
    """

    def __init__(
        self,
        is_async: bool,
        *,
        mock: respx.MockRouter | None = None,
        endpoint: str = PROJECT_ENDPOINT,
        prompt: str = "a red fox",
        image_deployment: str | None = IMAGE_DEPLOYMENT,
        allow_retries: bool = True,
        record_request_ids: bool = False,
    ) -> None:
        self.is_async = is_async
        self._mock = mock
        self.endpoint = endpoint
        self.prompt = prompt
        self.image_deployment = image_deployment
        self.allow_retries = allow_retries
        self.record_request_ids = record_request_ids
        self.waits: list[float] = []
        self.request_ids: list[str] = []
        self.clients: list[Any] = []
        self.http_clients: list[httpx.Client | httpx.AsyncClient] = []

    @property
    def mock(self) -> respx.MockRouter:
        """The strict respx router: a request no route matches fails the test, and so does an unused route."""
        if self._mock is None:
            raise AssertionError("this harness has no respx router: it talks to a real (emulated) server")
        return self._mock

    @property
    def client_cls(self) -> type[FoundryClient] | type[AsyncFoundryClient]:
        return AsyncFoundryClient if self.is_async else FoundryClient

    @property
    def sleep(self) -> Callable[[float], Any]:
        """The client's ``sleep``: records the wait in ``waits`` (or fails the test if retries are not allowed)."""

        def wait(seconds: float) -> None:
            if not self.allow_retries:
                raise AssertionError(f"unexpected retry wait of {seconds}s")
            self.waits.append(seconds)

        if self.is_async:

            async def wait_async(seconds: float) -> None:
                wait(seconds)

            return wait_async
        return wait

    def client(self, endpoint: str | Emulator | None = None, **kwargs: Any) -> Any:
        """A client with test defaults: api key, model, image deployment and the sleep recorder."""
        if isinstance(endpoint, Emulator):
            endpoint = endpoint.endpoint
        kwargs.setdefault("model", MODEL)
        if self.image_deployment is not None:
            kwargs.setdefault("image_deployment", self.image_deployment)
        if "credential" not in kwargs:
            kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("sleep", self.sleep)
        if self.record_request_ids:
            kwargs.setdefault("http_client", self._recording_http_client())
        client = self.client_cls(self.endpoint if endpoint is None else endpoint, **kwargs)
        self.clients.append(client)
        return client

    def from_env(self, environ: dict[str, str], **overrides: Any) -> Any:
        """``from_env`` of this flavour, with the sleep recorder."""
        overrides.setdefault("sleep", self.sleep)
        client = self.client_cls.from_env(environ, **overrides)
        self.clients.append(client)
        return client

    def credential(self, token: str | None = None, **kwargs: Any) -> FakeCredential:
        """A fake token credential of this flavour (see ``FakeCredential``)."""
        return AsyncFakeCredential(token, **kwargs) if self.is_async else FakeCredential(token, **kwargs)

    def wrong_credential(self) -> FakeCredential:
        """A fake token credential of the other flavour."""
        return FakeCredential() if self.is_async else AsyncFakeCredential()

    def http_client(self, **kwargs: Any) -> httpx.Client | httpx.AsyncClient:
        """An httpx client of this flavour, closed with the harness."""
        client = httpx.AsyncClient(**kwargs) if self.is_async else httpx.Client(**kwargs)
        self.http_clients.append(client)
        return client

    def _recording_http_client(self) -> httpx.Client | httpx.AsyncClient:
        def record(response: httpx.Response) -> None:
            self.request_ids.append(response.headers["x-request-id"])

        if self.is_async:

            async def record_async(response: httpx.Response) -> None:
                record(response)

            return self.http_client(event_hooks={"response": [record_async]})
        return self.http_client(event_hooks={"response": [record]})

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn``; with the async flavour its result must be awaitable and is awaited, with the sync one
        it must not be."""
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result) != self.is_async:
            raise AssertionError(f"{fn!r} returned {result!r} to the {'async' if self.is_async else 'sync'} harness")
        if self.is_async:
            result = await result
        return result

    @asynccontextmanager
    async def entered(self, manager: Any) -> AsyncIterator[Any]:
        """``with manager`` or ``async with manager``, whichever this flavour needs."""
        if self.is_async:
            async with manager as value:
                yield value
        else:
            with manager as value:
                yield value

    @asynccontextmanager
    async def opened(self, client: Any, prompt: str | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        """The entered ``client.stream(prompt, **kwargs)``; ``prompt`` defaults to the harness's."""
        async with self.entered(client.stream(self.prompt if prompt is None else prompt, **kwargs)) as stream:
            yield stream

    async def each(self, iterable: Any) -> AsyncIterator[Any]:
        """``async for item in h.each(iterable)`` over a sync or async iterable."""
        if self.is_async:
            async for item in iterable:
                yield item
        else:
            for item in iterable:
                yield item

    async def drain(self, iterable: Any) -> list[Any]:
        """Every item of a sync or async iterable."""
        if self.is_async:
            return [item async for item in iterable]
        return list(iterable)

    async def first(self, iterable: Any) -> Any:
        """The first item of a sync or async iterable (which is left unfinished)."""
        if self.is_async:
            async for item in iterable:
                return item
        else:
            for item in iterable:
                return item
        raise AssertionError("the iterable was empty")

    async def close_all(self) -> None:
        for client in self.clients:
            await self.run(client.close)
        for http in self.http_clients:
            if isinstance(http, httpx.AsyncClient):
                await http.aclose()
            else:
                http.close()


@asynccontextmanager
async def harness(flavour: str, **options: Any) -> AsyncIterator[Harness]:
    """A ``Harness`` of the flavour named ("sync" or "async"), closing all it built on the way out."""
    h = Harness(flavour == "async", **options)
    try:
        yield h
    finally:
        await h.close_all()
