"""The tracing hook every call goes through, and the per-attempt log line: cheap enough to load with the client.

A call asks ``Telemetry.start`` for its trace. Unless the application has imported OpenTelemetry
(``opentelemetry.trace`` or ``opentelemetry.metrics`` is in ``sys.modules``) the answer is ``NO_TRACE``, whose
methods do nothing, for the cost of two dict lookups; only then are ``tracing`` (spans and metrics) and
``_core/semconv.py`` (what the spans say) imported.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from .._core.calls import ApiCall

__all__ = ["CONTENT_CAPTURE_VAR", "LOG_VAR", "NO_TRACE", "CallTrace", "Telemetry", "configure_logging", "log_attempt"]

#: The conventions' switch for recording prompts and revised prompts (off unless "true").
CONTENT_CAPTURE_VAR = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
#: ``info`` or ``debug``: a stderr handler on the ``foundry_imagegen`` logger for programs without logging set up.
LOG_VAR = "FOUNDRY_IMAGEGEN_LOG"

http_log = logging.getLogger("foundry_imagegen.http")
_root_log = logging.getLogger("foundry_imagegen")


def configure_logging(environ: Mapping[str, str]) -> None:
    """Honour ``FOUNDRY_IMAGEGEN_LOG=info|debug``: add one stderr handler unless the logger already has one."""
    level = {"info": logging.INFO, "debug": logging.DEBUG}.get(environ.get(LOG_VAR, "").strip().lower())
    if level is None:
        return
    _root_log.setLevel(level)
    if not any(getattr(handler, "_foundry_imagegen", False) for handler in _root_log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
        handler._foundry_imagegen = True  # type: ignore[attr-defined]
        _root_log.addHandler(handler)


class CallTrace:
    """The trace of one service call, as the clients drive it. This base records nothing (``NO_TRACE``);
    ``tracing.SpanTrace`` records the span and metric points."""

    def attempt(self, number: int, response: httpx.Response | None, exc: BaseException | None, seconds: float) -> None:
        """One HTTP attempt: its number, answer (or error) and duration."""

    def retry(self, number: int, exc: BaseException | None, wait: float) -> None:
        """The wait before the next attempt."""

    def stream_event(self, partials_seen: int) -> None:
        """A stream event was read; ``partials_seen`` is the stream's partial-image count so far."""

    def succeed(self, value: object, *, client_request_id: str | None = None) -> None:
        """The call ended with ``value``."""

    def fail(self, exc: BaseException) -> None:
        """The call ended with an error."""

    def close_early(self) -> None:
        """A stream closed before its end."""


#: What a call gets when tracing and metrics are off: every method returns at once.
NO_TRACE: CallTrace = CallTrace()


class Telemetry:
    """One client's tracing state: the content-capture switch (read once) and the cached tracer and meter."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.capture_content = environ.get(CONTENT_CAPTURE_VAR, "").strip().lower() == "true"
        self._tracer_key: object = None
        self._tracer: Any = None
        self._meter_key: object = None
        self._instruments: tuple[Any, Any] | None = None

    def start(self, call: ApiCall) -> CallTrace:
        """The trace of one service call (``NO_TRACE`` when neither traces nor metrics are configured)."""
        if "opentelemetry.trace" not in sys.modules and "opentelemetry.metrics" not in sys.modules:
            return NO_TRACE
        from .tracing import start_trace

        return start_trace(self, call)


def log_attempt(
    call: ApiCall,
    response: httpx.Response | None,
    exc: BaseException | None,
    *,
    seconds: float,
    attempt: int,
) -> None:
    """The one INFO line of an HTTP attempt: method, path, status, request id, duration, attempt."""
    if not http_log.isEnabledFor(logging.INFO):
        return
    from urllib.parse import urlsplit

    path = urlsplit(call.url).path
    if response is not None:
        request_id = response.headers.get("x-request-id") or response.headers.get("apim-request-id")
        http_log.info(
            "%s %s -> %d in %.3fs (request id %s, attempt %d)",
            call.method,
            path,
            response.status_code,
            seconds,
            request_id,
            attempt,
        )
    else:
        http_log.info("%s %s -> %s in %.3fs (attempt %d)", call.method, path, type(exc).__name__, seconds, attempt)
