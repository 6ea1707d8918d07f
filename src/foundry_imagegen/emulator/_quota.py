"""Per-deployment request quotas, the ``x-ratelimit-*`` headers, and the generation latency.

Each deployment has a requests-per-minute quota counted over a sliding 60-second window of the
emulator clock. A Responses call is charged to every deployment it uses (the orchestrator in
``model`` and the image deployment in the header); when one of them is full the call gets the
service's 429 with ``Retry-After``/``retry-after-ms`` saying when its oldest request leaves the window.
The headers describe the deployment closest to its limit. Tokens are reported (estimated from the
request size, against ``rpm × 1000 / 6`` tokens a minute, Azure's RPM-to-TPM ratio) but not enforced.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ._clock import Clock
from ._errors import ApiError, azure_error

__all__ = ["WINDOW_SECONDS", "Admission", "QuotaBook", "generation_latency", "parse_latency"]

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Admission:
    """The outcome of charging one call: its headers, and the 429 to answer with when refused."""

    headers: dict[str, str]
    refusal: ApiError | None = None


class _Window:
    def __init__(self) -> None:
        self.calls: deque[tuple[float, int]] = deque()

    def prune(self, now: float) -> None:
        while self.calls and self.calls[0][0] <= now - WINDOW_SECONDS:
            self.calls.popleft()

    def tokens(self) -> int:
        return sum(t for _, t in self.calls)


def _seconds(value: float) -> str:
    return str(max(0, math.ceil(value)))


class QuotaBook:
    """Sliding one-minute windows per deployment on the emulator clock (thread-safe).

    :param clock: the emulator clock.
    :param rpm: deployment name → requests per minute.
    :param default_rpm: the quota of deployments not in ``rpm``.
    """

    def __init__(self, clock: Clock, rpm: Mapping[str, int], default_rpm: int) -> None:
        for name, limit in rpm.items():
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ValueError(f"rpm for {name!r} must be an integer >= 1, got {limit!r}")
        self.clock = clock
        self.rpm = dict(rpm)
        self.default_rpm = default_rpm
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def limit(self, deployment: str) -> int:
        """Requests per minute of ``deployment``."""
        return self.rpm.get(deployment, self.default_rpm)

    def _window(self, deployment: str, now: float) -> _Window:
        window = self._windows.setdefault(deployment, _Window())
        window.prune(now)
        return window

    def _headers(self, deployment: str, window: _Window, now: float) -> dict[str, str]:
        limit = self.limit(deployment)
        token_limit = limit * 1000 // 6
        reset = window.calls[0][0] + WINDOW_SECONDS - now if window.calls else 0.0
        return {
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-limit-tokens": str(token_limit),
            "x-ratelimit-remaining-requests": str(max(0, limit - len(window.calls))),
            "x-ratelimit-remaining-tokens": str(max(0, token_limit - window.tokens())),
            "x-ratelimit-reset-requests": _seconds(reset),
            "x-ratelimit-reset-tokens": _seconds(reset),
        }

    def _tightest(self, deployments: list[str], now: float) -> str:
        return min(deployments, key=lambda d: (self.limit(d) - len(self._window(d, now).calls), d))

    def peek(self, deployments: Iterable[str]) -> dict[str, str]:
        """The headers for ``deployments`` without charging a call (empty when there are none)."""
        names = list(dict.fromkeys(deployments))
        if not names:
            return {}
        with self._lock:
            now = self.clock.now()
            tightest = self._tightest(names, now)
            return self._headers(tightest, self._window(tightest, now), now)

    def admit(self, deployments: Iterable[str], tokens: int) -> Admission:
        """Charge one call of ``tokens`` estimated tokens to each of ``deployments``, or refuse it.

        :param deployments: the deployments the call uses (unknown names must be filtered out first).
        :param tokens: the call's estimated token cost.
        """
        names = list(dict.fromkeys(deployments))
        if not names:
            return Admission({})
        with self._lock:
            now = self.clock.now()
            full = [d for d in names if len(self._window(d, now).calls) >= self.limit(d)]
            if full:
                # The call waits for the deployment whose slot frees last.
                wait, blocked = max((self._window(d, now).calls[0][0] + WINDOW_SECONDS - now, d) for d in full)
                headers = self._headers(blocked, self._window(blocked, now), now)
                headers["x-ratelimit-remaining-requests"] = "0"
                headers["Retry-After"] = _seconds(wait)
                headers["retry-after-ms"] = str(max(0, math.ceil(wait * 1000)))
                message = (
                    "Requests to the Responses Operation under Azure OpenAI API version v1 have exceeded call "
                    f"rate limit of your current pricing tier. Please retry after {_seconds(wait)} seconds. "
                    "Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the "
                    "default rate limit."
                )
                return Admission(headers, azure_error(429, "429", message, dict(headers)))
            for d in names:
                self._window(d, now).calls.append((now, tokens))
            tightest = self._tightest(names, now)
            return Admission(self._headers(tightest, self._window(tightest, now), now))


def parse_latency(value: tuple[float, float] | float | None) -> tuple[float, float] | None:
    """Check a ``latency`` option: ``(mean, spread)`` seconds, a bare mean, or None.

    :param value: the option as given.
    """
    if value is None:
        return None
    pair = (value, 0.0) if isinstance(value, (int, float)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"latency must be (mean, spread) in seconds, got {value!r}")
    mean, spread = float(pair[0]), float(pair[1])
    if mean < 0 or spread < 0:
        raise ValueError("latency mean and spread must be >= 0")
    return mean, spread


def generation_latency(latency: tuple[float, float], seed: int, body: bytes) -> float:
    """The generation time of one call: uniform in ``mean ± spread`` (never negative).

    Drawn from a generator seeded with the emulator seed and the request body, so the same request
    always takes the same time and a test can predict it.

    :param latency: ``(mean, spread)`` seconds.
    :param seed: the emulator's seed.
    :param body: the raw request body.
    """
    mean, spread = latency
    digest = hashlib.sha256(str(seed).encode() + b"|" + body).digest()
    draw = random.Random(int.from_bytes(digest[:8], "big")).uniform(-spread, spread)
    return max(0.0, mean + draw)
