"""``foundry-imagegen batch PROMPTS -o OUTDIR``: a resumable, quota-paced batch, with a live display.

``add_parser(subparsers)`` adds the command to the main parser; ``run(args)`` runs it and returns the exit
status: 0 every item done, 1 some failed or not finished, 2 bad input or options, 3 stopped by the service
(authentication, permissions, an account-level block).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..exceptions import ConfigurationError, FoundryImageGenError

if TYPE_CHECKING:
    from .._core.batch import BatchReport
    from .._core.pacing import BatchProgress
    from .._shell._sync.client import FoundryClient

__all__ = ["add_parser", "build_parser", "run"]

EMULATOR_MODEL = "gpt-4.1"
EMULATOR_IMAGE_DEPLOYMENT = "gpt-image-1"


class TextOut(Protocol):
    """Where the batch command writes: a text stream (sys.stdout, sys.stderr, or a test's capture)."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...

    def isatty(self) -> bool: ...


def _configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "prompts", nargs="?", help="a JSONL file (one object a line) or a text file (one prompt a line)"
    )
    parser.add_argument("-o", "--output", dest="outdir", required=True, help="folder for the images and the journal")
    pace = parser.add_argument_group("pacing")
    pace.add_argument("--concurrency", type=int, default=16, help="requests in flight at most (default 16)")
    pace.add_argument(
        "--rpm",
        type=float,
        action="append",
        help="the deployment's quota in requests per minute; once for all, or once per --deployment "
        "(default: learned from the service's rate-limit headers, starting slow)",
    )
    pace.add_argument(
        "--deployment",
        "--image-deployment",
        dest="deployments",
        action="append",
        help="an image deployment to share the work (repeatable)",
    )
    pace.add_argument("--max-attempts", type=int, default=4, help="sends of one item after 5xx or timeouts")
    runs = parser.add_argument_group("runs")
    runs.add_argument("--resume", action="store_true", help="continue the batch whose journal is in OUTDIR")
    runs.add_argument(
        "--background",
        action="store_true",
        help="start each image as a background response and poll it (no request held open for minutes; "
        "a resume polls what was started instead of sending it again)",
    )
    runs.add_argument(
        "--poll-interval", type=float, default=2.0, help="seconds between polls in background mode (default 2)"
    )
    runs.add_argument("--shard", help="run share I of N (0 <= I < N), e.g. a job array's task index: --shard 3/8")
    runs.add_argument(
        "--merge", action="store_true", help="send nothing: rebuild summary.json and index.html from OUTDIR's journals"
    )
    tool = parser.add_argument_group("image tool (defaults for items that do not say)")
    tool.add_argument("--size")
    tool.add_argument("--quality")
    tool.add_argument("--format", dest="output_format")
    service = parser.add_argument_group("service")
    service.add_argument("--endpoint", help="project or resource endpoint [env AZURE_AI_PROJECT_ENDPOINT]")
    service.add_argument("--api-key", help="resource key (prefer env AZURE_OPENAI_API_KEY)")
    service.add_argument(
        "--model",
        "--orchestrator",
        dest="orchestrator",
        help="chat model deployment that calls the tool [env AZURE_AI_MODEL_DEPLOYMENT_NAME]",
    )
    service.add_argument("--timeout", type=float, help="seconds to wait for one image (default 600)")
    service.add_argument("--emulator", action="store_true", help="run against an in-process local emulator")
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    out.add_argument("--plain", action="store_true", help="a line per item, even on a terminal")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress, only the summary")
    # What the shared client builder reads that batch sets per deployment or not at all.
    parser.set_defaults(image_deployment=None, max_retries=None, emulator_if_unconfigured=False)
    return parser


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``batch`` to the main parser's subcommands; returns its parser."""
    parser = subparsers.add_parser(
        "batch",
        help="generate a list of images: paced to the quota, journaled, resumable, sharded",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    return _configure(parser)


def build_parser() -> argparse.ArgumentParser:
    """The command on its own (for tests and for running it before it is wired into the main parser)."""
    return _configure(argparse.ArgumentParser(prog="foundry-imagegen batch"))


@contextlib.contextmanager
def _client(args: argparse.Namespace, deployment: str | None, err: TextOut) -> Iterator[FoundryClient]:
    # The CLI's one way from flags to a client: the same precedence, started-emulator reuse and errors
    # in flag terms as every other command.
    from .commands import _client_for

    extra: dict[str, Any] = {"image_deployment": deployment} if deployment else {}
    with _client_for(args, err, **extra) as client:  # type: ignore[arg-type]  # TextOut is the writer it uses
        yield client


class _Display:
    """A live panel (rich, when installed and stderr is a terminal) or a plain line per item."""

    def __init__(self, err: TextOut, *, plain: bool, quiet: bool) -> None:
        self.err = err
        self.quiet = quiet
        self.live: Any = None
        if not quiet and not plain and err.isatty():
            # rich is optional (not a dependency): without it, the plain lines.
            try:
                console = importlib.import_module("rich.console")
                live = importlib.import_module("rich.live")
            except ImportError:
                pass
            else:
                self.live = live.Live(console=console.Console(file=err), refresh_per_second=4, transient=False)

    def __enter__(self) -> _Display:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def __call__(self, record: Mapping[str, Any], progress: BatchProgress) -> None:
        if self.quiet:
            return
        if self.live is not None:
            self.live.update(_panel(progress))
            return
        kind = record.get("kind")
        if kind not in ("done", "failed", "retry"):
            return
        detail = record.get("file") if kind == "done" else f"{record.get('error')}: {record.get('message', '')[:120]}"
        self.err.write(f"[{progress.done + progress.failed}/{progress.total}] {kind} {record.get('id')} {detail}\n")
        self.err.flush()


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _panel(progress: BatchProgress) -> Any:
    table = importlib.import_module("rich.table").Table.grid(padding=(0, 2))
    table.add_row("done", f"{progress.done}/{progress.total}", "failed", str(progress.failed))
    table.add_row("in flight", str(progress.in_flight), "queued", str(progress.queued))
    table.add_row(
        "images/min",
        f"{progress.images_per_minute:.1f} of {progress.quota_per_minute:.0f}",
        "ETA",
        _eta(progress.eta_seconds),
    )
    return table


def _exit_status(report: BatchReport) -> int:
    if report.stopped:
        return 3
    return 0 if report.ok else 1


def _tool(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k in ("size", "quality", "output_format") if (v := getattr(args, k, None)) is not None}


def run(args: argparse.Namespace, *, stdout: TextOut | None = None, stderr: TextOut | None = None) -> int:
    """Run ``batch`` for parsed arguments; returns the exit status.

    Example::

        run(build_parser().parse_args(["prompts.txt", "-o", "out", "--emulator", "--rpm", "600"]))
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    outdir = Path(args.outdir)
    try:
        if args.merge:
            from .._shell.gallery import write_batch_outputs

            report = write_batch_outputs(outdir)
        else:
            if not args.prompts:
                raise ConfigurationError("no PROMPTS file. Fix: foundry-imagegen batch prompts.jsonl -o OUTDIR")
            report = _run(args, outdir, err)
    except FoundryImageGenError as exc:
        err.write(f"error: {exc}\n")
        hint = getattr(exc, "hint", None)
        if hint and "Hint:" not in str(exc):
            err.write(f"hint: {hint}\n")
        return 2 if isinstance(exc, ConfigurationError) else 1
    except (OSError, ValueError) as exc:
        err.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("interrupted: run again with --resume to continue\n")
        return 130
    if args.json:
        out.write(json.dumps(report.as_json(), indent=2) + "\n")
    if not args.json or not args.quiet:
        err.write(report.summary() + "\n")
        if report.stopped:
            err.write("the batch stopped instead of burning through the list; fix the cause, then --resume\n")
        err.write(f"gallery: {outdir / 'index.html'}\n")
    return _exit_status(report)


def _run(args: argparse.Namespace, outdir: Path, err: TextOut) -> BatchReport:
    deployments = list(args.deployments or [])
    rpm = args.rpm or None
    options: dict[str, Any] = {
        "concurrency": args.concurrency,
        "resume": args.resume,
        "shard": args.shard,
        "tool": _tool(args),
        "max_attempts": args.max_attempts,
        "background": args.background,
        "poll_interval": args.poll_interval,
        "rpm": rpm[0] if rpm and len(rpm) == 1 else rpm,
    }
    if deployments:
        options["deployments"] = deployments
    with (
        _client(args, deployments[0] if len(deployments) == 1 else None, err) as client,
        _Display(err, plain=args.plain, quiet=args.quiet) as display,
    ):
        runner = client.batch(outdir, on_progress=display, **options)
        report = runner.run(args.prompts)
    return report
