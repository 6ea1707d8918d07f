"""Wire builders of the client tests: the URLs they mock, Responses API bodies and error envelopes.

The harness and its defaults (endpoint, api key, model, image deployment) live in tests/harness.py; the
``h`` fixture that opens one with a strict respx router, in tests/client/conftest.py.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.harness import MODEL, PROJECT_ENDPOINT
from tests.testkit import make_png

PROJECT_URL = PROJECT_ENDPOINT + "/openai/v1/responses"
RESOURCE_ENDPOINT = "https://acme.openai.azure.com"
RESOURCE_URL = "https://acme.openai.azure.com/openai/v1/responses"

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
