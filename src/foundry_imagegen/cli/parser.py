"""Argument parsing for ``foundry-imagegen``: pure, so tests and shell completion can build it without I/O."""

from __future__ import annotations

import argparse
from typing import get_args

from .._core.constants import (
    ENV_API_KEY,
    ENV_IMAGE_DEPLOYMENT,
    ENV_MODEL,
    ENV_OPENAI_ENDPOINT,
    ENV_PROJECT_ENDPOINT,
)
from .._core.tool import ImageGenerationTool
from .._version import __version__
from .local_emulator import ENV_STATE_DIR

__all__ = ["BARE_BACKGROUND", "FLAGS", "build_parser"]

#: The value of ``--background`` given without one (refused by the commands, naming ``--no-wait``).
BARE_BACKGROUND = object()

#: CLI flag for each tool field, so validation errors speak the user's language.
FLAGS = {
    "size": "--size",
    "quality": "--quality",
    "background": "--background",
    "output_format": "--format",
    "output_compression": "--compression",
    "moderation": "--moderation",
    "image_model": "--image-model",
    "model": "--tool-model",
    "image_deployment": "--image-deployment",
    "partial_images": "--partial-images",
    "input_fidelity": "--input-fidelity",
}


def _choices(field: str) -> list[str]:
    annotation = ImageGenerationTool.model_fields[field].annotation
    literal = next(arg for arg in get_args(annotation) if arg is not type(None))
    return list(get_args(literal))


def _seconds(value: str) -> float:
    # Checked here so the error names the flag; the client would name its timeout= argument.
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds (e.g. 600)")
    return seconds


def _count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number >= 0 (0 turns retries off)")
    return count


def _add_tool_flags(parser: argparse.ArgumentParser) -> None:
    tool = parser.add_argument_group("image tool")
    tool.add_argument("--size", help="1024x1024, 1024x1536, 1536x1024, auto, or WxH on gpt-image-2")
    tool.add_argument("--quality", choices=_choices("quality"))
    # A bare --background is taken (not an argparse error) so the command can point to --no-wait, the flag
    # for background generations: --background is the image's background.
    tool.add_argument("--background", nargs="?", const=BARE_BACKGROUND, choices=_choices("background"))
    tool.add_argument("--format", dest="output_format", choices=_choices("output_format"))
    tool.add_argument("--compression", dest="output_compression", type=int, help="0-100, jpeg/webp only")
    tool.add_argument("--moderation", choices=_choices("moderation"))
    tool.add_argument(
        "--image-model",
        dest="image_model",
        help="the model your image deployment runs (e.g. gpt-image-2), so its rules and dates are checked",
    )
    tool.add_argument(
        "--tool-model", dest="model", help="the tool's wire `model` field (rarely needed; defaults to the deployment)"
    )
    tool.add_argument("--input-fidelity", choices=_choices("input_fidelity"))
    tool.add_argument(
        "--partial-images", type=int, help="0-3 partial renders to ask for (streaming sends 1 when unset)"
    )


def _add_service_flags(
    parser: argparse.ArgumentParser, *, timeout_help: str = "seconds to wait for the image (default 600)"
) -> None:
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
    target.add_argument("--timeout", type=_seconds, help=timeout_help)
    target.add_argument("--max-retries", type=_count, help="retries on 429/5xx/connection errors (default 2)")
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


def _add_image_output(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("-o", "--output", required=required, help="file to write; its extension follows the format")
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
    from . import background

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
    _add_image_output(gen, required=False)  # required unless --no-wait (checked by the command)
    gen.add_argument("--image", action="append", metavar="PATH_OR_URL", help="an input image (repeatable)")
    stream = gen.add_argument_group("streaming")
    stream.add_argument("--stream", action="store_true", help="stream, showing progress as partial images arrive")
    stream.add_argument(
        "--save-partials", action="store_true", help="with --stream: save NAME.partial-N.EXT next to the output"
    )
    background.add_generate_flags(gen)
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

    background.add_parsers(commands)

    emu = commands.add_parser(
        "emulator",
        help="run the local Foundry image generation emulator (in the foreground, or start/stop/status)",
        description=(
            "Without an action: serve the emulator in the foreground, printing 'READY <project endpoint>' once "
            "listening, until Ctrl-C or SIGTERM. `start` runs one in the background that later commands with "
            "--emulator share (so agents and files persist between them); `stop` ends it; `status` shows it. "
            f"Its endpoint and pid are kept in emulator.json under ${ENV_STATE_DIR}, else $XDG_STATE_HOME/"
            "foundry-imagegen or ~/.local/state/foundry-imagegen."
        ),
    )
    _add_serve_flags(emu, suppress=False)
    emu_actions = emu.add_subparsers(dest="emulator_action", metavar="ACTION")
    start = emu_actions.add_parser("start", help="start an emulator in the background and print its endpoint")
    _add_serve_flags(start, suppress=True)
    start.add_argument("--json", action="store_true", help="print endpoint, pid and port as JSON")
    status = emu_actions.add_parser("status", help="print the background emulator's endpoint and pid (exit 1: none)")
    status.add_argument("--json", action="store_true", help="print endpoint, pid and port as JSON")
    emu_actions.add_parser("stop", help="stop the emulator that `start` started (and no other)")

    from . import doctor

    doctor.add_parser(commands)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (needs the [cli] extra)",
        description=(
            "Print a completion script generated from this parser. bash: "
            "`foundry-imagegen completion bash > ~/.local/share/bash-completion/completions/foundry-imagegen`; "
            "zsh: write it as _foundry-imagegen into a directory on $fpath; fish: "
            "`foundry-imagegen completion fish > ~/.config/fish/completions/foundry-imagegen.fish`."
        ),
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))

    from .batch import add_parser as add_batch_parser  # its own module: a command with a runner of its own

    add_batch_parser(commands)
    return parser


def _add_serve_flags(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options of the emulator's own command line, from the one place that defines them."""
    from ..emulator._serve import add_arguments

    add_arguments(parser.add_argument_group("emulator"), suppress=suppress)
