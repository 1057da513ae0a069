"""Run a script or a notebook against the sandbox: ``python -m safeai.testing FILE [ARGS...]``.

The code sees an AWS environment pointing at the sandbox and ``SAFEAI_*`` variables for the
baseline's policy, so ``safeai.Policy.load()`` works unchanged. A ``.ipynb`` file is executed
cell by cell in a kernel (``nbclient``, from ``safeai[notebook]``) that inherits that
environment; a cell that raises fails the run. This is how the examples run in CI.

``safeai sandbox`` (:mod:`safeai.cli._sandbox`) uses the same pieces: :func:`unrunnable`,
:func:`started`, :func:`policy_environment` and :func:`run_file`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import runpy
import sys
import tempfile
from typing import TYPE_CHECKING

from .._exceptions import SafeAIError
from ._sandbox import Sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from .._policy import Policy

__all__ = ["main", "policy_environment", "run_file", "started", "unrunnable"]

_PROG = "python -m safeai.testing"
_NOTEBOOK_HINT = "running a notebook needs nbclient and ipykernel: pip install 'safeai[notebook]'"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        usage="%(prog)s [-h] SCRIPT [ARGS ...]",
        description="Run a Python script, or execute a notebook (.ipynb), against a fresh "
        "offline sandbox: moto over HTTPS on loopback with safeai's secure baseline. The code "
        "sees AWS variables pointing at the sandbox and SAFEAI_* variables for the baseline's "
        "policy, so safeai.Policy.load() works unchanged. Needs safeai[sandbox]; a notebook "
        "also needs safeai[notebook].",
        epilog="ARGS, everything after SCRIPT, are passed to it unchanged (its sys.argv[1:]). "
        "To run a "
        "safeai command against the sandbox instead, use: safeai sandbox COMMAND (for example "
        "safeai sandbox audit).",
    )
    parser.add_argument("script", metavar="SCRIPT", help="the .py file or .ipynb notebook to run")
    return parser


def main(argv: Sequence[str]) -> int:
    """Entry point of ``python -m safeai.testing``; returns the exit status (2: usage error)."""
    parser = _parser()
    argv = list(argv)
    # Options before the script are ours (-h); everything after it belongs to the script,
    # verbatim, "--" included, as with ``python SCRIPT ARGS``.
    position = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), len(argv))
    if position < len(argv) and argv[:position] == ["--"]:
        argv = argv[1:]
        position = 0
    parsed = parser.parse_args(argv[: position + 1])
    script, arguments = parsed.script, argv[position + 1 :]
    problem = unrunnable(script)
    if problem:
        parser.error(problem)
    try:
        sandbox = started()
    except SafeAIError as error:
        print(f"{_PROG}: {error}", file=sys.stderr)
        return 2
    try:
        with policy_environment(sandbox.policy):
            return run_file(script, arguments)
    finally:
        sandbox.stop()


def unrunnable(script: str) -> str | None:
    """Why ``script`` cannot be run, checked before a sandbox starts (a missing file, a
    notebook without nbclient), or None."""
    if not os.path.exists(script):
        return f"no such file: {script!r}"
    if not os.path.isfile(script):
        return f"not a file: {script!r}"
    if script.endswith(".ipynb") and not all(
        importlib.util.find_spec(name) for name in ("nbclient", "nbformat", "ipykernel")
    ):
        return _NOTEBOOK_HINT
    return None


def started() -> Sandbox:
    """A started sandbox (the caller stops it); SafeAIError when it cannot start, such as
    without ``safeai[sandbox]``. Errors of the code run in it are left to that code."""
    sandbox = Sandbox()
    sandbox.start()
    return sandbox


@contextlib.contextmanager
def policy_environment(policy: Policy) -> Iterator[dict[str, str]]:
    """Set the ``SAFEAI_*`` variables of ``policy``'s role, key, network and region for the
    block (what a script in the sandbox sees); the previous values are restored after."""
    variables = {
        "SAFEAI_EXECUTION_ROLE_ARN": policy.execution_role_arn or "",
        "SAFEAI_KMS_KEY_ID": policy.kms_key_id or "",
        "SAFEAI_SUBNETS": ",".join(policy.subnets),
        "SAFEAI_SECURITY_GROUP_IDS": ",".join(policy.security_group_ids),
        "SAFEAI_REGION": policy.effective_region or "",
    }
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield variables
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_file(script: str, arguments: Sequence[str] = ()) -> int:
    """Run ``script`` (a ``.py`` file as ``__main__``, or a ``.ipynb`` notebook in a kernel) in
    this process's environment and return its exit status: that of a ``SystemExit`` it raises,
    else 0. Other exceptions propagate, as they would from ``python SCRIPT``."""
    if script.endswith(".ipynb"):
        _run_notebook(script)
        return 0
    saved = sys.argv
    sys.argv = [script, *arguments]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exited:
        return _status(exited.code)
    finally:
        sys.argv = saved
    return 0


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run_notebook(path: str) -> None:
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as error:
        raise SafeAIError(_NOTEBOOK_HINT) from error
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    # The kernel talks to us over Unix sockets in a private directory: no TCP port on loopback
    # that any local process could reach (and no "running over TCP without encryption"
    # warning). Windows has no IPC transport in jupyter_client, so it keeps TCP.
    with tempfile.TemporaryDirectory(prefix="safeai-kernel-") as directory:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            client = NotebookClient(notebook, timeout=300)
        else:
            client = NotebookClient(
                notebook,
                timeout=300,
                kernel_manager_class=_ipc_kernel_manager(os.path.join(directory, "kernel")),
            )
        client.execute()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                print(output.get("text", ""), end="")


def _ipc_kernel_manager(socket_prefix: str) -> type:
    """A kernel manager class that starts its kernel on IPC sockets named ``socket_prefix-N``."""
    from jupyter_client.manager import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(transport="ipc", ip=socket_prefix, **kwargs)

    return IpcKernelManager


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
