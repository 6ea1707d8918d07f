# Generated from _shell/_async/batch.py by scripts/unasync.py: do not edit; edit the source and run it.
"""The batch runner: sends what the core's scheduler says, journals every step, saves every image at once."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, Union

import httpx

from ..._core.batch import (
    BatchInputError,
    BatchItem,
    BatchReport,
    ItemState,
    Verdict,
    classify,
    done_record,
    failed_record,
    in_shard,
    local_image_paths,
    parse_items,
    parse_shard,
    replay,
    report_from_states,
)
from ..._core.calls import CLIENT_DEFAULT, ClientDefault, ResponsesRequest
from ..._core.pacing import BatchProgress, BatchScheduler, Finished, Poll, Send
from ..._core.tool import ImageGenerationTool
from ...exceptions import APIConnectionError, ConfigurationError, FoundryImageGenError, GenerationInProgressError
from ..disk import atomic_write, target_path
from ..gallery import write_batch_outputs
from ..journal import JournalWriter, journal_name, read_item_lines, read_journal
from ..workers import Workers
from ._backend import IS_ASYNC, default_sleep

if TYPE_CHECKING:
    from ..._core.results import GenerationResult
    from .client import FoundryClient

__all__ = ["BatchBackground", "BatchRunner", "BatchTarget", "ServiceBackground"]

ItemsLike = Union[str, "os.PathLike[str]", Iterable[Union[str, Mapping[str, Any], BatchItem]]]


class BatchBackground(Protocol):
    """How the runner starts and polls background generations (``background=True`` responses).

    ``start`` sends the create and returns the response id as soon as the service gives it; ``poll``
    returns the finished result, or None while the response is queued or in progress (a failed one
    raises its typed error).
    """

    def start(self, client: FoundryClient, request: ResponsesRequest, *, client_request_id: str) -> str:
        """Send ``request`` in background mode; the response id."""
        ...

    def poll(self, client: FoundryClient, response_id: str) -> GenerationResult | None:
        """The result when done, None while running."""
        ...


class ServiceBackground:
    """The service's background mode for the batch runner: what ``background=True`` uses.

    ``start`` sends the create once with ``background: true, store: true`` in the body and the batch's
    client request id as ``x-ms-client-request-id``, and returns the response id the service gives at once
    (status ``queued``); the runner does the resending, so every attempt is seen, paced and journaled.
    ``poll`` makes one poll, ``GET /responses/{id}`` (``client.background(id).result()``; a GET the client
    retries after a 5xx like any other): the result when the response has completed, None while it is
    queued or in progress, its typed error when it failed.

    Example::

        runner = client.batch("out", background=ServiceBackground())  # the same as background=True
    """

    def __init__(self, *, timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT) -> None:
        self.timeout = timeout

    def start(self, client: FoundryClient, request: ResponsesRequest, *, client_request_id: str) -> str:
        """Send ``request`` in background mode (one attempt); the response id."""
        response_id, _ = self._start(client, request, client_request_id=client_request_id)
        return response_id

    def _start(
        self, client: FoundryClient, request: ResponsesRequest, *, client_request_id: str
    ) -> tuple[str, dict[str, str]]:
        # The request's headers win over the client's: the batch's own id goes out as the client request id.
        started = ResponsesRequest(
            request.method,
            request.path,
            headers={**request.headers, "x-ms-client-request-id": client_request_id},
            json={**request.json, "background": True, "store": True},
        )
        client._check_open()
        answer = client._send(client._api_call(started), timeout=self.timeout, client_request_id=client_request_id)
        response = client._started(answer)
        return response.id, dict(answer.headers)

    def poll(self, client: FoundryClient, response_id: str) -> GenerationResult | None:
        """The result when done, None while queued or in progress (one poll)."""
        handle = client.background(response_id)
        try:
            result = handle.result()
        except GenerationInProgressError:
            return None
        return result


@dataclass(frozen=True)
class BatchTarget:
    """One place the work can go: a client (an endpoint) and an image deployment, with its quota if known.

    Example::

        BatchTarget(client, image_deployment="gpt-image-1", rpm=9)
    """

    client: FoundryClient
    image_deployment: str | None = None
    rpm: float | None = None

    @property
    def label(self) -> str:
        """The deployment's name as the journal and the report show it."""
        return self.image_deployment or self.client.image_deployment or "default"


@dataclass(frozen=True)
class _Outcome:
    action: Send | Poll
    started: float
    fields: Mapping[str, Any] | None = None
    response_id: str | None = None
    running: bool = False
    error: BaseException | None = None
    headers: Mapping[str, str] | None = None


def _result_fields(result: GenerationResult, saved: Path, outdir: Path) -> dict[str, Any]:
    image = result.image
    # The image model's tokens (tool_usage.image_gen), in the wire shape the journal keeps.
    usage = result.image_usage.model_dump(exclude_none=True) if result.image_usage is not None else None
    fields: dict[str, Any] = {
        "request_id": result.request_id,
        "response_id": result.id,
        "revised_prompt": result.revised_prompt,
        "size": f"{image.width}x{image.height}" if image.width else image.size,
        "format": image.format,
        "bytes": len(image.data),
    }
    if isinstance(usage, Mapping):
        fields["usage"] = dict(usage)
    fields["file"] = saved.relative_to(outdir).as_posix()
    return fields


class BatchRunner:
    """Generate a list of images into ``outdir``: quota-paced, journaled, resumable, sharded.

    Made by ``client.batch(outdir, ...)``. ``deployments`` spread the work over several image
    deployments of the client (``targets`` over several endpoints); ``rpm`` is each one's quota in
    requests per minute (one number for all, or one each; unknown ones are learned from the service).
    ``resume=True`` continues the journal in ``outdir``; ``shard=(i, n)`` (or ``"i/n"``) runs that share.
    ``background=True`` starts every item as a background response (``ServiceBackground``) and polls
    it, instead of holding a request open for each image; an object with ``start`` and ``poll``
    (``BatchBackground``) replaces the default. A resume polls the items the journal shows as
    accepted, in either mode, rather than send them again.

    Example::

        runner = client.batch("out", rpm=9, tool=ImageGenerationTool(quality="low"))
        report = runner.run("prompts.jsonl")
        print(report.summary())
    """

    def __init__(
        self,
        outdir: str | os.PathLike[str],
        *,
        client: FoundryClient | None = None,
        deployments: Sequence[str] = (),
        targets: Sequence[BatchTarget] = (),
        rpm: float | Sequence[float | None] | None = None,
        concurrency: int = 16,
        resume: bool = False,
        shard: str | tuple[int, int] | None = None,
        tool: ImageGenerationTool | Mapping[str, Any] | None = None,
        background: BatchBackground | bool | None = None,
        max_attempts: int = 4,
        poll_interval: float = 2.0,
        timeout: float | httpx.Timeout | ClientDefault | None = CLIENT_DEFAULT,
        on_progress: Callable[[Mapping[str, Any], BatchProgress], None] | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not targets:
            if client is None:
                raise ConfigurationError("a batch needs a client or targets. Fix: client.batch(outdir, ...)")
            targets = [BatchTarget(client, name) for name in deployments] or [BatchTarget(client)]
        rpms = list(rpm) if isinstance(rpm, Sequence) else [rpm] * len(targets)
        if len(rpms) != len(targets):
            raise ConfigurationError(
                f"rpm has {len(rpms)} values for {len(targets)} deployments. Fix: one, or one each"
            )
        self.targets = [
            t if r is None else BatchTarget(t.client, t.image_deployment, r) for t, r in zip(targets, rpms, strict=True)
        ]
        labels = [t.label for t in self.targets]
        if len(set(labels)) != len(labels):
            self._labels = [f"{label}#{index}" for index, label in enumerate(labels)]
        else:
            self._labels = labels
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigurationError(f"concurrency={concurrency!r}. Fix: an integer >= 1")
        self.outdir = Path(outdir)
        self.concurrency = concurrency
        self.resume = resume
        self.shard = parse_shard(shard) if isinstance(shard, str) else shard
        if self.shard is not None:
            parse_shard(f"{self.shard[0]}/{self.shard[1]}")
        self.tool = dict(tool.model_dump(exclude_none=True) if isinstance(tool, ImageGenerationTool) else tool or {})
        self.tool.pop("type", None)
        if background is True:
            background = ServiceBackground(timeout=timeout)
        self.background: BatchBackground | None = background or None
        # Items the journal shows as accepted are polled on resume even when this run sends directly.
        self._poller: BatchBackground = (
            self.background if self.background is not None else ServiceBackground(timeout=timeout)
        )
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.on_progress = on_progress
        self._clock = clock if clock is not None else time.monotonic
        self._wall = clock if clock is not None else time.time
        self._sleep = sleep if sleep is not None else default_sleep
        self.journal_path = self.outdir / journal_name(self.shard)

    # -- the items

    def _items(self, items: ItemsLike) -> list[BatchItem]:
        if isinstance(items, (str, os.PathLike)):
            path = Path(items)
            suffix = path.suffix.lower()
            fmt: Literal["auto", "jsonl", "text"] = (
                "jsonl" if suffix in (".jsonl", ".ndjson") else "text" if suffix == ".txt" else "auto"
            )
            parsed = parse_items(read_item_lines(path), fmt=fmt, source=str(path))
        else:
            given = list(items)
            ready = [i for i in given if isinstance(i, BatchItem)]
            if len(ready) == len(given):
                parsed = ready
                for key in ("id", "name"):
                    values = [getattr(i, key) for i in ready]
                    if len(set(values)) != len(values):
                        raise ConfigurationError(f"duplicate {key}s among the BatchItems. Fix: one {key} per item")
            else:
                parsed = parse_items(given, fmt="auto", source="items")
        if self.shard is not None:
            parsed = [item for item in parsed if in_shard(item.id, *self.shard)]
        # Input files are checked before anything is sent, as the lines were.
        problems = [
            (item.line or 0, f"input image {path!r} is not a file (relative paths start from the working folder)")
            for item in parsed
            for path in local_image_paths(item)
            if not Path(path).is_file()
        ]
        if problems:
            raise BatchInputError(problems, source=str(items) if isinstance(items, (str, os.PathLike)) else "items")
        return parsed

    # -- running

    def run(self, items: ItemsLike) -> BatchReport:
        """Run the batch; returns its report (also written to ``summary.json`` and ``index.html``).

        Example::

            report = client.batch("out").run(["a red fox", "a koi pond"])
        """
        work = self._items(items)
        by_id = {item.id: item for item in work}
        if self.journal_path.exists() and not self.resume:
            raise ConfigurationError(
                f"{self.journal_path} exists: this folder holds a batch. Fix: resume=True (--resume) to continue "
                "it, or choose another output folder"
            )
        states = replay(read_journal(self.journal_path)) if self.resume else {}
        started_at = self._clock()
        journal = JournalWriter(self.journal_path)
        try:
            journal.write({"kind": "run", "t": self._wall(), "items": len(work), "shard": self._shard_text()})
            to_send, polls, skipped = self._plan(work, states, journal)
            scheduler = BatchScheduler(
                self._labels,
                to_send,
                rpm=[t.rpm for t in self.targets],
                concurrency=self.concurrency,
                max_attempts=self.max_attempts,
                poll_interval=self.poll_interval,
                polls=polls,
                already=skipped,
                start=started_at,
            )
            self._loop(scheduler, by_id, journal)
            for index, target in enumerate(scheduler.targets):
                if target.dropped:
                    journal.write({"kind": "target_out", "target": self._labels[index], "reason": target.dropped})
            if scheduler.stopped:
                journal.write({"kind": "stopped", "t": self._wall(), "reason": scheduler.stopped})
        finally:
            journal.close()
        wall = self._clock() - started_at
        write_batch_outputs(self.outdir, wall_seconds=wall)
        mine = {k: v for k, v in replay(read_journal(self.journal_path)).items() if k in by_id}
        return report_from_states(
            mine,
            stopped=scheduler.stopped,
            wall_seconds=wall,
            targets_dropped=[f"{t.name}: {t.dropped}" for t in scheduler.targets if t.dropped],
        )

    def _shard_text(self) -> str:
        return f"{self.shard[0]}/{self.shard[1]}" if self.shard else "0/1"

    def _plan(
        self, work: Sequence[BatchItem], states: Mapping[str, ItemState], journal: JournalWriter
    ) -> tuple[list[str], list[tuple[str, int, str]], tuple[int, int]]:
        to_send: list[str] = []
        polls: list[tuple[str, int, str]] = []
        done = failed = 0
        for item in work:
            state = states.get(item.id)
            if state is None:
                journal.write(
                    {"kind": "pending", "id": item.id, "prompt": item.prompt, "name": item.name, "line": item.line}
                )
                to_send.append(item.id)
                continue
            action = state.resume_action()
            if action == "skip":
                done += state.status == "done"
                failed += state.status == "failed"
            elif action == "poll" and state.response_id:
                # A response id belongs to the endpoint that gave it: poll there (the first target if gone).
                target = self._labels.index(state.target) if state.target in self._labels else 0
                polls.append((item.id, target, state.response_id))
            else:
                to_send.append(item.id)
        return to_send, polls, (done, failed)

    def _loop(self, scheduler: BatchScheduler, by_id: Mapping[str, BatchItem], journal: JournalWriter) -> None:
        workers: Workers[_Outcome] = Workers(self.concurrency)
        try:
            while True:
                action = scheduler.next_action(self._clock())
                if isinstance(action, Finished):
                    return
                if isinstance(action, (Send, Poll)):
                    record = self._started(action)
                    journal.write(record)
                    workers.spawn(functools.partial(self._job, action, by_id[action.item_id], record))
                    continue
                if workers.busy:
                    outcomes = workers.wait(action.seconds)
                else:
                    self._sleep(action.seconds or 0.0)
                    outcomes = []
                # Every outcome is journaled before on_progress sees any: a stop raised there (Ctrl-C, an
                # exception) must not lose a response id that came back with it.
                landed = [self._land(scheduler, outcome) for outcome in outcomes]
                for record in landed:
                    journal.write(record)
                if self.on_progress is not None:
                    for record in landed:
                        self.on_progress(record, scheduler.progress(self._clock()))
        except BaseException:
            # Stopped from outside: what has come back is journaled, so a resume polls those response ids
            # (or skips those images) rather than send their items again. Tasks still on the way are cut;
            # threads cannot be, and the pool waits for them anyway, so their outcomes are journaled too.
            while workers.busy:
                finished = workers.wait(0.0 if IS_ASYNC else None)
                for outcome in finished:
                    journal.write(self._land(scheduler, outcome))
                if not finished:
                    break
            raise
        finally:
            workers.close()

    def _started(self, action: Send | Poll) -> dict[str, Any]:
        if isinstance(action, Poll):
            return {"kind": "poll", "id": action.item_id, "target": self._labels[action.target], "t": self._wall()}
        client = self.targets[action.target].client
        return {
            "kind": "started",
            "id": action.item_id,
            "attempt": action.attempt,
            "target": self._labels[action.target],
            "mode": "background" if self.background is not None else "direct",
            "client_request_id": client._new_client_request_id(),
            "t": self._wall(),
        }

    def _land(self, scheduler: BatchScheduler, outcome: _Outcome) -> dict[str, Any]:
        now = self._clock()
        action = outcome.action
        item_id = action.item_id
        target = self._labels[action.target]
        latency = now - outcome.started
        polled = isinstance(action, Poll)
        if outcome.fields is not None:
            if polled:
                scheduler.polled_done(item_id, now)
            else:
                scheduler.answered(item_id, now, latency=latency, headers=outcome.headers)
            attempt = action.attempt if isinstance(action, Send) else 0
            fields = dict(outcome.fields)
            file = fields.pop("file")
            return done_record(
                item_id, file=file, result_fields=fields, target=target, attempt=attempt, latency=latency
            )
        if outcome.response_id is not None:
            if polled:
                scheduler.still_running(item_id, now, outcome.response_id)
                return {"kind": "running", "id": item_id, "response_id": outcome.response_id}
            # The create's rate-limit headers teach the pacer the quota, as a direct answer's do.
            scheduler.accepted(item_id, now, outcome.response_id, latency=latency, headers=outcome.headers)
            return {"kind": "accepted", "id": item_id, "response_id": outcome.response_id, "target": target}
        error = outcome.error
        assert error is not None
        verdict: Verdict = classify(error)
        if verdict.action == "stop":
            hint = getattr(error, "hint", "")
            scheduler.stop(f"{type(error).__name__}: {getattr(error, 'message', error)} {hint}".strip())
        attempt = action.attempt if isinstance(action, Send) else 0
        record = failed_record(item_id, error, verdict, target=target, attempt=attempt)
        if isinstance(action, Poll):
            status = getattr(error, "status", None)
            http_failure = isinstance(error, APIConnectionError) or (status is not None and status >= 400)
            fate = scheduler.poll_failed(item_id, now, verdict, action.response_id, http_failure=http_failure)
            if fate == "repoll":
                # Not "retry": the response id stays the item's, so a resume polls it rather than resend.
                record.update(kind="running", response_id=action.response_id)
                return record
            if fate == "retry":
                record.update(kind="retry", billed="maybe", rate_limited=False)
                return record
            return record
        fate_of_send = scheduler.failed(item_id, now, verdict, headers=outcome.headers)
        if fate_of_send == "retry":
            record.update(kind="retry", billed=verdict.billed, rate_limited=verdict.rate_limited)
        return record

    def _job(self, action: Send | Poll, item: BatchItem, started: Mapping[str, Any]) -> _Outcome:
        begun = self._clock()
        target = self.targets[action.target]
        client = target.client
        headers: Mapping[str, str] | None = None
        try:
            if isinstance(action, Poll):
                polled = self._poller.poll(client, action.response_id)
                if polled is None:
                    return _Outcome(action, begun, response_id=action.response_id)
                return _Outcome(action, begun, fields=self._save(item, polled))
            request, resolved = client._build(
                item.prompt,
                tool={
                    # Defaults for items that do not say; an agent's stored tool decides its own settings.
                    **({} if item.agent else self.tool),
                    **item.tool,
                    **({"image_deployment": target.image_deployment} if target.image_deployment else {}),
                },
                model=item.model,
                instructions=item.instructions,
                images=list(item.images) or None,
                mask=None,
                agent=item.agent,
                previous_response_id=None,
                store=True if self.background is not None else None,
                force_image=None,
                upload_images=False,
                stream=False,
                extra_body=None,
            )
            client_request_id = str(started["client_request_id"])
            if isinstance(self.background, ServiceBackground):
                response_id, headers = self.background._start(client, request, client_request_id=client_request_id)
                return _Outcome(action, begun, response_id=response_id, headers=headers)
            if self.background is not None:
                response_id = self.background.start(client, request, client_request_id=client_request_id)
                return _Outcome(action, begun, response_id=response_id)
            client._check_open()
            response = client._send(
                client._api_call(request), timeout=self.timeout, client_request_id=client_request_id, images=True
            )
            headers = dict(response.headers)
            result = client._finish(response, require_image=True, requested_format=resolved.output_format)
            return _Outcome(action, begun, fields=self._save(item, result), headers=headers)
        except (FoundryImageGenError, OSError) as exc:
            return _Outcome(action, begun, error=exc, headers=headers)

    def _save(self, item: BatchItem, result: GenerationResult) -> dict[str, Any]:
        # Written at once and dropped: a batch of thousands keeps no image in memory.
        image = result.image
        path = atomic_write(
            target_path(self.outdir / item.name, image.format, fix_extension=True), image.data, overwrite=True
        )
        return _result_fields(result, path, self.outdir)
