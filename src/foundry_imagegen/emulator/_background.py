"""Background responses: ``queued`` → ``in_progress`` → done over a set duration of the emulator clock.

The whole answer is produced up front by the one event generator (so a background answer is the
same as a foreground one); what changes with time is only how much of it is visible. Each event gets a
release time: ``response.created`` and ``response.queued`` at once, ``response.in_progress`` after a
quarter of the duration, the rest spread evenly until the terminal event at the end. Polling shows the
status for "now"; a stream (created with ``stream: true``, or resumed with ``starting_after``) writes
each event when its time comes, so on a :class:`~._clock.FakeClock` it advances with the test.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._clock import Clock
from ._events import TERMINAL_EVENTS, StoreFn
from ._http import StreamChunk
from ._png import Raster
from ._turn import Turn

__all__ = ["MAX_JOBS", "BackgroundJobs", "Job"]

# Jobs kept for polling and resuming; the oldest finished ones go first.
MAX_JOBS = 128
# How long one wait for the next event lasts before the stream re-checks cancellation and shutdown.
_POLL = 0.25
_QUEUED_SHARE = 0.25


@dataclass
class Job:
    """One background response: its events (numbered), their release times and what it stores."""

    turn: Turn
    started: float
    duration: float
    streamed: bool
    events: list[dict[str, Any]]
    release: list[float]
    final: dict[str, Any]
    raster: Raster | None
    item_id: str | None
    cancelled: dict[str, Any] | None = None
    settled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def response_id(self) -> str:
        return self.turn.response_id

    @property
    def ends(self) -> float:
        return self.started + self.duration

    def status(self, now: float) -> str:
        """``cancelled``, ``queued``, ``in_progress``, or the final status once the duration has passed."""
        if self.cancelled is not None:
            return "cancelled"
        if now >= self.ends:
            return str(self.final["status"])
        if now < self.started + self.duration * _QUEUED_SHARE:
            return "queued"
        return "in_progress"

    def snapshot(self, now: float) -> dict[str, Any]:
        """The response as ``GET /responses/{id}`` shows it at ``now`` (images only once finished)."""
        if self.cancelled is not None:
            return self.cancelled
        status = self.status(now)
        if status in ("queued", "in_progress"):
            return self.turn.response(status, [])
        return self.final


def _build(
    turn: Turn, events: Iterator[dict[str, Any]], started: float, duration: float
) -> tuple[list[dict[str, Any]], list[float], dict[str, Any]]:
    produced = list(events)
    # The generator opens with created/in_progress for a foreground call; a background one is queued first.
    rest = produced[2:]
    head = [
        {"type": "response.created", "response": turn.response("queued", [])},
        {"type": "response.queued", "response": turn.response("queued", [])},
        {"type": "response.in_progress", "response": turn.response("in_progress", [])},
    ]
    ordered = head + rest
    numbered = [
        {"type": e["type"], "sequence_number": i, **{k: v for k, v in e.items() if k != "type"}}
        for i, e in enumerate(ordered)
    ]
    running = started + duration * _QUEUED_SHARE
    release = [started, started, running]
    for k in range(1, len(rest) + 1):
        release.append(running + (started + duration - running) * k / len(rest))
    terminal = next(e for e in reversed(numbered) if e["type"] in TERMINAL_EVENTS)
    final: dict[str, Any] = terminal["response"]
    if final.get("status") == "completed":
        final["completed_at"] = int(started + duration)
    return numbered, release, final


class BackgroundJobs:
    """The background responses of one emulator (thread-safe, bounded to :data:`MAX_JOBS`).

    :param clock: the emulator clock.
    :param stopping: set when the server stops, to end waiting streams.
    :param settle: called once per finished job with ``(turn, final response, raster, item id)``, to
        store it like a foreground response.
    """

    def __init__(
        self,
        clock: Clock,
        stopping: threading.Event,
        settle: StoreFn,
    ) -> None:
        self.clock = clock
        self.stopping = stopping
        self._settle = settle
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def start(
        self, turn: Turn, make_events: Callable[[StoreFn], Iterator[dict[str, Any]]], *, duration: float, streamed: bool
    ) -> Job:
        """Register a job whose answer the event generator writes now (its store call is captured).

        :param turn: the validated call.
        :param make_events: builds the event generator with the given store function.
        :param duration: seconds on the emulator clock until the job is done.
        :param streamed: whether the create asked for ``stream: true`` (only those can be resumed).
        """
        captured: dict[str, Any] = {}

        def capture(_turn: Turn, _response: dict[str, Any], raster: Raster | None, item_id: str | None) -> None:
            captured.update(raster=raster, item_id=item_id)

        started = self.clock.now()
        numbered, release, final = _build(turn, make_events(capture), started, duration)
        job = Job(
            turn, started, duration, streamed, numbered, release, final, captured.get("raster"), captured.get("item_id")
        )
        with self._lock:
            self._jobs[job.response_id] = job
            evicted = self._evict()
        for old in evicted:
            # A finished job leaves the table but its response stays readable from the store.
            self.settle(old)
        return job

    def _evict(self) -> list[Job]:
        evicted: list[Job] = []
        while len(self._jobs) > MAX_JOBS:
            now = self.clock.now()
            done = next((k for k, j in self._jobs.items() if j.cancelled is not None or now >= j.ends), None)
            evicted.append(self._jobs.pop(done if done is not None else next(iter(self._jobs))))
        return evicted

    def get(self, response_id: str) -> Job | None:
        """The job (settled into the store first when it has finished), or None."""
        with self._lock:
            job = self._jobs.get(response_id)
        if job is not None:
            self.settle(job)
        return job

    def pop(self, response_id: str) -> Job | None:
        with self._lock:
            return self._jobs.pop(response_id, None)

    def settle(self, job: Job) -> None:
        """Store a finished job's response once (as a foreground call stores its own)."""
        with job.lock:
            if job.settled or job.cancelled is not None or self.clock.now() < job.ends:
                return
            job.settled = True
        self._settle(job.turn, job.final, job.raster, job.item_id)

    def settle_all(self) -> None:
        """Settle every finished job (before a lookup that must see them, e.g. ``previous_response_id``)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            self.settle(job)

    def cancel(self, job: Job) -> dict[str, Any] | None:
        """Cancel ``job`` if it is still running (or already cancelled); None when it has finished."""
        with job.lock:
            if job.cancelled is not None:
                return job.cancelled
            if self.clock.now() >= job.ends:
                return None
            job.cancelled = job.turn.response("cancelled", [])
            return job.cancelled

    def stream(self, job: Job, *, after: int, done_sentinel: bool) -> Iterator[StreamChunk]:
        """The job's events with ``sequence_number > after``, each written once the clock reaches it.

        Ends after the terminal event, or quietly when the job is cancelled or the server stops.

        :param job: the job to follow.
        :param after: the last sequence number the client already has (-1 for all).
        :param done_sentinel: end a finished stream with ``data: [DONE]`` (the Azure dialect).
        """
        for seq in range(max(after + 1, 0), len(job.events)):
            while not self.clock.wait_until(job.release[seq], self.stopping, _POLL):
                if job.cancelled is not None or self.stopping.is_set():
                    return
            if job.cancelled is not None:
                return
            self.settle(job)
            yield ("event", job.events[seq])
        if done_sentinel:
            yield ("done", None)
