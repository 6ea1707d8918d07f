# Generated from _shell/_async/stream.py by scripts/unasync.py: do not edit; edit the source and run it.
"""The asynchronous image stream: reads bytes and feeds the core's ``StreamProcessor``."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from ..._core.events import StreamEvent
from ..._core.limits import BodyBuffer
from ..._core.parse import request_id_of
from ..._core.results import GeneratedImage, GenerationResult
from ..._core.stream import StreamProcessor
from ...exceptions import ServiceError
from ..base import with_http
from ..streaming import StreamBase, body_kind, broken_stream_error
from ..telemetry import CallTrace

__all__ = ["ImageStream"]


class ImageStream(StreamBase):
    """A streamed generation. Use it as a context manager; leaving the block closes the connection.

    Iterate it for typed events, or use ``images()``, ``partial_images()``, ``final()`` or ``save()``.

    Example::

        with client.stream("a lighthouse at dusk", tool=ImageGenerationTool(partial_images=3)) as stream:
            for image in stream.partial_images():
                show(image.data)
            result = stream.final()
    """

    def __init__(
        self,
        open: Callable[[], httpx.Response],
        processor: StreamProcessor,
        traces: Sequence[CallTrace] = (),
    ) -> None:
        """Made by ``client.stream(...)``; not meant to be constructed directly.

        Args:
            open: Sends the request and returns the streaming response (called on entering the block).
            processor: The sans-I/O parser the bytes are fed to.
            traces: The call's spans, ended when the stream ends, however it ends.
        """
        super().__init__(processor, traces)
        self._open = open
        self._events: Iterator[StreamEvent] | None = None

    def __enter__(self) -> ImageStream:
        self._response = self._open()
        self._processor.request_id = request_id_of(self._response.headers)
        self._events = self._generate(self._response)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent).

        Example::

            stream.close()  # leaving the with-block does this
        """
        self._closed = True
        self._trace.close_early()
        if self._response is not None:
            self._response.close()

    def _generate(self, response: httpx.Response) -> Iterator[StreamEvent]:
        try:
            kind = body_kind(response)
            if kind == "other":
                head = b""
                for chunk in response.iter_bytes():
                    head += chunk
                    if len(head) >= 500:
                        break
                content_type = response.headers.get("content-type", "")
                raise self._processor.not_an_event_stream(response.status_code, content_type, head)
            if kind == "json":
                body = BodyBuffer(self._processor.max_body_bytes)
                for chunk in response.iter_bytes():
                    body.feed(chunk)
                    self._processor.deadline.check(now=time.monotonic())
                content = body.content()
                for event in self._processor.feed_json_response(response.status_code, response.headers, content):
                    yield event
                return
            deadline = self._processor.deadline
            for chunk in response.iter_bytes():
                # Keep-alive comments and drip-fed bytes each reset httpx's read timeout: this does not.
                deadline.check(now=time.monotonic())
                for event in self._processor.feed(chunk):
                    self._trace.stream_event(self._processor.partials_seen)
                    yield event
            for event in self._processor.end():
                yield event
            self._end_trace(response)
        except httpx.HTTPError as exc:
            error = broken_stream_error(exc, self._processor)
            if error is not None:
                self._trace.fail(error)
                raise error from exc
            # The final image had arrived before the break: the call succeeded, its span says so.
            self._end_trace(response)
        except ServiceError as exc:
            self._trace.fail(with_http(exc, response))
            raise
        except BaseException as exc:
            self._trace.fail(exc)
            raise
        finally:
            response.close()

    def _iterator(self) -> Iterator[StreamEvent]:
        if self._events is None or self._closed:
            raise RuntimeError("use the stream inside its with-block: `with client.stream(...) as stream:`")
        return self._events

    def __iter__(self) -> Iterator[StreamEvent]:
        return self._events_only()

    def _events_only(self) -> Iterator[StreamEvent]:
        # Iterating events alone must not keep every decoded partial alive until the end: the images
        # each event brought are let go (the event itself carries the partial's base64).
        self._processor.light_events = False
        for event in self._iterator():
            self._processor.take_images()
            yield event

    def images(self) -> Iterator[GeneratedImage]:
        """Partial and final images in arrival order, each the moment it is decoded.

        Example::

            for image in stream.images():
                image.save(f"fox-{image.partial_index}", overwrite=True)
        """
        self._processor.light_events = True  # no event is seen: none need keep its base64
        # Popped, not looped over: a loop variable would keep the last image alive while the next one
        # is read and decoded, one more image in memory than the caller holds.
        for _ in self._iterator():
            ready = self._processor.take_images()
            while ready:
                yield ready.pop(0)
        ready = self._processor.take_images()
        while ready:
            yield ready.pop(0)

    def partial_images(self) -> Iterator[GeneratedImage]:
        """Only the partial images (``partial_index`` 0, 1, ...).

        Example::

            previews = [image.data for image in stream.partial_images()]
        """
        for image in self.images():
            if image.is_partial:
                yield image
            del image  # not kept while the next one is decoded

    def final(self) -> GenerationResult:
        """Read to the end and return the same result object as ``generate``.

        Example::

            result = stream.final()
            result.save("fox.png")
        """
        self._processor.light_events = True
        for _ in self._iterator():
            self._processor.take_images()
        return self._result()

    def save(
        self, path: str | os.PathLike[str], *, partials: bool = False, overwrite: bool = False, fsync: bool = True
    ) -> Path:
        """Read to the end and save the final image atomically; with ``partials``, each partial too.

        Partials go next to it as ``name.partial-0.png``, ... as they arrive. Every target is checked
        before the stream is read; if the stream then fails, the partials are removed and, with
        ``overwrite``, the user's files they replaced are put back. Called on a stream that was not entered
        (``client.stream(...).save(path)``), it checks every target before the request is even
        sent, then opens, reads and closes the stream itself.

        Args:
            path: Where the final image goes; the extension follows the real image format.
            partials: Also write each partial image as it arrives.
            overwrite: Replace existing files (default: refuse).
            fsync: Flush the final image to the disk before renaming it into place (partials never are).

        Returns:
            The path of the final image.

        Raises:
            TruncatedStreamError: The stream ended early; no final file is written, partials are removed.

        Example::

            with client.stream("a fox") as stream:
                stream.save("out/fox.png", partials=True)
        """
        if self._events is None and not self._closed:
            # Not entered yet: every target is checked before the request goes out, so a save that
            # cannot land is refused before a generation is paid for. Then open, read, close.
            self._check_target(path, overwrite, partials)
            with self:
                return self.save(path, partials=partials, overwrite=overwrite)
        self._check_target(path, overwrite, partials)
        written: list[Path] = []
        backups: list[tuple[Path, Path]] = []
        try:
            for image in self.images():
                if partials:
                    self._save_partial(image, path, overwrite, written, backups)
            saved = self._result().save(path, overwrite=overwrite, fsync=fsync)
        except BaseException:
            self._undo(written, backups)
            raise
        self._done(backups)
        return saved
