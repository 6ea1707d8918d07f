"""Harness and wire builders of the client tests; the ``h`` fixture lives in tests/client/conftest.py.

The ``h`` fixture runs every test twice, with FoundryClient and with AsyncFoundryClient. Its ``Harness``
builds the right client, credential and httpx client for its flavour, records the client's sleeps instead
of sleeping, lets a test call sync and async methods alike through ``await h.run(client.generate, ...)``,
and holds ``h.mock``, a strict respx router: a request no route matches fails the test, and so does a
route that is never called. The wire builders make Responses API bodies and error envelopes.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable
from typing import Any

import httpx
import respx

from foundry_imagegen import AsyncFoundryClient, FoundryClient
from tests.testkit import AsyncFakeCredential, FakeCredential, make_png

PROJECT_ENDPOINT = "https://acme.services.ai.azure.com/api/projects/p1"
PROJECT_URL = "https://acme.services.ai.azure.com/api/projects/p1/openai/v1/responses"
RESOURCE_ENDPOINT = "https://acme.openai.azure.com"
RESOURCE_URL = "https://acme.openai.azure.com/openai/v1/responses"

API_KEY = "sk-UNIT-TEST-SECRET-0123456789"
MODEL = "gpt-4.1"
IMAGE_DEPLOYMENT = "gpt-image-1"
SCOPE = "https://ai.azure.com/.default"
PNG_WIDTH = 8
PNG_HEIGHT = 6


PNG = make_png(PNG_WIDTH, PNG_HEIGHT)
PNG_B64 = base64.b64encode(PNG).decode()


def image_call(result: str | None = PNG_B64, *, id: str = "ig_1", **extra: Any) -> dict[str, Any]:
    """An ``image_generation_call`` output item."""
    return {"type": "image_generation_call", "id": id, "status": "completed", "result": result, **extra}


def message(text: str) -> dict[str, Any]:
    """An assistant ``message`` output item."""
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def response_body(output: list[dict[str, Any]], *, id: str = "resp_123", **extra: Any) -> dict[str, Any]:
    """A Responses API ``response`` object."""
    body: dict[str, Any] = {
        "id": id,
        "object": "response",
        "created_at": 1741369938.0,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "model": MODEL,
        "output": output,
    }
    body.update(extra)
    return body


def ok_response(
    output: list[dict[str, Any]] | None = None,
    *,
    request_id: str | None = "req-ok-1",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    """HTTP 200 carrying a completed response with one image and a message by default."""
    if output is None:
        output = [image_call(revised_prompt="A red fox in fresh snow"), message("Here is your fox.")]
    all_headers = {"x-request-id": request_id} if request_id else {}
    all_headers.update(headers or {})
    return httpx.Response(200, json=response_body(output, **extra), headers=all_headers)


def error_response(
    status: int,
    error: dict[str, Any],
    *,
    request_id: str | None = "req-err-1",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """An HTTP error with the ``{"error": {...}}`` envelope."""
    all_headers = {"x-request-id": request_id} if request_id else {}
    all_headers.update(headers or {})
    return httpx.Response(status, json={"error": error}, headers=all_headers)


def server_error(**headers: str) -> httpx.Response:
    return error_response(
        500,
        {
            "message": "An error occurred while processing your request.",
            "type": "server_error",
            "param": None,
            "code": "server_error",
        },
        headers=headers,
    )


def rate_limited(**headers: str) -> httpx.Response:
    return error_response(429, {"code": "429", "message": "Requests have exceeded token rate limit."}, headers=headers)


class Harness:
    """One flavour (sync or async) of everything a client test needs."""

    def __init__(self, is_async: bool, mock: respx.MockRouter) -> None:
        self.is_async = is_async
        self.mock = mock
        self.waits: list[float] = []
        self.clients: list[Any] = []
        self.http_clients: list[Any] = []

    @property
    def client_cls(self) -> type[FoundryClient] | type[AsyncFoundryClient]:
        return AsyncFoundryClient if self.is_async else FoundryClient

    @property
    def sleep(self) -> Callable[[float], Any]:
        if self.is_async:

            async def record_async(seconds: float) -> None:
                self.waits.append(seconds)

            return record_async

        def record(seconds: float) -> None:
            self.waits.append(seconds)

        return record

    def client(self, endpoint: str = PROJECT_ENDPOINT, **kwargs: Any) -> Any:
        """A client with test defaults: api key, model, image deployment and the sleep recorder."""
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("image_deployment", IMAGE_DEPLOYMENT)
        if "credential" not in kwargs:
            kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("sleep", self.sleep)
        client = self.client_cls(endpoint, **kwargs)
        self.clients.append(client)
        return client

    def from_env(self, environ: dict[str, str], **overrides: Any) -> Any:
        overrides.setdefault("sleep", self.sleep)
        client = self.client_cls.from_env(environ, **overrides)
        self.clients.append(client)
        return client

    def credential(self, **kwargs: Any) -> FakeCredential:
        """A fake token credential of this flavour."""
        return AsyncFakeCredential(**kwargs) if self.is_async else FakeCredential(**kwargs)

    def wrong_credential(self) -> FakeCredential:
        """A fake token credential of the other flavour."""
        return FakeCredential() if self.is_async else AsyncFakeCredential()

    def http_client(self, **kwargs: Any) -> httpx.Client | httpx.AsyncClient:
        client = httpx.AsyncClient(**kwargs) if self.is_async else httpx.Client(**kwargs)
        self.http_clients.append(client)
        return client

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` and await its result when it is awaitable (async client methods)."""
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def close_all(self) -> None:
        for client in self.clients:
            await self.run(client.close)
        for http in self.http_clients:
            if isinstance(http, httpx.AsyncClient):
                await http.aclose()
            else:
                http.close()
