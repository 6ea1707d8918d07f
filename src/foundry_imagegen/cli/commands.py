"""One function per command; each takes the parsed arguments and the two output streams, returns the exit status."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from .._core.config import env_settings
from .._core.constants import ENV_PROJECT_ENDPOINT
from .._core.tool import ImageGenerationTool
from ..exceptions import ConfigurationError
from .output import Progress, write_result
from .parser import FLAGS

if TYPE_CHECKING:
    from .._core.agents import AgentReference
    from .._core.results import GeneratedImage
    from .._shell._sync.client import FoundryClient

__all__ = ["COMMANDS", "agent", "edit", "endpoint_configured", "generate", "service_overrides"]

EMULATOR_MODEL = "gpt-4.1"
EMULATOR_IMAGE_DEPLOYMENT = "gpt-image-1"


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
def _client_for(args: argparse.Namespace, err: TextIO) -> Iterator[FoundryClient]:
    from .._shell._sync.client import FoundryClient

    environ = os.environ
    overrides = service_overrides(args)
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
    with FoundryClient.from_env(environ, **overrides) as client:
        yield client


@contextlib.contextmanager
def _local_emulator(args: argparse.Namespace, err: TextIO) -> Iterator[str]:
    """The endpoint of the background emulator if one runs, else of a throwaway one for this command."""
    from .local_emulator import find_running

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


def _note(args: argparse.Namespace, err: TextIO, text: str) -> None:
    if not getattr(args, "quiet", False):
        err.write(f"note: {text}\n")


def _tool_from(args: argparse.Namespace) -> ImageGenerationTool:
    fields = {name: getattr(args, name, None) for name in FLAGS}
    return ImageGenerationTool(**{k: v for k, v in fields.items() if v is not None})


def _agent_ref(value: str | None) -> AgentReference | None:
    if not value:
        return None
    from .._core.agents import AgentReference, validate_agent_name

    name, _, version = value.partition(":")
    return AgentReference(name=validate_agent_name(name), version=version or None)


def _check_outputs(args: argparse.Namespace, tool: ImageGenerationTool, *, partials: int = 0) -> None:
    """Refuse an existing output before anything is sent: finding out after a paid generation is too late."""
    from .._shell.disk import partial_path, target_path

    fmt = tool.output_format or "png"
    paths = [target_path(args.output, fmt, fix_extension=True)]
    paths += [partial_path(args.output, fmt, index) for index in range(partials)]
    for path in paths:
        if not args.overwrite and path.exists():
            raise ConfigurationError(f"{path} exists. Fix: pass --overwrite, or choose another -o")


def generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen generate``: one image from a prompt, streamed or not.

    :param args: parsed arguments of the ``generate`` command.
    :param out: stdout (the written path or the JSON summary).
    :param err: stderr (notes, progress, errors).
    """
    tool = _tool_from(args)
    agent = _agent_ref(args.agent)
    if args.save_partials and not args.stream:
        raise ConfigurationError("--save-partials needs --stream. Fix: add --stream")
    partials = (tool.partial_images if tool.partial_images is not None else 1) if args.save_partials else 0
    _check_outputs(args, tool, partials=partials)
    started = time.monotonic()
    progress = Progress(err, enabled=not (args.quiet or args.json))
    common: dict[str, Any] = {"tool": tool, "images": args.image, "agent": agent, "upload_images": args.upload}
    with _client_for(args, err) as client, progress:
        if not args.stream:
            result = client.generate(args.prompt, **common)
            path = result.save(args.output, overwrite=args.overwrite)
        else:
            progress.update("streaming: waiting for the first partial image")

            def on_partial(image: GeneratedImage) -> None:
                progress.update(f"streaming: partial image {(image.partial_index or 0) + 1} received")

            with client.stream(args.prompt, on_partial_image=on_partial, **common) as stream:
                path = stream.save(args.output, partials=args.save_partials, overwrite=args.overwrite)
                result = stream.final()
            if not args.quiet and not args.json:
                err.write(f"stream: {stream.events_seen} events, {stream.partials_seen} partial images\n")
    return write_result(result, path, started, out, err, as_json=args.json, quiet=args.quiet)


def edit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen edit``: change an image, optionally only where a mask allows.

    :param args: parsed arguments of the ``edit`` command.
    :param out: stdout (the written path or the JSON summary).
    :param err: stderr (notes, progress, errors).
    """
    tool = _tool_from(args)
    _check_outputs(args, tool)
    started = time.monotonic()
    with _client_for(args, err) as client, Progress(err, enabled=not (args.quiet or args.json)):
        result = client.edit(
            args.image, args.prompt, mask=args.mask, tool=tool, agent=_agent_ref(args.agent), upload_images=args.upload
        )
        path = result.save(args.output, overwrite=args.overwrite)
    return write_result(result, path, started, out, err, as_json=args.json, quiet=args.quiet)


def agent(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``foundry-imagegen agent create|list|delete``.

    :param args: parsed arguments of the ``agent`` command.
    :param out: stdout (one line per agent or version, or JSON).
    :param err: stderr (notes and errors).
    """
    with _client_for(args, err) as client:
        if args.action == "create":
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
    argv = ["--host", args.host, "--port", str(args.port), "--project", args.project, "--dialect", args.dialect]
    argv += ["--event-delay", str(args.event_delay), "--seed", str(args.seed)]
    for key in args.api_keys or ():
        argv += ["--api-key", key]
    for token in args.bearer_tokens or ():
        argv += ["--bearer-token", token]
    return argv


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve in the foreground until SIGINT or SIGTERM (what `start` runs in the background)."""
    import signal
    import threading

    from ..emulator import Emulator
    from .local_emulator import port_busy

    try:
        server = Emulator(
            host=args.host,
            port=args.port,
            project=args.project,
            api_keys=args.api_keys,
            bearer_tokens=args.bearer_tokens,
            stream_dialect=args.dialect,
            event_delay=args.event_delay,
            seed=args.seed,
        )
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
        raise ConfigurationError(f"{exc}. Fix: check --host, --port, --project and --event-delay") from None
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda _signum, _frame: stop.set())
    try:
        out.write(f"READY {server.endpoint}\n")
        out.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
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


COMMANDS = {"generate": generate, "edit": edit, "agent": agent, "emulator": emulator, "completion": completion}
