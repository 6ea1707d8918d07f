"""Typed stream events, for ``isinstance`` checks while iterating ``client.stream(...)``.

Example::

    from foundry_imagegen.events import PartialImageEvent

    with client.stream("a fox") as stream:
        for event in stream:
            if isinstance(event, PartialImageEvent):
                print("partial", event.partial_image_index)
"""

from ._events import (
    ErrorEvent,
    ImageGenerationCompletedEvent,
    ImageGenerationGeneratingEvent,
    ImageGenerationInProgressEvent,
    OutputItemAddedEvent,
    OutputItemDoneEvent,
    OutputTextDeltaEvent,
    OutputTextDoneEvent,
    PartialImageEvent,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseQueuedEvent,
    StreamEvent,
    UnknownEvent,
    parse_event,
)

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

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
