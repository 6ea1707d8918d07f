"""OpenTelemetry spans and metrics of every service call: loaded only once the application imports OpenTelemetry.

``telemetry.Telemetry.start`` hands a call ``NO_TRACE`` without importing this module unless
``opentelemetry.trace`` or ``opentelemetry.metrics`` is in ``sys.modules``; here the global providers are
asked, and with only the API's default (proxy / no-op) providers a call still gets ``NO_TRACE``. What the
spans say is decided in ``_core/semconv.py``; this module only emits it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._core.semconv import NS, AttrValue, Operation, describe_call, error_type, image_call_spans, result_attributes
from .._core.semconv import token_points as _token_points
from .._version import __version__
from .telemetry import (
    CONTENT_CAPTURE_VAR,
    LOG_VAR,
    NO_TRACE,
    CallTrace,
    Telemetry,
    configure_logging,
    log_attempt,
)

if TYPE_CHECKING:
    import httpx

    from .._core.calls import ApiCall

__all__ = [
    "CONTENT_CAPTURE_VAR",
    "LOG_VAR",
    "NO_TRACE",
    "CallTrace",
    "SpanTrace",
    "Telemetry",
    "configure_logging",
    "log_attempt",
    "start_trace",
]

_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84)
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216)


def _tracer_provider() -> Any:
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    return provider


def _meter_provider() -> Any:
    metrics = sys.modules.get("opentelemetry.metrics")
    if metrics is None:
        return None
    provider = metrics.get_meter_provider()
    # The API's stand-in until a provider is set is private; without it, only the no-op class is known.
    proxy = getattr(
        sys.modules.get("opentelemetry.metrics._internal"), "_ProxyMeterProvider", metrics.NoOpMeterProvider
    )
    if isinstance(provider, (proxy, metrics.NoOpMeterProvider)):
        return None
    return provider


def _current_tracer(owner: Telemetry) -> Any:
    provider = _tracer_provider()
    if provider is None:
        return None
    if provider is not owner._tracer_key:
        owner._tracer_key = provider
        owner._tracer = provider.get_tracer("foundry_imagegen", __version__)
    return owner._tracer


def _current_instruments(owner: Telemetry) -> tuple[Any, Any] | None:
    provider = _meter_provider()
    if provider is None:
        return None
    if provider is not owner._meter_key:
        meter = provider.get_meter("foundry_imagegen", __version__)
        duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        owner._meter_key, owner._instruments = provider, (duration, tokens)
    return owner._instruments


def start_trace(owner: Telemetry, call: ApiCall) -> CallTrace:
    """The trace of one service call for ``owner`` (``NO_TRACE`` when no provider is configured)."""
    tracer = _current_tracer(owner)
    instruments = _current_instruments(owner)
    if tracer is None and instruments is None:
        return NO_TRACE
    return SpanTrace(describe_call(call, capture_content=owner.capture_content), tracer, instruments, owner)


class SpanTrace(CallTrace):
    """The span (and metric points) of one service call, retries and stream included. Ends once."""

    def __init__(self, operation: Operation, tracer: Any, instruments: tuple[Any, Any] | None, owner: Telemetry):
        from opentelemetry import trace

        self._op = operation
        self._owner = owner
        self._instruments = instruments
        self._started = time.perf_counter()
        self._start_ns = time.time_ns()
        self._ended = False
        self._partials = 0
        self._first_partial: float | None = None
        self._first_chunk: float | None = None
        self._status: int | None = None
        self._span = (
            tracer.start_span(operation.span_name, kind=trace.SpanKind.CLIENT, attributes=operation.attributes)
            if tracer is not None
            else None
        )

    def attempt(self, number: int, response: httpx.Response | None, exc: BaseException | None, seconds: float) -> None:
        """One HTTP attempt as a span event: its number, status (or error type) and duration."""
        if self._span is None:
            return
        attrs: dict[str, AttrValue] = {f"{NS}.attempt": number, f"{NS}.duration_s": round(seconds, 6)}
        if response is not None:
            self._status = response.status_code
            attrs["http.response.status_code"] = response.status_code
            request_id = response.headers.get("x-request-id") or response.headers.get("apim-request-id")
            if request_id:
                attrs[f"{NS}.request_id"] = request_id
            region = response.headers.get("x-ms-region")
            if region:
                self._span.set_attribute(f"{NS}.region", region)
        if exc is not None:
            attrs["error.type"] = error_type(exc)
        self._span.add_event(f"{NS}.attempt", attrs)

    def retry(self, number: int, exc: BaseException | None, wait: float) -> None:
        """The wait before the next attempt, as a span event."""
        if self._span is None:
            return
        attrs: dict[str, AttrValue] = {f"{NS}.attempt": number, f"{NS}.retry.wait_s": round(wait, 6)}
        if exc is not None:
            attrs["error.type"] = error_type(exc)
            status = getattr(exc, "status", None)
            if isinstance(status, int):
                attrs["http.response.status_code"] = status
        self._span.add_event(f"{NS}.retry", attrs)

    def stream_event(self, partials_seen: int) -> None:
        """A stream event was read; ``partials_seen`` is the stream's partial-image count so far."""
        if not self._ended and self._first_chunk is None:
            self._first_chunk = time.perf_counter() - self._started
        if not self._ended and partials_seen > self._partials:
            if self._first_partial is None:
                self._first_partial = time.perf_counter() - self._started
            self._partials = partials_seen

    def succeed(self, value: object, *, client_request_id: str | None = None) -> None:
        """End with the answer; a ``GenerationResult`` adds usage, tool spans and token metrics."""
        if self._ended:
            return
        from .._core.results import GenerationResult

        attrs: dict[str, AttrValue] = {}
        if isinstance(value, GenerationResult):
            attrs = result_attributes(value)
            if self._first_chunk is not None:
                attrs["gen_ai.response.time_to_first_chunk"] = round(self._first_chunk, 6)
            self._tool_spans(value, client_request_id)
            self._record_tokens(value, attrs)
        self._end(attrs, None)

    def fail(self, exc: BaseException) -> None:
        """End with an error (``error.type`` is the SDK's exception class)."""
        if self._ended:
            return
        attrs: dict[str, AttrValue] = {"error.type": error_type(exc)}
        status = getattr(exc, "status", None)
        if isinstance(status, int):
            attrs["http.response.status_code"] = status
        code = getattr(exc, "code", None)
        if isinstance(code, str):
            attrs[f"{NS}.error.code"] = code
        request_id = getattr(exc, "request_id", None)
        if isinstance(request_id, str):
            attrs[f"{NS}.request_id"] = request_id
        self._end(attrs, exc)

    def close_early(self) -> None:
        """A stream closed before its end: the span ends, marked so, without an error."""
        if not self._ended:
            self._end({f"{NS}.stream.closed_early": True}, None)

    def _tool_spans(self, result: object, client_request_id: str | None) -> None:
        if self._span is None:
            return
        from opentelemetry import trace

        extra: dict[str, AttrValue] = {}
        if client_request_id:
            extra[f"{NS}.client_request_id"] = client_request_id
        if self._partials or self._first_partial is not None:
            extra[f"{NS}.image.partial_count"] = self._partials
        if self._first_partial is not None:
            extra[f"{NS}.image.time_to_first_partial_s"] = round(self._first_partial, 6)
        context = trace.set_span_in_context(self._span)
        tracer = self._owner._tracer
        for name, attrs in image_call_spans(
            result,  # type: ignore[arg-type]
            self._op.tool_attributes,
            capture_content=self._owner.capture_content,
            extra=extra,
        ):
            child = tracer.start_span(
                name, context=context, kind=trace.SpanKind.INTERNAL, attributes=attrs, start_time=self._start_ns
            )
            if "error.type" in attrs:
                child.set_status(trace.Status(trace.StatusCode.ERROR))
            child.end()

    def _metric_attributes(self, error: str | None) -> dict[str, AttrValue]:
        keep = (
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "server.address",
            "server.port",
        )
        attrs = {k: v for k, v in self._op.attributes.items() if k in keep}
        if error is not None:
            attrs["error.type"] = error
        return attrs

    def _record_tokens(self, result: object, response_attrs: Mapping[str, AttrValue]) -> None:
        if self._instruments is None or not self._op.inference:
            return
        attrs = self._metric_attributes(None)
        if "gen_ai.response.model" in response_attrs:
            attrs["gen_ai.response.model"] = response_attrs["gen_ai.response.model"]
        for kind, count in _token_points(result):  # type: ignore[arg-type]
            self._instruments[1].record(count, {**attrs, "gen_ai.token.type": kind})

    def _end(self, attrs: dict[str, AttrValue], exc: BaseException | None) -> None:
        self._ended = True
        if self._instruments is not None:
            error = attrs.get("error.type")
            self._instruments[0].record(
                time.perf_counter() - self._started, self._metric_attributes(str(error) if error else None)
            )
        if self._span is None:
            return
        from opentelemetry import trace

        self._span.set_attributes(attrs)
        if exc is not None:
            # The class name only: messages may quote what the service sent back.
            self._span.set_status(trace.Status(trace.StatusCode.ERROR, error_type(exc)))
        self._span.end()
