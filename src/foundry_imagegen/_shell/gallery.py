"""The batch's outputs beside the images: ``index.html`` (the gallery) and ``summary.json`` (the report).

Both are rebuilt from every journal in the folder, so the shards of a job array merge into one report
whichever of them finishes last (or by ``foundry-imagegen batch --merge OUTDIR``).
"""

from __future__ import annotations

import json
from pathlib import Path

from .._core.batch import BatchReport, ItemState, replay, report_from_states, run_outcome
from .._core.gallery import render_gallery
from .disk import atomic_write
from .journal import journal_paths, read_journal

__all__ = ["merged_states", "write_batch_outputs"]


def merged_states(outdir: Path) -> tuple[dict[str, ItemState], str | None, list[str]]:
    """Items of every journal in ``outdir``, with the last stop reason and the deployments taken out."""
    records: list[dict[str, object]] = []
    stopped: str | None = None
    dropped: list[str] = []
    for path in journal_paths(outdir):
        journal = read_journal(path)
        records.extend(journal)
        stop, out = run_outcome(journal)
        stopped = stopped or stop
        dropped.extend(out)
    return replay(records), stopped, dropped


def write_batch_outputs(outdir: Path, *, wall_seconds: float | None = None) -> BatchReport:
    """Write ``index.html`` and ``summary.json`` for everything the journals in ``outdir`` say; return the report."""
    states, stopped, dropped = merged_states(outdir)
    report = report_from_states(states, stopped=stopped, wall_seconds=wall_seconds, targets_dropped=dropped)
    page = render_gallery(states.values(), title=f"{outdir.name or 'batch'}: {report.done}/{report.total} done")
    atomic_write(outdir / "index.html", page.encode("utf-8"), overwrite=True)
    summary = json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
    atomic_write(outdir / "summary.json", summary.encode("utf-8"), overwrite=True)
    return report
