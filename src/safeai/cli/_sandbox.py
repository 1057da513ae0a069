"""``safeai sandbox``: run a safeai command, or a script, against a fresh offline sandbox.

The sandbox (:mod:`safeai.testing`, from ``safeai[sandbox]``) is moto on loopback with safeai's
secure baseline. While the command or script runs, the process's AWS variables point at it
and ``SAFEAI_*`` variables hold the baseline's policy, exactly as for
``python -m safeai.testing``, whose pieces this reuses.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence

INSTALL_HINT = (
    "the sandbox needs moto's server mode, which is not installed: pip install 'safeai[sandbox]'"
)
#: Commands that make no sense inside the sandbox, and why.
_REFUSED = {
    "sandbox": "the command already runs in a sandbox",
    "demo": "the demo opens a sandbox of its own: run safeai demo",
}

_DESCRIPTION = """\
Starts the offline sandbox (moto on 127.0.0.1 over HTTPS, with safeai's secure
baseline and a policy for it in SAFEAI_* variables), runs one safeai command or
one script against it, and stops it. The exit status is the command's or the
script's; 2 when the sandbox cannot start.
"""
_RUN_USAGE = "safeai sandbox run SCRIPT [ARGS...]"
_RUN_HELP = """\
Runs SCRIPT (a .py file as __main__, or a .ipynb notebook in a kernel) against
a fresh sandbox, as python -m safeai.testing does; ARGS are passed to it
unchanged. The exit status is the script's."""

_EPILOG = """\
examples:
  safeai sandbox audit                        audit the sandbox's account
  safeai sandbox audit --format json          options after COMMAND are the command's
  safeai sandbox -- --profile ci audit        "--" first to give the command global options
  safeai sandbox --setup make_jobs.py audit   create resources with a script, then audit them
  safeai sandbox run pipeline.py ARGS         a script or notebook, as python -m safeai.testing

The sandbox is empty but for its baseline (a key, a private VPC, a role, a data bucket):
use --setup to create what the command should see. A safeai.toml or [tool.safeai] found
from the working directory is still read; the SAFEAI_* variables override its role, key,
subnets, security groups and region. Nothing leaves this machine.
"""


def register(commands: Any) -> None:
    """Add ``safeai sandbox`` to the command parsers."""
    parser = commands.add_parser(
        "sandbox",
        help="run a safeai command (safeai sandbox audit) or a script (safeai sandbox run "
        "SCRIPT) against a fresh offline sandbox; needs safeai[sandbox]",
        usage="%(prog)s [-h] [--setup SCRIPT] COMMAND [ARGS ...]\n"
        "       %(prog)s [-h] [--setup SCRIPT] run SCRIPT [ARGS ...]",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--setup",
        action="append",
        default=[],
        metavar="SCRIPT",
        help="run SCRIPT (a .py file or a notebook) in the sandbox first, to create the "
        "resources the command should see (repeatable; a failing script stops the run)",
    )
    parser.add_argument(
        "command_line",
        nargs=argparse.REMAINDER,
        metavar="COMMAND ...",
        help="a safeai command line (audit, policy show, scp, ...), or run SCRIPT [ARGS...]",
    )
    parser.set_defaults(run=lambda args, out: run(out, args.command_line, setup=args.setup))


def run(out: TextIO, command: Sequence[str], *, setup: Sequence[str] = ()) -> int:
    """Start a sandbox, run ``setup`` scripts then ``command`` (a safeai command line, or
    ``run SCRIPT ARGS...``) in it, and return the command's exit status (2: usage, or the
    sandbox could not start)."""
    from ..testing.__main__ import unrunnable

    command = list(command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        return _error(
            "name what to run: a safeai command (safeai sandbox audit) or a script (safeai "
            "sandbox run SCRIPT); see safeai sandbox --help"
        )
    script: str | None = None
    if command[0] == "run":
        if len(command) < 2:
            return _error(f"run needs a script: {_RUN_USAGE}")
        if command[1] in ("-h", "--help"):
            out.write(f"usage: {_RUN_USAGE}\n\n{_RUN_HELP}\n")
            return 0
        script = command[1]
    else:
        problem = _command_problem(command)
        if problem is not None:
            return problem
    for path in [*setup, *([script] if script else [])]:
        reason = unrunnable(path)
        if reason:
            return _error(reason)
    if importlib.util.find_spec("moto") is None:
        return _error(INSTALL_HINT)
    return _in_sandbox(out, command, setup)


def _command_problem(command: list[str]) -> int | None:
    """Check the safeai command line before the sandbox starts: an exit status to stop with
    (argparse has said why; ``--help`` has been printed), or None to go on."""
    from . import _parser

    try:
        parsed = _parser().parse_args(command)
    except SystemExit as exited:
        return exited.code if isinstance(exited.code, int) else 2
    if parsed.command in _REFUSED:
        return _error(f"not {parsed.command}: {_REFUSED[parsed.command]}")
    if getattr(parsed, "run", None) is None:
        return _error("name a safeai command to run in the sandbox, e.g. safeai sandbox audit")
    return None


def _in_sandbox(out: TextIO, command: list[str], setup: Sequence[str]) -> int:
    from .._exceptions import SafeAIError
    from ..testing.__main__ import policy_environment, run_file, started
    from . import main

    try:
        sandbox = started()
    except SafeAIError as error:
        return _error(str(error))
    try:
        with policy_environment(sandbox.policy):
            print(
                f"safeai sandbox: an offline account at {sandbox.endpoint_url} "
                f"({sandbox.policy.effective_region}), the baseline's policy in SAFEAI_* "
                "variables",
                file=sys.stderr,
            )
            for script in setup:
                status = run_file(script)
                if status:
                    return _error(f"--setup {script} exited with status {status}", status)
            if command[0] == "run":
                return run_file(command[1], command[2:])
            out.flush()
            return main(command)
    finally:
        sandbox.stop()


def _error(message: str, status: int = 2) -> int:
    print(f"safeai sandbox: {message}", file=sys.stderr)
    return status
