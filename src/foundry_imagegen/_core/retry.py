"""Retry decisions without I/O: whether to send again, and how long to wait first."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .constants import DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_WAIT

__all__ = ["RetryPolicy", "retry_after_seconds"]


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait the server asked for: ``retry-after-ms``, else ``Retry-After`` as seconds or an HTTP date.

    Returns None when absent or unreadable; never a negative number. An HTTP date needs ``now`` (the
    shell's clock, in epoch seconds): without it a date counts as unreadable.

    Example::

        retry_after_seconds({"retry-after": "7"})  # 7.0
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if now is None:
        return None
    return max(0.0, when.timestamp() - now)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    Retried: HTTP 408, 409, 429 and 5xx, and connection failures (the service's ``x-should-retry``
    header overrides). Never retried: content filtering, other 4xx, read timeouts (the generation may
    be running and billed), and a Retry-After longer than ``max_wait`` (raised at once, with
    ``retry_after`` set, rather than blocking for minutes). Otherwise the wait is the server's
    Retry-After, or exponential backoff ``min(base * 2**n, cap)`` less up to 25 % jitter.

    Example::

        RetryPolicy(max_retries=4).wait_before_retry(RateLimitError("slow down", retry_after=3), attempt=1)
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    max_wait: float = DEFAULT_MAX_RETRY_WAIT
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries={self.max_retries} is negative. Fix: use 0 to disable retries")
        if self.max_wait < 0:
            raise ValueError(f"max_retry_wait={self.max_wait} is negative. Fix: use a number of seconds >= 0")

    def wait_before_retry(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None when ``error`` must be raised now.

        ``attempt`` counts from 1 (the first send).
        """
        if attempt > self.max_retries:
            return None
        if not getattr(error, "retryable", False):
            return None
        status = getattr(error, "status", -1)
        if status is None or 0 <= status < 400:
            # A failure reported inside an HTTP 200 may already have been billed: the caller decides.
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            seconds = float(retry_after)
            return seconds if seconds <= self.max_wait else None
        backoff: float = min(self.backoff_base * 2 ** (attempt - 1), self.backoff_cap)
        return backoff * (1.0 - 0.25 * float(self.random()))
