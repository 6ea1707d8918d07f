"""The asynchronous image stream: reads bytes and feeds the core's ``StreamProcessor``."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
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

__all__ = ["AsyncImageStream"]


class AsyncImageStream(StreamBase):
    """A streamed generation. Use it as a context manager; leaving the block closes the connection.

    Iterate it for typed events, or use ``images()``, ``partial_images()``, ``final()`` or ``save()``.

    Example::

        async with client.stream("a lighthouse at dusk", tool=ImageGenerationTool(partial_images=3)) as stream:
            async for image in stream.partial_images():
                show(image.data)
            result = await stream.final()
    """

    def __init__(
        self,
        open: Callable[[], Awaitable[httpx.Response]],
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
        self._events: AsyncIterator[StreamEvent] | None = None

    async def __aenter__(self) -> AsyncImageStream:
        self._response = await self._open()
        self._processor.request_id = request_id_of(self._response.headers)
        self._events = self._generate(self._response)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection (idempotent).

        Example::

            await stream.aclose()  # leaving the with-block does this
        """
        self._closed = True
        self._trace.close_early()
        if self._response is not None:
            await self._response.aclose()

    async def _generate(self, response: httpx.Response) -> AsyncIterator[StreamEvent]:
        try:
            kind = body_kind(response)
            if kind == "other":
                head = b""
                async for chunk in response.aiter_bytes():
                    head += chunk
                    if len(head) >= 500:
                        break
                content_type = response.headers.get("content-type", "")
                raise self._processor.not_an_event_stream(response.status_code, content_type, head)
            if kind == "json":
                body = BodyBuffer(self._processor.max_body_bytes)
                async for chunk in response.aiter_bytes():
                    body.feed(chunk)
                    self._processor.deadline.check(now=time.monotonic())
                content = body.content()
                for event in self._processor.feed_json_response(response.status_code, response.headers, content):
                    yield event
                return
            deadline = self._processor.deadline
            async for chunk in response.aiter_bytes():
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
            await response.aclose()

    def _iterator(self) -> AsyncIterator[StreamEvent]:
        if self._events is None or self._closed:
            raise RuntimeError("use the stream inside its with-block: `async with client.stream(...) as stream:`")
        return self._events

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events_only()

    async def _events_only(self) -> AsyncIterator[StreamEvent]:
        # Iterating events alone must not keep every decoded partial alive until the end: the images
        # each event brought are let go (the event itself carries the partial's base64).
        self._processor.light_events = False
        async for event in self._iterator():
            self._processor.take_images()
            yield event

    async def images(self) -> AsyncIterator[GeneratedImage]:
        """Partial and final images in arrival order, each the moment it is decoded.

        Example::

            async for image in stream.images():
                image.save(f"fox-{image.partial_index}", overwrite=True)
        """
        self._processor.light_events = True  # no event is seen: none need keep its base64
        # Popped, not looped over: a loop variable would keep the last image alive while the next one
        # is read and decoded, one more image in memory than the caller holds.
        async for _ in self._iterator():
            ready = self._processor.take_images()
            while ready:
                yield ready.pop(0)
        ready = self._processor.take_images()
        while ready:
            yield ready.pop(0)

    async def partial_images(self) -> AsyncIterator[GeneratedImage]:
        """Only the partial images (``partial_index`` 0, 1, ...).

        Example::

            previews = [image.data async for image in stream.partial_images()]
        """
        async for image in self.images():
            if image.is_partial:
                yield image
            del image  # not kept while the next one is decoded

    async def final(self) -> GenerationResult:
        """Read to the end and return the same result object as ``generate``.

        Example::

            result = await stream.final()
            result.save("fox.png")
        """
        self._processor.light_events = True
        async for _ in self._iterator():
            self._processor.take_images()
        return self._result()

    async def save(
        self, path: str | os.PathLike[str], *, partials: bool = False, overwrite: bool = False, fsync: bool = True
    ) -> Path:
        """Read to the end and save the final image atomically; with ``partials``, each partial too.

        Partials go next to it as ``name.partial-0.png``, ... as they arrive. Every target is checked
        before the stream is read; if the stream then fails, the partials are removed and, with
        ``overwrite``, the user's files they replaced are put back. Called on a stream that was not entered
        (``await client.stream(...).save(path)``), it checks every target before the request is even
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

            async with client.stream("a fox") as stream:
                await stream.save("out/fox.png", partials=True)
        """
        if self._events is None and not self._closed:
            # Not entered yet: every target is checked before the request goes out, so a save that
            # cannot land is refused before a generation is paid for. Then open, read, close.
            self._check_target(path, overwrite, partials)
            async with self:
                return await self.save(path, partials=partials, overwrite=overwrite)
        self._check_target(path, overwrite, partials)
        written: list[Path] = []
        backups: list[tuple[Path, Path]] = []
        try:
            async for image in self.images():
                if partials:
                    self._save_partial(image, path, overwrite, written, backups)
            saved = await self._result().asave(path, overwrite=overwrite, fsync=fsync)
        except BaseException:
            self._undo(written, backups)
            raise
        self._done(backups)
        return saved
