"""The one exception tree of safeai.

```
SafeAIError                 every error safeai raises derives from this
├── PolicyError             a policy or its configuration is malformed (also a ValueError)
├── SecurityViolation       a request asks for something weaker than the policy; nothing was sent
└── PreflightError          a check against AWS failed or could not be completed (fail closed)

SecurityWarning             (a UserWarning) a violation that warn mode let through
```

Every refusal names the control slug, the field, what was found, what the policy
requires, and how to fix or waive it, so that the message alone is enough to act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["PolicyError", "PreflightError", "SafeAIError", "SecurityViolation", "SecurityWarning"]


class SafeAIError(Exception):
    """Base class of every error raised by safeai."""


class PolicyError(SafeAIError, ValueError):
    """A policy value or a configuration file is malformed.

    ``field`` names the policy field (or configuration key); ``source`` names where the
    value came from (a file path and table, an environment variable, or ``"code"``).
    """

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        self.reason = message
        prefix = ""
        if source:
            prefix += f"{source}: "
        if field:
            prefix += f"{field}: "
        super().__init__(prefix + message)


def _waive_hint(control: str) -> str:
    return (
        f'waive it with safeai.waive("{control}", reason="...") around the call, '
        f'or Policy(waivers={{"{control}": "<written reason>"}})'
    )


class SecurityViolation(SafeAIError):
    """A request was refused before it was sent because it is weaker than the policy.

    Attributes:
        control: the stable control slug, e.g. ``"training.network_isolation"``.
        operation: the API operation, e.g. ``"CreateTrainingJob"``.
        path: the concrete field path in the request, e.g. ``"VpcConfig.Subnets"``.
        found: what the request (or the referenced resource) holds.
        expected: what the policy requires.
        remedy: how to fix it.
        additional: further violations found in the same request.
    """

    def __init__(
        self,
        *,
        control: str,
        operation: str,
        path: str,
        found: object,
        expected: object,
        remedy: str,
        additional: Sequence[SecurityViolation] = (),
        waivable: bool = True,
    ) -> None:
        self.control = control
        self.operation = operation
        self.path = path
        self.found = found
        self.expected = expected
        self.remedy = remedy
        self.additional = tuple(additional)
        self.waivable = waivable
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [
            f"{self.control}: {self.operation} refused: {self.path}={self.found!r}",
            f"  required: {self.expected}",
            f"  fix: {self.remedy}",
        ]
        if self.waivable:
            lines.append(f"  or {_waive_hint(self.control)}")
        if self.additional:
            lines.append(f"  and {len(self.additional)} more in the same request:")
            lines.extend(
                f"  - {v.control}: {v.path}={v.found!r} (required: {v.expected})"
                for v in self.additional
            )
        lines.append("  nothing was sent.")
        return "\n".join(lines)

    @classmethod
    def combined(cls, violations: Sequence[SecurityViolation]) -> SecurityViolation:
        """One refusal for several violations: the first, with the others as ``additional``."""
        first, *rest = violations
        return cls(
            control=first.control,
            operation=first.operation,
            path=first.path,
            found=first.found,
            expected=first.expected,
            remedy=first.remedy,
            additional=rest,
            waivable=first.waivable,
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_violation, (self.__dict__.copy(),))


def _rebuild_violation(state: dict[str, object]) -> SecurityViolation:
    violation = SecurityViolation.__new__(SecurityViolation)
    violation.__dict__.update(state)
    Exception.__init__(violation, violation._message())
    return violation


class PreflightError(SafeAIError):
    """A check against AWS found a problem or could not be completed; the request was refused.

    ``control`` names the control slug when the failure belongs to one and ``resource`` the
    resource that was being checked; when the check itself failed (fail closed), the AWS error
    is chained as ``__cause__``.
    """

    def __init__(
        self, message: str, *, control: str | None = None, resource: str | None = None
    ) -> None:
        self.control = control
        self.resource = resource
        prefix = f"{control}: " if control else ""
        super().__init__(prefix + message)


class SecurityWarning(UserWarning):
    """A request that enforce mode would refuse was sent, because its control is in warn mode.

    A ``UserWarning``, so notebooks and test runners show it; ``warnings.simplefilter("error",
    safeai.SecurityWarning)`` turns warn mode back into refusals.
    """


# Tracebacks name an exception by its module: show safeai.SecurityViolation, the name users catch.
for _public in (SafeAIError, PolicyError, SecurityViolation, PreflightError, SecurityWarning):
    _public.__module__ = "safeai"
del _public
