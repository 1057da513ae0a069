"""What a check did for one control at one place: the record every layer and door shares.

A leaf module: it imports nothing of safeai's at run time, so the engine, preflight, the
references, the decision router and the doors all use it without import circles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._types import Outcome

__all__ = ["Decision"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine did for one control at one place in a request.

    ``outcome`` is ``"injected"`` (filled in from the policy), ``"compliant"`` (already as the
    policy requires), ``"waived"`` (with the written ``reason``), or ``"disabled"`` (the policy
    switches the control off). ``value`` is what the field holds after enforcement.
    """

    control: str
    path: str
    outcome: Outcome
    value: object = None
    reason: str | None = None

    @classmethod
    def let_through(
        cls, control: str, path: str, found: object, expected: object, *, mode: str
    ) -> Decision:
        """What warn mode (``warned``) or report mode (``would_refuse``) records of a violation
        it lets through: the value found and, as the reason, what enforce requires."""
        outcome: Outcome = "warned" if mode == "warn" else "would_refuse"
        return cls(control, path, outcome, value=found, reason=f"required: {expected}")

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Decision:
        """The decision an audit record holds (the inverse of :meth:`as_dict`)."""
        return cls(
            record["control"],
            record["path"],
            record["outcome"],
            record.get("value"),
            record.get("reason"),
        )

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form, as written to the audit log."""
        record: dict[str, object] = {
            "control": self.control,
            "path": self.path,
            "outcome": self.outcome,
        }
        if self.value is not None:
            record["value"] = self.value
        if self.reason is not None:
            record["reason"] = self.reason
        return record
