"""The pure enforcement engine: a request and a policy in, a secured request and decisions out.

It never calls AWS and keeps no state, so every door (event hooks, SecureSession, the CLI, the
audit) shares it, and it can be tested exhaustively without a network. It is the walker: it
finds each control's places in a request (pipeline steps included) and hands each to the
control's requirement kind (:data:`safeai.kinds.KINDS`), looked up once per compiled target.
The run state both share is in :mod:`safeai._run`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from . import _paths
from ._decisions import Decision
from ._exceptions import SecurityViolation
from ._run import Compiled, Names, Problem, Run
from ._waivers import active_waivers
from .controls import Control, for_operation, guarded_operations
from .controls.pipelines import (
    NESTED_STEP_LISTS,
    STEP_OPERATIONS,
    STEPS_REFERENCING_STEPS,
    STEPS_WITHOUT_RESOURCES,
)
from .kinds import KINDS
from .kinds.policy_documents import DuplicateKeyError, is_tls_deny, unique_keys
from .kinds.tags import TAG_CHANGES, check_tag_changes

if TYPE_CHECKING:
    from ._policy import Policy
    from ._run import Handler
    from .kinds import Kind

__all__ = [
    "Decision",
    "NamedResources",
    "copy_members",
    "copy_structure",
    "enforce",
    "evaluate",
    "handled_operations",
    "is_tls_deny",
    "named_resources",
    "pipeline_steps",
    "secure_in_place",
]


@cache
def _compiled(operation: str) -> tuple[Compiled, ...]:
    compiled = []
    for control, target in for_operation(operation):
        kind = KINDS[control.requirement.kind]
        compiled.append(
            Compiled(
                control,
                target,
                _paths.split(target.within),
                _paths.split(target.relative_path),
                target.relative_path,
                tuple(_paths.split(path) for path in target.instance_types),
                control.requirement.kind,
                kind,
                _handler(kind),
                control.requirement.enabled_by,
                target.forbidden,
            )
        )
    return tuple(compiled)


def _handler(kind: Kind) -> Handler | None:
    """What applies a kind in a container: its own handler, or for a pipeline definition the
    engine's walk of the steps."""
    return _secure_pipeline if kind.pipeline else kind.handle


def enforce(
    operation_name: str,
    params: Mapping[str, Any],
    policy: Policy,
    *,
    waivers: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[Decision]]:
    """Secure one request without sending it.

    Returns the secured request (a new structure; ``params`` is left as it was) and one
    :class:`Decision` per control and place. Raises :class:`safeai.SecurityViolation` when the
    request asks for something weaker than the policy; the first violation is raised and the
    others are attached as ``additional``. Operations no control covers pass unchanged.
    ``waivers`` (slug to reason) are the waivers to apply; None: those active now (the
    policy's and those of enclosing ``safeai.waive`` blocks).
    """
    secured = copy_structure(params)
    decisions: list[Decision] = []
    secure_in_place(operation_name, secured, policy, decisions=decisions, waivers=waivers)
    return secured, decisions


def secure_in_place(
    operation_name: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    *,
    decisions: list[Decision] | None = None,
    waivers: Mapping[str, str] | None = None,
) -> list[SecurityViolation]:
    """Like :func:`enforce`, but changes ``params`` itself (the event hooks need that) and
    appends decisions to ``decisions`` only when a list is given.

    Returns the violations that controls in warn mode let through (the caller warns about
    them); raises for those in enforce mode.
    """
    run = Run(
        policy,
        waivers=active_waivers(policy) if waivers is None else waivers,
        inject=True,
        decisions=decisions,
    )
    _secure(operation_name, params, run, prefix="")
    if run.problems:
        raise _violation(operation_name, run.problems)
    return [_violation(operation_name, [problem]) for problem in run.warned]


def evaluate(
    operation_name: str,
    document: Mapping[str, Any],
    policy: Policy,
    *,
    waivers: Mapping[str, str] | None = None,
) -> list[SecurityViolation]:
    """Check an existing resource (a ``Describe*`` answer) against the controls of the
    operation that creates it. Nothing is injected: a missing control is a finding.
    ``waivers`` as for :func:`enforce`."""
    run = Run(
        policy,
        waivers=active_waivers(policy) if waivers is None else waivers,
        inject=False,
        decisions=None,
    )
    _secure(operation_name, copy_structure(document), run, prefix="")
    return [_violation(operation_name, [problem]) for problem in run.problems]


@dataclass(frozen=True, slots=True)
class NamedResources:
    """The roles, keys, subnets and security groups a request names, for preflight to check.

    ``subnet_groups`` keeps each place's subnets together (a ``VpcConfig``, a notebook's one
    subnet), because "spans two Availability Zones" is a property of one placement.
    """

    roles: frozenset[str] = frozenset()
    kms_keys: frozenset[str] = frozenset()
    subnets: frozenset[str] = frozenset()
    security_groups: frozenset[str] = frozenset()
    subnet_groups: tuple[tuple[str, ...], ...] = ()


def named_resources(operation_name: str, params: Mapping[str, Any]) -> NamedResources:
    """What a (secured) request names at its controls' fields, pipeline steps included.

    Only string values count: anything else was refused by the engine already.
    """
    found = Names()
    _collect(operation_name, params, found)
    return NamedResources(
        roles=frozenset(found.roles),
        kms_keys=frozenset(found.kms_keys),
        subnets=frozenset(found.subnets),
        security_groups=frozenset(found.security_groups),
        subnet_groups=tuple(dict.fromkeys(found.subnet_groups)),
    )


def _collect(operation: str, params: Mapping[str, Any], found: Names) -> None:
    for item in _compiled(operation):
        kind = item.kind
        if kind.names is None and not kind.pipeline:
            continue
        for _where, container in _paths.containers(dict(params), item.within):
            value, depth = _paths.lookup(container, item.relative)
            if value is _paths.MISSING or depth != len(item.relative):
                continue
            if kind.pipeline:
                if isinstance(value, str):
                    _collect_steps(value, found)
            elif kind.names is not None:
                kind.names(value, found)


def _collect_steps(definition: str, found: Names) -> None:
    try:
        parsed = json.loads(definition)
    except json.JSONDecodeError:
        return
    if not isinstance(parsed, Mapping) or not isinstance(parsed.get("Steps"), list):
        return
    for _path, step in pipeline_steps(parsed["Steps"], ""):
        operation = STEP_OPERATIONS.get(step.get("Type", ""))
        arguments = step.get("Arguments")
        if operation is not None and isinstance(arguments, Mapping):
            _collect(operation, arguments, found)


def copy_structure(value: Any) -> Any:
    """Copy the structures of a request as plain dicts and lists, sharing everything else
    (streams, bytes). botocore accepts any mapping for a structure and a tuple for a list and
    sends them alike, so the engine must see them alike: as dicts and lists."""
    # Exact types first, and leaves kept without a call: this runs on every member of every
    # guarded request, and a call or an ``isinstance`` against the Mapping ABC costs more than
    # the copy of a leaf.
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in _LEAVES else copy_structure(item)
            for key, item in value.items()
        }
    if kind is list or kind is tuple:
        return [item if type(item) in _LEAVES else copy_structure(item) for item in value]
    if kind in _LEAVES:
        return value
    if isinstance(value, Mapping):
        return {key: copy_structure(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [copy_structure(item) for item in value]
    return value


_LEAVES = frozenset({str, int, float, bool, bytes, type(None)})


def copy_members(params: MutableMapping[str, Any]) -> None:
    """Replace every structure in ``params`` with a plain copy (see :func:`copy_structure`)."""
    for member, value in params.items():
        if type(value) not in _LEAVES:
            params[member] = copy_structure(value)


def _violation(operation: str, problems: list[Problem]) -> SecurityViolation:
    def build(problem: Problem) -> SecurityViolation:
        return SecurityViolation(
            control=problem.control.slug,
            operation=operation,
            path=problem.path,
            found=problem.found,
            expected=problem.expected,
            remedy=problem.control.remedy,
        )

    return SecurityViolation.combined([build(problem) for problem in problems])


def _secure(operation: str, params: MutableMapping[str, Any], run: Run, *, prefix: str) -> None:
    top_level = (("", params),)
    for item in _compiled(operation):
        control, kind = item.control, item.kind
        if kind.applies is not None and not kind.applies(run):
            continue
        places = _paths.containers(params, item.within) if item.within else top_level
        for where, container in places:
            # The container's path in the whole request (a pipeline step's included).
            base = _paths.join(prefix, where) if where else prefix
            # Only pipeline steps (a non-empty prefix) hold expressions.
            if prefix and _is_expression(container):
                # A pipeline parameter or function where a structure belongs: its value at run
                # time is unknown now, and filling fields into it would corrupt it.
                expected = kind.describe(control, run.policy)
                run.problem(Problem(control, base, dict(container), expected))
                continue
            if run.waivers and control.slug in run.waivers:
                run.decide(control, item.path_in(base), "waived", reason=run.waivers[control.slug])
                continue
            flag = item.enabled_by
            if flag is not None and not getattr(run.policy, flag):
                run.decide(
                    control, item.path_in(base), "disabled", reason=f"Policy.{flag} is False"
                )
                continue
            if item.forbidden:
                found = container.get(item.relative_path, _paths.MISSING)
                expected = f"no {operation} request: it removes what {control.slug} requires"
                run.problem(Problem(control, item.path_in(base), found, expected))
            elif item.handler is not None:
                item.handler(item, container, base, run)
            # No handler (baseline, preflight): the guard or preflight applies it elsewhere.
    if operation in TAG_CHANGES:
        check_tag_changes(operation, params, run)


def handled_operations() -> frozenset[str]:
    """Every operation the engine acts on: the catalogue's, and the tag changes it checks."""
    return guarded_operations() | TAG_CHANGES


def _is_expression(node: Mapping[str, Any]) -> bool:
    """A SageMaker Pipelines expression: ``{"Get": ...}`` or ``{"Std:Join": ...}`` and kin."""
    if len(node) != 1:
        return False
    (key,) = node
    return key == "Get" or (isinstance(key, str) and key.startswith("Std:"))


# -- pipelines ---------------------------------------------------------------------------------


def _secure_pipeline(
    item: Compiled, container: MutableMapping[str, Any], where: str, run: Run
) -> None:
    """Secure every step of the pipeline definition at the target's field as the request it
    stands for, and write the definition back when something was filled in."""
    steps_control = item.control
    prefix = item.path_in(where)
    member = item.relative[0]
    raw = container.get(member)
    if raw is None:
        return
    try:
        definition = (
            json.loads(raw, object_pairs_hook=unique_keys) if isinstance(raw, str) else None
        )
    except json.JSONDecodeError as error:
        run.problem(Problem(steps_control, prefix, f"invalid JSON ({error.msg})", _PIPELINE_JSON))
        return
    except DuplicateKeyError as error:
        # Parsers disagree on which duplicate wins, so what safeai checked might not be what
        # SageMaker runs.
        run.problem(
            Problem(steps_control, prefix, f"duplicate key {error.args[0]!r}", _PIPELINE_JSON)
        )
        return
    if not isinstance(definition, dict) or not isinstance(definition.get("Steps", []), list):
        # Not the raw text: a definition holds steps' Environment and HyperParameters values.
        found = f"<{type(definition).__name__}, not a definition with a Steps list>"
        run.problem(Problem(steps_control, prefix, found, _PIPELINE_JSON))
        return
    injected_before = run.injected
    steps = list(pipeline_steps(definition.get("Steps", []), f"{prefix}:Steps"))
    for step_path, step in steps:
        step_type = step.get("Type")
        arguments = step.get("Arguments")
        if step_type in STEPS_WITHOUT_RESOURCES or step_type in NESTED_STEP_LISTS:
            continue
        if step_type in STEPS_REFERENCING_STEPS:
            problem = _unsecured_reference(
                steps_control, str(step_type), step_path, arguments, steps
            )
            if problem is not None:
                run.problem(problem)
            continue
        operation = STEP_OPERATIONS.get(step_type) if isinstance(step_type, str) else None
        if operation is None:
            run.problem(Problem(steps_control, f"{step_path}.Type", step_type, _KNOWN_STEP_TYPES))
            continue
        if not isinstance(arguments, MutableMapping):
            run.problem(
                Problem(steps_control, f"{step_path}.Arguments", arguments, "a request object")
            )
            continue
        _secure(operation, arguments, run, prefix=f"{step_path}.Arguments")
    if run.injected != injected_before:
        container[member] = json.dumps(definition)


_PIPELINE_JSON = "a JSON pipeline definition with no duplicate keys"


_KNOWN_STEP_TYPES = "a step type safeai knows: " + ", ".join(
    sorted(
        {*STEP_OPERATIONS, *STEPS_WITHOUT_RESOURCES, *NESTED_STEP_LISTS, *STEPS_REFERENCING_STEPS}
    )
)


def _unsecured_reference(
    control: Control,
    step_type: str,
    step_path: str,
    arguments: object,
    steps: list[tuple[str, MutableMapping[str, Any]]],
) -> Problem | None:
    """A step that names a resource is secure only when a step of this pipeline creates that
    resource (and so was secured above); anything else cannot be proven here."""
    argument, creator_type, creator_argument = STEPS_REFERENCING_STEPS[step_type]
    name = arguments.get(argument) if isinstance(arguments, Mapping) else None
    created = {
        step["Arguments"].get(creator_argument)
        for _, step in steps
        if step.get("Type") == creator_type
        and isinstance(step.get("Arguments"), Mapping)
        and isinstance(step["Arguments"].get(creator_argument), str)
    }
    if isinstance(name, str) and name in created:
        return None
    return Problem(
        control,
        f"{step_path}.Arguments.{argument}",
        name,
        f"the name of a resource a {creator_type} step of this pipeline creates",
    )


def pipeline_steps(steps: list[Any], prefix: str) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
    """Every step, nested Condition branches included, with a readable path."""
    for index, step in enumerate(steps):
        if not isinstance(step, MutableMapping):
            continue
        label = step.get("Name", index)
        path = f"{prefix}[{label!s}]"
        yield path, step
        branches = NESTED_STEP_LISTS.get(step.get("Type", ""), ())
        arguments = step.get("Arguments")
        for branch in branches:
            nested = arguments.get(branch) if isinstance(arguments, Mapping) else None
            if isinstance(nested, list):
                yield from pipeline_steps(nested, f"{path}.Arguments.{branch}")
