"""Requests, replies and the route table: the vocabulary between the socket side and the API areas."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import ApiError, azure_error

__all__ = [
    "BytesReply",
    "DropReply",
    "Handler",
    "JsonReply",
    "Reply",
    "Request",
    "Route",
    "RouteTable",
    "StreamChunk",
    "StreamReply",
    "method_not_allowed",
]


@dataclass
class Request:
    """A parsed HTTP request.

    ``path`` is the full URL path (project prefix included); ``headers`` keys are lower-case;
    ``request_id`` is echoed as ``x-request-id``. The service fills in ``project`` (None on the resource
    endpoint) and, for calls through an agent endpoint, ``agent``, before the handlers see it.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    project: str | None = None
    agent: str | None = None


@dataclass
class JsonReply:
    """A JSON answer: ``status``, ``body`` (serialised compactly) and extra ``headers``.

    Every reply kind has ``pre_delay`` (real seconds to wait before answering: a fault) and
    ``clock_delay`` (a generation latency, waited on the emulator clock, so a fake clock just advances).
    """

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    pre_delay: float = 0.0
    clock_delay: float = 0.0


@dataclass
class BytesReply:
    """Raw bytes with their ``content_type`` (file contents)."""

    status: int
    data: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    pre_delay: float = 0.0
    clock_delay: float = 0.0


# ("event", payload) writes one SSE event, ("done", None) writes "data: [DONE]",
# ("drop", None) cuts the socket.
StreamChunk = tuple[Literal["event", "done", "drop"], Any]


@dataclass
class StreamReply:
    """An SSE answer; ``chunks`` is consumed lazily while the socket writes."""

    chunks: Iterator[StreamChunk]
    headers: dict[str, str] = field(default_factory=dict)
    pre_delay: float = 0.0
    clock_delay: float = 0.0


@dataclass
class DropReply:
    """Cut the connection without answering."""

    pre_delay: float = 0.0
    clock_delay: float = 0.0


Reply = JsonReply | BytesReply | StreamReply | DropReply
Handler = Callable[[Request, "re.Match[str]"], Reply]


@dataclass(frozen=True)
class Route:
    """One entry of a route table: ``method`` (``"*"`` for any), a full-match ``pattern`` and its handler.

    Entries sharing a pattern describe one resource; the handler gets the request and the pattern's match.
    """

    method: str
    pattern: re.Pattern[str]
    handler: Handler

    @classmethod
    def of(cls, method: str, pattern: str, handler: Handler) -> Route:
        """Build an entry from a regex string (anchored at both ends when matched)."""
        return cls(method, re.compile(pattern), handler)


def method_not_allowed(req: Request) -> ApiError:
    """The 405 body the service writes for a known path with the wrong method."""
    return azure_error(405, "405", f"Method {req.method} is not allowed on {req.path}.")


class RouteTable:
    """Ordered routes; the first pattern that matches the path decides the resource.

    Among the entries with that pattern the method picks the handler; when none takes the method the
    answer is 405 (not a later, broader pattern), so a catch-all at the end only sees unknown paths.
    """

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = tuple(routes)

    def find(self, method: str, path: str) -> tuple[Handler, re.Match[str]] | Literal["method"] | None:
        """The handler and match for ``method path``; None for an unknown path; ``"method"`` for a 405."""
        for route in self.routes:
            m = route.pattern.fullmatch(path)
            if m is None:
                continue
            for candidate in self.routes:
                if candidate.pattern.pattern == route.pattern.pattern and candidate.method in (method, "*"):
                    return candidate.handler, candidate.pattern.fullmatch(path) or m
            return "method"
        return None

    def dispatch(self, req: Request, path: str) -> Reply | None:
        """Run the handler for ``req`` at ``path``; None when no pattern matches. Raises 405 as :class:`ApiError`."""
        found = self.find(req.method, path)
        if found is None:
            return None
        if found == "method":
            raise method_not_allowed(req)
        handler, m = found
        return handler(req, m)
