"""The batch journal on disk: one JSON record a line, appended and fsynced one at a time.

A reader after any crash (kill -9 included) sees every record that was acknowledged, and at most one
torn last line, which ``parse_journal`` skips; the next writer starts on a fresh line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._core.batch import journal_line, parse_journal

__all__ = ["JournalWriter", "journal_name", "journal_paths", "read_item_lines", "read_journal"]


def journal_name(shard: tuple[int, int] | None) -> str:
    """``journal.jsonl``, or ``journal.I-of-N.jsonl`` for one shard of a job array."""
    if shard is None or shard[1] <= 1:
        return "journal.jsonl"
    return f"journal.{shard[0]}-of-{shard[1]}.jsonl"


def journal_paths(outdir: Path) -> list[Path]:
    """Every journal in ``outdir`` (the shards' and an unsharded one), in name order."""
    return sorted(outdir.glob("journal*.jsonl"))


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The records of one journal (empty when it does not exist)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(parse_journal(handle))


def read_item_lines(path: Path) -> Iterable[str]:
    """The lines of an item list, read lazily (a list of a million prompts is never held as one string)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from handle


class JournalWriter:
    """Appends records to a journal; each is on disk (fsynced) before ``write`` returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o666)
        size = os.fstat(self._fd).st_size
        if size:
            with path.open("rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    # A writer died mid-line: end the torn line so the next record starts clean.
                    os.write(self._fd, b"\n")

    def write(self, record: Mapping[str, Any]) -> None:
        data = journal_line(record).encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
