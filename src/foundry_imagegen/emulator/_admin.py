"""The admin area (``/_emulator/…``) and ``/health``: fault injection and the request log over HTTP.

The admin routes change what the emulator answers and show every request it saw, so they only take
requests that a web page in a browser cannot forge: a loopback ``Host`` (against DNS rebinding), no
foreign ``Origin``, and ``application/json`` bodies (a cross-site form or ``text/plain`` POST needs no
CORS preflight, a JSON one does).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from ._faults import FaultQueue
from ._http import Handler, JsonReply, Reply, Request, Route

__all__ = ["admin_routes", "is_loopback_host"]


def _error(status: int, code: str, message: str) -> JsonReply:
    return JsonReply(status, {"error": {"code": code, "message": message}})


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP addresses, with or without brackets and a port.

    :param host: a ``Host`` header value or a URL's host name.
    """
    if not host:
        return False
    try:
        name = urlsplit("//" + host).hostname
    except ValueError:
        return False
    if name is None:
        return False
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _refusal(req: Request) -> JsonReply | None:
    host = req.headers.get("host")
    if host is not None and not is_loopback_host(host):
        return _error(
            403,
            "forbidden_host",
            f"Admin routes answer only requests addressed to a loopback host (127.0.0.1, [::1] or "
            f"localhost); this one was for {host!r}.",
        )
    origin = req.headers.get("origin")
    if origin is not None:
        try:
            origin_host = urlsplit(origin).netloc
        except ValueError:
            origin_host = ""
        if not is_loopback_host(origin_host):
            return _error(
                403,
                "forbidden_origin",
                f"Admin routes refuse requests from web pages that are not served from a loopback host; "
                f"Origin was {origin!r}.",
            )
    if req.method in ("POST", "PUT", "PATCH") or req.body:
        media_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return _error(
                415,
                "unsupported_media_type",
                f"Admin request bodies must be sent with Content-Type: application/json, not "
                f"{req.headers.get('content-type', 'none')!r}.",
            )
    return None


def _guarded(handler: Handler) -> Handler:
    def run(req: Request, m: re.Match[str]) -> Reply:
        refusal = _refusal(req)
        return refusal if refusal is not None else handler(req, m)

    return run


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

    admin = [
        Route.of("GET", r"/_emulator/faults", lambda _req, _m: JsonReply(200, faults.snapshot())),
        Route.of("DELETE", r"/_emulator/faults", clear_faults),
        Route.of("POST", r"/_emulator/faults", add_fault),
        Route.of("GET", r"/_emulator/requests", lambda _req, _m: JsonReply(200, requests())),
        Route.of("DELETE", r"/_emulator/requests", drop_requests),
        Route.of("*", r"/_emulator(?:/.*)?", unknown),
    ]
    return [
        Route.of("*", r"/health", lambda _req, _m: JsonReply(200, {"status": "ok"})),
        *(Route(r.method, r.pattern, _guarded(r.handler)) for r in admin),
    ]
