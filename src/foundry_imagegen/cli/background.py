"""Background generations on the command line: ``generate --no-wait`` starts one and prints its id,
``wait ID -o PATH`` finishes it (from any later command or process), ``cancel ID`` stops it.

The SDK does the work (``generate(..., background=True)``, ``client.background(id)``); this module only
maps flags to it, shows the polls as progress and says what to run next.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, cast

from .._core.background import response_id as checked_response_id
from ..exceptions import ConfigurationError, GenerationInProgressError
from .output import EXIT_CODES, Progress, progress_mode

if TYPE_CHECKING:
    from .._core.background import PollProgress
    from .._core.images import ImageFormat

__all__ = ["add_generate_flags", "add_parsers", "cancel", "start", "wait"]

#: What ``wait`` sleeps with between polls (tests replace it to move a fake emulator clock instead).
sleep: Callable[[float], None] = time.sleep

#: The exit status of a ``wait`` whose ``--timeout`` ran out (the generation keeps running).
EXIT_STILL_RUNNING = dict(EXIT_CODES)[GenerationInProgressError]


def add_generate_flags(parser: argparse.ArgumentParser) -> None:
    """``generate --no-wait``: start a background generation and return at once."""
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="start a background generation, print its response id and return at once (no -o; finish it with "
        "`foundry-imagegen wait ID -o PATH`)",
    )


def add_parsers(commands: Any) -> None:
    """The ``wait`` and ``cancel`` commands, on the subparsers of ``build_parser``.

    :param commands: what ``ArgumentParser.add_subparsers`` returned.
    """
    from .parser import _add_service_flags

    wait_parser = commands.add_parser(
        "wait",
        help="wait for a background generation (generate --no-wait) and save its image",
        description=(
            "Poll a background generation until it finishes, showing its progress, then save its image. Any "
            "later command or process can do this with the id alone. --timeout is how long to wait in all "
            f"(default: until it finishes); when it runs out the command exits {EXIT_STILL_RUNNING} and the "
            "generation keeps running."
        ),
    )
    wait_parser.add_argument("response_id", metavar="ID", help="the response id generate --no-wait printed")
    wait_parser.add_argument("-o", "--output", required=True, help="file to write; its extension follows the format")
    wait_parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    _add_service_flags(wait_parser, timeout_help="seconds to wait in all (default: until it finishes)")

    cancel_parser = commands.add_parser(
        "cancel", help="cancel a background generation", description="Ask the service to stop a background generation."
    )
    cancel_parser.add_argument("response_id", metavar="ID", help="the response id generate --no-wait printed")
    _add_service_flags(cancel_parser)


def _response_id(args: argparse.Namespace) -> str:
    try:
        return checked_response_id(args.response_id)
    except ConfigurationError:
        raise ConfigurationError(
            f"ID {args.response_id!r} is not a response id. Fix: pass the id `foundry-imagegen generate --no-wait` "
            "printed (resp_...)"
        ) from None


def _check_lasting_emulator(args: argparse.Namespace, doing: str) -> None:
    """A throwaway emulator dies with the command: nothing started there can be waited for later."""
    from .commands import endpoint_configured, service_overrides
    from .local_emulator import find_running

    configured = endpoint_configured(os.environ, service_overrides(args))
    local = args.emulator or (args.emulator_if_unconfigured and not configured)
    if local and find_running(os.environ) is None:
        raise ConfigurationError(
            f"{doing} needs an emulator that outlives this command, and none is started (--emulator would start "
            "a throwaway one, gone when the command ends). Fix: run `foundry-imagegen emulator start` first"
        )


def start(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen generate --no-wait``: start a background generation, print its id, exit 0.

    :param args: parsed arguments of the ``generate`` command.
    :param out: stdout (the response id, or ``{"response_id", "status"}`` with ``--json``).
    :param err: stderr (notes and errors).
    """
    from .commands import _agent_ref, _check_direct_call, _client_for, _tool_from

    for flag, given in (("--stream", args.stream), ("--save-partials", args.save_partials), ("-o", args.output)):
        if given:
            fix = (
                "drop -o and pass it to `foundry-imagegen wait ID -o PATH` (--format picks the format now)"
                if flag == "-o"
                else f"drop {flag}, or drop --no-wait"
            )
            raise ConfigurationError(f"{flag} cannot be used with --no-wait, which saves nothing. Fix: {fix}")
    _check_lasting_emulator(args, "generate --no-wait")
    tool = _tool_from(args)
    with _client_for(args, err) as client:
        _check_direct_call(args, client, tool)
        handle = client.generate(
            args.prompt,
            tool=tool,
            images=args.image,
            agent=_agent_ref(args.agent),
            upload_images=args.upload,
            background=True,
        )
    if args.json:
        out.write(json.dumps({"response_id": handle.id, "status": handle.status}) + "\n")
    else:
        out.write(handle.id + "\n")
    if not args.quiet:
        err.write(
            f"note: started {handle.id} ({handle.status}); save it with `foundry-imagegen wait {handle.id} -o PATH`, "
            f"or stop it with `foundry-imagegen cancel {handle.id}`\n"
        )
    return 0


def _shown(progress: Progress) -> Callable[[PollProgress], None]:
    def show(poll: PollProgress) -> None:
        then = f", next poll in {poll.next_wait:.1f}s" if poll.next_wait is not None else ""
        progress.step(f"{poll.status} (poll {poll.polls}{then})")

    return show


def wait(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen wait ID -o PATH``: poll a background generation until done, then save its image.

    :param args: parsed arguments of the ``wait`` command.
    :param out: stdout (the written path, the JSON summary, or with ``-o -`` the image bytes).
    :param err: stderr (progress, notes, errors).
    """
    from .commands import _check_outputs, _check_stdout_output, _client_for, _finish, output_format

    rid = _response_id(args)
    if args.output == "-":
        _check_stdout_output(args, out)
    else:
        # The format is the service's to say; the extension of -o tells what the file will most likely be.
        _check_outputs(args, cast("ImageFormat", output_format(args.output, None) or "png"))
    _check_lasting_emulator(args, "wait")
    started = time.monotonic()
    timings: dict[str, float | None] = {}
    with (
        _client_for(args, err, sleep=sleep) as client,
        Progress(err, mode=progress_mode(err, quiet=args.quiet, verbose=bool(args.verbose))) as progress,
    ):
        progress.step(f"waiting for {rid}")
        try:
            result = client.background(rid).wait(timeout=args.timeout, on_progress=_shown(progress))
        except GenerationInProgressError as exc:
            raise GenerationInProgressError(
                f"{rid} is still {exc.status or 'running'} after --timeout {args.timeout:g}s; it keeps running on the "
                f"service. Fix: run `foundry-imagegen wait {rid} -o {args.output}` again (a longer --timeout), or "
                f"`foundry-imagegen cancel {rid}`",
                response_id=rid,
                status=exc.status,
            ) from None
        timings["service_s"] = time.monotonic() - started
    return _finish(args, result, out, err, started=started, timings=timings, partials=[])


def cancel(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen cancel ID``: ask the service to stop a background generation.

    :param args: parsed arguments of the ``cancel`` command.
    :param out: stdout (``ID STATUS``, or ``{"response_id", "status"}`` with ``--json``).
    :param err: stderr (notes and errors).
    """
    from .commands import _client_for

    rid = _response_id(args)
    _check_lasting_emulator(args, "cancel")
    with _client_for(args, err) as client:
        response = client.background(rid).cancel()
    if args.json:
        out.write(json.dumps({"response_id": rid, "status": response.status}) + "\n")
    else:
        out.write(f"{rid} {response.status}\n")
    return 0
