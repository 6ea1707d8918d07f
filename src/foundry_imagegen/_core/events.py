"""Typed Responses stream events: a union discriminated on ``type``, with ``UnknownEvent`` for the rest."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter

from .results import OutputItem, Response

__all__ = [
    "ErrorEvent",
    "ImageGenerationCompletedEvent",
    "ImageGenerationGeneratingEvent",
    "ImageGenerationInProgressEvent",
    "OutputItemAddedEvent",
    "OutputItemDoneEvent",
    "OutputTextDeltaEvent",
    "OutputTextDoneEvent",
    "PartialImageEvent",
    "ResponseCompletedEvent",
    "ResponseCreatedEvent",
    "ResponseFailedEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseQueuedEvent",
    "StreamEvent",
    "UnknownEvent",
    "parse_event",
]


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    sequence_number: int | None = None


class _ResponseEvent(_Event):
    response: Response


class ResponseCreatedEvent(_ResponseEvent):
    """``response.created``: the response exists, status ``in_progress``.

    Example::

        isinstance(event, ResponseCreatedEvent) and event.response.id
    """

    type: Literal["response.created"]


class ResponseQueuedEvent(_ResponseEvent):
    """``response.queued`` (background mode).

    Example::

        isinstance(event, ResponseQueuedEvent)
    """

    type: Literal["response.queued"]


class ResponseInProgressEvent(_ResponseEvent):
    """``response.in_progress``.

    Example::

        isinstance(event, ResponseInProgressEvent)
    """

    type: Literal["response.in_progress"]


class ResponseCompletedEvent(_ResponseEvent):
    """``response.completed``: the whole response, images included.

    Example::

        isinstance(event, ResponseCompletedEvent) and event.response.image_calls
    """

    type: Literal["response.completed"]


class ResponseFailedEvent(_ResponseEvent):
    """``response.failed``: ``response.error`` says why.

    Example::

        isinstance(event, ResponseFailedEvent) and event.response.error
    """

    type: Literal["response.failed"]


class ResponseIncompleteEvent(_ResponseEvent):
    """``response.incomplete``: ``response.incomplete_details`` says why.

    Example::

        isinstance(event, ResponseIncompleteEvent) and event.response.incomplete_details
    """

    type: Literal["response.incomplete"]


class _ItemEvent(_Event):
    output_index: int | None = None
    item: OutputItem


class OutputItemAddedEvent(_ItemEvent):
    """``response.output_item.added``: an output item (image call, message, ...) starts.

    Example::

        isinstance(event, OutputItemAddedEvent) and event.item.type
    """

    type: Literal["response.output_item.added"]


class OutputItemDoneEvent(_ItemEvent):
    """``response.output_item.done``: an item is finished; for an image call it carries the final image.

    Example::

        isinstance(event, OutputItemDoneEvent) and event.item
    """

    type: Literal["response.output_item.done"]


class _ImageCallEvent(_Event):
    item_id: str = ""
    output_index: int | None = None


class ImageGenerationInProgressEvent(_ImageCallEvent):
    """``response.image_generation_call.in_progress``.

    Example::

        isinstance(event, ImageGenerationInProgressEvent) and event.item_id
    """

    type: Literal["response.image_generation_call.in_progress"]


class ImageGenerationGeneratingEvent(_ImageCallEvent):
    """``response.image_generation_call.generating``.

    Example::

        isinstance(event, ImageGenerationGeneratingEvent)  # show a spinner
    """

    type: Literal["response.image_generation_call.generating"]


class ImageGenerationCompletedEvent(_ImageCallEvent):
    """``response.image_generation_call.completed`` (OpenAI dialect only; carries no image).

    Example::

        isinstance(event, ImageGenerationCompletedEvent)
    """

    type: Literal["response.image_generation_call.completed"]


class PartialImageEvent(_ImageCallEvent):
    """``response.image_generation_call.partial_image``: an intermediate render, not a delta.

    Example::

        base64.b64decode(event.partial_image_b64)
    """

    type: Literal["response.image_generation_call.partial_image"]
    partial_image_index: int = 0
    partial_image_b64: str
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None


class OutputTextDeltaEvent(_Event):
    """``response.output_text.delta``: a piece of the assistant's text.

    Example::

        print(event.delta, end='') if isinstance(event, OutputTextDeltaEvent) else None
    """

    type: Literal["response.output_text.delta"]
    delta: str = ""


class OutputTextDoneEvent(_Event):
    """``response.output_text.done``: the assistant's full text of one part.

    Example::

        isinstance(event, OutputTextDoneEvent) and event.text
    """

    type: Literal["response.output_text.done"]
    text: str = ""


class ErrorEvent(_Event):
    """``error``: the stream failed; raised as the matching typed exception.

    Example::

        isinstance(event, ErrorEvent) and event.code  # raised for you by the stream
    """

    type: Literal["error"]
    code: str | None = None
    message: str = ""
    param: str | None = None


class UnknownEvent(_Event):
    """Any event type this version does not know (keep-alives, reasoning, web search, ...).

    Example::

        isinstance(event, UnknownEvent) and event.type
    """

    type: str


_KNOWN: dict[str, type[_Event]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (
        ResponseCreatedEvent,
        ResponseQueuedEvent,
        ResponseInProgressEvent,
        ResponseCompletedEvent,
        ResponseFailedEvent,
        ResponseIncompleteEvent,
        OutputItemAddedEvent,
        OutputItemDoneEvent,
        ImageGenerationInProgressEvent,
        ImageGenerationGeneratingEvent,
        ImageGenerationCompletedEvent,
        PartialImageEvent,
        OutputTextDeltaEvent,
        OutputTextDoneEvent,
        ErrorEvent,
    )
}


def _tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return None
    return kind if kind in _KNOWN else "unknown"


StreamEvent = Annotated[
    Union[
        Annotated[ResponseCreatedEvent, Tag("response.created")],
        Annotated[ResponseQueuedEvent, Tag("response.queued")],
        Annotated[ResponseInProgressEvent, Tag("response.in_progress")],
        Annotated[ResponseCompletedEvent, Tag("response.completed")],
        Annotated[ResponseFailedEvent, Tag("response.failed")],
        Annotated[ResponseIncompleteEvent, Tag("response.incomplete")],
        Annotated[OutputItemAddedEvent, Tag("response.output_item.added")],
        Annotated[OutputItemDoneEvent, Tag("response.output_item.done")],
        Annotated[ImageGenerationInProgressEvent, Tag("response.image_generation_call.in_progress")],
        Annotated[ImageGenerationGeneratingEvent, Tag("response.image_generation_call.generating")],
        Annotated[ImageGenerationCompletedEvent, Tag("response.image_generation_call.completed")],
        Annotated[PartialImageEvent, Tag("response.image_generation_call.partial_image")],
        Annotated[OutputTextDeltaEvent, Tag("response.output_text.delta")],
        Annotated[OutputTextDoneEvent, Tag("response.output_text.done")],
        Annotated[ErrorEvent, Tag("error")],
        Annotated[UnknownEvent, Tag("unknown")],
    ],
    Discriminator(_tag),
]

_ADAPTER: TypeAdapter[StreamEvent] | None = None


def parse_event(data: Any) -> StreamEvent:
    """Validate one decoded event (a dict) into its typed model; raises pydantic ``ValidationError``.

    Example::

        parse_event({"type": "response.image_generation_call.generating", "item_id": "ig_1"})
    """
    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(StreamEvent)
    return _ADAPTER.validate_python(data)
