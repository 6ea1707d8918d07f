"""Deadlines without a clock: the shells pass ``now`` (a monotonic reading), the core decides.

Two bounds apply to every call. A number ``timeout=T`` bounds each attempt from sending to the last
byte of its answer (or of the whole stream), so a body drip-fed a byte at a time or a stream of
keep-alive comments cannot outlive it. The client's ``deadline`` bounds the whole call: every attempt
and every wait between attempts; a retry whose wait would end past it is not made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..exceptions import APITimeoutError

__all__ = ["Deadline"]


@dataclass(frozen=True)
class Deadline:
    """An instant on the shell's monotonic clock (None: no limit) and the option that set it.

    Example::

        deadline = Deadline.after(now=clock(), seconds=600, option="timeout=600")
        deadline.check(now=clock())  # raises APITimeoutError once passed
    """

    at: float | None = None
    option: str = ""
    seconds: float | None = None
    #: Set by the whole call's deadline: then no single wait for a byte may outlast it either.
    caps_waits: bool = False

    @classmethod
    def after(cls, *, now: float, seconds: float | None, option: str, caps_waits: bool = False) -> Deadline:
        """The deadline ``seconds`` after ``now`` (None seconds: no limit)."""
        if seconds is None or not math.isfinite(seconds):
            return cls()
        return cls(now + seconds, option, seconds, caps_waits)

    def earliest(self, other: Deadline) -> Deadline:
        """Whichever of the two comes first."""
        if self.at is None:
            return other
        if other.at is None or self.at <= other.at:
            return self
        return other

    def left(self, *, now: float) -> float | None:
        """Seconds left (never below 0), or None for no limit."""
        return None if self.at is None else max(0.0, self.at - now)

    def allows_wait(self, seconds: float, *, now: float) -> bool:
        """Whether waiting ``seconds`` and then sending again still starts before the deadline."""
        return self.at is None or now + seconds < self.at

    def check(self, *, now: float) -> None:
        """Raise ``APITimeoutError`` naming the option once the deadline has passed."""
        if self.at is not None and now >= self.at:
            raise APITimeoutError(
                f"the call did not finish within {self.option} (seconds, from the first byte sent); it was "
                "stopped and is not resent, since the generation may still run and be billed. Fix: raise "
                f"{self.option.split('=')[0]}=, use quality='low', or stream with partial images",
                retryable=False,
            )
