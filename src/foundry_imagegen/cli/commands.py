"""One function per command; each takes the parsed arguments and the two output streams, returns the exit status."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._core.config import env_settings
from .._core.constants import ENV_MODEL, ENV_OPENAI_ENDPOINT, ENV_PROJECT_ENDPOINT
from .._core.images import _CANONICAL, _EXTENSIONS, _OTHER_IMAGE_EXTENSIONS, ImageFormat
from .._core.tool import ImageGenerationTool
from .._shell.disk import atomic_write, partial_path, remove_quietly, target_path
from ..exceptions import ConfigurationError, MissingImageDeploymentError
from . import background
from .output import Progress, progress_mode, write_result
from .parser import BARE_BACKGROUND, FLAGS

if TYPE_CHECKING:
    from .._core.agents import AgentReference
    from .._core.results import GeneratedImage, GenerationResult
    from .._shell._sync.client import FoundryClient

__all__ = [
    "COMMANDS",
    "agent",
    "batch",
    "completion",
    "doctor",
    "edit",
    "emulator",
    "endpoint_configured",
    "generate",
    "output_format",
    "service_overrides",
]

EMULATOR_MODEL = "gpt-5.1"  # in date, and one the emulator serves (a reasoning model, as real ones are)
EMULATOR_IMAGE_DEPLOYMENT = "gpt-image-2"


def service_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The service flags the user gave, as ``FoundryClient.from_env`` keyword overrides.

    A flag left out is absent (not None), so the core's precedence applies: flag, then variable, then default.

    :param args: parsed arguments of a command with the service flags.
    """
    given = {
        "endpoint": args.endpoint,
        "api_key": args.api_key,
        "model": args.orchestrator,
        "image_deployment": args.image_deployment,
        "timeout": args.timeout,
        "max_retries": args.max_retries,
    }
    return {name: value for name, value in given.items() if value is not None}


def endpoint_configured(environ: Mapping[str, str], overrides: Mapping[str, Any]) -> bool:
    """Whether a flag or a variable names an endpoint, by the core's own rules (``env_settings``).

    :param environ: the environment to read.
    :param overrides: what ``service_overrides`` returned.
    """
    try:
        env_settings(environ, endpoint=overrides.get("endpoint"))
    except ConfigurationError:
        return False
    return True


@contextlib.contextmanager
def _client_for(args: argparse.Namespace, err: TextIO, **options: Any) -> Iterator[FoundryClient]:
    """The client the flags describe; ``options`` are more constructor keywords (e.g. ``sleep=``)."""
    from .._shell._sync.client import FoundryClient

    environ = os.environ
    overrides = {**service_overrides(args), **options}
    configured = endpoint_configured(environ, overrides)
    if args.emulator or (args.emulator_if_unconfigured and not configured):
        with _local_emulator(args, err) as endpoint:
            settings = {
                "model": EMULATOR_MODEL,
                "image_deployment": EMULATOR_IMAGE_DEPLOYMENT,
                **overrides,
                "endpoint": endpoint,
                # An emulator started with --api-key checks keys; one without accepts any.
                "api_key": overrides.get("api_key", "emulator"),
            }
            with FoundryClient.from_env({}, **settings) as client:
                yield client
        return
    if not configured:
        raise ConfigurationError(
            f"no endpoint. Fix: pass --endpoint, export {ENV_PROJECT_ENDPOINT}, or use --emulator to try it locally"
        )
    try:
        client = FoundryClient.from_env(environ, **overrides)
    except ConfigurationError as exc:
        if not str(exc).startswith("endpoint"):
            raise
        source = "--endpoint" if "endpoint" in overrides else _endpoint_variable(environ)
        raise ConfigurationError(f"{source}: {exc}") from None
    with client:
        yield client


def _endpoint_variable(environ: Mapping[str, str]) -> str:
    # The core reads the project variable first; name the one whose value was used.
    return ENV_PROJECT_ENDPOINT if environ.get(ENV_PROJECT_ENDPOINT) else ENV_OPENAI_ENDPOINT


def _check_direct_call(args: argparse.Namespace, client: FoundryClient, tool: ImageGenerationTool) -> None:
    """Refuse, in flag terms, what the core would refuse in Python terms (model=..., agent=...)."""
    if not args.prompt.strip():
        raise ConfigurationError("PROMPT is empty. Fix: describe the image you want, e.g. 'a red fox in snow'")
    if not (tool.image_deployment or client.image_deployment):
        raise MissingImageDeploymentError("no image deployment")  # output.cli_message says it in flag terms
    if args.agent:
        given = [FLAGS[name] for name in FLAGS if name != "image_deployment" and getattr(args, name, None) is not None]
        if given:
            raise ConfigurationError(
                f"{', '.join(given)} cannot be used with --agent: the agent's stored definition holds its image "
                f"tool. Fix: drop {', '.join(given)}, or create an agent version with them "
                f"(foundry-imagegen agent create NAME {given[0]} ...)"
            )
        if getattr(args, "mask", None):
            raise ConfigurationError(
                "--mask cannot be used with --agent: the mask belongs to the image tool, which the agent's stored "
                "definition holds. Fix: drop --agent and pass --model"
            )
        return
    _check_model(client, tool)


def _check_model(client: FoundryClient, tool: ImageGenerationTool) -> None:
    if not client.model:
        raise ConfigurationError(
            "no orchestrator model: the chat model deployment that decides to call the image tool. Fix: pass "
            f"--model (e.g. gpt-5.1, your deployment's name), or export {ENV_MODEL}"
        )
    image_deployment = tool.image_deployment or client.image_deployment
    if client.model == image_deployment:
        raise ConfigurationError(
            f"--model {client.model} is also the image deployment; the orchestrator must be a chat model "
            f"deployment. Fix: pass a chat deployment (e.g. gpt-5.1) to --model or {ENV_MODEL}, and keep "
            f"{image_deployment} in --image-deployment"
        )


@contextlib.contextmanager
def _local_emulator(args: argparse.Namespace, err: TextIO) -> Iterator[str]:
    """The endpoint of the background emulator if one runs, else of a throwaway one for this command."""
    from .local_emulator import find_running

    _check_emulator_formats(args)
    why = "" if args.emulator else "no Azure endpoint configured; "
    running = find_running(os.environ)
    if running is not None:
        _note(
            args,
            err,
            f"{why}using the local emulator started by `foundry-imagegen emulator start` at {running.describe()}",
        )
        yield running.endpoint
        return
    from ..emulator import Emulator

    _note(
        args,
        err,
        f"{why}using a throwaway local emulator: agents and files made now are gone when this command ends "
        "(`foundry-imagegen emulator start` keeps one running)",
    )
    with Emulator() as emulator:
        yield emulator.endpoint


def _pillow_available() -> bool:
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def _check_emulator_formats(args: argparse.Namespace) -> None:
    """The emulator encodes JPEG and WebP with Pillow; without it, say which extra to install before sending."""
    fmt = getattr(args, "output_format", None)
    if fmt in ("jpeg", "webp") and not _pillow_available():
        raise ConfigurationError(
            f"the local emulator writes {fmt} images with Pillow, which is not installed. Fix: pip install "
            "'foundry-imagegen[pillow]', or ask for png (--format png, or an -o name ending in .png)"
        )


def _note(args: argparse.Namespace, err: TextIO, text: str) -> None:
    if not getattr(args, "quiet", False):
        err.write(f"note: {text}\n")


def _tool_from(args: argparse.Namespace) -> ImageGenerationTool:
    if getattr(args, "background", None) is BARE_BACKGROUND:
        raise ConfigurationError(
            "--background needs a value: the image's background (transparent, opaque or auto). Fix: pass one; to "
            "start a background generation and return at once, pass --no-wait instead"
        )
    fields = {name: getattr(args, name, None) for name in FLAGS}
    return ImageGenerationTool(**{k: v for k, v in fields.items() if v is not None})


def _agent_ref(value: str | None) -> AgentReference | None:
    if not value:
        return None
    from .._core.agents import AgentReference, validate_agent_name

    name, _, version = value.partition(":")
    return AgentReference(name=validate_agent_name(name), version=version or None)


def output_format(output: str, flag: str | None) -> str | None:
    """The image format to ask for: ``--format`` if given, else the one the extension of ``-o`` names.

    A conflict (``-o fox.jpg --format png``) is refused rather than silently renamed, since either could be
    what the user meant. ``-o -`` (stdout) and names without an image extension leave the choice to ``--format``.

    :param output: the ``-o`` value.
    :param flag: the ``--format`` value, or None.
    """
    if output == "-":
        return flag
    path = Path(output)
    suffix = path.suffix.lower()
    named = _EXTENSIONS.get(suffix)
    if suffix in _OTHER_IMAGE_EXTENSIONS:
        raise ConfigurationError(
            f"-o {output}: the image tool writes png, jpeg, webp (and gif or svg on gpt-image-2.6), not {suffix[1:]}. "
            "Fix: name the file "
            f"{path.with_suffix('.png').name}, {path.with_suffix('.jpg').name} or {path.with_suffix('.webp').name}"
        )
    if flag and named and flag != named:
        raise ConfigurationError(
            f"-o {output} names a {named} file but --format asks for {flag}; neither wins. Fix: drop --format "
            f"(the extension of -o picks the format), or name the file {path.with_suffix(_CANONICAL[flag]).name}"
        )
    return flag or named


def _check_outputs(args: argparse.Namespace, fmt: ImageFormat, *, partials: int = 0) -> None:
    """Refuse an existing output before anything is sent: finding out after a paid generation is too late."""
    paths = [target_path(args.output, fmt, fix_extension=True)]
    paths += [partial_path(args.output, fmt, index) for index in range(partials)]
    for path in paths:
        if not args.overwrite and path.exists():
            raise ConfigurationError(f"{path} exists. Fix: pass --overwrite, or choose another -o")


def _check_stdout_output(args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        raise ConfigurationError(
            "-o - writes the image bytes to stdout, where --json would print too. Fix: drop --json, or pass a "
            "file name to -o"
        )
    if getattr(args, "save_partials", False):
        raise ConfigurationError("--save-partials names files after -o, and -o - is no file. Fix: pass a file name")
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        raise ConfigurationError(
            "-o - would write binary image bytes to the terminal. Fix: redirect stdout (-o - > fox.png), pipe "
            "it, or pass a file name to -o"
        )


def _prepare_output(args: argparse.Namespace, out: TextIO, *, partials: int = 0) -> ImageGenerationTool:
    """Check -o and --format together and return the tool to send (its format set from -o if need be)."""
    tool = _tool_from(args)  # the flags' own errors first: they name the flag to fix
    fmt = output_format(args.output, args.output_format)
    # PNG is the service's default, so it is not spelled out; with --agent the stored tool decides the format
    # (the core refuses tool settings there) and the extension is corrected to the real format on saving.
    if fmt != args.output_format and fmt != "png" and not args.agent:
        args.output_format = fmt
        tool = _tool_from(args)
    if args.output == "-":
        _check_stdout_output(args, out)
    else:
        _check_outputs(args, tool.output_format or "png", partials=partials)
    return tool


def _write_stdout(out: TextIO, data: bytes) -> None:
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        raise ConfigurationError("stdout takes no bytes here. Fix: pass a file name to -o")
    out.flush()
    buffer.write(data)
    buffer.flush()


def _finish(
    args: argparse.Namespace,
    result: GenerationResult,
    out: TextIO,
    err: TextIO,
    *,
    started: float,
    timings: dict[str, float | None],
    partials: list[Path],
    stream: dict[str, int] | None = None,
) -> int:
    """Save (or print) the image, then the path or the JSON summary; returns 0."""
    if args.output == "-":
        _write_stdout(out, result.image.data)
        path = "-"
    else:
        try:
            path = str(result.save(args.output, overwrite=args.overwrite))
        except BaseException:
            remove_quietly(partials)
            raise
    timings["total_s"] = time.monotonic() - started
    return write_result(
        result,
        path,
        out,
        err,
        as_json=args.json,
        quiet=args.quiet,
        partials=[str(p) for p in partials],
        timings=timings,
        stream=stream,
    )


def generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen generate``: one image from a prompt, streamed or not.

    :param args: parsed arguments of the ``generate`` command.
    :param out: stdout (the written path, the JSON summary, or with ``-o -`` the image bytes).
    :param err: stderr (notes, progress, errors).
    """
    if args.no_wait:
        return background.start(args, out, err)
    if args.output is None:
        raise ConfigurationError(
            "-o is required: the file to write. Fix: pass -o PATH, or --no-wait to start a background generation "
            "and save it later with `foundry-imagegen wait ID -o PATH`"
        )
    if args.save_partials and not args.stream:
        raise ConfigurationError("--save-partials needs --stream. Fix: add --stream")
    agent = _agent_ref(args.agent)
    asked = args.partial_images if args.partial_images is not None else 1
    tool = _prepare_output(args, out, partials=asked if args.save_partials else 0)
    started = time.monotonic()
    timings: dict[str, float | None] = {}
    common: dict[str, Any] = {"tool": tool, "images": args.image, "agent": agent, "upload_images": args.upload}
    written: list[Path] = []
    stream_counts: dict[str, int] | None = None
    with (
        _client_for(args, err) as client,
        Progress(err, mode=progress_mode(err, quiet=args.quiet, verbose=bool(args.verbose))) as progress,
    ):
        _check_direct_call(args, client, tool)
        sent = time.monotonic()
        if not args.stream:
            progress.step("request sent, waiting for the image")
            result = client.generate(args.prompt, **common)
        else:
            progress.step("stream opened, waiting for events")

            def on_partial(image: GeneratedImage) -> None:
                if timings.get("first_partial_s") is None:
                    timings["first_partial_s"] = time.monotonic() - sent
                if args.save_partials:
                    path = partial_path(args.output, image.format, image.partial_index or 0)
                    written.append(atomic_write(path, image.data, overwrite=args.overwrite))

            try:
                with client.stream(args.prompt, on_partial_image=on_partial, **common) as stream:
                    for event in stream:
                        index = getattr(event, "partial_image_index", None)
                        if timings.get("first_event_s") is None:
                            timings["first_event_s"] = time.monotonic() - sent
                        progress.event(event.type, partial_index=index if isinstance(index, int) else None)
                    result = stream.final()
            except BaseException:
                remove_quietly(written)  # a failed stream leaves nothing behind, partial renders included
                raise
            stream_counts = {"events": stream.events_seen, "partial_images": stream.partials_seen}
        timings["service_s"] = time.monotonic() - sent
    if stream_counts is not None and not args.quiet and not args.json:
        err.write(f"stream: {stream_counts['events']} events, {stream_counts['partial_images']} partial images\n")
    return _finish(args, result, out, err, started=started, timings=timings, partials=written, stream=stream_counts)


def edit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen edit``: change an image, optionally only where a mask allows.

    :param args: parsed arguments of the ``edit`` command.
    :param out: stdout (the written path, the JSON summary, or with ``-o -`` the image bytes).
    :param err: stderr (notes, progress, errors).
    """
    tool = _prepare_output(args, out)
    started = time.monotonic()
    timings: dict[str, float | None] = {}
    with (
        _client_for(args, err) as client,
        Progress(err, mode=progress_mode(err, quiet=args.quiet, verbose=bool(args.verbose))) as progress,
    ):
        _check_direct_call(args, client, tool)
        sent = time.monotonic()
        progress.step("request sent, waiting for the edited image")
        result = client.edit(
            args.image, args.prompt, mask=args.mask, tool=tool, agent=_agent_ref(args.agent), upload_images=args.upload
        )
        timings["service_s"] = time.monotonic() - sent
    return _finish(args, result, out, err, started=started, timings=timings, partials=[])


def agent(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen agent create|list|delete``.

    :param args: parsed arguments of the ``agent`` command.
    :param out: stdout (one line per agent or version, or JSON).
    :param err: stderr (notes and errors).
    """
    with _client_for(args, err) as client:
        if args.action == "create":
            _check_model(client, _tool_from(args))
            version = client.agents.create_version(
                args.name,
                model=args.orchestrator,
                tool=_tool_from(args),
                instructions=args.instructions,
                description=args.description,
            )
            rows: list[dict[str, Any]] = [version.model_dump(mode="json")]
            lines = [f"created agent {version.name} version {version.version}"]
        elif args.action == "list" and args.name:
            versions = client.agents.list_versions(args.name)
            rows = [v.model_dump(mode="json") for v in versions]
            lines = [f"{v.name}:{v.version}\t{v.description or ''}" for v in versions]
        elif args.action == "list":
            agents = client.agents.list()
            rows = [a.model_dump(mode="json") for a in agents]
            lines = [f"{a.name}\tlatest version {a.latest.version if a.latest else '-'}" for a in agents]
        else:
            if args.agent_version:
                deletion = client.agents.delete_version(args.name, args.agent_version)
                lines = [f"deleted agent {args.name} version {args.agent_version}"]
            else:
                deletion = client.agents.delete(args.name)
                lines = [f"deleted agent {args.name}"]
            rows = [deletion.model_dump(mode="json")]
    if args.json:
        out.write(json.dumps(rows if args.action == "list" else rows[0]) + "\n")
    elif lines:
        out.write("\n".join(lines) + "\n")
    return 0


def emulator(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen emulator [start|stop|status]``: the local emulator, in the foreground or the background.

    :param args: parsed arguments of the ``emulator`` command.
    :param out: stdout (READY line, endpoint, or JSON).
    :param err: stderr (notes and errors).
    """
    from . import local_emulator

    action = args.emulator_action
    if action is None:
        return _serve(args, out)
    if action == "start":
        running, new = local_emulator.start_background(os.environ, _serve_argv(args), port=args.port)
        if args.json:
            out.write(json.dumps({**dataclasses.asdict(running), "new": new}) + "\n")
        else:
            out.write(running.endpoint + "\n")
            err.write(
                f"note: started the local emulator at {running.describe()}; commands with --emulator use it "
                "until `foundry-imagegen emulator stop`\n"
                if new
                else f"note: the local emulator is already running at {running.describe()}\n"
            )
        return 0
    if action == "status":
        found = local_emulator.find_running(os.environ)
        if args.json:
            out.write(json.dumps(dataclasses.asdict(found) if found else None) + "\n")
        elif found is not None:
            out.write(f"running at {found.describe()}\n")
        else:
            out.write("no local emulator is running (start one with `foundry-imagegen emulator start`)\n")
        return 0 if found is not None else 1
    _, note = local_emulator.stop_background(os.environ)  # stopping none is not a failure: the goal holds
    err.write(f"note: {note}\n")
    return 0


def _serve_argv(args: argparse.Namespace) -> list[str]:
    from ..emulator._serve import argv_from_args

    return argv_from_args(args)


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve in the foreground until SIGINT or SIGTERM (what `start` runs in the background)."""
    from ..emulator._serve import emulator_from_args, serve_forever
    from .local_emulator import port_busy

    try:
        server = emulator_from_args(args)
        server.start()
    except OSError as exc:
        if port_busy(exc):
            raise ConfigurationError(
                f"port {args.port} on {args.host} is busy (another emulator? `foundry-imagegen emulator status` "
                "tells). Fix: pass another --port, or --port 0 to pick a free one"
            ) from None
        raise ConfigurationError(
            f"cannot listen on {args.host}:{args.port} ({exc}). Fix: check --host and --port"
        ) from None
    except ValueError as exc:
        raise ConfigurationError(
            f"{exc}. Fix: check --host, --port, --project, --event-delay and --read-timeout"
        ) from None
    serve_forever(server, out)
    return 0


def completion(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:  # noqa: ARG001 - one signature for all
    """``foundry-imagegen completion bash|zsh|fish``: a completion script generated from the parser by shtab.

    :param args: parsed arguments of the ``completion`` command.
    :param out: stdout (the script).
    :param err: stderr (unused; errors are raised).
    """
    try:
        import shtab
    except ImportError:
        raise ConfigurationError(
            "shell completion needs the shtab package. Fix: pip install 'foundry-imagegen[cli]'"
        ) from None
    from .parser import build_parser

    out.write(shtab.complete(build_parser(), shell=args.shell))
    return 0


def batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``batch``: a list of images, paced to the quota, journaled and resumable (see ``cli.batch``)."""
    from .batch import run

    return run(args, stdout=out, stderr=err)


def doctor(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen doctor``: see ``cli/doctor.py``."""
    from . import doctor as command

    return command.run(args, out, err)


COMMANDS = {
    "generate": generate,
    "edit": edit,
    "agent": agent,
    "wait": background.wait,
    "cancel": background.cancel,
    "emulator": emulator,
    "completion": completion,
    "batch": batch,
    "doctor": doctor,
}
