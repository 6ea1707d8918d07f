"""Batch generation without I/O: reading the item list, the journal's records, resuming, and the report.

The shell reads the files, sends, sleeps and writes; every decision about *what* to do with an item or a
journal line lives here, so the sync and async runners (one generated from the other) and the CLI share it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..exceptions import (
    APIConnectionError,
    AuthenticationError,
    ConfigurationError,
    ContentFilterError,
    DeploymentNotFoundError,
    GenerationFailedError,
    ImageDeploymentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceError,
)
from .tool import ImageGenerationTool

__all__ = [
    "JOURNAL_VERSION",
    "BatchInputError",
    "BatchItem",
    "BatchReport",
    "ItemState",
    "Verdict",
    "classify",
    "done_record",
    "failed_record",
    "in_shard",
    "item_from_object",
    "journal_line",
    "local_image_paths",
    "parse_items",
    "parse_journal",
    "parse_shard",
    "replay",
    "report_from_states",
]

JOURNAL_VERSION = 1

#: Item keys besides the tool settings (which may also sit at the top level of a JSONL object).
_ITEM_KEYS = frozenset({"prompt", "id", "name", "tool", "images", "image", "agent", "model", "instructions"})
_TOOL_KEYS = frozenset(ImageGenerationTool.model_fields) - {"type", "image_deployment", "input_image_mask"}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_ID_RE = re.compile(r"^[^\x00-\x1f]{1,200}$")


class BatchInputError(ConfigurationError):
    """The item list has bad lines; ``problems`` holds ``(line number, message)`` for every one of them.

    Example::

        except BatchInputError as exc:
            for line, message in exc.problems: print(line, message)
    """

    def __init__(self, problems: Sequence[tuple[int, str]], *, source: str = "items") -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {source}:{line}: {message}" for line, message in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} bad item line(s), nothing was sent:\n{shown}{more}")


@dataclass(frozen=True)
class BatchItem:
    """One image to make: the prompt, a stable id (the journal's key), the output file stem and settings.

    Example::

        BatchItem(id="fox", prompt="a red fox in snow", tool={"quality": "low"})
    """

    id: str
    prompt: str
    name: str = ""
    tool: Mapping[str, Any] = field(default_factory=dict)
    images: tuple[str, ...] = ()
    agent: str | None = None
    model: str | None = None
    instructions: str | None = None
    #: Where the item came from (1-based line of the input file), when it came from a file.
    line: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", safe_name(self.id))


def safe_name(item_id: str) -> str:
    """A file stem made from an id: letters, digits, ``.``, ``_`` and ``-`` only, plus a short hash if changed."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", item_id).strip(".-")[:80] or "item"
    if cleaned == item_id and _NAME_RE.match(cleaned):
        return cleaned
    return f"{cleaned}-{hashlib.sha256(item_id.encode()).hexdigest()[:8]}"


def _auto_id(obj: Mapping[str, Any]) -> str:
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "p" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


def item_from_object(obj: Any, *, line: int | None = None) -> BatchItem:
    """One ``BatchItem`` from a JSONL object (or a plain prompt string); raises ``ValueError`` with the reason.

    Tool settings go under ``tool`` or at the top level (``size``, ``quality``, ...); ``images`` (or
    ``image``) are paths, URLs or file ids; ``agent`` names a stored agent; ``model`` the orchestrator.
    """
    if isinstance(obj, str):
        obj = {"prompt": obj}
    if not isinstance(obj, Mapping):
        raise ValueError(f"expected a JSON object with a 'prompt', got {type(obj).__name__}")
    unknown = sorted(set(obj) - _ITEM_KEYS - _TOOL_KEYS)
    if unknown:
        known = ", ".join(sorted(_ITEM_KEYS | _TOOL_KEYS))
        raise ValueError(f"unknown key(s) {', '.join(map(repr, unknown))}; known: {known}")
    prompt = obj.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("'prompt' must be a non-empty string")
    raw_id = obj.get("id")
    if raw_id is None:
        item_id = _auto_id({k: v for k, v in obj.items() if k != "name"})
    elif isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise ValueError(f"'id' must be a string or an integer, got {raw_id!r}")
    else:
        item_id = str(raw_id)
        if not _ID_RE.match(item_id):
            raise ValueError(f"'id' {item_id!r} must be 1-200 characters without control characters")
    name = obj.get("name")
    if name is not None and (not isinstance(name, str) or not _NAME_RE.match(name)):
        raise ValueError(f"'name' {name!r} must be a file stem: letters, digits, '.', '_', '-' (no folders)")
    tool_obj = obj.get("tool", {})
    if not isinstance(tool_obj, Mapping):
        raise ValueError("'tool' must be an object of image tool settings")
    settings = {**{k: obj[k] for k in obj if k in _TOOL_KEYS}, **tool_obj}
    try:
        ImageGenerationTool(**settings)  # the tool's own checks, before anything is sent
    except (ValueError, TypeError) as exc:
        first = str(exc).splitlines()
        raise ValueError("tool settings: " + " ".join(part.strip() for part in first[:3])) from None
    if obj.get("agent") is not None and settings:
        raise ValueError(
            f"tool settings ({', '.join(sorted(settings))}) with 'agent': the agent's stored tool decides them. "
            "Fix: drop them, or create an agent version with those settings"
        )
    images = obj.get("images", obj.get("image", ()))
    if isinstance(images, str):
        images = (images,)
    if not isinstance(images, (list, tuple)) or not all(isinstance(i, str) and i for i in images):
        raise ValueError("'images' must be a list of paths, URLs or file ids")
    for key in ("agent", "model", "instructions"):
        value = obj.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"{key!r} must be a non-empty string")
    return BatchItem(
        id=item_id,
        prompt=prompt,
        name=name or "",
        tool=settings,
        images=tuple(images),
        agent=obj.get("agent"),
        model=obj.get("model"),
        instructions=obj.get("instructions"),
        line=line,
    )


def parse_items(
    lines: Iterable[str] | Iterable[Any], *, fmt: Literal["auto", "jsonl", "text", "objects"] = "auto", source: str = ""
) -> list[BatchItem]:
    """Every item of a JSONL or plain-text list (or of Python objects); all bad lines reported at once.

    ``auto`` reads a line starting with ``{`` as JSON and any other line as a prompt; blank lines and
    lines starting with ``#`` are skipped in files. Duplicate ids (and duplicate output names) are refused.

    Example::

        parse_items(['{"id": "a", "prompt": "a cat"}', "a dog"])
    """
    items: list[BatchItem] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        try:
            if fmt == "objects" or not isinstance(raw, str):
                obj: Any = raw
            else:
                text = raw.strip()
                if not text or (fmt != "jsonl" and text.startswith("#")):
                    continue
                if fmt == "jsonl" or (fmt == "auto" and text.startswith("{")):
                    try:
                        obj = json.loads(text)
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
                else:
                    obj = text
            items.append(item_from_object(obj, line=number))
        except ValueError as exc:
            problems.append((number, str(exc)))
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for item in items:
        where = item.line or 0
        if item.id in seen_ids:
            problems.append((where, f"duplicate id {item.id!r} (first on line {seen_ids[item.id]})"))
        elif item.name.lower() in seen_names:
            problems.append((where, f"duplicate name {item.name!r} (first on line {seen_names[item.name.lower()]})"))
        seen_ids.setdefault(item.id, where)
        seen_names.setdefault(item.name.lower(), where)
    if problems:
        raise BatchInputError(sorted(problems), source=source or "items")
    return items


def local_image_paths(item: BatchItem) -> list[str]:
    """The item's input images that name local files (not http(s) or data URLs), to check before sending."""
    return [image for image in item.images if not image.startswith(("http://", "https://", "data:"))]


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` (0 <= I < N) as ``(I, N)``; raises ``ConfigurationError`` with the fix.

    Example::

        parse_shard("2/8")  # (2, 8)
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
        raise ConfigurationError(
            f"shard {text!r} is not I/N with 0 <= I < N. Fix: e.g. --shard 0/4 ... --shard 3/4 "
            "(a job array's task index, counted from 0)"
        )
    return int(match.group(1)), int(match.group(2))


def in_shard(item_id: str, index: int, count: int) -> bool:
    """Whether an item belongs to shard ``index`` of ``count``: a hash of its id, the same on every machine."""
    if count <= 1:
        return True
    digest = hashlib.sha256(item_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count == index


# ----------------------------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Verdict:
    """What a failed attempt means for the item, its deployment and the batch.

    ``action``: ``requeue`` (send the item again later), ``fail`` (this item only), ``drop_target``
    (take the deployment out, send the item elsewhere), ``stop`` (the whole batch). ``billed`` is
    ``"no"``, ``"maybe"`` (the request may have run: counted when resent) or ``"yes"``.
    """

    action: Literal["requeue", "fail", "drop_target", "stop"]
    retryable: bool
    billed: Literal["no", "maybe", "yes"] = "no"
    rate_limited: bool = False
    retry_after: float | None = None
    #: Counts toward taking the deployment out after several in a row (5xx, connection failures).
    target_fault: bool = False


_BLOCKED_WORDS = ("temporarily blocked", "resource blocked", "has been blocked", "account is blocked", "suspended")


def classify(error: BaseException) -> Verdict:
    """The verdict for an attempt that raised ``error``; unknown exceptions are bugs, and raise.

    Example::

        classify(RateLimitError("slow down", status=429, retry_after=3)).action  # 'requeue'
    """
    message = str(getattr(error, "message", error)).lower()
    if isinstance(error, (AuthenticationError, PermissionDeniedError)) or (
        isinstance(error, ServiceError) and any(word in message for word in _BLOCKED_WORDS)
    ):
        return Verdict("stop", retryable=False)
    if isinstance(error, RateLimitError):
        return Verdict("requeue", retryable=True, rate_limited=True, retry_after=error.retry_after)
    if isinstance(error, ContentFilterError):
        return Verdict("fail", retryable=False, billed="maybe" if error.status == 200 else "no")
    if isinstance(error, (DeploymentNotFoundError, ImageDeploymentError)):
        return Verdict("drop_target", retryable=True)
    if isinstance(error, NotFoundError):
        return Verdict("drop_target", retryable=True)
    if isinstance(error, ServerError):
        billed: Literal["no", "maybe"] = "maybe" if error.status == 200 else "no"
        return Verdict("requeue", retryable=True, billed=billed, retry_after=error.retry_after, target_fault=True)
    if isinstance(error, GenerationFailedError) and error.retryable:
        return Verdict("requeue", retryable=True, billed="maybe", target_fault=True)
    if isinstance(error, APIConnectionError):
        if error.retryable:  # nothing was sent
            return Verdict("requeue", retryable=True, target_fault=True)
        return Verdict("requeue", retryable=True, billed="maybe", target_fault=True)
    if isinstance(error, ServiceError):
        billed_here: Literal["no", "maybe"] = "maybe" if error.status == 200 else "no"
        return Verdict("fail", retryable=error.retryable, billed=billed_here)
    if isinstance(error, (ConfigurationError, OSError)):
        return Verdict("fail", retryable=False)
    raise error


def error_fields(error: BaseException) -> dict[str, Any]:
    """The journal's description of an error: type, status, code, message, request id."""
    fields: dict[str, Any] = {"error": type(error).__name__, "message": str(getattr(error, "message", error))[:500]}
    for name in ("status", "code", "request_id"):
        value = getattr(error, name, None)
        if value is not None:
            fields[name] = value
    return fields


# ------------------------------------------------------------------------------------------------ journal


def journal_line(record: Mapping[str, Any]) -> str:
    """One journal record as its line (compact JSON, newline-terminated)."""
    return json.dumps({"v": JOURNAL_VERSION, **record}, separators=(",", ":"), ensure_ascii=False) + "\n"


def parse_journal(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The records of a journal; a torn last line (the process died mid-write) is skipped."""
    for raw in lines:
        if not raw.endswith("\n"):
            # Only the last line of a killed writer can lack its newline: it was never fsynced whole.
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("kind"), str):
            yield record


def done_record(
    item_id: str, *, file: str, result_fields: Mapping[str, Any], target: str, attempt: int, latency: float
) -> dict[str, Any]:
    """The ``done`` record of an item."""
    return {
        "kind": "done",
        "id": item_id,
        "file": file,
        "target": target,
        "attempt": attempt,
        "latency": round(latency, 3),
        **result_fields,
    }


def failed_record(item_id: str, error: BaseException, verdict: Verdict, *, target: str, attempt: int) -> dict[str, Any]:
    """The ``failed`` record of an item: the typed error and whether retrying could help."""
    return {
        "kind": "failed",
        "id": item_id,
        "target": target,
        "attempt": attempt,
        "retryable": verdict.retryable,
        **error_fields(error),
    }


@dataclass
class ItemState:
    """What the journal says about one item, folded over its records."""

    id: str
    prompt: str = ""
    name: str = ""
    status: Literal["pending", "started", "done", "failed"] = "pending"
    attempts: int = 0
    #: Attempts whose outcome nobody knows (killed mid-request, read timeout): each may have been billed.
    unknown: int = 0
    #: An attempt is open: ``started`` with no outcome after it.
    open_attempt: bool = False
    mode: str = "direct"
    target: str | None = None
    response_id: str | None = None
    client_request_id: str | None = None
    rate_limited: int = 0
    done: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None

    @property
    def may_be_billed_twice(self) -> bool:
        """An attempt of unknown outcome was followed by another attempt."""
        return self.unknown > 0 and self.attempts > self.unknown

    def resume_action(self) -> Literal["skip", "poll", "send"]:
        """What ``--resume`` does with the item: skip it (done, or failed for good), poll it, or send it."""
        if self.status == "done":
            return "skip"
        if self.status == "failed" and not (self.failure or {}).get("retryable", False):
            return "skip"
        if self.open_attempt and self.mode == "background" and self.response_id:
            return "poll"
        return "send"


def replay(records: Iterable[Mapping[str, Any]]) -> dict[str, ItemState]:
    """Fold journal records into the state of every item (in journal order; later records win).

    A ``started`` record whose attempt never got an outcome counts as ``unknown`` when the next
    attempt starts, or at the end of the journal unless the service gave it a response id (a
    background item, to be polled).
    """
    states: dict[str, ItemState] = {}
    for record in records:
        item_id = record.get("id")
        if not isinstance(item_id, str):
            continue
        state = states.setdefault(item_id, ItemState(item_id))
        kind = record["kind"]
        if kind == "pending":
            state.prompt = str(record.get("prompt", state.prompt))
            state.name = str(record.get("name", state.name))
        elif kind == "started":
            if state.open_attempt:
                # Sent again while the last attempt's outcome was unknown (or still running).
                state.unknown += 1
            state.open_attempt = True
            state.attempts += 1
            if state.status != "done":
                state.status = "started"
            state.mode = str(record.get("mode", "direct"))
            state.target = record.get("target")
            state.client_request_id = record.get("client_request_id")
            state.response_id = record.get("response_id")
        elif kind == "accepted":
            state.response_id = record.get("response_id")
        elif kind == "retry":
            state.open_attempt = False
            state.response_id = None
            if record.get("billed") == "maybe":
                state.unknown += 1
            if record.get("rate_limited"):
                state.rate_limited += 1
        elif kind == "done":
            state.open_attempt = False
            state.status = "done"
            state.done = dict(record)
            state.failure = None
        elif kind == "failed":
            state.open_attempt = False
            if state.status != "done":
                state.status = "failed"
                state.failure = dict(record)
    for state in states.values():
        if state.open_attempt and not state.response_id and state.status != "done":
            # The writer died during this attempt: nobody knows whether the service ran it (a background
            # item with its response id is known to run, and is polled instead).
            state.unknown += 1
            state.open_attempt = False
    return states


# ------------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class BatchReport:
    """What a batch (or the merged journals of its shards) achieved.

    Example::

        report = client.batch("prompts.jsonl", "out")
        report.done, report.failed, report.may_be_billed_twice
    """

    total: int
    done: int
    failed: int
    pending: int
    #: Ids of items resent after an attempt of unknown outcome: each may have been paid for twice.
    may_be_billed_twice: tuple[str, ...] = ()
    rate_limited: int = 0
    stopped: str | None = None
    image_tokens: int = 0
    failures: tuple[Mapping[str, Any], ...] = ()
    wall_seconds: float | None = None
    targets_dropped: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every item is done and nothing stopped the batch."""
        return self.stopped is None and self.done == self.total

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON data (``--json``)."""
        return {
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "pending": self.pending,
            "may_be_billed_twice": list(self.may_be_billed_twice),
            "rate_limited": self.rate_limited,
            "stopped": self.stopped,
            "image_tokens": self.image_tokens,
            "failures": [dict(f) for f in self.failures],
            "wall_seconds": self.wall_seconds,
            "targets_dropped": list(self.targets_dropped),
            "ok": self.ok,
        }

    def summary(self) -> str:
        """A few human lines."""
        lines = [f"{self.done}/{self.total} done, {self.failed} failed, {self.pending} not finished"]
        if self.wall_seconds is not None:
            lines[0] += f" in {self.wall_seconds:.1f}s"
        if self.rate_limited:
            lines.append(f"{self.rate_limited} answer(s) were 429 (rate limited) and were sent again")
        if self.may_be_billed_twice:
            lines.append(
                f"{len(self.may_be_billed_twice)} item(s) may have been billed twice (an attempt of unknown outcome "
                f"was re-run): {', '.join(self.may_be_billed_twice[:10])}"
            )
        if self.targets_dropped:
            lines.append(f"taken out: {', '.join(self.targets_dropped)}")
        if self.stopped:
            lines.append(f"STOPPED: {self.stopped}")
        return "\n".join(lines)


def image_tokens_of(usage: Any) -> int:
    """Image tokens from a ``done`` record's ``usage`` (``tool_usage.image_gen`` shape); 0 when unknown."""
    if isinstance(usage, Mapping):
        total = usage.get("total_tokens")
        if isinstance(total, int):
            return total
        parts = [usage.get("input_tokens"), usage.get("output_tokens")]
        return sum(p for p in parts if isinstance(p, int))
    return 0


def report_from_states(
    states: Mapping[str, ItemState],
    *,
    stopped: str | None = None,
    wall_seconds: float | None = None,
    targets_dropped: Sequence[str] = (),
) -> BatchReport:
    """The report of the items in ``states`` (one journal, or several shards' journals replayed together)."""
    values = list(states.values())
    done = [s for s in values if s.status == "done"]
    failed = [s for s in values if s.status == "failed"]
    return BatchReport(
        total=len(values),
        done=len(done),
        failed=len(failed),
        pending=len(values) - len(done) - len(failed),
        may_be_billed_twice=tuple(sorted(s.id for s in values if s.may_be_billed_twice)),
        rate_limited=sum(s.rate_limited for s in values),
        stopped=stopped,
        image_tokens=sum(image_tokens_of((s.done or {}).get("usage")) for s in done),
        failures=tuple(
            {"id": s.id, **{k: v for k, v in (s.failure or {}).items() if k not in ("v", "kind", "id")}} for s in failed
        ),
        wall_seconds=wall_seconds,
        targets_dropped=tuple(targets_dropped),
    )


def run_outcome(records: Iterable[Mapping[str, Any]]) -> tuple[str | None, list[str]]:
    """``(stop reason, deployments taken out)`` of the last run a journal holds (each run starts with ``run``)."""
    stopped: str | None = None
    dropped: list[str] = []
    for record in records:
        kind = record.get("kind")
        if kind == "run":
            stopped, dropped = None, []
        elif kind == "stopped":
            stopped = str(record.get("reason", "stopped"))
        elif kind == "target_out":
            dropped.append(f"{record.get('target')}: {record.get('reason')}")
    return stopped, dropped
