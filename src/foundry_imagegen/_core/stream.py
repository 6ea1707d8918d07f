"""Streaming without I/O: the processor turns SSE bytes into typed events, images and a result.

The processor is the whole logic; the shells' ``ImageStream`` and ``AsyncImageStream`` only feed it
the bytes they read, like httpx's ``iter_lines``/``aiter_lines``.
"""

from __future__ import annotations

import logging
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import ValidationError

from ..exceptions import (
    GenerationFailedError,
    InvalidResponseError,
    TruncatedStreamError,
)
from .constants import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_EVENT_BYTES
from .deadline import Deadline
from .events import (
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
from .parse import (
    _cut_images,
    decode_image,
    decode_json,
    error_from_payload,
    parse_response,
    raise_for_response_status,
    result_from_response,
    without_base64,
)
from .results import GeneratedImage, GenerationResult, ImageGenerationCall, Response
from .sse import ServerSentEvent, SSEDecoder

__all__ = ["MAX_PARTIAL_IMAGES", "IncompleteStreamWarning", "StreamProcessor", "partials_asked_by", "stream_body_kind"]

#: The service sends at most this many partial images per image (partial_images accepts 0..3).
MAX_PARTIAL_IMAGES = 3
#: Partial images accepted in one stream: 3 for each of 4 image calls, more than any request makes.
MAX_PARTIALS_PER_STREAM = 4 * MAX_PARTIAL_IMAGES
log = logging.getLogger("foundry_imagegen")


def partials_asked_by(body: Mapping[str, Any]) -> int | None:
    """The ``partial_images`` a request body asks of its image tool, or None if it names none (agents)."""
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else ():
        if isinstance(tool, Mapping) and tool.get("type") == "image_generation":
            value = tool.get("partial_images")
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def stream_body_kind(content_type: str) -> Literal["events", "json", "other"]:
    """How to read the body answered to a stream request, from its Content-Type.

    ``text/event-stream`` (or no type at all, which some proxies strip) is read as events, JSON as a
    whole response; anything else (an HTML login or error page, say) is not an answer of this API.
    """
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("", "text/event-stream"):
        return "events"
    if kind == "application/json":
        return "json"
    return "other"


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
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.request_id = request_id
        #: The size limit of a plain JSON body answered to a stream request.
        self.max_body_bytes = max_body_bytes
        #: The output_format that was asked for (a differing real format warns).
        self.requested_format = requested_format
        self._on_partial_image = on_partial_image
        self._decoder = SSEDecoder(max_event_bytes=max_event_bytes)
        self._known: list[bytes] = []
        self._decoder.known_images = self._known
        self._ready: deque[GeneratedImage] = deque()
        self._finals: dict[str, GeneratedImage] = {}
        self._response: Response | None = None
        self._started: Response | None = None  # from response.created / in_progress, for a cut stream
        self._terminal = False
        self.events_seen = 0
        self.partials_seen = 0
        #: The response id and the last event's sequence number: what resuming a background stream needs.
        self.response_id: str | None = None
        self.last_sequence_number: int | None = None
        #: How many partial images the request asked for (None: unknown, so the service's maximum).
        self.partials_asked: int | None = None
        #: Partial images refused: past the number asked for, a repeated index, or an index out of range.
        self.partials_dropped = 0
        self._partial_keys: set[tuple[str, int]] = set()
        #: When reading the stream must stop (set by the client from timeout= and deadline=).
        self.deadline = Deadline()
        self._light_events = False
        self._decoded: dict[str, bytes] = {}

    @property
    def light_events(self) -> bool:
        """Nobody sees the events (``images()``, ``final()``, ``save()``): their base64 is decoded as it arrives.

        The events handed back then carry none (the images hold the bytes), and a long image line is
        decoded chunk by chunk by the SSE decoder, never held whole.
        """
        return self._light_events

    @light_events.setter
    def light_events(self, value: bool) -> None:
        self._light_events = value
        self._decoder.scan_keys = _IMAGE_KEYS if value else None

    @property
    def has_final(self) -> bool:
        """Whether a final image has arrived whole (``response.output_item.done``), terminal event or not."""
        return bool(self._finals)

    @property
    def finished(self) -> bool:
        """Whether a terminal event (completed, failed, incomplete, error) has arrived."""
        return self._terminal

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """Add bytes of the body; returns the typed events they complete (errors raise).

        Example::

            events = processor.feed(chunk)
        """
        return [event for sse in self._decoder.events(chunk) if (event := self._handle(sse)) is not None]

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

    def feed_json_response(self, status: int, headers: Mapping[str, str], content: bytes) -> list[StreamEvent]:
        """The service answered a stream request with plain JSON: treat it as the completed response.

        Example::

            processor.feed_json_response(200, response.headers, response.content)
        """
        response = parse_response(status, headers, content)
        event = ResponseCompletedEvent(type="response.completed", response=response)
        self._apply(event)
        return [event]

    def not_an_event_stream(self, status: int, content_type: str, head: bytes) -> InvalidResponseError:
        """The error for a stream request answered with neither events nor JSON (``head``: its first bytes)."""
        return InvalidResponseError(
            f"the stream request was answered with {content_type or 'no content type'}, not an event stream; "
            "nothing was written",
            status=status,
            request_id=self.request_id,
            body=head[:500].decode("utf-8", "replace"),
        )

    def take_images(self) -> list[GeneratedImage]:
        """Images (partial and final) decoded since the last call, in arrival order.

        Example::

            for image in processor.take_images(): show(image.data)
        """
        images = list(self._ready)
        self._ready.clear()
        return images

    def final_images(self) -> list[GeneratedImage]:
        """The final images decoded so far (no partials), without ending anything."""
        return list(self._finals.values())

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
            # The images hold the bytes; the response keeps no second copy as base64.
            response = without_base64(self._response)
            return GenerationResult(response=response, images=finals, request_id=self.request_id)
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
        if self._light_events:
            if sse.cut is not None:
                rest, self._decoded = sse.cut.rest, sse.cut.decoded
            else:
                rest, self._decoded = _cut_images(data, _IMAGE_KEYS)
            if self._decoded:
                try:
                    event = self._handle_json(sse, rest)
                finally:
                    self._decoded = {}
                return _lightened(event) if event is not None else None
        return self._handle_json(sse, sse.raw)

    def _handle_json(self, sse: ServerSentEvent, data: bytes) -> StreamEvent | None:
        try:
            payload: Any = decode_json(data)
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
        except RecursionError:
            raise InvalidResponseError(
                f"stream event {self.events_seen + 1} is nested too deeply to be a Responses event",
                request_id=self.request_id,
            ) from None
        except ValidationError as exc:
            raise InvalidResponseError(
                f"stream event {self.events_seen + 1} is not a Responses event: {exc.errors()[0]['msg']}",
                request_id=self.request_id,
                body=payload,
            ) from None
        if self._decoded and not self._decoded.keys() <= _image_values(event):
            # A placeholder stands where no image is (another tool's "result"): read the event as sent.
            self._decoded = {}
            return self._handle_json(sse, sse.raw)
        self.events_seen += 1
        self._apply(event)
        return event

    def _apply(self, event: StreamEvent) -> None:
        if event.sequence_number is not None:
            self.last_sequence_number = event.sequence_number
        carried = getattr(event, "response", None)
        if isinstance(carried, Response) and carried.id:
            self.response_id = carried.id
        if isinstance(event, PartialImageEvent):
            self.partials_seen += 1
            if not self._accept_partial(event):
                return
            image = decode_image(
                event.item_id,
                event.partial_image_b64,
                size=event.size,
                requested_format=self.requested_format or event.output_format,
                partial_index=event.partial_image_index,
                request_id=self.request_id,
                data=self._decoded.get(event.partial_image_b64),
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

    def _accept_partial(self, event: PartialImageEvent) -> bool:
        # The service names partial files and sizes memory through these events. A partial with an
        # index outside 0..2, a repeated one, or one past MAX_PARTIALS_PER_STREAM would write odd names
        # or pile up renders; it is dropped, not fatal, since the final image that follows is paid for.
        index = event.partial_image_index
        key = (event.item_id, index)
        accepted = len(self._partial_keys)
        if not 0 <= index < MAX_PARTIAL_IMAGES or key in self._partial_keys or accepted >= MAX_PARTIALS_PER_STREAM:
            self.partials_dropped += 1
            log.warning(
                "dropped partial image %s of %s: indexes are 0..%d, once per image, at most %d per stream",
                str(index)[:20],
                event.item_id[:64],
                MAX_PARTIAL_IMAGES - 1,
                MAX_PARTIALS_PER_STREAM,
            )
            return False
        if self.partials_asked is not None and accepted == self.partials_asked:
            log.warning("the service sent more partial images than the %d asked for", self.partials_asked)
        self._partial_keys.add(key)
        return True

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
            call=call.model_copy(update={"result": None}),
            data=self._decoded.get(call.result),
        )
        self._finals[call.id] = image
        self._ready.append(image)
        # response.completed repeats the final image: compared as it arrives, it takes no second copy.
        self._known.append(image.data)


_IMAGE_KEYS = (b'"partial_image_b64"', b'"result"')


def _image_values(event: StreamEvent) -> set[str | None]:
    """The base64 fields of ``event`` that hold images: where ``_cut_images`` placeholders belong."""
    if isinstance(event, PartialImageEvent):
        return {event.partial_image_b64}
    item = getattr(event, "item", None)
    if isinstance(item, ImageGenerationCall):
        return {item.result}
    response = getattr(event, "response", None)
    if isinstance(response, Response):
        return {call.result for call in response.image_calls}
    return set()


def _lightened(event: StreamEvent) -> StreamEvent:
    """``event`` without its base64 (decoded already): what ``light_events`` hands back."""
    if isinstance(event, PartialImageEvent):
        return event.model_copy(update={"partial_image_b64": ""})
    if isinstance(event, OutputItemDoneEvent) and isinstance(event.item, ImageGenerationCall):
        return event.model_copy(update={"item": event.item.model_copy(update={"result": None})})
    response = getattr(event, "response", None)
    if isinstance(response, Response):
        return event.model_copy(update={"response": without_base64(response)})
    return event
