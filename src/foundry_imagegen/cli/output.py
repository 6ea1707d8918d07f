"""What the command prints: results, JSON summaries, progress, and the exit status of each error."""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError

from ..exceptions import (
    APIConnectionError,
    AuthenticationError,
    ConfigurationError,
    ContentFilterError,
    DeploymentNotFoundError,
    FoundryImageGenError,
    GenerationFailedError,
    ImageDeploymentError,
    InvalidResponseError,
    NoImageGeneratedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamError,
)
from .parser import FLAGS

if TYPE_CHECKING:
    from pathlib import Path

    from .._core.results import GenerationResult

__all__ = ["EXIT_CODES", "Progress", "report", "summary", "write_result"]

#: Exit status per error class, most specific first; documented in docs/cli.md.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigurationError, 2),
    (AuthenticationError, 3),
    (PermissionDeniedError, 3),
    (ImageDeploymentError, 4),
    (DeploymentNotFoundError, 4),
    (NotFoundError, 4),
    (ContentFilterError, 5),
    (RateLimitError, 6),
    (ServerError, 7),
    (APIConnectionError, 7),
    (StreamError, 7),
    (NoImageGeneratedError, 8),
    (GenerationFailedError, 8),
    (InvalidResponseError, 8),
    (FoundryImageGenError, 1),
)


class Progress:
    """A spinner with elapsed time on a terminal; silent when stderr is piped or --quiet."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled and stream.isatty()
        self._status = "generating"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, status: str) -> None:
        """Show ``status`` next to the spinner from its next frame on."""
        self._status = status

    def __enter__(self) -> Progress:
        if self._enabled:
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._stream.write("\r\033[K")
            self._stream.flush()

    def _spin(self) -> None:
        start = time.monotonic()
        for frame in itertools.cycle("|/-\\"):
            self._stream.write(f"\r{frame} {self._status} {time.monotonic() - start:5.1f}s")
            self._stream.flush()
            if self._stop.wait(0.1):
                return


def summary(result: GenerationResult, path: str, elapsed: float) -> dict[str, Any]:
    """The ``--json`` summary of a generation.

    :param result: what the client returned.
    :param path: where the image was written.
    :param elapsed: seconds from the start of the command to the saved image.
    """
    image = result.image
    return {
        "path": path,
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "bytes": len(image.data),
        "revised_prompt": result.revised_prompt,
        "text": result.text,
        "response_id": result.id,
        "edited_via": result.edited_via,
        "request_id": result.request_id,
        "elapsed_s": round(elapsed, 3),
    }


def write_result(
    result: GenerationResult, path: Path, started: float, out: TextIO, err: TextIO, *, as_json: bool, quiet: bool
) -> int:
    """Print the written path (or the JSON summary) on ``out`` and a one-line note on ``err``; returns 0.

    :param result: what the client returned.
    :param path: where the image was written.
    :param started: ``time.monotonic()`` at the start of the command.
    :param out: stdout of the command.
    :param err: stderr of the command.
    :param as_json: print the summary as JSON instead of the path.
    :param quiet: leave out the note.
    """
    elapsed = time.monotonic() - started
    if as_json:
        out.write(json.dumps(summary(result, str(path), elapsed)) + "\n")
        return 0
    image = result.image
    out.write(f"{path}\n")
    if not quiet:
        err.write(
            f"wrote {path} ({image.width}x{image.height} {image.format}, "
            f"{len(image.data) / 1024:.0f} KiB, {elapsed:.1f}s)\n"
        )
    return 0


def report(exc: BaseException, err: TextIO) -> int:
    """Print an error (and its hint) on ``err`` and return the exit status for it.

    :param exc: an SDK error, a pydantic ``ValidationError`` of the tool flags, or ``FileExistsError``.
    :param err: stderr of the command.
    """
    if isinstance(exc, ValidationError):
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            err.write(f"error: {FLAGS.get(field, field)}: {error['msg']}\n")
        return 2
    if isinstance(exc, FileExistsError):
        err.write(f"error: {exc}\n")
        return 2
    err.write(f"error: {exc}\n")
    hint = getattr(exc, "hint", None)
    if hint and "Hint:" not in str(exc):
        err.write(f"hint: {hint}\n")
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))
