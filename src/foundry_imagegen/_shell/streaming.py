"""What the sync and async image streams share: target checks, partial files, transport failures."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import httpx

from .._core.images import ImageFormat
from .._core.results import GeneratedImage, GenerationResult
from .._core.stream import StreamProcessor
from ..exceptions import APITimeoutError, TruncatedStreamError
from .base import with_http
from .disk import check_free, partial_path, remove_quietly, target_path
from .tracing import NO_TRACE, CallTrace

__all__ = ["StreamBase", "broken_stream_error", "is_json"]


def _format_of(requested: str | None) -> ImageFormat:
    for fmt in ("jpeg", "webp", "gif", "svg"):
        if requested == fmt:
            return fmt
    return "png"


def broken_stream_error(exc: httpx.HTTPError, processor: StreamProcessor) -> Exception:
    """The typed error for a stream whose transport failed mid-way."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"the stream stalled ({type(exc).__name__})", retryable=False)
    return TruncatedStreamError(
        f"the connection broke after {processor.events_seen} events ({type(exc).__name__}: {exc}); no final "
        "image was produced (nothing was written)",
        events_seen=processor.events_seen,
    )


def is_json(response: httpx.Response) -> bool:
    """Whether a stream request was answered with a plain JSON body instead of events."""
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip() == "application/json"


class StreamBase:
    """State and file handling common to ``ImageStream`` and ``AsyncImageStream``."""

    def __init__(self, processor: StreamProcessor, traces: Sequence[CallTrace] = ()) -> None:
        self._processor = processor
        self._closed = False
        # The client appends the call's trace when it opens the stream (the request is built then).
        self._traces = traces
        self._response: httpx.Response | None = None

    @property
    def _trace(self) -> CallTrace:
        return self._traces[0] if self._traces else NO_TRACE

    def _result(self) -> GenerationResult:
        result = self._processor.result()
        return with_http(result, self._response) if self._response is not None else result

    def _end_trace(self, response: httpx.Response) -> None:
        """End the span with the stream's result (read quietly: ``final()`` warns the caller itself)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = self._processor.result()
        except Exception as exc:
            self._trace.fail(exc)
        else:
            self._trace.succeed(with_http(result, response))

    @property
    def events_seen(self) -> int:
        """Events received so far."""
        return self._processor.events_seen

    @property
    def partials_seen(self) -> int:
        """Partial images received so far."""
        return self._processor.partials_seen

    @property
    def request_id(self) -> str | None:
        """The service's request id, once the stream is open."""
        return self._processor.request_id

    def _check_target(self, path: str | os.PathLike[str], overwrite: bool) -> None:
        # Before reading the stream: better to stop now than after a paid generation.
        expected = target_path(path, _format_of(self._processor.requested_format), fix_extension=True)
        check_free(expected, overwrite=overwrite)

    def _save_partial(
        self, image: GeneratedImage, path: str | os.PathLike[str], overwrite: bool, written: list[Path]
    ) -> None:
        if image.is_partial:
            written.append(image.save(partial_path(path, image.format, image.partial_index or 0), overwrite=overwrite))

    @staticmethod
    def _remove(written: list[Path]) -> None:
        # A failed stream leaves nothing behind, partial renders included.
        remove_quietly(written)
