"""The state of one enforcement, shared by the engine and the requirement kinds.

A leaf: the engine (which walks requests) and ``safeai.kinds`` (which judge what it finds)
both import it, and it imports neither, so they need no import cycle to share a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _paths
from ._decisions import Decision

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping
    from typing import TypeAlias

    from ._policy import Policy
    from ._types import Outcome
    from .controls import Control, Target
    from .kinds import Kind

__all__ = ["Compiled", "Names", "Problem", "Run"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A violation found at ``path``: what was ``found`` and, in words, what is ``expected``."""

    control: Control
    path: str
    found: object
    expected: str


@dataclass(frozen=True, slots=True)
class Compiled:
    """A target with its paths split and its requirement kind looked up once, not on every
    request."""

    control: Control
    target: Target
    within: tuple[str, ...]
    relative: tuple[str, ...]
    relative_path: str
    instance_types: tuple[tuple[str, ...], ...]
    #: Copied from the control and target: read for every item of every request.
    kind_name: str
    kind: Kind
    #: What applies the requirement in a container; see :data:`Handler`.
    handler: Handler | None
    enabled_by: str | None
    forbidden: bool

    def path_in(self, where: str) -> str:
        """The concrete path of the target's field in the container found at ``where``."""
        return _paths.join(where, self.relative_path)


class Run:
    """The state of one enforcement: what was decided, what is wrong, what was injected.

    A plain slotted class, not a dataclass: one is built for every guarded request.
    """

    __slots__ = (
        "decisions",
        "inject",
        "injected",
        "policy",
        "problems",
        "reports",
        "waivers",
        "warned",
    )

    def __init__(
        self,
        policy: Policy,
        *,
        waivers: Mapping[str, str],
        inject: bool,
        decisions: list[Decision] | None,
    ) -> None:
        self.policy = policy
        self.inject = inject
        self.decisions = decisions
        self.waivers = waivers
        #: What enforce refuses; in warn mode what was let through goes to ``warned`` instead.
        self.problems: list[Problem] = []
        self.warned: list[Problem] = []
        self.injected = 0
        #: Whether any control may be in report mode (most policies: none).
        self.reports = inject and (policy.mode == "report" or "report" in policy.modes.values())

    def reporting(self, control: Control) -> bool:
        """Whether ``control`` only records what enforce would do (report mode)."""
        return self.reports and self.policy.mode_of(control.slug) == "report"

    def problem(self, problem: Problem) -> None:
        """Route a violation by its control's mode. ``evaluate`` (no injection) always
        collects: a finding on an existing resource is a finding in every mode."""
        mode = self.policy.mode_of(problem.control.slug) if self.inject else "enforce"
        if mode == "enforce":
            self.problems.append(problem)
            return
        if mode == "warn":
            self.warned.append(problem)
        if self.decisions is not None:
            self.decisions.append(
                Decision.let_through(
                    problem.control.slug, problem.path, problem.found, problem.expected, mode=mode
                )
            )

    def decide(
        self,
        control: Control,
        path: str,
        outcome: Outcome,
        value: object = None,
        reason: str | None = None,
    ) -> None:
        """Record a decision, when the caller asked for them."""
        if self.decisions is not None:
            self.decisions.append(Decision(control.slug, path, outcome, value, reason))

    def fill(
        self,
        control: Control,
        container: MutableMapping[str, Any],
        path: str,
        members: dict[str, Any],
    ) -> None:
        """Add ``members`` to ``container`` (or report them, in report mode). On an existing
        resource (``evaluate``), their absence is a finding."""
        if not self.inject:
            self.problem(Problem(control, path, _paths.MISSING, f"{members!r} or its equivalent"))
            return
        if self.reporting(control):
            self.decide(control, path, "would_inject", value=members)
            return
        container.update(members)
        self.injected += 1
        self.decide(control, path, "injected", value=members)


@dataclass(slots=True)
class Names:
    """What a request names at its controls' fields, gathered for preflight to check."""

    roles: set[str] = field(default_factory=set)
    kms_keys: set[str] = field(default_factory=set)
    subnets: set[str] = field(default_factory=set)
    security_groups: set[str] = field(default_factory=set)
    #: Each placement's subnets together: "spans two Availability Zones" is about one placement.
    subnet_groups: list[tuple[str, ...]] = field(default_factory=list)


if TYPE_CHECKING:
    #: Applies one compiled target to the container found at a path (the third argument), with
    #: the run's policy, mode and record.
    Handler: TypeAlias = Callable[[Compiled, MutableMapping[str, Any], str, Run], None]
