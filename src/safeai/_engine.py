"""The pure enforcement engine: a request and a policy in, a secured request and decisions out.

It never calls AWS and keeps no state, so every door (event hooks, SecureSession, the CLI, the
audit) shares it, and it can be tested exhaustively without a network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from . import _paths
from ._exceptions import SecurityViolation
from ._policy import Policy
from ._types import Outcome
from ._waivers import active_waivers
from .controls import Control, Target, by_slug, for_operation
from .controls.pipelines import (
    NESTED_STEP_LISTS,
    STEP_OPERATIONS,
    STEPS_REFERENCING_STEPS,
    STEPS_WITHOUT_RESOURCES,
)

__all__ = ["Decision", "enforce", "evaluate", "secure_in_place"]


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


@dataclass(frozen=True, slots=True)
class _Problem:
    path: str
    found: object
    expected: str


def enforce(
    operation_name: str, params: Mapping[str, Any], policy: Policy
) -> tuple[dict[str, Any], list[Decision]]:
    """Secure one request without sending it.

    Returns the secured request (a new structure; ``params`` is left as it was) and one
    :class:`Decision` per control and place. Raises :class:`safeai.SecurityViolation` when the
    request asks for something weaker than the policy; the first violation is raised and the
    others are attached as ``additional``. Operations no control covers pass unchanged.
    """
    secured = copy_structure(params)
    decisions = secure_in_place(operation_name, secured, policy)
    return secured, decisions


def secure_in_place(
    operation_name: str, params: MutableMapping[str, Any], policy: Policy
) -> list[Decision]:
    """Like :func:`enforce`, but changes ``params`` itself (the event hooks need that)."""
    decisions: list[Decision] = []
    problems: list[tuple[Control, _Problem]] = []
    _secure(operation_name, params, policy, decisions, problems, inject=True, prefix="")
    if problems:
        raise _violation(operation_name, problems)
    return decisions


def evaluate(
    operation_name: str, document: Mapping[str, Any], policy: Policy
) -> list[SecurityViolation]:
    """Check an existing resource (a ``Describe*`` answer) against the controls of the
    operation that creates it. Nothing is injected: a missing control is a finding."""
    decisions: list[Decision] = []
    problems: list[tuple[Control, _Problem]] = []
    _secure(
        operation_name,
        copy_structure(document),
        policy,
        decisions,
        problems,
        inject=False,
        prefix="",
    )
    return [_violation(operation_name, [problem]) for problem in problems]


def copy_structure(value: Any) -> Any:
    """Copy the dicts and lists of a request, sharing everything else (streams, bytes)."""
    if isinstance(value, Mapping):
        return {key: copy_structure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_structure(item) for item in value]
    return value


def _violation(operation: str, problems: list[tuple[Control, _Problem]]) -> SecurityViolation:
    def build(control: Control, problem: _Problem) -> SecurityViolation:
        return SecurityViolation(
            control=control.slug,
            operation=operation,
            path=problem.path,
            found=problem.found,
            expected=problem.expected,
            remedy=control.remedy,
        )

    first, *rest = (build(control, problem) for control, problem in problems)
    if not rest:
        return first
    return SecurityViolation(
        control=first.control,
        operation=first.operation,
        path=first.path,
        found=first.found,
        expected=first.expected,
        remedy=first.remedy,
        additional=rest,
    )


def _secure(
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    decisions: list[Decision],
    problems: list[tuple[Control, _Problem]],
    *,
    inject: bool,
    prefix: str,
) -> None:
    waivers = active_waivers(policy)
    for control, target in for_operation(operation):
        for where, container in _paths.containers(params, target.within):
            path = _paths.join(prefix, _paths.join(where, target.relative_path))
            if control.slug in waivers:
                decisions.append(Decision(control.slug, path, "waived", reason=waivers[control.slug]))
                continue
            flag = control.requirement.enabled_by
            if flag is not None and not getattr(policy, flag):
                decisions.append(
                    Decision(control.slug, path, "disabled", reason=f"Policy.{flag} is False")
                )
                continue
            if control.requirement.kind == "steps":
                _secure_pipeline(
                    container, target, policy, decisions, problems, inject=inject, prefix=path
                )
                continue
            _apply(control, target, container, path, policy, decisions, problems, inject=inject)


def _apply(
    control: Control,
    target: Target,
    container: MutableMapping[str, Any],
    path: str,
    policy: Policy,
    decisions: list[Decision],
    problems: list[tuple[Control, _Problem]],
    *,
    inject: bool,
) -> None:
    relative = target.relative_path
    value, reached = _paths.lookup(container, relative)
    if value is _paths.MISSING:
        if not target.inject:
            return
        if target.instance_types and _has_instance_storage(container, target.instance_types):
            decisions.append(
                Decision(
                    control.slug,
                    path,
                    "compliant",
                    reason="instance storage is encrypted by the instance's hardware module; "
                    "AWS refuses a volume key for these instance types",
                )
            )
            return
        missing = _Problem(path, value, _describe(control, policy))
        if not inject:
            problems.append((control, missing))
            return
        injected = _injection(control, policy)
        if injected is None:
            problems.append((control, missing))
            return
        _paths.put(container, relative, injected)
        decisions.append(Decision(control.slug, path, "injected", value=injected))
        return
    if reached != relative:
        problems.append((control, _Problem(path[: len(path) - len(relative)] + reached, value,
                                           _describe(control, policy))))
        return
    problem = _check(control, value, path, policy)
    if problem is None:
        decisions.append(Decision(control.slug, path, "compliant", value=value))
    else:
        problems.append((control, problem))


# -- requirements ------------------------------------------------------------------------------

_INSTANCE_STORE_FAMILIES = frozenset(
    {"g5", "g6", "g6e", "gr6", "p5", "p5e", "p5en", "p6", "trn1", "trn1n", "trn2", "i3", "i4i",
     "x1", "dl1"}
)
# A "d" after the generation marks local NVMe storage: c5d, m5ad, g4dn, p3dn, p4d, m6id, r5dn.
_INSTANCE_STORE_SUFFIX = re.compile(r"^[a-z]+\d+[a-z]*d[a-z]*$")


def _has_instance_storage(container: Mapping[str, Any], instance_types: str) -> bool:
    for instance_type in _paths.values(container, instance_types):
        if not isinstance(instance_type, str):
            continue
        parts = instance_type.split(".")
        family = parts[1] if len(parts) == 3 and parts[0] == "ml" else ""
        if family in _INSTANCE_STORE_FAMILIES or _INSTANCE_STORE_SUFFIX.match(family):
            return True
    return False


def _injection(control: Control, policy: Policy) -> object:
    requirement = control.requirement
    kind = requirement.kind
    if kind == "role":
        return policy.execution_role_arn
    if kind == "kms_key":
        return policy.kms_key_id
    if kind == "vpc":
        if policy.subnets and policy.security_group_ids:
            return {
                "SecurityGroupIds": list(policy.security_group_ids),
                "Subnets": list(policy.subnets),
            }
        return None
    if kind == "subnet":
        return policy.subnets[0] if policy.subnets else None
    if kind == "subnets":
        return list(policy.subnets) or None
    if kind == "security_groups":
        return list(policy.security_group_ids) or None
    return requirement.value


def _describe(control: Control, policy: Policy) -> str:
    """What the policy requires here, in words, naming the policy field when it is unset."""
    kind = control.requirement.kind
    if kind == "role":
        return _one_of(policy.role_arns, "Policy.execution_role_arn")
    if kind == "kms_key":
        return _one_of(policy.kms_key_ids, "Policy.kms_key_id")
    if kind in ("vpc", "subnet", "subnets"):
        subnets = _one_of(policy.subnets, "Policy.subnets", plural=kind != "subnet")
        if kind != "vpc":
            return subnets
        groups = _one_of(policy.security_group_ids, "Policy.security_group_ids", plural=True)
        return f"Subnets {subnets}; SecurityGroupIds {groups}"
    if kind == "security_groups":
        return _one_of(policy.security_group_ids, "Policy.security_group_ids", plural=True)
    return repr(control.requirement.value)


def _one_of(allowed: tuple[str, ...] | Any, field: str, *, plural: bool = False) -> str:
    if not allowed:
        return f"a value from {field}, which the policy does not set"
    listed = ", ".join(allowed)
    return f"a non-empty subset of [{listed}]" if plural else f"one of [{listed}]"


def _check(control: Control, value: object, path: str, policy: Policy) -> _Problem | None:
    kind = control.requirement.kind
    expected = _describe(control, policy)
    if kind == "role":
        ok = isinstance(value, str) and value in policy.role_arns
    elif kind == "kms_key":
        ok = isinstance(value, str) and any(_same_key(value, key) for key in policy.kms_key_ids)
    elif kind == "subnet":
        ok = isinstance(value, str) and value in policy.subnets
    elif kind == "subnets":
        ok = _subset(value, policy.subnets)
    elif kind == "security_groups":
        ok = _subset(value, policy.security_group_ids)
    elif kind == "vpc":
        return _check_vpc(value, path, policy)
    else:
        wanted = control.requirement.value
        ok = type(value) is type(wanted) and value == wanted
    return None if ok else _Problem(path, value, expected)


def _subset(value: object, allowed: tuple[str, ...] | Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and item in allowed for item in value)
    )


def _check_vpc(value: object, path: str, policy: Policy) -> _Problem | None:
    if not isinstance(value, Mapping):
        return _Problem(path, value, "a VpcConfig with the policy's Subnets and SecurityGroupIds")
    for member, allowed, field in (
        ("Subnets", policy.subnets, "Policy.subnets"),
        ("SecurityGroupIds", policy.security_group_ids, "Policy.security_group_ids"),
    ):
        found = value.get(member, _paths.MISSING)
        if not _subset(found, allowed):
            return _Problem(f"{path}.{member}", found, _one_of(allowed, field, plural=True))
    return None


_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([^:]+):(\d{12}):(key|alias)/(.+)$")


def _key_parts(value: str) -> tuple[str, str, str | None, str | None]:
    """(kind, name, region, account) of a key id, key ARN, alias name or alias ARN."""
    match = _KMS_ARN.match(value)
    if match:
        region, account, kind, name = match.groups()
        return kind, name, region, account
    if value.startswith("alias/"):
        return "alias", value.removeprefix("alias/"), None, None
    return "key", value, None, None


def _same_key(found: str, allowed: str) -> bool:
    """Whether two spellings name the same key: a bare id matches the ARN with that id, and an
    alias name matches its alias ARN. An alias never matches a key id here: resolving it needs
    AWS, which the engine does not call."""
    a, b = _key_parts(found), _key_parts(allowed)
    if a[:2] != b[:2]:
        return False
    return all(x is None or y is None or x == y for x, y in zip(a[2:], b[2:], strict=True))


# -- pipelines ---------------------------------------------------------------------------------


def _secure_pipeline(
    container: MutableMapping[str, Any],
    target: Target,
    policy: Policy,
    decisions: list[Decision],
    problems: list[tuple[Control, _Problem]],
    *,
    inject: bool,
    prefix: str,
) -> None:
    steps_control = by_slug("pipeline.steps")
    assert steps_control is not None
    raw = container.get(target.relative_path)
    if raw is None:
        return
    try:
        definition = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError as error:
        problems.append((steps_control, _Problem(prefix, f"invalid JSON ({error.msg})",
                                                 "a JSON pipeline definition")))
        return
    if not isinstance(definition, dict) or not isinstance(definition.get("Steps", []), list):
        problems.append((steps_control, _Problem(prefix, raw, "a JSON pipeline definition")))
        return
    before = len(decisions)
    steps = list(_steps(definition.get("Steps", []), f"{prefix}:Steps"))
    known = sorted({*STEP_OPERATIONS, *STEPS_WITHOUT_RESOURCES, *NESTED_STEP_LISTS,
                    *STEPS_REFERENCING_STEPS})
    for step_path, step in steps:
        step_type = step.get("Type")
        arguments = step.get("Arguments")
        if step_type in STEPS_WITHOUT_RESOURCES or step_type in NESTED_STEP_LISTS:
            continue
        if step_type in STEPS_REFERENCING_STEPS:
            problem = _unsecured_reference(str(step_type), step_path, arguments, steps)
            if problem is not None:
                problems.append((steps_control, problem))
            continue
        operation = STEP_OPERATIONS.get(step_type) if isinstance(step_type, str) else None
        if operation is None:
            problems.append(
                (steps_control, _Problem(f"{step_path}.Type", step_type,
                                         "a step type safeai knows: " + ", ".join(known)))
            )
            continue
        if not isinstance(arguments, MutableMapping):
            problems.append(
                (steps_control, _Problem(f"{step_path}.Arguments", arguments, "a request object"))
            )
            continue
        _secure(operation, arguments, policy, decisions, problems, inject=inject,
                prefix=f"{step_path}.Arguments")
    if any(d.outcome == "injected" for d in decisions[before:]):
        container[target.relative_path] = json.dumps(definition)


def _unsecured_reference(
    step_type: str,
    step_path: str,
    arguments: object,
    steps: list[tuple[str, MutableMapping[str, Any]]],
) -> _Problem | None:
    """A step that names a resource is secure only when a step of this pipeline creates that
    resource (and so was secured above); anything else cannot be proven here."""
    argument, creator_type, creator_argument = STEPS_REFERENCING_STEPS[step_type]
    name = arguments.get(argument) if isinstance(arguments, Mapping) else None
    created = {
        step["Arguments"].get(creator_argument)
        for _, step in steps
        if step.get("Type") == creator_type and isinstance(step.get("Arguments"), Mapping)
    }
    if isinstance(name, str) and name in created:
        return None
    return _Problem(
        f"{step_path}.Arguments.{argument}",
        name,
        f"the name of a resource a {creator_type} step of this pipeline creates",
    )


def _steps(steps: list[Any], prefix: str) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
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
                yield from _steps(nested, f"{path}.Arguments.{branch}")
