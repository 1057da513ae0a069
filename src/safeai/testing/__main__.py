"""Run a script or a notebook against the sandbox: ``python -m safeai.testing FILE [ARGS...]``.

The code sees an AWS environment pointing at the sandbox and ``SAFEAI_*`` variables for the
baseline's policy, so ``safeai.Policy.load()`` works unchanged. A ``.ipynb`` file is executed
cell by cell in a kernel (``nbclient``, from ``safeai[notebook]``) that inherits that
environment; a cell that raises fails the run. This is how the examples run in CI.
"""

from __future__ import annotations

import os
import runpy
import sys

from ._sandbox import Sandbox


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m safeai.testing SCRIPT [ARGS...]", file=sys.stderr)
        return 2
    script, *arguments = argv
    with Sandbox() as sandbox:
        policy = sandbox.policy
        variables = {
            "SAFEAI_EXECUTION_ROLE_ARN": policy.execution_role_arn or "",
            "SAFEAI_KMS_KEY_ID": policy.kms_key_id or "",
            "SAFEAI_SUBNETS": ",".join(policy.subnets),
            "SAFEAI_SECURITY_GROUP_IDS": ",".join(policy.security_group_ids),
            "SAFEAI_REGION": policy.effective_region or "",
        }
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        sys.argv = [script, *arguments]
        try:
            if script.endswith(".ipynb"):
                _run_notebook(script)
            else:
                runpy.run_path(script, run_name="__main__")
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return 0


def _run_notebook(path: str) -> None:
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as error:
        raise SystemExit(
            "running a notebook needs nbclient: pip install 'safeai[notebook]'"
        ) from error
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(notebook, timeout=300).execute()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                print(output.get("text", ""), end="")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
