"""The ``foundry-imagegen`` command: generate images from a shell, or serve the local emulator.

The library never configures logging or prints; this module is the one place that does both.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, get_args

from pydantic import ValidationError

from .._core.constants import (
    ENV_API_KEY,
    ENV_IMAGE_DEPLOYMENT,
    ENV_MODEL,
    ENV_OPENAI_ENDPOINT,
    ENV_PROJECT_ENDPOINT,
)
from .._core.tool import ImageGenerationTool
from .._version import __version__
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

if TYPE_CHECKING:
    from pathlib import Path

    from .._core.agents import AgentReference
    from .._core.results import GeneratedImage, GenerationResult
    from .._shell._sync.client import FoundryClient

__all__ = ["EXIT_CODES", "build_parser", "main"]

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

# CLI flag for each tool field, so validation errors speak the user's language.
_FLAGS = {
    "size": "--size",
    "quality": "--quality",
    "background": "--background",
    "output_format": "--format",
    "output_compression": "--compression",
    "moderation": "--moderation",
    "model": "--image-model",
    "image_deployment": "--image-deployment",
    "partial_images": "--partial-images",
    "input_fidelity": "--input-fidelity",
}

EMULATOR_MODEL = "gpt-5"  # in date, and one the emulator serves
EMULATOR_IMAGE_DEPLOYMENT = "gpt-image-2"


def _choices(field: str) -> list[str]:
    annotation = ImageGenerationTool.model_fields[field].annotation
    literal = next(arg for arg in get_args(annotation) if arg is not type(None))
    return list(get_args(literal))


def _add_tool_flags(parser: argparse.ArgumentParser) -> None:
    tool = parser.add_argument_group("image tool")
    tool.add_argument("--size", help="1024x1024, 1024x1536, 1536x1024, auto, or WxH on gpt-image-2")
    tool.add_argument("--quality", choices=_choices("quality"))
    tool.add_argument("--background", choices=_choices("background"))
    tool.add_argument("--format", dest="output_format", choices=_choices("output_format"))
    tool.add_argument("--compression", dest="output_compression", type=int, help="0-100, jpeg/webp only")
    tool.add_argument("--moderation", choices=_choices("moderation"))
    tool.add_argument(
        "--image-model", dest="model", help="image model named in the tool (defaults to the image deployment)"
    )
    tool.add_argument("--input-fidelity", choices=_choices("input_fidelity"))
    tool.add_argument(
        "--partial-images", type=int, help="0-3 partial renders to ask for (streaming sends 1 when unset)"
    )


def _add_service_flags(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("service")
    target.add_argument("--endpoint", help=f"project or resource endpoint [env {ENV_PROJECT_ENDPOINT}]")
    target.add_argument("--api-key", help=f"resource key (prefer env {ENV_API_KEY}: flags show up in process lists)")
    # One name per concept, as in Python: model= (the orchestrator) and image_deployment=. The 0.1 spellings
    # stay accepted so scripts keep working.
    target.add_argument(
        "--model",
        "--orchestrator",
        dest="orchestrator",
        help=f"chat model deployment that calls the tool [env {ENV_MODEL}]",
    )
    target.add_argument(
        "--image-deployment",
        "--deployment",
        dest="image_deployment",
        help=f"image model deployment [env {ENV_IMAGE_DEPLOYMENT}]",
    )
    target.add_argument("--timeout", type=float, help="seconds to wait for the image (default 600)")
    target.add_argument("--max-retries", type=int, default=2, help="retries on 429/5xx/connection errors")
    local = target.add_mutually_exclusive_group()
    local.add_argument("--emulator", action="store_true", help="run against an in-process local emulator")
    local.add_argument(
        "--emulator-if-unconfigured",
        action="store_true",
        help="use the emulator only when no endpoint is configured (what `make demo` does)",
    )
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress display or notes")
    out.add_argument("-v", "--verbose", action="count", default=0, help="log requests (-vv: with headers)")


def _add_image_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, help="file to write; its extension follows the format")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    parser.add_argument(
        "--upload", action="store_true", help="send local input images through the Files API instead of inline"
    )
    parser.add_argument("--agent", help="a stored agent to call, NAME or NAME:VERSION (instead of --model)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (pure; ``main`` does the work).

    Example::

        build_parser().parse_args(["generate", "a cat", "-o", "cat.png"])
    """
    parser = argparse.ArgumentParser(
        prog="foundry-imagegen",
        description="Generate images with the image generation tool of Microsoft Foundry Agent Service.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    auth_note = (
        f"Endpoint and auth come from flags or {ENV_PROJECT_ENDPOINT} / {ENV_OPENAI_ENDPOINT}, {ENV_API_KEY} "
        "(else DefaultAzureCredential)."
    )

    gen = commands.add_parser(
        "generate", help="generate an image and save it", description=f"Generate an image and save it. {auth_note}"
    )
    gen.add_argument("prompt", help="what to draw")
    _add_image_output(gen)
    gen.add_argument("--image", action="append", metavar="PATH_OR_URL", help="an input image (repeatable)")
    stream = gen.add_argument_group("streaming")
    stream.add_argument("--stream", action="store_true", help="stream, showing progress as partial images arrive")
    stream.add_argument(
        "--save-partials", action="store_true", help="with --stream: save NAME.partial-N.EXT next to the output"
    )
    _add_tool_flags(gen)
    _add_service_flags(gen)

    edit = commands.add_parser(
        "edit",
        help="edit an image, optionally where a mask allows",
        description=f"Edit an image (a mask's transparent pixels mark where it may change). {auth_note}",
    )
    edit.add_argument("prompt", help="what to change")
    edit.add_argument("--image", required=True, metavar="PATH_OR_URL", help="the image to edit")
    edit.add_argument("--mask", metavar="PATH", help="PNG, same size as the image, alpha 0 where to edit")
    _add_image_output(edit)
    _add_tool_flags(edit)
    _add_service_flags(edit)

    agent = commands.add_parser(
        "agent", help="create, list or delete Foundry agents", description=f"Manage prompt agents. {auth_note}"
    )
    actions = agent.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an agent version holding the image tool")
    create.add_argument("name", help="1-63 letters, digits or hyphens")
    create.add_argument("--instructions", help="the agent's instructions")
    create.add_argument("--description", help="a description of this version")
    _add_tool_flags(create)
    _add_service_flags(create)
    listing = actions.add_parser("list", help="list agents, or the versions of one")
    listing.add_argument("name", nargs="?", help="list this agent's versions")
    _add_service_flags(listing)
    delete = actions.add_parser("delete", help="delete an agent, or one version")
    delete.add_argument("name")
    delete.add_argument("--version", dest="agent_version", help="delete only this version")
    _add_service_flags(delete)

    emu = commands.add_parser(
        "emulator",
        help="serve the local Foundry image generation emulator",
        add_help=False,
        description="Serve the emulator; all arguments go to `python -m foundry_imagegen.emulator`.",
    )
    emu.add_argument("args", nargs=argparse.REMAINDER)
    return parser


class _Progress:
    """A spinner with elapsed time on a terminal; silent when stderr is piped or --quiet."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled and stream.isatty()
        self._status = "generating"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, status: str) -> None:
        self._status = status

    def __enter__(self) -> _Progress:
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


@contextlib.contextmanager
def _client_for(args: argparse.Namespace, err: TextIO) -> Iterator[FoundryClient]:
    from .._shell._sync.client import FoundryClient

    environ = os.environ
    endpoint = args.endpoint or environ.get(ENV_PROJECT_ENDPOINT) or environ.get(ENV_OPENAI_ENDPOINT)
    use_emulator = args.emulator or (args.emulator_if_unconfigured and not endpoint)
    common: dict[str, Any] = {"max_retries": args.max_retries}
    if args.timeout is not None:
        common["timeout"] = args.timeout
    if use_emulator:
        from ..emulator import Emulator

        if not args.quiet:
            err.write(
                "note: no Azure endpoint configured; using the built-in local emulator\n"
                if not args.emulator
                else "note: using the built-in local emulator\n"
            )
        with (
            Emulator() as emulator,
            FoundryClient(
                emulator.endpoint,
                api_key="emulator",
                model=args.orchestrator or EMULATOR_MODEL,
                image_deployment=args.image_deployment or EMULATOR_IMAGE_DEPLOYMENT,
                **common,
            ) as client,
        ):
            yield client
        return
    if not endpoint:
        raise ConfigurationError(
            f"no endpoint. Fix: pass --endpoint, export {ENV_PROJECT_ENDPOINT}, or use --emulator to try it locally"
        )
    api_key = args.api_key or environ.get(ENV_API_KEY)
    settings: dict[str, Any] = {
        "model": args.orchestrator or environ.get(ENV_MODEL),
        "image_deployment": args.image_deployment or environ.get(ENV_IMAGE_DEPLOYMENT),
        **common,
    }
    if api_key:
        with FoundryClient(endpoint, api_key=api_key, **settings) as client:
            yield client
        return
    from azure.identity import DefaultAzureCredential

    with (
        DefaultAzureCredential() as credential,
        FoundryClient(endpoint, credential=credential, **settings) as client,
    ):
        yield client


def _tool_from(args: argparse.Namespace) -> ImageGenerationTool:
    fields = {name: getattr(args, name, None) for name in _FLAGS}
    return ImageGenerationTool(**{k: v for k, v in fields.items() if v is not None})


def _summary(result: GenerationResult, path: str, elapsed: float) -> dict[str, Any]:
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


def _agent_ref(value: str | None) -> AgentReference | None:
    if not value:
        return None
    from .._core.agents import AgentReference, validate_agent_name

    name, _, version = value.partition(":")
    return AgentReference(name=validate_agent_name(name), version=version or None)


def _write_result(
    args: argparse.Namespace, result: GenerationResult, path: Path, started: float, out: TextIO, err: TextIO
) -> int:
    elapsed = time.monotonic() - started
    if args.json:
        out.write(json.dumps(_summary(result, str(path), elapsed)) + "\n")
        return 0
    image = result.image
    out.write(f"{path}\n")
    if not args.quiet:
        err.write(
            f"wrote {path} ({image.width}x{image.height} {image.format}, "
            f"{len(image.data) / 1024:.0f} KiB, {elapsed:.1f}s)\n"
        )
    return 0


def _check_outputs(args: argparse.Namespace, tool: ImageGenerationTool, *, partials: int = 0) -> None:
    """Refuse an existing output before anything is sent: finding out after a paid generation is too late."""
    from .._shell.disk import partial_path, target_path

    fmt = tool.output_format or "png"
    paths = [target_path(args.output, fmt, fix_extension=True)]
    paths += [partial_path(args.output, fmt, index) for index in range(partials)]
    for path in paths:
        if not args.overwrite and path.exists():
            raise ConfigurationError(f"{path} exists. Fix: pass --overwrite, or choose another -o")


def _generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    tool = _tool_from(args)
    agent = _agent_ref(args.agent)
    if args.save_partials and not args.stream:
        raise ConfigurationError("--save-partials needs --stream. Fix: add --stream")
    partials = (tool.partial_images if tool.partial_images is not None else 1) if args.save_partials else 0
    _check_outputs(args, tool, partials=partials)
    started = time.monotonic()
    progress = _Progress(err, enabled=not (args.quiet or args.json))
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
    return _write_result(args, result, path, started, out, err)


def _edit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    tool = _tool_from(args)
    _check_outputs(args, tool)
    started = time.monotonic()
    with _client_for(args, err) as client, _Progress(err, enabled=not (args.quiet or args.json)):
        result = client.edit(
            args.image, args.prompt, mask=args.mask, tool=tool, agent=_agent_ref(args.agent), upload_images=args.upload
        )
        path = result.save(args.output, overwrite=args.overwrite)
    return _write_result(args, result, path, started, out, err)


def _agent(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


def _report(exc: BaseException, err: TextIO) -> int:
    if isinstance(exc, ValidationError):
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            err.write(f"error: {_FLAGS.get(field, field)}: {error['msg']}\n")
        return 2
    if isinstance(exc, FileExistsError):
        err.write(f"error: {exc}\n")
        return 2
    err.write(f"error: {exc}\n")
    hint = getattr(exc, "hint", None)
    if hint and "Hint:" not in str(exc):
        err.write(f"hint: {hint}\n")
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 on success, see ``EXIT_CODES``).

    Example::

        main(["generate", "a cat", "-o", "cat.png", "--emulator"])
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        # Handed over before parsing: argparse's REMAINDER drops a leading --option in a subcommand.
        from ..emulator._serve import main as serve

        return serve(argv[1:])
    args = build_parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(stream=err, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("foundry_imagegen").setLevel(logging.DEBUG if args.verbose > 1 else logging.INFO)
    command = {"generate": _generate, "edit": _edit, "agent": _agent}[args.command]
    try:
        return command(args, out, err)
    except (FoundryImageGenError, ValidationError, FileExistsError) as exc:
        return _report(exc, err)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
