"""``safeai controls``: the catalogue as a table, or every control that can refuse one operation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from ..controls import CATALOGUE
from ..controls._refusing import CHECKED_ON, refusing_controls

if TYPE_CHECKING:
    from ..controls import Control


def register(commands: Any) -> None:
    """Add ``safeai controls`` to the command parsers."""
    parser = commands.add_parser("controls", help="list the controls safeai enforces")
    parser.add_argument(
        "--operation",
        help="only the controls that can refuse this API operation, grouped by where the guard "
        "checks them",
    )
    parser.set_defaults(run=lambda args, out: run(out, operation=args.operation))


def run(out: TextIO, *, operation: str | None = None) -> int:
    """Print one line per control, or per control that can refuse ``operation``, grouped by
    where the guard checks it; 1 when no control applies to ``operation``."""
    if not operation:
        _lines(out, list(CATALOGUE), _width(CATALOGUE))
        out.write(f"\n{len(CATALOGUE)} controls. Reference: docs/controls.md\n")
        return 0
    found = refusing_controls(operation)
    if not found:
        out.write(f"no control applies to {operation}\n")
        return 1
    width = _width(refusing.control for refusing in found)
    out.write(f"Controls that can refuse {operation}, by where the guard checks them:\n")
    for checked_on, heading in CHECKED_ON.items():
        group = [refusing.control for refusing in found if refusing.checked_on == checked_on]
        if group:
            out.write(f"\nChecked {heading}:\n")
            _lines(out, group, width)
    out.write(f"\n{len(found)} controls. Reference: docs/controls.md\n")
    return 0


def _width(controls: Any) -> int:
    return max(len(control.slug) for control in controls)


def _lines(out: TextIO, controls: list[Control], width: int) -> None:
    for control in controls:
        out.write(f"{control.slug:<{width}}  {control.title}\n")
