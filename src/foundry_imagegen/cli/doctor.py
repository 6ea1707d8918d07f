"""``foundry-imagegen doctor``: the troubleshooting table, run against the configured endpoint.

Exit code 0 when no check failed, 1 otherwise (2 for bad flags, as every command).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``doctor`` command to the CLI's subparsers."""
    from .parser import _add_service_flags, _add_tool_flags

    doctor: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="check the endpoint, auth, deployments and tool settings (no paid call unless --generate)",
        description=(
            "Run the troubleshooting checks in order: endpoint form and reachability, auth, the orchestrator "
            "and image deployments (exist, right kind, in date, different), tool settings for the image model, "
            "the custom-header budget, region. Exit 0 when nothing failed."
        ),
    )
    doctor.add_argument(
        "--generate", action="store_true", help="also make one low-quality image (billed: it costs one image)"
    )
    _add_tool_flags(doctor)
    _add_service_flags(doctor)
    return doctor


def _tool_settings(args: argparse.Namespace) -> dict[str, Any]:
    from .parser import FLAGS

    skip = ("image_deployment",)
    return {name: getattr(args, name) for name in FLAGS if name not in skip and getattr(args, name, None) is not None}


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the doctor; print the report (``--json``: as JSON) and return its exit code."""
    from .._core.doctor import DoctorFacts, exit_code, render_text, run_checks
    from ..exceptions import ConfigurationError
    from .commands import _client_for

    out = out or sys.stdout
    err = err or sys.stderr
    settings = _tool_settings(args)
    try:
        with _client_for(args, err) as client:
            if args.generate and not args.quiet:
                err.write("note: --generate makes one low-quality image; it is billed\n")
            report = client.diagnose(generate=args.generate, tool=settings)
    except ConfigurationError as exc:
        text = str(exc)
        if "endpoint" not in text.split(":")[0] and not text.startswith("no endpoint"):
            raise
        report = run_checks(DoctorFacts(endpoint=args.endpoint or "", endpoint_error=text))
    out.write((report.to_json() if args.json else render_text(report)) + "\n")
    return exit_code(report)
