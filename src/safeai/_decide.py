"""Where a violation becomes a refusal, a warning or a record: one router for every caller.

The door's checks on the client, the reference checks, preflight, the S3 input checks, the bucket
baseline and presigned POST forms all find violations; each hands them to a
:class:`DecisionRouter` built once per request, with the waivers resolved once at the door. What
happens to a violation depends on its control:

============  ==================================================================================
waived        nothing is refused; a ``waived`` decision records the written reason (a control
              whose violations are not ``waivable`` ignores waivers)
``enforce``   refused: :class:`safeai.SecurityViolation` (all of the request's refusals at once)
``warn``      let through, recorded ``warned``, and returned for the caller to warn about once
              the request is secured
``report``    let through silently, recorded ``would_refuse``
============  ==================================================================================

The engine applies the same rules, control by control, to the fields it walks.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal

from ._decisions import Decision
from ._exceptions import SecurityViolation, SecurityWarning
from ._waivers import active_waivers

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ._exceptions import PreflightError
    from ._policy import Policy
    from ._types import Mode, Outcome

__all__ = ["DecisionRouter", "Disposition", "waived_decision", "warn_about", "warning_text"]

#: What happens to a violation of one control: waived, or the control's mode.
Disposition = Literal["waived", "enforce", "warn", "report"]


class DecisionRouter:
    """Routes one request's violations by their controls' modes and waivers, and collects its
    decisions when ``decisions`` is a list (the audit log is on).

    ``waivers`` are the request's, resolved once at the door (``None``: resolve them now, from
    the policy and the enclosing ``safeai.waive`` blocks). A plain slotted class: one is built for
    every guarded request.
    """

    __slots__ = ("decisions", "policy", "waivers")

    def __init__(
        self,
        policy: Policy,
        *,
        waivers: Mapping[str, str] | None = None,
        decisions: list[Decision] | None = None,
    ) -> None:
        self.policy = policy
        self.waivers: Mapping[str, str] = active_waivers(policy) if waivers is None else waivers
        self.decisions = decisions

    def mode(self, slug: str) -> Mode:
        """The mode ``slug`` acts in under the policy, waivers aside."""
        return self.policy.mode_of(slug)

    def disposition(self, slug: str) -> Disposition:
        """What happens to a violation of ``slug``: ``"waived"``, else its mode."""
        if slug in self.waivers:
            return "waived"
        return self.policy.mode_of(slug)

    def route(self, violations: Iterable[SecurityViolation]) -> list[SecurityViolation]:
        """Raise the violations whose control is enforced (the first, with the others as
        ``additional``); record the others and return those in warn mode, to be warned about."""
        routed = [(violation, self._disposition_of(violation)) for violation in violations]
        refused = [violation for violation, disposition in routed if disposition == "enforce"]
        if refused:
            raise SecurityViolation.combined(refused)
        if self.decisions is not None:
            self.decisions.extend(
                self._decision(violation, disposition) for violation, disposition in routed
            )
        return [violation for violation, disposition in routed if disposition == "warn"]

    def warned(self, violations: list[SecurityViolation]) -> list[SecurityViolation]:
        """Record violations that only ever warn, whatever the mode (objects that could not be
        classified, under ``Policy.pii_unknown = "warn"``), and return them to be warned about."""
        if self.decisions is not None:
            self.decisions.extend(self._decision(violation, "warn") for violation in violations)
        return violations

    def unchecked(self, error: PreflightError) -> None:
        """A check that could not run refuses the request (fail closed), except when its control
        is in report or warn mode, which refuse nothing: there it is recorded (and warned about)
        instead.

        Waivers do not apply: the check that failed may stand for several controls (reading a
        pipeline's definition comes before both its PII and its buckets' posture), so the
        waiver of the one it is filed under must not let the others through unchecked.
        """
        mode = self.policy.mode_of(error.control) if error.control else self.policy.mode
        if mode == "enforce":
            raise error
        if mode == "warn":
            # From the service's entry point, which called the check that called this.
            warnings.warn(f"{error} (sent in warn mode)", SecurityWarning, stacklevel=3)
        outcome: Outcome = "warned" if mode == "warn" else "would_refuse"
        self.record([Decision(error.control or "preflight", "", outcome, reason=str(error))])

    def waived(self, slug: str, path: str, value: object = None) -> Decision:
        """The ``waived`` decision for a place a waived control would have checked."""
        return waived_decision(self.waivers, slug, path, value)

    def record(self, decisions: Iterable[Decision]) -> None:
        """Keep ``decisions`` when the request's decisions are being collected."""
        if self.decisions is not None:
            self.decisions.extend(decisions)

    def _disposition_of(self, violation: SecurityViolation) -> Disposition:
        if violation.waivable:
            return self.disposition(violation.control)
        return self.policy.mode_of(violation.control)

    def _decision(self, violation: SecurityViolation, disposition: Disposition) -> Decision:
        if disposition == "waived":
            return self.waived(violation.control, violation.path, violation.found)
        return Decision.let_through(
            violation.control,
            violation.path,
            violation.found,
            violation.expected,
            mode=disposition,
        )


def waived_decision(
    waivers: Mapping[str, str], slug: str, path: str, value: object = None
) -> Decision:
    """The ``waived`` decision of ``slug`` at ``path``, with the reason of its waiver."""
    return Decision(slug, path, "waived", value=value, reason=waivers[slug])


def warning_text(violation: SecurityViolation) -> str:
    """What a :class:`safeai.SecurityWarning` says about a violation warn mode let through."""
    return (
        f"{violation.control}: {violation.operation} sent in warn mode, though enforce mode "
        f"would refuse it: {violation.path}={violation.found!r}\n"
        f"  required: {violation.expected}\n"
        f"  fix: {violation.remedy}"
    )


def warn_about(violations: Iterable[SecurityViolation], *, stacklevel: int) -> None:
    """One :class:`safeai.SecurityWarning` per violation let through; ``stacklevel`` counts from
    the caller of this function, as :func:`warnings.warn` does."""
    for violation in violations:
        warnings.warn(warning_text(violation), SecurityWarning, stacklevel=stacklevel + 1)
