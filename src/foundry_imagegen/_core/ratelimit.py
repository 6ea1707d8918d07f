"""Rate-limit and diagnostic headers, read into typed objects (pure: headers in, values out).

Every result and every service error carries a ``RateLimit`` (``result.rate_limit``, ``exc.rate_limit``)
and an ``HttpInfo`` (``result.http``, ``exc.http``): the raw status and headers, credentials redacted.

Example::

    result = client.generate("a fox")
    result.rate_limit.remaining_requests, result.rate_limit.region
    result.http.status, result.http.headers["x-ms-region"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["SECRET_HEADERS", "HttpInfo", "RateLimit", "rate_limit_from_headers", "redact_headers"]

#: Header names whose values are credentials: never logged, traced or shown.
SECRET_HEADERS = frozenset({"api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with credential values replaced by ``***`` (names lower-cased).

    Example::

        redact_headers({"api-key": "k", "x-request-id": "r"})  # {'api-key': '***', 'x-request-id': 'r'}
    """
    return {k.lower(): ("***" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m(?!s))?\s*(?:(\d+(?:\.\d+)?)s)?\s*(?:(\d+)ms)?\s*$"
)


def _seconds(value: str | None) -> float | None:
    """A reset value in seconds: ``10``, ``1.5``, or OpenAI's ``6m0s`` / ``20ms`` style."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        match = _DURATION.match(text)
        if match is None or not any(match.groups()):
            return None
        hours, minutes, seconds, millis = (float(g) if g else 0.0 for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds + millis / 1000
    return number if number >= 0 else None


@dataclass(frozen=True)
class RateLimit:
    """What the service said about quota and where it served the call; None where it sent no header.

    ``reset_*`` are seconds (the service's unit is not documented; numbers are taken as seconds).

    Example::

        if result.rate_limit.remaining_requests == 0:
            time.sleep(result.rate_limit.reset_requests or 10)
    """

    limit_requests: int | None = None
    limit_tokens: int | None = None
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests: float | None = None
    reset_tokens: float | None = None
    #: ``retry-after-ms`` / ``retry-after`` as sent (seconds), on a 429 or 503.
    retry_after: float | None = None
    request_id: str | None = None
    apim_request_id: str | None = None
    client_request_id: str | None = None
    #: Display name of the serving region (``x-ms-region``), e.g. ``East US 2``.
    region: str | None = None
    #: The deployment that served the call (``x-ms-deployment-name``; differs after spillover).
    deployment: str | None = None
    spillover_from: str | None = None


@dataclass(frozen=True)
class HttpInfo:
    """The raw HTTP status and response headers of a call, credentials redacted.

    Example::

        result.http.status, result.http.headers.get("azureml-model-session")
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, status: int, headers: Mapping[str, str]) -> HttpInfo:
        return cls(status, redact_headers(headers))


def rate_limit_from_headers(headers: Mapping[str, str]) -> RateLimit:
    """The ``RateLimit`` of a response's headers (any mapping; names matched case-insensitively).

    Example::

        rate_limit_from_headers({"x-ratelimit-remaining-requests": "19"}).remaining_requests  # 19
    """
    lower = {k.lower(): v for k, v in headers.items()}
    retry_ms = _seconds(lower.get("retry-after-ms"))
    retry_after = retry_ms / 1000 if retry_ms is not None else _seconds(lower.get("retry-after"))
    return RateLimit(
        limit_requests=_int(lower.get("x-ratelimit-limit-requests")),
        limit_tokens=_int(lower.get("x-ratelimit-limit-tokens")),
        remaining_requests=_int(lower.get("x-ratelimit-remaining-requests")),
        remaining_tokens=_int(lower.get("x-ratelimit-remaining-tokens")),
        reset_requests=_seconds(lower.get("x-ratelimit-reset-requests")),
        reset_tokens=_seconds(lower.get("x-ratelimit-reset-tokens")),
        retry_after=retry_after,
        request_id=lower.get("x-request-id"),
        apim_request_id=lower.get("apim-request-id"),
        client_request_id=lower.get("x-ms-client-request-id"),
        region=lower.get("x-ms-region"),
        deployment=lower.get("x-ms-deployment-name"),
        spillover_from=lower.get("x-ms-spillover-from-deployment"),
    )
