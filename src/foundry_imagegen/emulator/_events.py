"""The one source of a Responses answer: a generator of stream events, folded into JSON when not streaming.

Every behaviour (happy path, moderation block, text-only answer, empty result) is written here once. The
SSE side numbers and frames these events; the JSON side keeps the finished output items and the terminal
response, so both answers agree by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from ._faults import Fault, moderation_error, moderation_item_error
from ._png import Raster
from ._turn import NO_TOOL_TEXT, Turn, text_reply
from ._wire import image_call_item, message_item, new_id, output_text_part, reasoning_item

__all__ = ["TERMINAL_EVENTS", "Dialect", "StoreFn", "fold", "turn_events"]

# "json" is the non-streamed answer; "openai" and "azure" are the two SSE dialects.
Dialect = Literal["json", "openai", "azure"]
StoreFn = Callable[[Turn, dict[str, Any], Raster | None, str | None], None]
TERMINAL_EVENTS = frozenset({"response.completed", "response.failed", "response.incomplete"})


def _message_events(msg_id: str, text: str, output_index: int) -> Iterator[dict[str, Any]]:
    yield {
        "type": "response.output_item.added",
        "output_index": output_index,
        "item": message_item(msg_id, None, status="in_progress"),
    }
    base = {"item_id": msg_id, "output_index": output_index, "content_index": 0}
    yield {"type": "response.content_part.added", **base, "part": output_text_part("")}
    for delta in re.findall(r"\s*\S+", text) or [text]:
        yield {"type": "response.output_text.delta", **base, "delta": delta, "logprobs": []}
    yield {"type": "response.output_text.done", **base, "text": text, "logprobs": []}
    yield {"type": "response.content_part.done", **base, "part": output_text_part(text)}
    yield {"type": "response.output_item.done", "output_index": output_index, "item": message_item(msg_id, text)}


def _image_start(ig: str, index: int) -> Iterator[dict[str, Any]]:
    yield {
        "type": "response.output_item.added",
        "output_index": index,
        "item": image_call_item(ig, "in_progress", None),
    }
    yield {"type": "response.image_generation_call.in_progress", "output_index": index, "item_id": ig}


def turn_events(
    turn: Turn,
    fault: Fault | None,
    *,
    dialect: Dialect,
    request_id: str,
    store: StoreFn,
) -> Iterator[dict[str, Any]]:
    """Events (without ``sequence_number``) answering ``turn``, ending with a terminal ``response.*`` event.

    :param turn: the validated call.
    :param fault: the content fault this request drew (``moderation_blocked``, ``text_only``,
        ``empty_result``), or None. ``content_filter`` never gets here: it is an HTTP 400.
    :param dialect: ``"json"`` skips partial images (a streaming-only feature, and costly to render);
        ``"azure"`` reports the final image as ``generating`` without a ``.completed`` event, as Azure does.
    :param request_id: quoted in fault messages.
    :param store: called once with the finished response (and its image) when the generator completes.
    """
    kind = fault.kind if fault is not None else None
    yield {"type": "response.created", "response": turn.response("in_progress", [])}
    yield {"type": "response.in_progress", "response": turn.response("in_progress", [])}
    spec = turn.spec
    output: list[dict[str, Any]] = []
    if turn.reasoning:
        # The complete item is on output_item.done; .added carries the same empty summary.
        rs = reasoning_item(new_id("rs"))
        yield {"type": "response.output_item.added", "output_index": 0, "item": dict(rs)}
        output.append(rs)
        yield {"type": "response.output_item.done", "output_index": 0, "item": rs}
    if kind == "moderation_blocked":
        assert fault is not None
        if fault.params["item"] and spec is not None:
            ig, index = new_id("ig"), len(output)
            yield from _image_start(ig, index)
            failed_item = turn.image_item(ig, "failed", None, error=moderation_item_error(fault, request_id))
            output.append(failed_item)
            yield {"type": "response.output_item.done", "output_index": index, "item": failed_item}
        # An output-stage block happened after the image was drawn, so its tokens were spent.
        produced = fault.params["moderation_stage"] == "output"
        response = turn.response(
            "failed",
            output,
            error=moderation_error(fault, request_id),
            image_usage=turn.image_usage(produced=produced and spec is not None),
        )
        store(turn, response, None, None)
        yield {"type": "response.failed", "response": response}
        return
    raster: Raster | None = None
    item_id: str | None = None
    usage = turn.image_usage(produced=False)
    if spec is not None and kind != "text_only":
        text = text_reply(turn.prompt, edit=turn.base is not None)
        ig, index = new_id("ig"), len(output)
        yield from _image_start(ig, index)
        yield {"type": "response.image_generation_call.generating", "output_index": index, "item_id": ig}
        extra: dict[str, Any] = {}
        if kind == "empty_result":
            assert fault is not None
            status, result = fault.params["status"], ""
        else:
            partials = 0 if dialect == "json" else spec.partial_images
            for k in range(partials):
                yield {
                    "type": "response.image_generation_call.partial_image",
                    "output_index": index,
                    "item_id": ig,
                    "partial_image_index": k,
                    "partial_image_b64": turn.partial_b64(k, partials),
                    "size": spec.size,
                    "quality": spec.quality,
                    "background": spec.background,
                    "output_format": spec.output_format,
                }
            status = "generating" if dialect == "azure" else "completed"
            result = turn.final_b64()
            raster, item_id = turn.final_raster(), ig
            usage = turn.image_usage(produced=True, partials=partials)
            svg_usage = turn.svg_usage()
            if svg_usage is not None:
                extra["svg_usage"] = svg_usage
        if dialect != "azure":
            yield {"type": "response.image_generation_call.completed", "output_index": index, "item_id": ig}
        item = turn.image_item(ig, status, result, **extra)
        output.append(item)
        yield {"type": "response.output_item.done", "output_index": index, "item": item}
    elif kind == "text_only":
        assert fault is not None
        text = fault.params["text"] or (
            f"I can't draw that, but here's a description: {turn.revised_prompt()}."
            if spec is not None
            else NO_TOOL_TEXT
        )
    else:
        text = NO_TOOL_TEXT
    msg_id = new_id("msg")
    yield from _message_events(msg_id, text, len(output))
    output.append(message_item(msg_id, text))
    response = turn.response("completed", output, text=text, image_usage=usage)
    store(turn, response, raster, item_id)
    yield {"type": "response.completed", "response": response}


def fold(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed response: the terminal event's response with the items the stream finished.

    :param events: the output of :func:`turn_events` (any dialect); must end with a terminal event.
    """
    output: list[dict[str, Any]] = []
    response: dict[str, Any] | None = None
    for event in events:
        if event["type"] == "response.output_item.done":
            output.append(event["item"])
        elif event["type"] in TERMINAL_EVENTS:
            response = event["response"]
    assert response is not None, "the event generator always ends with a terminal event"
    return {**response, "output": output}
