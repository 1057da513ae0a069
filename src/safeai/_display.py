"""HTML for notebooks: how decisions and refusals look in Jupyter.

The notebook door (:mod:`safeai.ipython`) registers these with IPython's display formatter when
``%load_ext safeai`` runs; the records themselves carry no notebook code.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._decisions import Decision
    from ._exceptions import SecurityViolation

__all__ = ["decisions_html", "violation_html"]


def _cell(value: object) -> str:
    return f"<td style='text-align:left'>{html.escape(str(value))}</td>"


def decisions_html(decisions: list[Decision]) -> str:
    """A table of decisions: outcome, control, field, and the value or reason."""
    rows = "".join(
        "<tr>"
        + "".join(_cell(c) for c in (d.outcome, d.control, d.path, d.reason or d.value or ""))
        + "</tr>"
        for d in decisions
    )
    return (
        "<table><tr><th>outcome</th><th>control</th><th>field</th><th>value / reason</th></tr>"
        f"{rows}</table>"
    )


def violation_html(violation: SecurityViolation) -> str:
    """A refusal as a small table, with the fix first-class."""
    rows = [
        ("control", violation.control),
        ("operation", violation.operation),
        ("field", violation.path),
        ("found", repr(violation.found)),
        ("required", violation.expected),
        ("fix", violation.remedy),
    ]
    if violation.waivable:
        rows.append(("waive", f'safeai.waive("{violation.control}", reason="...")'))
    rows += [(f"also: {v.control}", f"{v.path}={v.found!r}") for v in violation.additional]
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(name)}</th>{_cell(value)}</tr>"
        for name, value in rows
    )
    return f"<p><b>safeai refused the request; nothing was sent.</b></p><table>{body}</table>"
