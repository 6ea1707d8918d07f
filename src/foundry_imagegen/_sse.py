"""Incremental server-sent-events decoding without I/O: bytes in, events out (WHATWG rules).

Image streams carry each image as one ``data:`` line of several megabytes, so the decoder scans every
byte once and copies each line once: it remembers where the last search for a line end stopped instead
of searching the growing buffer again, and trims consumed bytes once per ``feed``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: ``event`` name (None means "message"), raw ``data`` bytes, ``id``, ``retry``.

    Example::

        ServerSentEvent(event="response.completed", data=b'{"type": "response.completed"}').json()
    """

    event: str | None
    data: bytes
    id: str | None = None
    retry: int | None = None

    @property
    def text(self) -> str:
        """``data`` decoded as UTF-8."""
        return self.data.decode("utf-8", "replace")

    def json(self) -> Any:
        """``data`` parsed as JSON."""
        return json.loads(self.data)


class SSEDecoder:
    """Feed it bytes in chunks of any size; it returns the events each chunk completes.

    Handles LF, CRLF and lone CR line ends (also split across chunks), multi-line ``data``, comments
    (keep-alives), ``event``/``id``/``retry`` fields and a leading BOM.

    Example::

        decoder = SSEDecoder()
        events = decoder.feed(b"event: ping\\ndata: {}\\n\\n")
        events += decoder.flush()
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already known to hold no line end
        self._first = True
        self._event: str | None = None
        self._data: list[bytes] = []
        self._id: str | None = None
        self._retry: int | None = None
        self._last_id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Add ``chunk`` and return the events it completes."""
        if not chunk:
            return []
        buffer = self._buffer
        buffer += chunk
        if self._first:
            if len(buffer) < len(_BOM) and _BOM.startswith(bytes(buffer)):
                return []
            if buffer.startswith(_BOM):
                del buffer[: len(_BOM)]
            self._first = False
        events: list[ServerSentEvent] = []
        start = 0
        scan = self._scanned
        size = len(buffer)
        while True:
            lf = buffer.find(b"\n", scan)
            cr = buffer.find(b"\r", scan, lf if lf != -1 else size)
            if cr != -1:
                if cr + 1 == size:
                    # A CR at the very end may be the first half of a CRLF split across chunks.
                    scan = cr
                    break
                end, next_start = cr, cr + 2 if buffer[cr + 1] == 0x0A else cr + 1
            elif lf != -1:
                end, next_start = lf, lf + 1
            else:
                scan = size
                break
            event = self._line(bytes(buffer[start:end]))
            if event is not None:
                events.append(event)
            start = scan = next_start
        if start:
            del buffer[:start]
            scan -= start
        self._scanned = scan
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: treat what is buffered as a last line, and dispatch a pending event.

        The WHATWG rules drop an event that has no blank line after it; image streams that end right
        after their last ``data:`` line are common enough that we dispatch it instead.
        """
        events: list[ServerSentEvent] = []
        if self._buffer:
            line = bytes(self._buffer).rstrip(b"\r")
            self._buffer.clear()
            self._scanned = 0
            event = self._line(line)
            if event is not None:
                events.append(event)
        event = self._dispatch()
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: bytes) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line[0] == 0x3A:  # ':' starts a comment, used as keep-alive
            return None
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\x00" not in value:
                self._id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if self._id is not None:
            self._last_id = self._id
        if not self._data:
            self._event = None
            self._id = None
            return None
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = ServerSentEvent(event=self._event, data=data, id=self._last_id, retry=self._retry)
        self._event = None
        self._id = None
        self._data = []
        return event
