"""The command-line door. Each command lives in its own module with a ``register`` function
that adds its parser and sets ``run(args, out) -> exit status`` as its default."""

from __future__ import annotations

import argparse
import os
import sys

from . import (
    _audit,
    _bucket,
    _controls,
    _demo,
    _network,
    _policy,
    _role,
    _sandbox,
    _scan,
    _scp,
)

__all__ = ["main"]

#: The command modules, in the order ``safeai --help`` lists them.
COMMANDS = (_demo, _controls, _policy, _network, _role, _scp, _bucket, _scan, _audit, _sandbox)


def _parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="safeai",
        description="Secure-by-default guard for Amazon SageMaker and S3 calls.",
    )
    parser.add_argument("--version", action="version", version=f"safeai {__version__}")
    parser.add_argument(
        "--profile",
        help="the policy profile to use (as $SAFEAI_PROFILE), for every command; one the "
        "configuration does not define is an error",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``safeai`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 0
    problem = _unknown_profile(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    previous = os.environ.get("SAFEAI_PROFILE")
    if args.profile:
        os.environ["SAFEAI_PROFILE"] = args.profile
    try:
        status: int = run(args, sys.stdout)
    finally:
        if args.profile:
            if previous is None:
                os.environ.pop("SAFEAI_PROFILE", None)
            else:
                os.environ["SAFEAI_PROFILE"] = previous
    return status


def _unknown_profile(args: argparse.Namespace) -> str | None:
    """Why the profile chosen (``--profile``, else ``$SAFEAI_PROFILE``) cannot be used, checked
    for every command, those that never read the policy included; None when none is chosen or
    the configuration (the command's ``--config``, else found as safeai does) defines it."""
    from .._exceptions import PolicyError
    from .._policy import check_profile

    profile = args.profile or os.environ.get("SAFEAI_PROFILE")
    if not profile:
        return None
    try:
        check_profile(profile, getattr(args, "config", None))
    except PolicyError as error:
        given = f"--profile {profile}" if args.profile else f"(SAFEAI_PROFILE={profile})"
        return f"safeai {given}: {error}"
    return None
