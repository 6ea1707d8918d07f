"""Quota-aware pacing of a batch, as state machines driven by the shell's clock (``now`` is always passed in).

A ``Pacer`` spaces one deployment's requests evenly at its request budget, so no window of the service's
limiter (1 s or 10 s) sees a burst; a ``BatchScheduler`` hands each queued item to the deployment whose
next slot comes first, which shares the work in proportion to the budgets, and reacts to every outcome.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Union

from .batch import Verdict

__all__ = [
    "BatchProgress",
    "BatchScheduler",
    "Finished",
    "Pacer",
    "Poll",
    "Send",
    "Wait",
    "rate_limit_headers",
]

#: Budget used for a deployment whose quota nobody gave and the service has not told yet: the lowest
#: default tier of the image models, so an unknown deployment starts slow and earns no 429.
UNKNOWN_RPM = 6.0
MIN_RPM = 1.0


def rate_limit_headers(headers: Mapping[str, str]) -> tuple[float | None, float | None, float | None]:
    """``(limit, remaining, reset seconds)`` from ``x-ratelimit-*-requests``; None where absent or unreadable."""

    def number(name: str) -> float | None:
        raw = headers.get(name)
        if raw is None:
            return None
        text = raw.strip().lower()
        scale = 1.0
        if text.endswith("ms"):
            text, scale = text[:-2], 0.001
        elif text.endswith("s"):
            text = text[:-1]
        try:
            value = float(text) * scale
        except ValueError:
            return None
        return value if value >= 0 and math.isfinite(value) else None

    return (
        number("x-ratelimit-limit-requests"),
        number("x-ratelimit-remaining-requests"),
        number("x-ratelimit-reset-requests"),
    )


@dataclass
class Pacer:
    """One deployment's request budget: even spacing at ``rpm``, slowed by 429s, learned from headers.

    ``rpm`` given: the budget, and its ceiling. Not given: ``UNKNOWN_RPM`` until the service's
    ``x-ratelimit-limit-requests`` says, then grown by 5 % of the ceiling (at least one) per
    ``grow_after`` clean answers, up to the ceiling. A 429 pauses the deployment for Retry-After; a second
    one within ``grow_after`` answers also cuts the budget to 70 %.

    Example::

        pacer = Pacer(rpm=60)
        pacer.on_send(now=0.0); pacer.ready_at()  # 1.02
    """

    rpm: float | None = None
    margin: float = 0.02
    backoff: float = 0.7
    grow_after: int = 10
    latency: float | None = None
    next_at: float = 0.0
    paused_until: float = 0.0
    ceiling: float | None = field(init=False)
    fixed: bool = field(init=False)
    budget: float = field(init=False)
    clean: int = field(init=False, default=0)
    rate_limited: int = field(init=False, default=0)
    since_429: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rpm is not None and not (self.rpm > 0 and math.isfinite(self.rpm)):
            raise ValueError(f"rpm={self.rpm!r}. Fix: a positive number of requests per minute")
        self.fixed = self.rpm is not None
        self.ceiling = self.rpm
        self.budget = self.rpm if self.rpm is not None else UNKNOWN_RPM

    @property
    def interval(self) -> float:
        """Seconds between two sends at the current budget (with the safety margin)."""
        return 60.0 / self.budget * (1.0 + self.margin)

    def ready_at(self) -> float:
        """The earliest time the next request may go."""
        return max(self.next_at, self.paused_until)

    def on_send(self, now: float) -> None:
        """A request went at ``now``: the next one waits an interval.

        A send a little late (the loop woke up late) keeps the schedule, up to half the margin, so lateness
        does not add up over a long batch; two sends are never closer than 60/budget seconds plus half the
        margin, so no window of the service's limiter sees more than its share, and an idle spell earns no
        burst.
        """
        exact = 60.0 / self.budget
        # Half the margin makes up for lateness; the other half stays, against jitter on the way.
        self.next_at = max(self.next_at, now - 0.5 * self.margin * exact) + self.interval

    def wanted_in_flight(self) -> int:
        """Requests to keep in flight to use the budget: budget x latency, plus one."""
        latency = self.latency if self.latency is not None else 0.0
        return max(1, math.ceil(self.budget * latency / 60.0) + 1)

    def on_answer(self, now: float, latency: float | None, headers: Mapping[str, str]) -> None:
        """An answer that was not a 429: learn latency and the service's view of the quota."""
        if latency is not None:
            self.latency = latency if self.latency is None else 0.7 * self.latency + 0.3 * latency
        limit, remaining, reset = rate_limit_headers(headers)
        if limit is not None and limit > 0:
            # The service's word beats ours, downwards always, upwards only when nobody fixed the budget.
            self.ceiling = limit if not self.fixed or self.ceiling is None else min(self.ceiling, limit)
            if not self.fixed and self.rate_limited == 0:
                self.budget = self.ceiling
        self.budget = min(self.budget, self.ceiling) if self.ceiling is not None else self.budget
        if remaining is not None and remaining < 1:
            self.paused_until = max(self.paused_until, now + (reset if reset is not None else self.interval))
        self.clean += 1
        if self.since_429 is not None:
            self.since_429 += 1
        if self.clean >= self.grow_after:
            self.clean = 0
            top = self.ceiling if self.ceiling is not None else math.inf
            step = max(1.0, 0.05 * self.ceiling) if self.ceiling is not None else 1.0
            self.budget = min(top, self.budget + step)

    def on_rate_limited(self, now: float, retry_after: float | None) -> None:
        """A 429: pause for Retry-After (or two intervals); another one soon after cuts the budget.

        One 429 alone can be a neighbour's burst on a shared quota or jitter on the way; two within
        ``grow_after`` answers say the budget is too high.
        """
        if self.since_429 is not None and self.since_429 < self.grow_after:
            self.budget = max(MIN_RPM, self.budget * self.backoff)
        self.rate_limited += 1
        self.since_429 = 0
        self.clean = 0
        wait = retry_after if retry_after is not None else 2 * self.interval
        self.paused_until = max(self.paused_until, now + wait)
        self.next_at = max(self.next_at, self.paused_until)


# ---------------------------------------------------------------------------------------------- scheduler


@dataclass(frozen=True)
class Send:
    """Send ``item_id`` to target ``target`` now (attempt ``attempt``, counted from 1)."""

    item_id: str
    target: int
    attempt: int


@dataclass(frozen=True)
class Poll:
    """Ask target ``target`` how background response ``response_id`` of ``item_id`` is doing."""

    item_id: str
    target: int
    response_id: str


@dataclass(frozen=True)
class Wait:
    """Nothing to do before ``seconds`` (None: until an answer arrives)."""

    seconds: float | None


@dataclass(frozen=True)
class Finished:
    """Nothing queued and nothing in flight (or stopped and drained)."""


Action = Union[Send, Poll, Wait, Finished]


@dataclass(frozen=True)
class BatchProgress:
    """A snapshot for a progress display."""

    total: int
    done: int
    failed: int
    in_flight: int
    queued: int
    images_per_minute: float
    quota_per_minute: float
    eta_seconds: float | None
    elapsed: float


@dataclass
class _Target:
    name: str
    pacer: Pacer
    max_in_flight: int
    in_flight: int = 0
    faults: int = 0
    dropped: str | None = None


@dataclass
class _Work:
    attempts: int = 0
    rate_limited: int = 0
    not_before: float = 0.0
    poll_faults: int = 0


class BatchScheduler:
    """Who sends what when: a queue of items, one ``Pacer`` per target, the polls of background items.

    The shell calls ``next_action(now)`` and does what it says, then reports each outcome with
    ``answered`` / ``accepted`` / ``still_running`` / ``failed``. ``failed`` returns the verdict's
    consequence for the journal: ``"retry"`` (queued again) or ``"failed"`` (final).

    Example::

        s = BatchScheduler(["gpt-image-1"], ["a", "b"], rpm=[60.0])
        s.next_action(0.0)  # Send(item_id='a', target=0, attempt=1)
    """

    def __init__(
        self,
        targets: Sequence[str],
        items: Sequence[str],
        *,
        rpm: Sequence[float | None] | None = None,
        concurrency: int = 32,
        max_attempts: int = 4,
        max_rate_limited: int = 30,
        max_target_faults: int = 3,
        poll_interval: float = 2.0,
        polls: Sequence[tuple[str, int, str]] = (),
        already: tuple[int, int] = (0, 0),
        start: float = 0.0,
    ) -> None:
        if not targets:
            raise ValueError("a batch needs at least one target deployment")
        if concurrency < 1:
            raise ValueError(f"concurrency={concurrency}. Fix: an integer >= 1")
        rpms = list(rpm) if rpm is not None else [None] * len(targets)
        if len(rpms) != len(targets):
            raise ValueError(f"{len(rpms)} rpm values for {len(targets)} targets. Fix: one per target, or one for all")
        self.targets = [_Target(name, Pacer(rpm=r), concurrency) for name, r in zip(targets, rpms, strict=True)]
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.max_rate_limited = max_rate_limited
        self.max_target_faults = max_target_faults
        self.poll_interval = poll_interval
        self.queue: deque[str] = deque(items)
        self.work: dict[str, _Work] = {item: _Work() for item in items}
        self.polls: list[tuple[float, str, int, str]] = [(start, i, t, r) for i, t, r in polls]
        for item_id, _, _ in polls:
            self.work.setdefault(item_id, _Work(attempts=1))
        self.in_flight: dict[str, int] = {}
        self.stopped: str | None = None
        self.total = len(self.work) + already[0] + already[1]
        self.n_done, self.n_failed = already
        self.start = start
        self._done_times: deque[float] = deque(maxlen=64)

    # -- deciding

    def live_targets(self) -> list[int]:
        return [index for index, target in enumerate(self.targets) if target.dropped is None]

    def next_action(self, now: float) -> Action:
        """What to do at ``now``; a ``Send`` or ``Poll`` is counted as in flight at once."""
        if self.stopped is None:
            for position, (due, item_id, target, response_id) in enumerate(self.polls):
                if due <= now:
                    del self.polls[position]
                    self.in_flight[item_id] = target
                    return Poll(item_id, target, response_id)
            send = self._pick_send(now)
            if isinstance(send, Send):
                return send
            wake = send
        else:
            wake = None
        if self.stopped is None and self.polls:
            first_poll = min(due for due, *_ in self.polls)
            wake = first_poll if wake is None else min(wake, first_poll)
        if wake is not None:
            return Wait(max(0.0, wake - now))
        if self.in_flight:
            return Wait(None)
        return Finished()

    def _pick_send(self, now: float) -> Send | float | None:
        """A send that may go now, else the time one could (None: none can without an answer first)."""
        live = self.live_targets()
        if not self.queue or not live or len(self.in_flight) >= self.concurrency:
            return None
        # The first item that may go (items backing off after a fault wait their turn).
        item_id = next((i for i in self.queue if self.work[i].not_before <= now), None)
        item_wake = min(self.work[i].not_before for i in self.queue) if item_id is None else now
        usable = [i for i in live if self.targets[i].in_flight < self.targets[i].max_in_flight]
        if not usable:
            return None
        best = min(usable, key=lambda i: (self.targets[i].pacer.ready_at(), i))
        ready = self.targets[best].pacer.ready_at()
        if item_id is None or ready > now:
            return max(ready, item_wake)
        self.queue.remove(item_id)
        work = self.work[item_id]
        work.attempts += 1
        target = self.targets[best]
        target.pacer.on_send(now)
        target.in_flight += 1
        self.in_flight[item_id] = best
        return Send(item_id, best, work.attempts)

    # -- outcomes

    def _land(self, item_id: str) -> int:
        return self.in_flight.pop(item_id)

    def answered(
        self, item_id: str, now: float, *, latency: float | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """The item is done (its image is on disk)."""
        index = self._land(item_id)
        target = self.targets[index]
        target.in_flight = max(0, target.in_flight - 1)
        target.faults = 0
        target.pacer.on_answer(now, latency, headers or {})
        self.n_done += 1
        self._done_times.append(now)

    def polled_done(self, item_id: str, now: float) -> None:
        """A background item finished (its image is on disk)."""
        self._land(item_id)
        self.n_done += 1
        self._done_times.append(now)

    def accepted(
        self,
        item_id: str,
        now: float,
        response_id: str,
        *,
        latency: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """A background create was accepted: the item is polled from now on, its slot freed."""
        index = self._land(item_id)
        target = self.targets[index]
        target.in_flight = max(0, target.in_flight - 1)
        target.pacer.on_answer(now, latency, headers or {})
        self.polls.append((now + self.poll_interval, item_id, index, response_id))

    def still_running(self, item_id: str, now: float, response_id: str) -> None:
        """A poll found the background response still queued or running."""
        index = self._land(item_id)
        self.work[item_id].poll_faults = 0
        self.polls.append((now + self.poll_interval, item_id, index, response_id))

    def failed(
        self,
        item_id: str,
        now: float,
        verdict: Verdict,
        *,
        headers: Mapping[str, str] | None = None,
        polled: bool = False,
    ) -> Literal["retry", "failed"]:
        """An attempt failed as ``verdict`` says; returns whether the item goes back in the queue."""
        index = self._land(item_id)
        target = self.targets[index]
        if not polled:
            target.in_flight = max(0, target.in_flight - 1)
        work = self.work[item_id]
        if verdict.action == "stop":
            # Not the item's fault: it stays to do (a resume sends it), and nothing more goes out.
            self.stop("stopped")
            work.attempts -= 1
            self.queue.appendleft(item_id)
            return "retry"
        if verdict.rate_limited:
            target.pacer.on_rate_limited(now, verdict.retry_after)
            work.rate_limited += 1
            work.attempts -= 1  # a 429 ran nothing: it is not an attempt at the image
            if work.rate_limited <= self.max_rate_limited:
                self.queue.appendleft(item_id)
                return "retry"
        elif verdict.action == "drop_target":
            self.drop(index, "the deployment was not found")
            work.attempts -= 1
            if self.live_targets():
                self.queue.appendleft(item_id)
                return "retry"
        elif verdict.action == "requeue":
            if not polled:
                target.pacer.on_answer(now, None, headers or {})
            if verdict.target_fault:
                target.faults += 1
                if target.faults >= self.max_target_faults and len(self.live_targets()) > 1:
                    self.drop(index, f"{target.faults} failures in a row")
            if work.attempts < self.max_attempts and self.live_targets():
                work.not_before = now + min(30.0, 2.0**work.attempts)
                self.queue.append(item_id)
                return "retry"
        else:
            target.faults = 0
            if not polled:
                target.pacer.on_answer(now, None, headers or {})
        self.n_failed += 1
        return "failed"

    def poll_failed(
        self, item_id: str, now: float, verdict: Verdict, response_id: str, *, http_failure: bool
    ) -> Literal["repoll", "retry", "failed"]:
        """A poll of a background item failed: poll again, send again, or fail the item.

        The poll itself failing (429, 5xx, no connection: ``http_failure``) never resends the item, which
        may be running and billed: it is polled again, backing off, for as long as the batch runs. A stop
        keeps its response id for a resume to poll. A response the service no longer knows (404) is sent
        again (and counts as maybe billed twice); a response that failed is judged like a direct answer.
        """
        work = self.work[item_id]
        if verdict.action == "stop" or (http_failure and verdict.action == "requeue"):
            index = self._land(item_id)
            if verdict.action == "stop":
                self.stop("stopped")
            elif verdict.rate_limited:
                self.targets[index].pacer.on_rate_limited(now, verdict.retry_after)
            work.poll_faults += 1
            wait = min(60.0, self.poll_interval * 2.0**work.poll_faults)
            self.polls.append((now + wait, item_id, index, response_id))
            return "repoll"
        if verdict.action == "drop_target":
            self._land(item_id)
            self.queue.appendleft(item_id)
            return "retry"
        return self.failed(item_id, now, verdict, polled=True)

    def drop(self, index: int, reason: str) -> None:
        """Take a target out; the rest go on (with none left, the batch stops)."""
        target = self.targets[index]
        if target.dropped is None:
            target.dropped = reason
        if not self.live_targets():
            self.stop(f"every deployment was taken out (last: {target.name}: {reason})")

    def stop(self, reason: str) -> None:
        """Send nothing more; what is in flight still lands."""
        if self.stopped is None:
            self.stopped = reason

    # -- watching

    def progress(self, now: float) -> BatchProgress:
        """Counts, the recent rate, the budget and an ETA."""
        live = self.live_targets()
        quota = sum(self.targets[i].pacer.budget for i in live)
        rate = 0.0
        if len(self._done_times) >= 2:
            span = self._done_times[-1] - self._done_times[0]
            rate = (len(self._done_times) - 1) * 60.0 / span if span > 0 else 0.0
        remaining = self.total - self.n_done - self.n_failed
        speed = rate or quota
        eta = remaining * 60.0 / speed if speed > 0 else None
        return BatchProgress(
            total=self.total,
            done=self.n_done,
            failed=self.n_failed,
            in_flight=len(self.in_flight) + len(self.polls),
            queued=len(self.queue),
            images_per_minute=rate,
            quota_per_minute=quota,
            eta_seconds=eta,
            elapsed=now - self.start,
        )
