"""The emulator's clock: wall time by default, a :class:`FakeClock` that tests advance by hand.

Everything that depends on elapsed time (quota windows, background generations, the generation
latency) reads this clock, so a test can move an hour forward without waiting a second.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """What the emulator needs from a clock.

    ``now()`` is seconds since the epoch (also used for ``created_at``); ``sleep`` waits ``seconds`` or
    until ``stop`` is set (returning True then); ``wait_until`` blocks until ``now() >= deadline``, ``stop``
    is set, or ``timeout`` real seconds passed, and returns whether the deadline was reached.
    """

    def now(self) -> float: ...

    def sleep(self, seconds: float, stop: threading.Event) -> bool: ...

    def wait_until(self, deadline: float, stop: threading.Event, timeout: float) -> bool: ...


class SystemClock:
    """Wall-clock time; waits are real (and cut short when the server stops)."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Wait ``seconds``; True when ``stop`` was set first.

        :param seconds: how long to wait.
        :param stop: the server's stopping event.
        """
        return stop.wait(seconds) if seconds > 0 else stop.is_set()

    def wait_until(self, deadline: float, stop: threading.Event, timeout: float) -> bool:
        """Wait until ``deadline`` (epoch seconds), at most ``timeout`` seconds.

        :param deadline: the time to reach.
        :param stop: the server's stopping event.
        :param timeout: the longest real wait.
        """
        remaining = deadline - time.time()
        if remaining > 0:
            stop.wait(min(remaining, timeout))
        return time.time() >= deadline


class FakeClock:
    """A clock that only moves when told to: :meth:`advance` (or a latency the emulator "sleeps").

    Waits on it return as soon as another thread advances it past their deadline, so a test can hold
    a background stream open, advance the clock, and read the next events at once.

    :param start: the initial time in epoch seconds (default: 2026-12-01T00:00:00Z).

    Example::

        clock = FakeClock()
        with Emulator(clock=clock, rpm={"gpt-image-2": 6}) as emu:
            ...
            clock.advance(60)  # the quota window is empty again
    """

    def __init__(self, start: float = 1_796_083_200.0) -> None:
        self._now = float(start)
        self._changed = threading.Condition()

    def now(self) -> float:
        """The current fake time."""
        with self._changed:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward and wake every waiter.

        :param seconds: how far to move (>= 0).
        """
        if seconds < 0:
            raise ValueError("a FakeClock only moves forward")
        with self._changed:
            self._now += seconds
            self._changed.notify_all()

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Advance by ``seconds`` instead of waiting (a generation latency costs no real time).

        :param seconds: how long the emulator would have waited.
        :param stop: the server's stopping event.
        """
        if seconds > 0:
            self.advance(seconds)
        return stop.is_set()

    def wait_until(self, deadline: float, stop: threading.Event, timeout: float) -> bool:
        """Block until another thread advances the clock to ``deadline`` (at most ``timeout`` real seconds).

        :param deadline: the fake time to reach.
        :param stop: the server's stopping event (checked every 50 ms).
        :param timeout: the longest real wait.
        """
        end = time.monotonic() + timeout
        with self._changed:
            while self._now < deadline and not stop.is_set():
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 0.05))
            return self._now >= deadline
