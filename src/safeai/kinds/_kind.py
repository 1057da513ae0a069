"""The record of one requirement kind: what each layer needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .._policy import Policy
    from .._run import Handler, Names, Problem, Run
    from ..controls import Control, Requirement

__all__ = ["Kind"]


@dataclass(frozen=True, slots=True)
class Kind:
    """What a ``Requirement.kind`` means, for the engine, the docs and the SCP generator.

    ``describe`` says what the policy requires, in words, in errors and decisions.
    ``document`` says it for ``docs/controls.md`` (Markdown, without the policy's values).
    ``handle`` applies the requirement to the container the engine found (None: applied
    elsewhere, e.g. by the guard after the call or by preflight). Kinds that govern one field
    share :func:`safeai.kinds.apply_field` as ``handle`` and give ``check`` (a present value's
    problem, or None) and ``inject`` (the value to fill in, None when the policy has none).
    ``applies`` (None: always) says whether the kind has anything to do in a run.
    ``exempt`` says why a missing value is not needed at a place (None: it is), from the
    container and the target's instance-type paths. ``names`` adds what a value names to a
    :class:`safeai._run.Names` for preflight. ``scp`` is the SCP condition that holds when a
    condition key carries a value the policy does not allow (None: the kind has none).
    ``pipeline`` marks a pipeline definition, whose steps the engine secures as requests.
    ``judged_by``: the preflight controls that judge what a value of this kind names (a role's
    trust and permissions, a key, a network), as they read it from AWS.
    """

    describe: Callable[[Control, Policy], str]
    document: Callable[[Requirement], str]
    handle: Handler | None = None
    check: Callable[[Control, object, str, Policy], Problem | None] | None = None
    inject: Callable[[Control, Policy], object] | None = None
    applies: Callable[[Run], bool] | None = None
    exempt: Callable[[Mapping[str, Any], tuple[tuple[str, ...], ...]], str | None] | None = None
    names: Callable[[object, Names], None] | None = None
    scp: Callable[[str, Control, Policy], dict[str, Any]] | None = None
    pipeline: bool = False
    judged_by: tuple[str, ...] = ()
