"""Fault queue: what the next Responses POSTs should go through instead of the happy path."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["CONTENT_FAULTS", "FAULT_KINDS", "STREAM_FAULTS", "TRANSPORT_FAULTS", "Fault", "FaultQueue"]

# kind -> {param: default}; a default of None means "optional, absent unless given".
FAULT_KINDS: dict[str, dict[str, Any]] = {
    "rate_limit": {"retry_after": 1, "retry_after_ms": None},
    "server_error": {},
    "service_unavailable": {"retry_after": None},
    "slow_first_byte": {"delay": 1.0},
    "drop_connection": {},
    "content_filter": {"category": "violence", "severity": "medium"},
    "moderation_blocked": {"code": "moderation_blocked", "message": None, "item": True},
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
        elif not isinstance(value, str):
            raise ValueError(f"{kind}.{key} must be a string, got {value!r}")
        resolved[key] = value
    if kind == "content_filter":
        if resolved["category"] not in _CATEGORIES:
            raise ValueError(f"content_filter.category must be one of {', '.join(_CATEGORIES)}")
        if resolved["severity"] not in _SEVERITIES:
            raise ValueError(f"content_filter.severity must be one of {', '.join(_SEVERITIES)}")
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
