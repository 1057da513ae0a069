"""``safeai controls``: the catalogue as a table."""

from __future__ import annotations

from typing import Any, TextIO

from ..controls import CATALOGUE, for_operation


def register(commands: Any) -> None:
    """Add ``safeai controls`` to the command parsers."""
    parser = commands.add_parser("controls", help="list the controls safeai enforces")
    parser.add_argument("--operation", help="only the controls of this API operation")
    parser.set_defaults(run=lambda args, out: run(out, operation=args.operation))


def run(out: TextIO, *, operation: str | None = None) -> int:
    """Print one line per control (or per control of ``operation``)."""
    if operation:
        pairs = for_operation(operation)
        if not pairs:
            out.write(f"no control applies to {operation}\n")
            return 1
        controls = list(dict.fromkeys(control for control, _ in pairs))
    else:
        controls = list(CATALOGUE)
    width = max(len(control.slug) for control in controls)
    for control in controls:
        out.write(f"{control.slug:<{width}}  {control.title}\n")
    out.write(f"\n{len(controls)} controls. Reference: docs/controls.md\n")
    return 0
