"""Streaming: a sans-I/O processor (SSE bytes -> typed events -> images and a result) and two thin shells.

The processor is the whole logic. ``ImageStream`` and ``AsyncImageStream`` differ only in ``for`` versus
``async for`` around it, like httpx's ``iter_lines``/``aiter_lines``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from pydantic import ValidationError

from ._events import (
    ErrorEvent,
    OutputItemDoneEvent,
    PartialImageEvent,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    StreamEvent,
    parse_event,
)
from ._files import ImageFormat, partial_path, target_path
from ._models import GeneratedImage, GenerationResult, ImageGenerationCall, Response
from ._parse import (
    decode_image,
    error_from_payload,
    parse_response,
    raise_for_response_status,
    request_id_of,
    result_from_response,
)
from ._sse import ServerSentEvent, SSEDecoder
from .exceptions import (
    APITimeoutError,
    GenerationFailedError,
    InvalidResponseError,
    TruncatedStreamError,
)

__all__ = ["AsyncImageStream", "ImageStream", "IncompleteStreamWarning", "StreamProcessor"]


class IncompleteStreamWarning(UserWarning):
    """A stream broke after its final image had arrived: the image is returned, the closing events are not.

    Example::

        warnings.simplefilter("error", IncompleteStreamWarning)  # treat it as a failure instead
    """


PartialCallback = Callable[[GeneratedImage], None]


class StreamProcessor:
    """Turns the bytes of a Responses event stream into typed events, images and a final result.

    Partial images are handed out the moment they arrive and then forgotten (memory stays bounded by
    one image); the final image is taken from ``response.output_item.done`` or ``response.completed``
    whatever the item's status, since the Azure dialect ends with ``generating`` and sends no
    ``image_generation_call.completed``. In-stream failures raise the same typed errors as HTTP ones.

    Example::

        processor = StreamProcessor(requested_format="png")
        for chunk in chunks:
            for event in processor.feed(chunk):
                ...
        processor.end()
        result = processor.result()
    """

    def __init__(
        self,
        *,
        requested_format: str | None = None,
        request_id: str | None = None,
        on_partial_image: PartialCallback | None = None,
    ) -> None:
        self.request_id = request_id
        #: The output_format that was asked for (a differing real format warns).
        self.requested_format = requested_format
        self._on_partial_image = on_partial_image
        self._decoder = SSEDecoder()
        self._ready: deque[GeneratedImage] = deque()
        self._finals: dict[str, GeneratedImage] = {}
        self._response: Response | None = None
        self._started: Response | None = None  # from response.created / in_progress, for a cut stream
        self._terminal = False
        self.events_seen = 0
        self.partials_seen = 0

    @property
    def finished(self) -> bool:
        """Whether a terminal event (completed, failed, incomplete, error) has arrived."""
        return self._terminal

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """Add bytes of the body; returns the typed events they complete (errors raise).

        Example::

            events = processor.feed(chunk)
        """
        return [event for sse in self._decoder.feed(chunk) if (event := self._handle(sse)) is not None]

    def end(self) -> list[StreamEvent]:
        """The body ended: flush what is buffered.

        A last event cut in the middle is the sign of a broken stream, not a malformed one.

        Example::

            events = processor.end()
        """
        events = []
        for sse in self._decoder.flush():
            try:
                event = self._handle(sse)
            except InvalidResponseError:
                if self._terminal:
                    raise
                raise TruncatedStreamError(
                    f"the stream ended inside event {self.events_seen + 1}; no final image was produced "
                    "(nothing was written)",
                    events_seen=self.events_seen,
                ) from None
            if event is not None:
                events.append(event)
        return events

    def feed_json_response(self, status: int, headers: httpx.Headers, content: bytes) -> list[StreamEvent]:
        """The service answered a stream request with plain JSON: treat it as the completed response.

        Example::

            processor.feed_json_response(200, response.headers, response.content)
        """
        response = parse_response(status, headers, content)
        event = ResponseCompletedEvent(type="response.completed", response=response)
        self._apply(event)
        return [event]

    def take_images(self) -> list[GeneratedImage]:
        """Images (partial and final) decoded since the last call, in arrival order.

        Example::

            for image in processor.take_images(): show(image.data)
        """
        images = list(self._ready)
        self._ready.clear()
        return images

    def result(self, *, require_image: bool = True) -> GenerationResult:
        """The final result; raises ``TruncatedStreamError`` if the stream ended before any final image.

        A stream cut after its final image arrived (in ``response.output_item.done``) still returns that
        image, with an ``IncompleteStreamWarning``: the image is whole, only the closing events are missing.

        Example::

            processor.result().save("fox.png")
        """
        if not self._terminal and self._finals:
            warnings.warn(
                f"the stream ended after {self.events_seen} events without response.completed; the final image "
                "had already arrived and is returned (the assistant's text may be missing)",
                IncompleteStreamWarning,
                stacklevel=3,
            )
            response = self._started or Response(id="", status="incomplete")
            return GenerationResult(response=response, images=tuple(self._finals.values()), request_id=self.request_id)
        if not self._terminal or self._response is None:
            raise TruncatedStreamError(
                f"the stream ended after {self.events_seen} events without response.completed; no final "
                "image was produced (nothing was written). Retry, or check proxies that cut long streams.",
                events_seen=self.events_seen,
            )
        finals = tuple(self._finals.values())
        if finals or not require_image:
            return GenerationResult(response=self._response, images=finals, request_id=self.request_id)
        # Reuse the non-streaming rules so both paths fail alike (empty result, failed call, text only).
        return result_from_response(
            self._response,
            request_id=self.request_id,
            requested_format=self.requested_format,
            require_image=True,
        )

    def _handle(self, sse: ServerSentEvent) -> StreamEvent | None:
        data = sse.data
        if data[:6] == b"[DONE]":
            return None
        try:
            payload: Any = sse.json()
        except ValueError:
            raise InvalidResponseError(
                f"stream event {self.events_seen + 1} ({sse.event or 'message'}) is not JSON",
                request_id=self.request_id,
                body=sse.text[:500],
            ) from None
        if isinstance(payload, dict) and "type" not in payload:
            error = payload.get("error")
            if isinstance(error, dict):
                # openai-style in-band failure: data: {"error": {...}}
                raise error_from_payload(error, status=None, request_id=self.request_id, body=payload)
            if sse.event:
                payload["type"] = sse.event
        try:
            event = parse_event(payload)
        except ValidationError as exc:
            raise InvalidResponseError(
                f"stream event {self.events_seen + 1} is not a Responses event: {exc.errors()[0]['msg']}",
                request_id=self.request_id,
                body=payload,
            ) from None
        self.events_seen += 1
        self._apply(event)
        return event

    def _apply(self, event: StreamEvent) -> None:
        if isinstance(event, PartialImageEvent):
            self.partials_seen += 1
            image = decode_image(
                event.item_id,
                event.partial_image_b64,
                size=event.size,
                requested_format=self.requested_format or event.output_format,
                partial_index=event.partial_image_index,
                request_id=self.request_id,
            )
            self._ready.append(image)
            if self._on_partial_image is not None:
                self._on_partial_image(image)
        elif isinstance(event, (ResponseCreatedEvent, ResponseInProgressEvent)):
            self._started = event.response
        elif isinstance(event, OutputItemDoneEvent):
            if isinstance(event.item, ImageGenerationCall):
                self._take_final(event.item)
        elif isinstance(event, ResponseCompletedEvent):
            self._terminal = True
            self._response = event.response
            for call in event.response.image_calls:
                self._take_final(call)
        elif isinstance(event, (ResponseFailedEvent, ResponseIncompleteEvent)):
            self._terminal = True
            self._response = event.response
            raise_for_response_status(event.response, status=None, request_id=self.request_id, body=None)
            raise GenerationFailedError(
                f"the stream ended with {event.type}",
                status=None,
                request_id=self.request_id,
                code=event.type,
            )
        elif isinstance(event, ErrorEvent):
            self._terminal = True
            raise error_from_payload(event.model_dump(), status=None, request_id=self.request_id, body=None)

    def _take_final(self, call: ImageGenerationCall) -> None:
        # Any status but failed: Azure's last item says "generating" while carrying the full image.
        if call.status == "failed" or not call.result or call.id in self._finals:
            return
        image = decode_image(
            call.id,
            call.result,
            size=call.size,
            revised_prompt=call.revised_prompt,
            requested_format=self.requested_format or call.output_format,
            request_id=self.request_id,
        )
        self._finals[call.id] = image
        self._ready.append(image)


def _format_of(requested: str | None) -> ImageFormat:
    return "jpeg" if requested == "jpeg" else "webp" if requested == "webp" else "png"


def _broken(exc: httpx.HTTPError, processor: StreamProcessor) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"the stream stalled ({type(exc).__name__})", retryable=False)
    return TruncatedStreamError(
        f"the connection broke after {processor.events_seen} events ({type(exc).__name__}: {exc}); no final "
        "image was produced (nothing was written)",
        events_seen=processor.events_seen,
    )


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip() == "application/json"


class _StreamBase:
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
    def request_id(self) -> str | None:
        """The service's request id, once the stream is open."""
        return self._processor.request_id

    def _check_target(self, path: str | os.PathLike[str], overwrite: bool) -> None:
        # Before reading the stream: better to stop now than after a paid generation.
        expected = target_path(path, _format_of(self._processor.requested_format), fix_extension=True)
        if not overwrite and expected.exists():
            raise FileExistsError(f"{expected} exists. Fix: choose another path or pass overwrite=True")

    def _save_partial(
        self, image: GeneratedImage, path: str | os.PathLike[str], overwrite: bool, written: list[Path]
    ) -> None:
        if image.is_partial:
            written.append(image.save(partial_path(path, image.format, image.partial_index or 0), overwrite=overwrite))

    @staticmethod
    def _remove(written: list[Path]) -> None:
        # A failed stream leaves nothing behind, partial renders included.
        for path in written:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


class ImageStream(_StreamBase):
    """A streamed generation (sync). Use it as a context manager; leaving the block closes the connection.

    Iterate it for typed events, or use ``images()``, ``partial_images()``, ``final()`` or ``save()``.

    Example::

        with client.stream("a lighthouse at dusk", tool=ImageGenerationTool(partial_images=3)) as stream:
            for image in stream.partial_images():
                show(image.data)
            result = stream.final()
    """

    def __init__(self, open: Callable[[], httpx.Response], processor: StreamProcessor) -> None:
        super().__init__(processor)
        self._open = open
        self._response: httpx.Response | None = None
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
        if self._response is not None:
            self._response.close()

    def _generate(self, response: httpx.Response) -> Iterator[StreamEvent]:
        try:
            if _is_json(response):
                yield from self._processor.feed_json_response(response.status_code, response.headers, response.read())
                return
            for chunk in response.iter_bytes():
                yield from self._processor.feed(chunk)
            yield from self._processor.end()
        except httpx.HTTPError as exc:
            raise _broken(exc, self._processor) from exc
        finally:
            response.close()

    def _iterator(self) -> Iterator[StreamEvent]:
        if self._events is None or self._closed:
            raise RuntimeError("use the stream inside its with-block: `with client.stream(...) as stream:`")
        return self._events

    def __iter__(self) -> Iterator[StreamEvent]:
        return self._iterator()

    def images(self) -> Iterator[GeneratedImage]:
        """Partial and final images in arrival order, each the moment it is decoded.

        Example::

            for image in stream.images(): image.save(f"fox-{image.partial_index}", overwrite=True)
        """
        for _ in self._iterator():
            yield from self._processor.take_images()
        yield from self._processor.take_images()

    def partial_images(self) -> Iterator[GeneratedImage]:
        """Only the partial images (``partial_index`` 0, 1, ...).

        Example::

            previews = [image.data for image in stream.partial_images()]
        """
        return (image for image in self.images() if image.is_partial)

    def final(self) -> GenerationResult:
        """Read to the end and return the same result object as ``generate``.

        Example::

            stream.final().save("fox.png")
        """
        for _ in self._iterator():
            self._processor.take_images()
        return self._processor.result()

    def save(self, path: str | os.PathLike[str], *, partials: bool = False, overwrite: bool = False) -> Path:
        """Read to the end and save the final image atomically; with ``partials``, each partial too.

        Partials go next to it as ``name.partial-0.png``, ... as they arrive.

        Example::

            with client.stream("a fox") as stream:
                stream.save("out/fox.png", partials=True)
        """
        self._check_target(path, overwrite)
        written: list[Path] = []
        try:
            for image in self.images():
                if partials:
                    self._save_partial(image, path, overwrite, written)
            return self._processor.result().save(path, overwrite=overwrite)
        except BaseException:
            self._remove(written)
            raise


class AsyncImageStream(_StreamBase):
    """A streamed generation (async); the mirror of ``ImageStream``.

    Example::

        async with client.stream("a lighthouse at dusk") as stream:
            async for image in stream.partial_images():
                show(image.data)
            result = await stream.final()
    """

    def __init__(self, open: Callable[[], Awaitable[httpx.Response]], processor: StreamProcessor) -> None:
        super().__init__(processor)
        self._open = open
        self._response: httpx.Response | None = None
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

            await stream.aclose()  # leaving the async with-block does this
        """
        self._closed = True
        if self._response is not None:
            await self._response.aclose()

    async def _generate(self, response: httpx.Response) -> AsyncIterator[StreamEvent]:
        try:
            if _is_json(response):
                content = await response.aread()
                for event in self._processor.feed_json_response(response.status_code, response.headers, content):
                    yield event
                return
            async for chunk in response.aiter_bytes():
                for event in self._processor.feed(chunk):
                    yield event
            for event in self._processor.end():
                yield event
        except httpx.HTTPError as exc:
            raise _broken(exc, self._processor) from exc
        finally:
            await response.aclose()

    def _iterator(self) -> AsyncIterator[StreamEvent]:
        if self._events is None or self._closed:
            raise RuntimeError("use the stream inside its block: `async with client.stream(...) as stream:`")
        return self._events

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._iterator()

    async def images(self) -> AsyncIterator[GeneratedImage]:
        """Partial and final images in arrival order, each the moment it is decoded.

        Example::

            async for image in stream.images(): show(image.data)
        """
        async for _ in self._iterator():
            for image in self._processor.take_images():
                yield image
        for image in self._processor.take_images():
            yield image

    async def partial_images(self) -> AsyncIterator[GeneratedImage]:
        """Only the partial images (``partial_index`` 0, 1, ...).

        Example::

            async for image in stream.partial_images(): show(image.data)
        """
        async for image in self.images():
            if image.is_partial:
                yield image

    async def final(self) -> GenerationResult:
        """Read to the end and return the same result object as ``generate``.

        Example::

            (await stream.final()).save("fox.png")
        """
        async for _ in self._iterator():
            self._processor.take_images()
        return self._processor.result()

    async def save(self, path: str | os.PathLike[str], *, partials: bool = False, overwrite: bool = False) -> Path:
        """Read to the end and save the final image atomically; with ``partials``, each partial too.

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
            return self._processor.result().save(path, overwrite=overwrite)
        except BaseException:
            self._remove(written)
            raise
