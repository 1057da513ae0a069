"""The command-line door: ``safeai demo`` and ``safeai controls``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="safeai",
        description="Secure-by-default guard for Amazon SageMaker and S3 calls.",
    )
    parser.add_argument("--version", action="version", version=f"safeai {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="show safeai securing and refusing SageMaker requests in an offline AWS sandbox",
        description="Starts moto on 127.0.0.1 inside this process, provisions a secure "
        "baseline, and shows raw boto3 requests being secured and refused. "
        "No AWS account is needed.",
    )
    controls = commands.add_parser("controls", help="list the controls safeai enforces")
    controls.add_argument("--operation", help="only the controls of this API operation")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``safeai`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import run

        return run(sys.stdout)
    if args.command == "controls":
        from ._controls import run as list_controls

        return list_controls(sys.stdout, operation=args.operation)
    _parser().print_help()
    return 0
