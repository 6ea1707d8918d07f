"""Background generations without I/O: the calls, when to poll next, when to stop, what the result is.

The shells' ``BackgroundGeneration`` and ``AsyncBackgroundGeneration`` only send what this module builds,
sleep as long as the ``Waiter`` says, and hand the answers back. Polling (``GET``) is idempotent, so a
failed poll is simply tried again later; the start (``POST``) is never resent (a generation is billed),
and neither is anything but the idempotent cancel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..exceptions import (
    APIConnectionError,
    ConfigurationError,
    GenerationFailedError,
    GenerationInProgressError,
    NoImageGeneratedError,
    NotFoundError,
    ServiceError,
)
from .calls import ApiCall
from .parse import raise_for_response_status, result_from_response
from .results import GeneratedImage, GenerationResult, Response

if TYPE_CHECKING:
    from .routes import Route
    from .stream import StreamProcessor

__all__ = [
    "PENDING_STATUSES",
    "TERMINAL_STATUSES",
    "PollPolicy",
    "PollProgress",
    "Waiter",
    "build_cancel",
    "build_resume_stream",
    "build_retrieve",
    "finish",
    "images_in",
    "images_seen",
    "lost_bytes",
    "response_id",
    "retry_after_of",
]

PENDING_STATUSES = frozenset({"queued", "in_progress"})
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "incomplete"})


def response_id(value: object, *, param: str = "response_id") -> str:
    """A response id fit for a URL path (``resp_...`` as the service returned it)."""
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 256
        or not all(c.isalnum() or c in "._-" for c in value)
        or value in (".", "..")
    ):
        raise ConfigurationError(
            f"{param}={value!r} is not a response id. Fix: pass the id a background generate() returned "
            "(handle.id, resp_...)"
        )
    return value


def build_retrieve(route: Route, rid: str) -> ApiCall:
    """``GET /responses/{id}``: one poll."""
    return route.call("GET", f"/responses/{response_id(rid)}")


def build_cancel(route: Route, rid: str) -> ApiCall:
    """``POST /responses/{id}/cancel``: idempotent on the service, so it may be sent again."""
    return route.call("POST", f"/responses/{response_id(rid)}/cancel", idempotent=True)


def build_resume_stream(route: Route, rid: str, *, starting_after: int | None) -> ApiCall:
    """``GET /responses/{id}?stream=true&starting_after=N``: the event stream from after event ``N``."""
    params = {"stream": "true"}
    if starting_after is not None:
        if isinstance(starting_after, bool) or not isinstance(starting_after, int) or starting_after < 0:
            raise ConfigurationError(
                f"starting_after={starting_after!r}. Fix: the sequence_number of the last event you have (>= 0), "
                "or None for the whole stream"
            )
        params["starting_after"] = str(starting_after)
    return route.call("GET", f"/responses/{response_id(rid)}", params=params, headers={"Accept": "text/event-stream"})


@dataclass(frozen=True)
class PollProgress:
    """What ``wait(on_progress=...)`` is told after each poll.

    Example::

        handle.wait(on_progress=lambda p: print(p.status, f"{p.elapsed:.0f}s"))
    """

    response_id: str
    status: str | None
    #: Polls made so far by this wait.
    polls: int
    #: Seconds since the wait began.
    elapsed: float
    #: Seconds until the next poll; None once the generation has finished.
    next_wait: float | None


@dataclass(frozen=True)
class PollPolicy:
    """How often to poll: ``initial`` seconds, growing by ``factor`` to ``cap``; a server Retry-After wins."""

    initial: float = 1.0
    factor: float = 1.5
    cap: float = 10.0
    #: The longest Retry-After obeyed as is; a longer one is cut to this.
    max_retry_after: float = 60.0

    def interval(self, polls: int) -> float:
        """The wait after poll number ``polls`` (from 1)."""
        return float(min(self.initial * self.factor ** max(polls - 1, 0), self.cap))


class Waiter:
    """The decisions of one ``wait()``: after each poll, done, or how long to sleep, or out of time.

    ``now`` is the shell's monotonic clock; time spent sleeping is counted too, so an injected sleep
    that returns at once still runs the clock of the wait.

    Example::

        waiter = Waiter("resp_1", timeout=60, now=0.0)
        waiter.after_poll("queued", now=0.2, retry_after=None)  # 1.0
    """

    def __init__(self, rid: str, *, timeout: float | None, now: float, policy: PollPolicy | None = None) -> None:
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0):
            raise ConfigurationError(f"timeout={timeout!r}. Fix: seconds >= 0, or None to wait until it finishes")
        self.response_id = rid
        self.timeout = None if timeout is None else float(timeout)
        self.policy = policy or PollPolicy()
        self.polls = 0
        self._start = now
        self._slept = 0.0
        self.status: str | None = None

    def elapsed(self, now: float) -> float:
        return max(now - self._start, self._slept)

    def slept(self, seconds: float) -> None:
        """The shell slept ``seconds``."""
        self._slept += seconds

    def _next(self, now: float, wanted: float) -> float:
        if self.timeout is None:
            return wanted
        left = self.timeout - self.elapsed(now)
        if left <= 0:
            raise GenerationInProgressError(
                f"background generation {self.response_id} is still {self.status or 'running'} after "
                f"{self.elapsed(now):.0f} s (timeout={self.timeout:g}). It keeps running on the service. Fix: wait "
                f"again (client.background({self.response_id!r}).wait()), or pass a longer timeout",
                response_id=self.response_id,
                status=self.status,
            )
        return min(wanted, left)

    def after_poll(self, status: str | None, *, now: float, retry_after: float | None) -> float | None:
        """Seconds to sleep before the next poll, or None when ``status`` is final."""
        self.polls += 1
        self.status = status
        if status not in PENDING_STATUSES:
            return None
        wanted = self.policy.interval(self.polls)
        if retry_after is not None:
            wanted = min(max(retry_after, 0.0), self.policy.max_retry_after)
        return self._next(now, wanted)

    def after_error(self, error: BaseException, *, now: float) -> float:
        """Seconds to sleep before polling again after ``error``; raises it when polling again cannot help."""
        if isinstance(error, NotFoundError) or not isinstance(error, (APIConnectionError, ServiceError)):
            raise error
        # A poll is a GET: even a read timeout may be repeated. Service errors only when they say so.
        if isinstance(error, ServiceError) and not error.retryable:
            raise error
        self.polls += 1
        retry_after = getattr(error, "retry_after", None)
        wanted = self.policy.interval(self.polls) if retry_after is None else float(retry_after)
        try:
            return self._next(now, min(wanted, self.policy.max_retry_after))
        except GenerationInProgressError as timeout:
            raise timeout from error

    def progress(self, now: float, next_wait: float | None) -> PollProgress:
        return PollProgress(self.response_id, self.status, self.polls, self.elapsed(now), next_wait)


def finish(response: Response, *, request_id: str | None, known: Sequence[GeneratedImage] = ()) -> GenerationResult:
    """The result of a finished background response; raises its typed error, or the in-progress one.

    A stored response comes back with ``result: null``: images already held (``known``, e.g. from a stream)
    are kept for those calls.
    """
    from .conversations import keep_known_bytes

    status = response.status
    if status in PENDING_STATUSES:
        raise GenerationInProgressError(
            f"background generation {response.id} is still {status}. Fix: handle.wait(), or poll later",
            response_id=response.id,
            status=status,
        )
    if status == "cancelled":
        raise GenerationFailedError(
            f"background generation {response.id} was cancelled", code="cancelled", status=None, request_id=request_id
        )
    raise_for_response_status(response, status=None, request_id=request_id, body=None)
    decoded = result_from_response(response, request_id=request_id, requested_format=None, require_image=False)
    kept = keep_known_bytes(response, known)
    images = [*decoded.images, *kept.values()]
    order = {call.id: index for index, call in enumerate(response.image_calls)}
    images.sort(key=lambda image: order.get(image.id, len(order)))
    if images:
        return GenerationResult(response=response, images=tuple(images), request_id=request_id)
    if response.image_calls and all(not call.result and call.status != "failed" for call in response.image_calls):
        raise NoImageGeneratedError(
            f"background generation {response.id} completed, but the service returned its stored image without "
            "bytes (result: null)",
            text=response.text,
            code="empty_result",
            status=None,
            request_id=request_id,
            hint=(
                "Read the image from the event stream instead: handle.stream() (the service keeps it for "
                "generations started with streaming), or generate without background=True."
            ),
        )
    return result_from_response(response, request_id=request_id, requested_format=None, require_image=True)


def images_in(response: Response, *, request_id: str | None) -> list[GeneratedImage]:
    """The final images ``response`` carries bytes for (kept, since a later stored copy may not)."""
    from .parse import decode_image

    return [
        decode_image(call.id, call.result, size=call.size, revised_prompt=call.revised_prompt, request_id=request_id)
        for call in response.image_calls
        if call.result and call.status != "failed"
    ]


def lost_bytes(response: Response, known: Sequence[GeneratedImage]) -> bool:
    """Whether ``response`` finished with images whose bytes neither it nor ``known`` holds."""
    if response.status != "completed" or not response.image_calls:
        return False
    held = {image.id for image in known}
    return all(not call.result and call.status != "failed" and call.id not in held for call in response.image_calls)


def retry_after_of(headers: Mapping[str, str]) -> float | None:
    """A poll answer's Retry-After, in seconds (no clock needed: dates are ignored)."""
    from .retry import retry_after_seconds

    return retry_after_seconds(headers)


def images_seen(processors: Sequence[StreamProcessor]) -> list[GeneratedImage]:
    """The final images the handle's resumed streams have delivered so far."""
    seen: list[GeneratedImage] = []
    for processor in processors:
        seen.extend(processor.final_images())
    return seen
