"""Fault queue: what the next Responses POSTs should go through instead of the happy path."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError, azure_error, openai_error

__all__ = [
    "CONTENT_FAULTS",
    "FAULT_KINDS",
    "SERVER_ERROR_MESSAGE",
    "STREAM_FAULTS",
    "TRANSPORT_FAULTS",
    "Fault",
    "FaultQueue",
    "content_filter_error",
    "moderation_error",
    "moderation_item_error",
    "stream_fault_event",
    "transport_fault_error",
]

# kind -> {param: default}; a default of None means "optional, absent unless given".
FAULT_KINDS: dict[str, dict[str, Any]] = {
    "rate_limit": {"retry_after": 1, "retry_after_ms": None},
    "server_error": {},
    "service_unavailable": {"retry_after": None},
    "slow_first_byte": {"delay": 1.0},
    "drop_connection": {},
    "content_filter": {"category": "violence", "severity": "medium"},
    "moderation_blocked": {
        "code": "moderation_blocked",
        "message": None,
        "item": True,
        "categories": None,
        "moderation_stage": "input",
    },
    "text_only": {"text": None},
    "empty_result": {"status": "completed"},
    "stream_drop": {"after": 3},
    "stream_error": {"after": 3, "code": "server_error", "message": None},
    "stream_failed": {"after": 3, "code": "server_error", "message": None},
}
# Applied as soon as the request arrives (after auth), before any validation.
TRANSPORT_FAULTS = frozenset(
    {"rate_limit", "server_error", "service_unavailable", "slow_first_byte", "drop_connection"}
)
# Applied to the next request that passes validation.
CONTENT_FAULTS = frozenset({"content_filter", "moderation_blocked", "text_only", "empty_result"})
# Only streaming requests see (and consume) these.
STREAM_FAULTS = frozenset({"stream_drop", "stream_error", "stream_failed"})

_NUMBER_PARAMS = {"retry_after", "retry_after_ms", "delay"}
_INT_PARAMS = {"after"}
_BOOL_PARAMS = {"item"}
_LIST_PARAMS = {"categories"}
_MODERATION_STAGES = ("input", "output", "unknown")
_CATEGORIES = ("hate", "jailbreak", "self_harm", "sexual", "violence")
_SEVERITIES = ("safe", "low", "medium", "high")
_ITEM_STATUSES = ("completed", "generating", "in_progress", "failed")


@dataclass
class Fault:
    """One queued fault kind with its resolved parameters and how many more requests it will hit."""

    kind: str
    params: dict[str, Any]
    remaining: int

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "remaining": self.remaining, **self.params}


def _check(kind: str, count: Any, params: dict[str, Any]) -> dict[str, Any]:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known kinds: {', '.join(sorted(FAULT_KINDS))}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}")
    allowed = FAULT_KINDS[kind]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        names = ", ".join(sorted(allowed)) or "none"
        raise ValueError(f"fault {kind!r} takes no parameter {', '.join(unknown)}; its parameters: {names}")
    resolved = dict(allowed)
    for key, value in params.items():
        if value is None:
            resolved[key] = None
            continue
        if key in _NUMBER_PARAMS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{kind}.{key} must be a number >= 0, got {value!r}")
        elif key in _INT_PARAMS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{kind}.{key} must be an integer >= 0, got {value!r}")
        elif key in _BOOL_PARAMS:
            if not isinstance(value, bool):
                raise ValueError(f"{kind}.{key} must be true or false, got {value!r}")
        elif key in _LIST_PARAMS:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(f"{kind}.{key} must be a list of non-empty strings, got {value!r}")
            value = list(value)
        elif not isinstance(value, str):
            raise ValueError(f"{kind}.{key} must be a string, got {value!r}")
        resolved[key] = value
    if kind == "content_filter":
        if resolved["category"] not in _CATEGORIES:
            raise ValueError(f"content_filter.category must be one of {', '.join(_CATEGORIES)}")
        if resolved["severity"] not in _SEVERITIES:
            raise ValueError(f"content_filter.severity must be one of {', '.join(_SEVERITIES)}")
    if kind == "moderation_blocked" and resolved["moderation_stage"] not in _MODERATION_STAGES:
        raise ValueError(f"moderation_blocked.moderation_stage must be one of {', '.join(_MODERATION_STAGES)}")
    if kind == "empty_result" and resolved["status"] not in _ITEM_STATUSES:
        raise ValueError(f"empty_result.status must be one of {', '.join(_ITEM_STATUSES)}")
    return resolved


class FaultQueue:
    """FIFO of faults, shared by the server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, count: int = 1, params: dict[str, Any] | None = None) -> Fault:
        fault = Fault(kind, _check(kind, count, dict(params or {})), count)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_json() for f in self._faults]

    def take(self, *, stream: bool, transport: bool) -> Fault | None:
        """Atomically use up one hit of the first fault that applies to this request and phase.

        Stream-only faults are skipped (not consumed) for non-streaming requests. ``transport`` selects
        the arrival phase (transport faults) versus the after-validation phase (everything else).
        """
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.kind in STREAM_FAULTS and not stream:
                    continue
                if (fault.kind in TRANSPORT_FAULTS) != transport:
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[i]
                return Fault(fault.kind, dict(fault.params), 1)
            return None


# ---------------------------------------------------------------------------- what a fault answers
# Each fault's answer is written here once; the Responses handler and the event generator only ask.

SERVER_ERROR_MESSAGE = (
    "An error occurred while processing your request. You can retry your request, or contact us through an "
    "Azure "
    "support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if the error persists. Please "
    "include the "
    "request ID {request_id} in your message."
)
_CONTENT_FILTER_MESSAGE = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
    "Please modify "
    "your prompt and retry. To learn more about our content filtering policies please read our "
    "documentation: "
    "https://go.microsoft.com/fwlink/?linkid=2198766"
)
_MODERATION_MESSAGE = (
    "Your request was rejected by the safety system. If you believe this is an error, contact us at "
    "help.openai.com and include the request ID {request_id}."
)


def _retry_after_value(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def transport_fault_error(fault: Fault, request_id: str) -> ApiError | None:
    """The HTTP error a transport fault answers with, or None for the kinds that are not errors.

    :param fault: a fault of a :data:`TRANSPORT_FAULTS` kind.
    :param request_id: the request's id, quoted in 5xx messages as the service does.
    """
    p = fault.params
    if fault.kind == "rate_limit":
        seconds = p["retry_after"]
        headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "0"}
        if seconds is not None:
            headers["Retry-After"] = _retry_after_value(seconds)
        if p["retry_after_ms"] is not None:
            headers["retry-after-ms"] = _retry_after_value(p["retry_after_ms"])
        wait = _retry_after_value(seconds if seconds is not None else 1)
        message = (
            "Requests to the Responses Operation under Azure OpenAI API version v1 have exceeded token "
            "rate limit "
            f"of your current pricing tier. Please retry after {wait} seconds. Please go here: "
            "https://aka.ms/oai/quotaincrease if you would like to further increase the default rate "
            "limit."
        )
        return azure_error(429, "429", message, headers)
    if fault.kind == "server_error":
        return openai_error(
            500, SERVER_ERROR_MESSAGE.format(request_id=request_id), "server_error", None, "server_error"
        )
    if fault.kind == "service_unavailable":
        exc = openai_error(
            503,
            "The service is temporarily unable to process your request. Please try again later. Please "
            "include the "
            f"request ID {request_id} in your message.",
            "server_error",
            None,
            "service_unavailable",
        )
        if p["retry_after"] is not None:
            exc.headers["Retry-After"] = _retry_after_value(p["retry_after"])
        return exc
    return None


def content_filter_error(fault: Fault) -> ApiError:
    """Azure's HTTP 400 ``content_filter`` answer for a ``content_filter`` fault (JSON and streams alike).

    :param fault: a ``content_filter`` fault (``category``, ``severity``).
    """
    category = fault.params["category"]
    result: dict[str, Any] = {
        "hate": {"filtered": False, "severity": "safe"},
        "jailbreak": {"filtered": False, "detected": False},
        "self_harm": {"filtered": False, "severity": "safe"},
        "sexual": {"filtered": False, "severity": "safe"},
        "violence": {"filtered": False, "severity": "safe"},
    }
    if category == "jailbreak":
        result["jailbreak"] = {"filtered": True, "detected": True}
    else:
        result[category] = {"filtered": True, "severity": fault.params["severity"]}
    return ApiError(
        400,
        {
            "error": {
                "message": _CONTENT_FILTER_MESSAGE,
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": result},
            }
        },
    )


def moderation_error(fault: Fault, request_id: str) -> dict[str, Any]:
    """The ``response.error`` of a response failed by a ``moderation_blocked`` fault.

    :param fault: the ``moderation_blocked`` fault (``code``, ``message``).
    :param request_id: quoted in the default message.
    """
    message = fault.params["message"] or _MODERATION_MESSAGE.format(request_id=request_id)
    return {"code": fault.params["code"], "message": message}


def moderation_item_error(fault: Fault, request_id: str) -> dict[str, Any]:
    """The ``error`` of the failed ``image_generation_call`` item, with its ``moderation_details``.

    :param fault: the ``moderation_blocked`` fault (``categories``, ``moderation_stage``).
    :param request_id: quoted in the default message.
    """
    return {
        **moderation_error(fault, request_id),
        "param": None,
        "type": "image_generation_user_error",
        "moderation_details": {
            "categories": list(fault.params["categories"] or ["violence"]),
            "moderation_stage": fault.params["moderation_stage"],
        },
    }


def stream_fault_event(fault: Fault, request_id: str) -> dict[str, Any] | None:
    """What a mid-stream fault writes in place of the next event (without ``sequence_number``).

    None for ``stream_drop`` (the socket is cut); an ``error`` event for ``stream_error``; for
    ``stream_failed`` a ``response.failed`` event whose ``response`` the caller fills in.

    :param fault: a fault of a :data:`STREAM_FAULTS` kind.
    :param request_id: quoted in the default message.
    """
    if fault.kind == "stream_drop":
        return None
    code = fault.params["code"]
    message = fault.params["message"] or SERVER_ERROR_MESSAGE.format(request_id=request_id)
    if fault.kind == "stream_error":
        return {"type": "error", "code": code, "message": message, "param": None}
    return {"type": "response.failed", "error": {"code": code, "message": message}}
