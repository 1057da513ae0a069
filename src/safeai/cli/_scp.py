"""``safeai scp``: the service control policies that enforce the policy's baseline in AWS."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from .._exceptions import PolicyError


def register(commands: Any) -> None:
    """Add ``safeai scp`` to the command parsers."""
    parser = commands.add_parser(
        "scp",
        help="print service control policies enforcing the policy server-side (JSON list)",
        description="Reads the policy (safeai.toml, [tool.safeai] or SAFEAI_* variables) and "
        "prints a JSON list of SCP documents, each within the 5,120-character limit when saved "
        "as compact JSON.",
    )
    parser.add_argument("--format", choices=["json"], default="json", help="output format")
    parser.set_defaults(run=lambda args, out: run(out))


def run(out: TextIO) -> int:
    """Print the SCPs of the configured policy; 1 when it is missing or cannot be expressed."""
    from .._policy import Policy
    from .._scp import scp

    try:
        documents = scp(Policy.load())
    except PolicyError as error:
        print(f"safeai scp: {error}", file=sys.stderr)
        return 1
    out.write(json.dumps(documents, indent=2) + "\n")
    return 0
