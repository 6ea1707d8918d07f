"""The handle of a background generation: polls, waits, cancels and resumes; every decision is the core's."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from ..._core import background as core
from ..._core.parse import parse_model, request_id_of
from ..._core.results import GeneratedImage, GenerationResult, Response
from ...exceptions import ConfigurationError, FoundryImageGenError, GenerationInProgressError

if TYPE_CHECKING:
    from ..._core.background import PollProgress
    from ..._core.routes import Route
    from ..._core.stream import StreamProcessor
    from .stream import AsyncImageStream

__all__ = ["AsyncBackgroundGeneration"]


class AsyncBackgroundGeneration:
    """A generation running on the service: ``generate(..., background=True)`` returns one at once.

    Rebuild it anywhere from its id alone with ``client.background(response_id)``. ``wait()`` polls with
    backoff (a poll is a GET, so failed polls are simply made again); nothing here resends the start.

    Example::

        handle = await client.generate("a detailed city map", background=True)
        print(handle.id)  # keep it: another process can finish with client.background(id)
        result = await handle.wait(timeout=900, on_progress=lambda p: print(p.status))
        result.save("map.png")
    """

    def __init__(
        self,
        response_id: str,
        *,
        route: Route,
        execute: Callable[..., Awaitable[Any]],
        open_stream: Callable[..., Awaitable[httpx.Response]],
        new_processor: Callable[[Callable[[GeneratedImage], None] | None], StreamProcessor],
        sleep: Callable[[float], Awaitable[None]],
        response: Response | None = None,
        request_id: str | None = None,
    ) -> None:
        self._id = core.response_id(response_id)
        self._route = route
        self._execute = execute
        self._open_stream = open_stream
        self._new_processor = new_processor
        self._sleep = sleep
        self._response: Response | None = None
        self._request_id = request_id
        self._retry_after: float | None = None
        self._processors: list[StreamProcessor] = []
        self._known: dict[str, GeneratedImage] = {}
        self._resumed = False
        if response is not None:
            self._seen(response)

    def _seen(self, response: Response) -> None:
        # Bytes are kept as they arrive: a stored copy fetched later comes back with result: null.
        self._response = response
        for image in core.images_in(response, request_id=self._request_id):
            self._known[image.id] = image

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self._id!r}, status={self.status!r})"

    @property
    def id(self) -> str:
        """The response id (``resp_...``): all another process needs to pick this generation up."""
        return self._id

    @property
    def status(self) -> str | None:
        """The last status seen: ``queued``, ``in_progress``, ``completed``, ``failed``, ``cancelled``, ...

        None until the first answer (a handle rebuilt from an id has not asked yet).
        """
        return self._response.status if self._response is not None else None

    @property
    def response(self) -> Response | None:
        """The last response seen, or None."""
        return self._response

    @property
    def done(self) -> bool:
        """Whether the last status seen is final."""
        return self.status in core.TERMINAL_STATUSES

    def _parse(self, answer: httpx.Response) -> Response:
        response = parse_model(answer.status_code, answer.headers, answer.content, Response, now=time.time())
        self._retry_after = core.retry_after_of(answer.headers)
        self._request_id = request_id_of(answer.headers) or self._request_id
        self._seen(response)
        return response

    async def poll(self) -> Response:
        """Ask once for the current state (``GET /responses/{id}``) and return it.

        Example::

            (await handle.poll()).status
        """
        response: Response = await self._execute(core.build_retrieve(self._route, self._id), self._parse)
        return response

    async def wait(
        self, timeout: float | None = None, *, on_progress: Callable[[PollProgress], None] | None = None
    ) -> GenerationResult:
        """Poll until the generation finishes and return its result (or raise its typed error).

        Waits 1 s, then 1.5x longer each time up to 10 s; a Retry-After from the service wins. ``timeout``
        (seconds, None for no limit) raises ``GenerationInProgressError`` when it runs out: the generation
        keeps running. ``on_progress`` gets a ``PollProgress`` after every poll.

        Example::

            result = await handle.wait(timeout=600, on_progress=lambda p: print(p.status, round(p.elapsed)))
        """
        if on_progress is not None and inspect.iscoroutinefunction(on_progress):
            raise ConfigurationError(
                "on_progress is an async function, which wait() would never await. Fix: pass a plain function"
            )
        if self.done:
            return await self._finish()
        waiter = core.Waiter(self._id, timeout=timeout, now=time.monotonic())
        while True:
            try:
                response = await self.poll()
                pause = waiter.after_poll(response.status, now=time.monotonic(), retry_after=self._retry_after)
            except GenerationInProgressError:
                raise
            except FoundryImageGenError as error:
                pause = waiter.after_error(error, now=time.monotonic())
            if on_progress is not None:
                on_progress(waiter.progress(time.monotonic(), pause))
            if pause is None:
                return await self._finish()
            await self._sleep(pause)
            waiter.slept(pause)

    async def result(self) -> GenerationResult:
        """The result if the generation has finished (one poll unless already known); never waits.

        Raises ``GenerationInProgressError`` while it is still queued or running.

        Example::

            try:
                (await handle.result()).save("out.png")
            except GenerationInProgressError:
                ...  # come back later
        """
        if not self.done:
            await self.poll()
        return await self._finish()

    def _images(self) -> list[GeneratedImage]:
        return [*self._known.values(), *core.images_seen(self._processors)]

    async def _finish(self) -> GenerationResult:
        assert self._response is not None
        if core.lost_bytes(self._response, self._images()) and not self._resumed:
            # The stored copy has no bytes: the event stream, if the service kept it, still does.
            self._resumed = True
            try:
                async with self.stream() as stream:
                    await stream.final()
            except FoundryImageGenError:
                pass  # finish() says what is missing and how to get it
        return core.finish(self._response, request_id=self._request_id, known=self._images())

    async def cancel(self) -> Response:
        """Ask the service to stop (``POST /responses/{id}/cancel``, idempotent); returns the response.

        A generation that already finished stays finished.

        Example::

            (await handle.cancel()).status  # 'cancelled'
        """
        response: Response = await self._execute(core.build_cancel(self._route, self._id), self._parse)
        return response

    def stream(
        self,
        starting_after: int | None = None,
        *,
        on_partial_image: Callable[[GeneratedImage], None] | None = None,
    ) -> AsyncImageStream:
        """Resume the event stream after event ``starting_after`` (its ``sequence_number``; None: from the start).

        The service keeps the events of generations started with streaming; the final image arrives in
        the stream even when a stored response no longer holds its bytes, and ``result()`` keeps it.

        Example::

            async with handle.stream(starting_after=12) as stream:
                result = await stream.final()
        """
        from .stream import AsyncImageStream

        call = core.build_resume_stream(self._route, self._id, starting_after=starting_after)
        processor = self._new_processor(on_partial_image)
        self._processors.append(processor)

        async def open_stream() -> httpx.Response:
            return await self._open_stream(call)

        return AsyncImageStream(open_stream, processor)
