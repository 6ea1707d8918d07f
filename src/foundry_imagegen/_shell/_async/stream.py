"""The asynchronous image stream: reads bytes and feeds the core's ``StreamProcessor``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from ..._core.events import StreamEvent
from ..._core.parse import request_id_of
from ..._core.results import GeneratedImage, GenerationResult
from ..._core.stream import StreamProcessor
from ...exceptions import ServiceError
from ..base import with_http
from ..streaming import StreamBase, broken_stream_error, is_json
from ..tracing import CallTrace

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
            if is_json(response):
                content = await response.aread()
                for event in self._processor.feed_json_response(response.status_code, response.headers, content):
                    yield event
                return
            async for chunk in response.aiter_bytes():
                for event in self._processor.feed(chunk):
                    self._trace.stream_event(self._processor.partials_seen)
                    yield event
            for event in self._processor.end():
                yield event
            self._end_trace(response)
        except httpx.HTTPError as exc:
            error = broken_stream_error(exc, self._processor)
            self._trace.fail(error)
            raise error from exc
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
        return self._iterator()

    async def images(self) -> AsyncIterator[GeneratedImage]:
        """Partial and final images in arrival order, each the moment it is decoded.

        Example::

            async for image in stream.images():
                image.save(f"fox-{image.partial_index}", overwrite=True)
        """
        async for _ in self._iterator():
            for image in self._processor.take_images():
                yield image
        for image in self._processor.take_images():
            yield image

    async def partial_images(self) -> AsyncIterator[GeneratedImage]:
        """Only the partial images (``partial_index`` 0, 1, ...).

        Example::

            previews = [image.data async for image in stream.partial_images()]
        """
        async for image in self.images():
            if image.is_partial:
                yield image

    async def final(self) -> GenerationResult:
        """Read to the end and return the same result object as ``generate``.

        Example::

            result = await stream.final()
            result.save("fox.png")
        """
        async for _ in self._iterator():
            self._processor.take_images()
        return self._result()

    async def save(self, path: str | os.PathLike[str], *, partials: bool = False, overwrite: bool = False) -> Path:
        """Read to the end and save the final image atomically; with ``partials``, each partial too.

        Partials go next to it as ``name.partial-0.png``, ... as they arrive.

        Example::

            async with client.stream("a fox") as stream:
                await stream.save("out/fox.png", partials=True)
        """
        self._check_target(path, overwrite)
        written: list[Path] = []
        try:
            async for image in self.images():
                if partials:
                    self._save_partial(image, path, overwrite, written)
            return self._result().save(path, overwrite=overwrite)
        except BaseException:
            self._remove(written)
            raise
