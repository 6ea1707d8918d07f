"""The admin area (``/_emulator/…``) and ``/health``: fault injection and the request log over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from ._faults import FaultQueue
from ._http import JsonReply, Reply, Request, Route

__all__ = ["admin_routes"]


def _error(status: int, code: str, message: str) -> JsonReply:
    return JsonReply(status, {"error": {"code": code, "message": message}})


def admin_routes(
    faults: FaultQueue, requests: Callable[[], list[dict[str, object]]], clear_requests: Callable[[], None]
) -> list[Route]:
    """Route table entries of ``/health`` and ``/_emulator/*`` (never authenticated, never recorded).

    :param faults: the queue ``/_emulator/faults`` reads and fills.
    :param requests: returns the request log as JSON-ready dicts.
    :param clear_requests: empties the request log.
    """

    def add_fault(req: Request, _m: re.Match[str]) -> Reply:
        try:
            spec = json.loads(req.body or b"null")
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or not isinstance(spec.get("kind"), str):
            return _error(400, "invalid_request_error", "Body must be a JSON object with 'kind'.")
        params = {k: v for k, v in spec.items() if k not in ("kind", "count")}
        try:
            faults.add(spec["kind"], spec.get("count", 1), params)
        except ValueError as exc:
            return _error(400, "invalid_request_error", str(exc))
        return JsonReply(204, None)

    def clear_faults(_req: Request, _m: re.Match[str]) -> Reply:
        faults.clear()
        return JsonReply(204, None)

    def drop_requests(_req: Request, _m: re.Match[str]) -> Reply:
        clear_requests()
        return JsonReply(204, None)

    def unknown(_req: Request, m: re.Match[str]) -> Reply:
        return _error(404, "not_found", f"No admin route {m.group(0)}.")

    return [
        Route.of("*", r"/health", lambda _req, _m: JsonReply(200, {"status": "ok"})),
        Route.of("GET", r"/_emulator/faults", lambda _req, _m: JsonReply(200, faults.snapshot())),
        Route.of("DELETE", r"/_emulator/faults", clear_faults),
        Route.of("POST", r"/_emulator/faults", add_fault),
        Route.of("GET", r"/_emulator/requests", lambda _req, _m: JsonReply(200, requests())),
        Route.of("DELETE", r"/_emulator/requests", drop_requests),
        Route.of("*", r"/_emulator(?:/.*)?", unknown),
    ]
