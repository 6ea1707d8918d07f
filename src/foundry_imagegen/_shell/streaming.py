"""What the sync and async image streams share: target checks, partial files, transport failures."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from .._core.images import ImageFormat
from .._core.results import GeneratedImage
from .._core.stream import StreamProcessor
from ..exceptions import APITimeoutError, TruncatedStreamError
from .disk import check_free, partial_path, remove_quietly, target_path

__all__ = ["StreamBase", "broken_stream_error", "is_json"]


def _format_of(requested: str | None) -> ImageFormat:
    return "jpeg" if requested == "jpeg" else "webp" if requested == "webp" else "png"


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

    def __init__(self, processor: StreamProcessor) -> None:
        self._processor = processor
        self._closed = False

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
