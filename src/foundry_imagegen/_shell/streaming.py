"""What the sync and async image streams share: target checks, partial files, transport failures."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import httpx

from .._core.images import ImageFormat
from .._core.results import GeneratedImage, GenerationResult
from .._core.stream import MAX_PARTIAL_IMAGES, StreamProcessor, stream_body_kind
from ..exceptions import APITimeoutError, TruncatedStreamError
from .base import with_http
from .disk import check_free, drop_backups, partial_path, put_back, remove_quietly, set_aside, target_path
from .telemetry import NO_TRACE, CallTrace

__all__ = ["StreamBase", "body_kind", "broken_stream_error"]


def _format_of(requested: str | None) -> ImageFormat:
    for fmt in ("jpeg", "webp", "gif", "svg"):
        if requested == fmt:
            return fmt
    return "png"


def broken_stream_error(exc: httpx.HTTPError, processor: StreamProcessor) -> Exception | None:
    """The typed error for a stream whose transport failed mid-way, or None to end it as a cut stream.

    A final image that already arrived whole is paid for and kept: the stream then ends as if the
    connection had closed cleanly, and ``result()`` returns it with ``IncompleteStreamWarning``.
    """
    if processor.has_final:
        return None
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"the stream stalled ({type(exc).__name__})", retryable=False)
    return TruncatedStreamError(
        f"the connection broke after {processor.events_seen} events ({type(exc).__name__}: {exc}); no final "
        "image was produced (nothing was written)",
        events_seen=processor.events_seen,
    )


def body_kind(response: httpx.Response) -> str:
    """``events``, ``json`` or ``other``: how the core says to read the answer to a stream request."""
    return stream_body_kind(response.headers.get("content-type", ""))


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
    def response_id(self) -> str | None:
        """The response id (``resp_...``), once the first event has told it."""
        return self._processor.response_id

    @property
    def last_sequence_number(self) -> int | None:
        """The ``sequence_number`` of the last event read: resume after it with
        ``client.background(stream.response_id).stream(starting_after=stream.last_sequence_number)``."""
        return self._processor.last_sequence_number

    @property
    def request_id(self) -> str | None:
        """The service's request id, once the stream is open."""
        return self._processor.request_id

    def _check_target(self, path: str | os.PathLike[str], overwrite: bool, partials: bool = False) -> None:
        # Before reading the stream: better to stop now than after a paid generation. With partials,
        # every name a partial may take (indexes 0..2, the only ones accepted) is checked too.
        fmt = _format_of(self._processor.requested_format)
        check_free(target_path(path, fmt, fix_extension=True), overwrite=overwrite)
        if partials:
            for index in range(MAX_PARTIAL_IMAGES):
                check_free(partial_path(path, fmt, index), overwrite=overwrite)

    def _save_partial(
        self,
        image: GeneratedImage,
        path: str | os.PathLike[str],
        overwrite: bool,
        written: list[Path],
        backups: list[tuple[Path, Path]],
    ) -> None:
        if image.is_partial:
            target = partial_path(path, image.format, image.partial_index or 0)
            if overwrite and target not in written:
                backup = set_aside(target)
                if backup is not None:
                    backups.append((backup, target))
            # A partial is a preview the final image replaces: atomic, but not worth an fsync.
            written.append(image.save(target, overwrite=overwrite, fsync=False))

    @staticmethod
    def _undo(written: list[Path], backups: list[tuple[Path, Path]]) -> None:
        # A failed stream leaves nothing of its own behind, partial renders included, and puts back
        # the user's files that its partials had replaced.
        remove_quietly(written)
        put_back(backups)

    @staticmethod
    def _done(backups: list[tuple[Path, Path]]) -> None:
        drop_backups(backups)
