"""One function per command; each takes the parsed arguments and the two output streams, returns the exit status."""

from __future__ import annotations

import argparse
import contextlib
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
        from ..emulator import Emulator

        if not args.quiet:
            err.write(
                "note: no Azure endpoint configured; using the built-in local emulator\n"
                if not args.emulator
                else "note: using the built-in local emulator\n"
            )
        with Emulator() as emulator:
            settings = {
                "model": EMULATOR_MODEL,
                "image_deployment": EMULATOR_IMAGE_DEPLOYMENT,
                **overrides,
                "endpoint": emulator.endpoint,
                "api_key": "emulator",
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


COMMANDS = {"generate": generate, "edit": edit, "agent": agent}
