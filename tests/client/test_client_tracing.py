"""OpenTelemetry spans and metrics of both clients (respx), read back through opentelemetry-sdk in memory.

The tests hand the client their own providers (no global state): ``_tracer_provider`` / ``_meter_provider``
of ``_shell.tracing`` are patched to return them, as the real ones return the globally configured providers.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from foundry_imagegen import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    DeploymentNotFoundError,
    GenerationFailedError,
    ImageGenerationTool,
    NoImageGeneratedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TruncatedStreamError,
)
from foundry_imagegen._shell import tracing
from tests.client.test_client_stream import Chunks, failing_body, mock_stream
from tests.client.wire import PNG_B64, PROJECT_URL, error_response, image_call, message, ok_response, server_error
from tests.harness import API_KEY, IMAGE_DEPLOYMENT, MODEL
from tests.testkit import image_stream, make_png, sse

USAGE: dict[str, Any] = {
    "usage": {"input_tokens": 12, "output_tokens": 34, "total_tokens": 46},
    "tool_usage": {"image_gen": {"input_tokens": 5, "output_tokens": 272, "total_tokens": 277}},
}
# Every secret a span might leak: the key, a bearer token, and the start of any base64 image.
FORBIDDEN = (API_KEY, "Bearer", PNG_B64[:24], base64.b64encode(make_png(16, 16)).decode()[:24], "iVBORw0KGgo")


class Otel:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        matches = [s for s in self.spans if s.name == name]
        assert len(matches) == 1, [s.name for s in self.spans]
        return matches[0]

    def metrics(self) -> dict[str, list[Any]]:
        data = self.reader.get_metrics_data()
        out: dict[str, list[Any]] = {}
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    out.setdefault(metric.name, []).append(metric)
        return out

    def assert_no_secrets(self) -> None:
        texts = []
        for span in self.spans:
            texts.append(span.name)
            texts += [f"{k}={v!s}" for k, v in (span.attributes or {}).items()]
            for event in span.events:
                texts.append(event.name)
                texts += [f"{k}={v!s}" for k, v in (event.attributes or {}).items()]
            if span.status.description:
                texts.append(span.status.description)
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        texts += [f"{k}={v!s}" for k, v in (point.attributes or {}).items()]
        for text in texts:
            for secret in FORBIDDEN:
                assert secret not in text, text


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Any:
    setup = Otel()
    monkeypatch.setattr(tracing, "_tracer_provider", lambda: setup.tracer_provider)
    monkeypatch.setattr(tracing, "_meter_provider", lambda: setup.meter_provider)
    yield setup
    setup.assert_no_secrets()


async def test_generate_makes_one_client_span_and_one_tool_span(h, otel):
    h.mock.post(PROJECT_URL).mock(
        return_value=ok_response(headers={"x-ms-region": "East US 2", "x-ratelimit-remaining-requests": "19"}, **USAGE)
    )
    client = h.client()

    await h.run(client.generate, "a red fox", tool=ImageGenerationTool(quality="low", size="1024x1024"))

    chat = otel.span(f"chat {MODEL}")
    assert chat.kind is SpanKind.CLIENT
    attrs = dict(chat.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "azure.ai.openai"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["gen_ai.response.id"] == "resp_123"
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 34
    assert attrs["server.address"] == "acme.services.ai.azure.com"
    assert attrs["server.port"] == 443
    assert attrs["foundry_imagegen.region"] == "East US 2"
    assert "error.type" not in attrs
    assert "gen_ai.input.messages" not in attrs  # content capture is off by default
    assert [e.name for e in chat.events] == ["foundry_imagegen.attempt"]
    assert chat.events[0].attributes is not None
    assert chat.events[0].attributes["http.response.status_code"] == 200

    tool = otel.span("execute_tool image_generation")
    assert tool.kind is SpanKind.INTERNAL
    assert tool.parent is not None and tool.parent.span_id == chat.context.span_id
    tattrs = dict(tool.attributes or {})
    assert tattrs["gen_ai.tool.type"] == "extension"
    assert tattrs["gen_ai.tool.call.id"] == "ig_1"
    assert tattrs["gen_ai.output.type"] == "image"
    assert tattrs["foundry_imagegen.image.quality"] == "low"
    assert tattrs["foundry_imagegen.image.size"] == "1024x1024"
    assert tattrs["foundry_imagegen.image.deployment"] == IMAGE_DEPLOYMENT
    assert tattrs["foundry_imagegen.image.usage.output_tokens"] == 272
    assert tattrs["foundry_imagegen.request_id"] == "req-ok-1"
    assert "foundry_imagegen.image.revised_prompt" not in tattrs

    metrics = otel.metrics()
    (duration,) = metrics["gen_ai.client.operation.duration"]
    assert duration.unit == "s"
    (point,) = duration.data.data_points
    assert point.attributes["gen_ai.operation.name"] == "chat"
    assert point.attributes["gen_ai.request.model"] == MODEL
    (tokens,) = metrics["gen_ai.client.token.usage"]
    assert tokens.unit == "{token}"
    by_type = {p.attributes["gen_ai.token.type"]: p.sum for p in tokens.data.data_points}
    assert by_type == {"input": 12, "output": 34}


async def test_one_tool_span_per_image_call(h, otel):
    output = [image_call(id="ig_a"), image_call(id="ig_b")]
    h.mock.post(PROJECT_URL).mock(return_value=ok_response(output))
    client = h.client()

    await h.run(client.generate, "two foxes")

    ids = sorted(
        s.attributes["gen_ai.tool.call.id"] for s in otel.spans if s.name.startswith("execute_tool") and s.attributes
    )
    assert ids == ["ig_a", "ig_b"]


async def test_retries_are_events_of_the_one_span(h, otel):
    route = h.mock.post(PROJECT_URL)
    route.side_effect = [server_error(), error_response(429, {"code": "429", "message": "slow"}), ok_response()]
    client = h.client()

    await h.run(client.generate, "a red fox")

    (chat,) = [s for s in otel.spans if s.name.startswith("chat")]
    names = [e.name for e in chat.events]
    assert names == [
        "foundry_imagegen.attempt",
        "foundry_imagegen.retry",
        "foundry_imagegen.attempt",
        "foundry_imagegen.retry",
        "foundry_imagegen.attempt",
    ]
    statuses = [e.attributes["http.response.status_code"] for e in chat.events if e.attributes]
    assert statuses == [500, 500, 429, 429, 200]
    waits = [e.attributes["foundry_imagegen.retry.wait_s"] for e in chat.events if e.name.endswith("retry")]
    assert waits == pytest.approx(h.waits, abs=1e-5)
    assert chat.status.status_code is StatusCode.UNSET


@pytest.mark.parametrize(
    ("answer", "error_cls"),
    [
        (lambda: error_response(400, {"code": "invalid_request_error", "message": "bad"}), BadRequestError),
        (lambda: error_response(401, {"code": "401", "message": "no"}), AuthenticationError),
        (lambda: error_response(403, {"code": "403", "message": "no"}), PermissionDeniedError),
        (lambda: error_response(404, {"code": "DeploymentNotFound", "message": "no"}), DeploymentNotFoundError),
        (lambda: error_response(404, {"code": "NotFound", "message": "no"}), NotFoundError),
        (lambda: error_response(429, {"code": "429", "message": "slow"}), RateLimitError),
        (lambda: server_error(), ServerError),
        (
            lambda: error_response(400, {"code": "content_filter", "message": "blocked", "param": "prompt"}),
            ContentFilterError,
        ),
        (lambda: ok_response([message("no image today")]), NoImageGeneratedError),
        (
            lambda: ok_response([], status="failed", error={"code": "server_error", "message": "x"}),
            ServerError,
        ),
        (
            lambda: ok_response([], status="incomplete", incomplete_details={"reason": "max_output_tokens"}),
            GenerationFailedError,
        ),
    ],
)
async def test_each_error_class_ends_the_span_with_its_type(h, otel, answer, error_cls):
    h.mock.post(PROJECT_URL).mock(return_value=answer())
    client = h.client(max_retries=0)

    with pytest.raises(error_cls) as caught:
        await h.run(client.generate, "a red fox")

    chat = otel.span(f"chat {MODEL}")
    assert chat.status.status_code is StatusCode.ERROR
    assert chat.attributes is not None
    assert chat.attributes["error.type"] == type(caught.value).__name__
    assert chat.attributes.get("http.response.status_code") == caught.value.status
    (duration,) = otel.metrics()["gen_ai.client.operation.duration"]
    assert duration.data.data_points[0].attributes["error.type"] == type(caught.value).__name__
    assert "gen_ai.client.token.usage" not in otel.metrics()


async def test_a_transport_failure_ends_the_span(h, otel):
    h.mock.post(PROJECT_URL).mock(side_effect=httpx.ConnectError("refused"))
    client = h.client(max_retries=1)

    with pytest.raises(APIConnectionError):
        await h.run(client.generate, "a red fox")

    chat = otel.span(f"chat {MODEL}")
    assert chat.attributes is not None and chat.attributes["error.type"] == "APIConnectionError"
    assert [e.name for e in chat.events] == [
        "foundry_imagegen.attempt",
        "foundry_imagegen.retry",
        "foundry_imagegen.attempt",
    ]


async def test_stream_span_ends_with_the_stream_and_counts_partials(h, otel):
    mock_stream(h, image_stream(partials=2, final=make_png(16, 16)))
    client = h.client()

    async with h.opened(client) as stream:
        await h.run(stream.final)
        assert otel.span(f"chat {MODEL}")  # ended when the events ran out, before the block's end

    chat = otel.span(f"chat {MODEL}")
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.request.stream"] is True
    assert chat.attributes["gen_ai.response.id"] == "resp_s"
    assert "gen_ai.response.time_to_first_chunk" in chat.attributes
    tool = otel.span("execute_tool image_generation")
    assert tool.attributes is not None
    assert tool.attributes["foundry_imagegen.image.partial_count"] == 2
    assert tool.attributes["foundry_imagegen.image.time_to_first_partial_s"] >= 0


async def test_a_stream_left_early_still_ends_its_span(h, otel):
    mock_stream(h, image_stream(partials=2))
    client = h.client()

    async with h.opened(client) as stream:
        await h.first(stream.partial_images())

    chat = otel.span(f"chat {MODEL}")
    assert chat.attributes is not None and chat.attributes["foundry_imagegen.stream.closed_early"] is True
    assert chat.status.status_code is StatusCode.UNSET


async def test_a_broken_stream_ends_its_span_with_the_error(h, otel):
    body = image_stream(partials=1)
    mock_stream(h, Chunks(body, fail_after=len(body) // 2))
    client = h.client()

    with pytest.raises(TruncatedStreamError):
        async with h.opened(client) as stream:
            await h.run(stream.final)

    chat = otel.span(f"chat {MODEL}")
    assert chat.attributes is not None and chat.attributes["error.type"] == "TruncatedStreamError"


async def test_an_error_event_in_the_stream_ends_its_span(h, otel):
    mock_stream(h, failing_body(sse("error", {"sequence_number": 5, "code": "content_filter", "message": "no"})))
    client = h.client()

    with pytest.raises(ContentFilterError):
        async with h.opened(client) as stream:
            await h.run(stream.final)

    chat = otel.span(f"chat {MODEL}")
    assert chat.attributes is not None and chat.attributes["error.type"] == "ContentFilterError"
    assert chat.status.status_code is StatusCode.ERROR


async def test_a_refused_stream_ends_its_span(h, otel):
    h.mock.post(PROJECT_URL).mock(return_value=error_response(403, {"code": "403", "message": "no"}))
    client = h.client()

    with pytest.raises(PermissionDeniedError):
        async with h.opened(client):
            pass

    assert otel.span(f"chat {MODEL}").attributes["error.type"] == "PermissionDeniedError"


async def test_agent_calls_are_invoke_agent_spans(h, otel):
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()

    await h.run(client.generate, "a jazz poster", agent="poster")

    span = otel.span("invoke_agent poster")
    assert span.attributes is not None
    assert span.attributes["gen_ai.agent.name"] == "poster"
    assert span.attributes["gen_ai.provider.name"] == "microsoft.foundry"


async def test_agents_and_files_calls_get_spans(h, otel):
    h.mock.delete(url__regex=r".*/agents/poster(\?.*)?$").mock(
        return_value=httpx.Response(200, json={"object": "agent.deleted", "name": "poster", "deleted": True})
    )
    h.mock.delete(url__regex=r".*/files/file-1(\?.*)?$").mock(
        return_value=httpx.Response(200, json={"id": "file-1", "object": "file", "deleted": True})
    )
    client = h.client()

    await h.run(client.agents.delete, "poster")
    await h.run(client.files.delete, "file-1")

    assert otel.span("delete_agent poster").attributes["gen_ai.agent.name"] == "poster"
    assert otel.span("delete_file file-1").kind is SpanKind.CLIENT


async def test_prompts_are_recorded_only_with_content_capture(h, otel, monkeypatch):
    monkeypatch.setenv(tracing.CONTENT_CAPTURE_VAR, "true")
    h.mock.post(PROJECT_URL).mock(return_value=ok_response())
    client = h.client()

    await h.run(client.generate, "a red fox", images=[make_png(4, 4)])

    chat = otel.span(f"chat {MODEL}")
    assert chat.attributes is not None
    messages = json.loads(str(chat.attributes["gen_ai.input.messages"]))
    assert messages == [{"role": "user", "parts": [{"type": "text", "content": "a red fox"}]}]  # no image part
    tool = otel.span("execute_tool image_generation")
    assert tool.attributes is not None
    assert tool.attributes["foundry_imagegen.image.revised_prompt"] == "A red fox in fresh snow"


def test_without_a_provider_nothing_of_opentelemetry_is_imported():
    code = (
        "import sys, httpx, respx\n"
        "from foundry_imagegen import FoundryClient\n"
        "from tests.client.wire import PROJECT_URL, ok_response\n"
        "with respx.mock() as m:\n"
        "    m.post(PROJECT_URL).mock(return_value=ok_response())\n"
        "    c = FoundryClient('https://acme.services.ai.azure.com/api/projects/p1', api_key='k', model='m',"
        " image_deployment='gpt-image-1')\n"
        "    c.generate('a fox')\n"
        "print(sorted(n for n in sys.modules if n.startswith('opentelemetry')))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop(tracing.LOG_VAR, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root, env=env)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_with_the_api_but_no_provider_a_call_gets_no_trace():
    import opentelemetry.metrics
    import opentelemetry.trace  # noqa: F401  (the API imported, nothing configured)

    from foundry_imagegen._core.calls import ApiCall

    assert tracing.Telemetry({}).start(ApiCall("POST", PROJECT_URL)) is tracing.NO_TRACE


async def test_metrics_without_a_tracer_provider(h, monkeypatch):
    setup = Otel()
    monkeypatch.setattr(tracing, "_tracer_provider", lambda: None)
    monkeypatch.setattr(tracing, "_meter_provider", lambda: setup.meter_provider)
    h.mock.post(PROJECT_URL).mock(return_value=ok_response(**USAGE))
    client = h.client()

    await h.run(client.generate, "a red fox")

    assert setup.spans == []
    metrics = setup.metrics()
    assert {p.attributes["gen_ai.token.type"] for p in metrics["gen_ai.client.token.usage"][0].data.data_points} == {
        "input",
        "output",
    }
    assert metrics["gen_ai.client.operation.duration"][0].data.data_points[0].count == 1
