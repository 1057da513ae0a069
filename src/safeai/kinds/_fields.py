"""What the kinds that govern one field share: the handler that reads, fills in and checks the
field, and the wording of "one of the policy's values"."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from .. import _paths
from .._exceptions import SafeAIError
from .._run import Problem

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

    from .._run import Compiled, Run

__all__ = ["apply_field", "one_of", "subset"]


def apply_field(item: Compiled, container: MutableMapping[str, Any], where: str, run: Run) -> None:
    """Fill the target's field in from the policy when it is missing, check it when present.

    A missing field is a problem when the policy has no value for it (or the control may not
    fill it in), and is left alone on a check-only target, where a ``check_only_with`` path of
    the target holds a value (the field belongs to what it names), or where the kind says it is
    not needed (a volume key on instance storage).
    """
    control, kind = item.control, item.kind
    recording = run.decisions is not None
    relative = item.relative
    if len(relative) == 1:  # most fields sit right in their container: skip the walk
        value: object = container.get(relative[0], _paths.MISSING)
        depth = 1
    else:
        value, depth = _paths.lookup(container, relative)
    if value is _paths.MISSING:
        if not item.target.inject:
            return
        if item.target.check_only_with and _named(container, item.target.check_only_with):
            return
        if item.instance_types and kind.exempt is not None:
            reason = kind.exempt(container, item.instance_types)
            if reason is not None:
                if recording:
                    run.decide(control, item.path_in(where), "compliant", reason=reason)
                return
        injected = (
            kind.inject(control, run.policy)
            if run.inject and control.requirement.fill and kind.inject is not None
            else None
        )
        if injected is None:
            run.problem(
                Problem(control, item.path_in(where), value, kind.describe(control, run.policy))
            )
            return
        if run.reports and run.reporting(control):
            run.decide(control, item.path_in(where), "would_inject", value=injected)
            return
        if len(relative) == 1:
            container[relative[0]] = injected
        else:
            _paths.put(container, relative, injected)
        run.injected += 1
        if recording:
            run.decide(control, item.path_in(where), "injected", value=injected)
        return
    path = item.path_in(where)
    if depth != len(relative):
        # A member on the way is not a structure: name it, not the field below it.
        reached = path[: len(path) - len(item.relative_path)]
        expected = kind.describe(control, run.policy)
        run.problem(Problem(control, reached + ".".join(relative[:depth]), value, expected))
        return
    if kind.check is None:
        raise SafeAIError(
            f"{control.slug}: requirement kind {item.kind_name!r} governs a field but has no "
            "check (safeai.kinds.KINDS)"
        )
    problem = kind.check(control, value, path, run.policy)
    if problem is None:
        if recording:
            run.decide(control, path, "compliant", value=value)
    else:
        run.problem(problem)


def _named(container: Mapping[str, Any], paths: tuple[str, ...]) -> bool:
    """Whether any of ``paths`` (which may step through lists) holds a value in ``container``."""
    return any(
        value is not None
        for segments in _split(paths)
        for value in _paths.values(container, segments)
    )


@cache
def _split(paths: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(_paths.split(path) for path in paths)


def one_of(allowed: tuple[str, ...] | Any, field: str, *, plural: bool = False) -> str:
    """ "one of [...]" (or "a non-empty subset of [...]"), naming the policy ``field`` when it
    holds nothing."""
    if not allowed:
        return f"a value from {field}, which the policy does not set"
    listed = ", ".join(allowed)
    return f"a non-empty subset of [{listed}]" if plural else f"one of [{listed}]"


def subset(value: object, allowed: tuple[str, ...] | Any) -> bool:
    """Whether ``value`` is a non-empty list of strings, each in ``allowed``."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and item in allowed for item in value)
    )
