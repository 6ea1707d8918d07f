"""SSE framing of the event generator: sequence numbers, mid-stream faults and the ``[DONE]`` sentinel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ._events import Dialect
from ._faults import STREAM_FAULTS, Fault, stream_fault_event
from ._http import StreamChunk

__all__ = ["sse_chunks"]


def sse_chunks(
    events: Iterator[dict[str, Any]],
    fault: Fault | None,
    *,
    dialect: Dialect,
    request_id: str,
    failed_response: Callable[[dict[str, Any]], dict[str, Any]],
) -> Iterator[StreamChunk]:
    """Number ``events`` and apply a stream fault in place of event number ``after``.

    :param events: from :func:`~._events.turn_events`; closed early when a fault cuts the stream.
    :param fault: the request's fault; only :data:`~._faults.STREAM_FAULTS` kinds act here.
    :param dialect: ``"azure"`` ends a finished stream with ``data: [DONE]``.
    :param request_id: quoted in the fault's message.
    :param failed_response: builds (and stores) the failed response for ``stream_failed`` from its error.
    """
    after = fault.params["after"] if fault is not None and fault.kind in STREAM_FAULTS else None
    try:
        for seq, event in enumerate(events):
            if after is not None and seq == after:
                assert fault is not None
                replacement = stream_fault_event(fault, request_id)
                if replacement is None:
                    yield ("drop", None)
                    return
                if replacement["type"] == "response.failed":
                    replacement = {"type": "response.failed", "response": failed_response(replacement["error"])}
                kind = replacement.pop("type")
                yield ("event", {"type": kind, "sequence_number": seq, **replacement})
                break
            kind = event.pop("type")
            yield ("event", {"type": kind, "sequence_number": seq, **event})
    finally:
        # Stop the generator where it is, so a cut stream neither renders nor stores the rest.
        close = getattr(events, "close", None)
        if close is not None:
            close()
    if dialect == "azure":
        yield ("done", None)
