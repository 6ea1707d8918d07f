"""The ``foundry-imagegen`` command: generate images from a shell, or serve the local emulator.

The library never configures logging or prints; this package is the one place that does both.
``parser`` builds the arguments, ``commands`` runs them, ``output`` prints (results, JSON, progress) and maps
errors to exit codes, ``local_emulator`` keeps the background emulator of ``emulator start`` and its state file.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from pydantic import ValidationError

from ..exceptions import FoundryImageGenError
from .commands import COMMANDS
from .output import EXIT_CODES, report, show_warning
from .parser import build_parser

__all__ = ["EXIT_CODES", "build_parser", "main"]


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 on success, see ``EXIT_CODES``).

    :param argv: the arguments after the program name (default ``sys.argv[1:]``).
    :param stdout: where results go (default ``sys.stdout``).
    :param stderr: where notes, progress and errors go (default ``sys.stderr``).

    Example::

        main(["generate", "a cat", "-o", "cat.png", "--emulator"])
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if getattr(args, "verbose", 0):
        logging.basicConfig(stream=err, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("foundry_imagegen").setLevel(logging.DEBUG if args.verbose > 1 else logging.INFO)
    with warnings.catch_warnings():
        # The SDK's warnings, in the same terms as its errors; the filters (shown once, or raised) stay as set.
        warnings.showwarning = lambda message, *_args, **_kwargs: show_warning(message, err)
        try:
            return COMMANDS[args.command](args, out, err)
        except (FoundryImageGenError, ValidationError, FileExistsError) as exc:
            return report(exc, err)
        except KeyboardInterrupt:
            err.write("interrupted\n")
            return 130
