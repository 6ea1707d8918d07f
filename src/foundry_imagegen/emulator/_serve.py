"""Command line for the emulator: its options, defined once, and the foreground serve loop.

``foundry-imagegen emulator ...`` builds on the same pieces (``add_arguments``, ``emulator_from_args``,
``argv_from_args``, ``serve_forever``), so the two command lines cannot drift apart.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from ._server import Emulator

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["add_arguments", "argv_from_args", "build_parser", "emulator_from_args", "main", "serve_forever"]


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, suppress: bool = False) -> None:
    """Add the emulator's options to ``parser`` (with ``suppress``, defaults are ``argparse.SUPPRESS``).

    ``suppress`` lets a subcommand repeat the options without its defaults overwriting the parent's.

    Example::

        add_arguments(argparse.ArgumentParser())
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--host", default=default("127.0.0.1"), help="loopback address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=default(0), help="port to bind; 0 picks a free one (default: 0)")
    parser.add_argument("--project", default=default("demo"), help="project name in the endpoint (default: demo)")
    parser.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        default=default(None),
        metavar="KEY",
        help="accepted api-key (repeatable); with no --api-key/--bearer-token auth is not checked",
    )
    parser.add_argument(
        "--bearer-token",
        dest="bearer_tokens",
        action="append",
        default=default(None),
        metavar="TOKEN",
        help="accepted bearer token (repeatable)",
    )
    parser.add_argument(
        "--dialect", choices=("openai", "azure"), default=default("openai"), help="SSE dialect (default: openai)"
    )
    parser.add_argument(
        "--event-delay", type=float, default=default(0.0), metavar="S", help="seconds between SSE events"
    )
    parser.add_argument("--seed", type=int, default=default(0), help="seed for the rendered images (default: 0)")
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=default(30.0),
        metavar="S",
        help="seconds a connection may stay silent before it is closed (default: 30)",
    )
    parser.add_argument(
        "--unlisted-deployment",
        dest="unlisted_deployments",
        action="append",
        default=default(None),
        metavar="NAME",
        help="leave deployment NAME out of GET .../deployments; it still serves calls (repeatable)",
    )
    parser.add_argument(
        "--listed-model",
        dest="listed_models",
        action="append",
        default=default(None),
        type=_listed_model,
        metavar="NAME=MODEL[@VERSION]",
        help="make GET .../deployments report MODEL (and VERSION) for deployment NAME (repeatable)",
    )
    parser.add_argument(
        "--rpm",
        dest="rpm",
        action="append",
        default=default(None),
        type=_rpm,
        metavar="NAME=N",
        help="requests-per-minute quota of deployment NAME; over it calls get 429 (repeatable)",
    )
    parser.add_argument(
        "--latency",
        type=_latency,
        default=default(None),
        metavar="MEAN[:SPREAD]",
        help="seconds each Responses call takes to generate, drawn from MEAN +- SPREAD (default: none)",
    )
    parser.add_argument("--region", default=default("East US 2"), help="x-ms-region header value (default: East US 2)")
    parser.add_argument(
        "--background-duration",
        type=float,
        default=default(2.0),
        metavar="S",
        help="seconds a background response takes from queued to done (default: 2)",
    )
    parser.add_argument(
        "--tls-cert", default=default(None), metavar="FILE", help="PEM certificate: serve HTTPS (needs --tls-key)"
    )
    parser.add_argument("--tls-key", default=default(None), metavar="FILE", help="PEM private key of --tls-cert")


def argv_from_args(args: argparse.Namespace) -> list[str]:
    """The command line that reproduces ``args`` (to start the same emulator in another process)."""
    argv = ["--host", args.host, "--port", str(args.port), "--project", args.project, "--dialect", args.dialect]
    argv += ["--event-delay", str(args.event_delay), "--seed", str(args.seed), "--read-timeout", str(args.read_timeout)]
    for key in args.api_keys or ():
        argv += ["--api-key", key]
    for token in args.bearer_tokens or ():
        argv += ["--bearer-token", token]
    for name in args.unlisted_deployments or ():
        argv += ["--unlisted-deployment", name]
    for name, fields in args.listed_models or ():
        version = fields.get("modelVersion")
        argv += ["--listed-model", f"{name}={fields['modelName']}" + (f"@{version}" if version else "")]
    for name, limit in args.rpm or ():
        argv += ["--rpm", f"{name}={limit}"]
    if args.latency is not None:
        argv += ["--latency", f"{args.latency[0]}:{args.latency[1]}"]
    argv += ["--region", args.region, "--background-duration", str(args.background_duration)]
    if args.tls_cert is not None:
        argv += ["--tls-cert", args.tls_cert, "--tls-key", args.tls_key]
    return argv


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """An emulator (not started) configured by parsed options; raises ``ValueError`` on a bad combination."""
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    return Emulator(
        host=args.host,
        port=args.port,
        project=args.project,
        api_keys=args.api_keys,
        bearer_tokens=args.bearer_tokens,
        stream_dialect=args.dialect,
        event_delay=args.event_delay,
        seed=args.seed,
        read_timeout=args.read_timeout,
        unlisted_deployments=args.unlisted_deployments or (),
        deployment_overrides=dict(args.listed_models or ()),
        rpm=dict(args.rpm or ()),
        latency=args.latency,
        region=args.region,
        background_duration=args.background_duration,
        tls=(args.tls_cert, args.tls_key) if args.tls_cert is not None else None,
    )


def serve_forever(emulator: Emulator, out: TextIO) -> None:
    """Print ``READY <endpoint>`` and serve a started emulator until SIGINT or SIGTERM; then stop it."""
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        out.write(f"READY {emulator.endpoint}\n")
        out.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _rpm(value: str) -> tuple[str, int]:
    name, rest = _pair(value, "NAME=N")
    try:
        limit = int(rest)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=N with an integer N, got {value!r}") from None
    if limit < 1:
        raise argparse.ArgumentTypeError(f"the quota in {value!r} must be >= 1")
    return name, limit


def _latency(value: str) -> tuple[float, float]:
    mean, _, spread = value.partition(":")
    try:
        pair = (float(mean), float(spread or 0))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MEAN[:SPREAD] in seconds, got {value!r}") from None
    if pair[0] < 0 or pair[1] < 0:
        raise argparse.ArgumentTypeError("latency mean and spread must be >= 0")
    return pair


def _pair(value: str, what: str) -> tuple[str, str]:
    name, sep, rest = value.partition("=")
    if not sep or not name or not rest:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}")
    return name, rest


def _listed_model(value: str) -> tuple[str, dict[str, str]]:
    name, rest = _pair(value, "NAME=MODEL[@VERSION]")
    model, _, version = rest.partition("@")
    fields = {"modelName": model}
    if version:
        fields["modelVersion"] = version
    return name, fields


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for the emulator command line.

    Example::

        args = build_parser().parse_args(["--port", "8123", "--api-key", "k1"])
    """
    parser = argparse.ArgumentParser(
        prog="python -m foundry_imagegen.emulator",
        description=(
            "Run a local Foundry / Azure OpenAI Responses emulator with the image generation tool. "
            "Prints 'READY <project endpoint>' once listening, serves until SIGINT or SIGTERM."
        ),
    )
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator from the command line; returns the exit code (0 after SIGINT/SIGTERM).

    Example::

        raise SystemExit(main(["--port", "0", "--dialect", "azure"]))
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    try:
        emulator = emulator_from_args(args)
        emulator.start()
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    serve_forever(emulator, sys.stdout)
    return 0
