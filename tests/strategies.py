"""Hypothesis strategies that build SageMaker requests from botocore's own input shapes.

``request_for(operation)`` draws a request that passes botocore's parameter validation: every
required member, some optional ones, small lists and maps, enum values where the model lists
them. ``guarded_request_for(operation, policy)`` then overlays the fields the safeai catalogue
covers for that operation: for every (control, target) and every container that exists (the
``within`` container is sometimes created), the field is left as drawn, removed, set to a value
the policy allows, or set to one it does not (a foreign role, a foreign key, a subnet the policy
does not list, ``False`` for isolation, a pipeline expression such as ``{"Get": ...}``).
``pipeline_request_for(operation, policy)`` does the same for ``CreatePipeline`` and
``UpdatePipeline`` with a generated ``PipelineDefinition`` whose Training step holds an overlaid
``CreateTrainingJob`` request.

Nothing here calls safeai's engine: the strategies only read the catalogue's records.
"""

from __future__ import annotations

import copy
import json
import string
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from hypothesis import strategies as st

from safeai.controls import Control, Target, for_operation

if TYPE_CHECKING:
    from collections.abc import Mapping

    from safeai import Policy

__all__ = [
    "ALL_MODES",
    "FRIENDLY_MODES",
    "MAX_DEPTH",
    "PIPELINE_OPERATIONS",
    "WRONG_TYPE",
    "compliant_value",
    "guarded_request_for",
    "input_shape",
    "kms_spellings",
    "noncompliant_value",
    "operation_model",
    "pipeline_definition",
    "pipeline_request_for",
    "request_for",
    "service_model",
    "shape_at",
    "value_for",
]

#: Structures deeper than this hold their required members only; lists hold their minimum.
MAX_DEPTH = 4
#: At most this many optional members of one structure are drawn.
MAX_OPTIONAL = 4
#: Lists and maps hold at most this many entries (more when the model's ``min`` asks for it).
MAX_ITEMS = 2
#: How deep a container the overlay creates is filled.
CREATED_DEPTH = 2
#: A SageMaker Pipelines expression where a literal belongs: never a compliant value.
WRONG_TYPE: Mapping[str, str] = {"Get": "Parameters.SecurityValue"}

PIPELINE_OPERATIONS = frozenset({"CreatePipeline", "UpdatePipeline"})

_TEXT = string.ascii_letters + string.digits + "-_"
_FOREIGN_ACCOUNT = "999999999999"
_FOREIGN_KEY_ID = "0000ffff-0000-ffff-0000-ffff0000ffff"


@cache
def service_model() -> ServiceModel:
    """botocore's SageMaker service model (loaded once)."""
    return botocore.session.get_session().get_service_model("sagemaker")


def operation_model(operation: str) -> OperationModel:
    """The botocore model of ``operation``."""
    return service_model().operation_model(operation)


def input_shape(operation: str) -> StructureShape:
    """The input structure of ``operation``."""
    shape = operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def shape_at(shape: Shape, path: str) -> Shape:
    """The shape reached by a catalogue path (``"A[].B.C"``) from ``shape``."""
    node = shape
    for segment in path.split("."):
        name = segment.removesuffix("[]")
        assert isinstance(node, StructureShape), (path, segment)
        node = node.members[name]
        if segment.endswith("[]"):
            node = node.member  # type: ignore[attr-defined]
    return node


def _is_union(shape: Shape) -> bool:
    return bool(getattr(shape, "is_tagged_union", False))


# -- values from shapes --------------------------------------------------------------------


def _bounds(shape: Shape, low: float, high: float) -> tuple[float, float]:
    lo = shape.metadata.get("min", low)
    hi = shape.metadata.get("max", max(high, lo))
    return lo, max(lo, min(hi, max(high, lo)))


def _draw_value(draw: st.DrawFn, shape: Shape, depth: int) -> Any:
    kind = shape.type_name
    if getattr(shape, "is_document_type", False):
        return draw(st.sampled_from([{}, {"key": "value"}, [1, "two"]]))
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _draw_structure(draw, shape, depth)
    if kind == "list":
        low = int(shape.metadata.get("min", 0))
        high = max(low, MAX_ITEMS if depth < MAX_DEPTH else low)
        count = draw(st.integers(low, high))
        member = shape.member  # type: ignore[attr-defined]
        return [_draw_value(draw, member, depth + 1) for _ in range(count)]
    if kind == "map":
        low = int(shape.metadata.get("min", 0))
        high = max(low, MAX_ITEMS if depth < MAX_DEPTH else low)
        wanted = draw(st.integers(low, high))
        result: dict[str, Any] = {}
        key_shape, value_shape = shape.key, shape.value  # type: ignore[attr-defined]
        attempts = 0
        while len(result) < wanted and attempts < 10 * (wanted + 1):
            attempts += 1
            key = _draw_value(draw, key_shape, depth + 1)
            result[key] = _draw_value(draw, value_shape, depth + 1)
        return result
    if kind == "string":
        enum = shape.enum  # type: ignore[attr-defined]
        if enum:
            return draw(st.sampled_from(list(enum)))
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", low + 12))
        size_low = min(max(low, 1), high)
        return draw(st.text(_TEXT, min_size=size_low, max_size=max(size_low, min(high, low + 12))))
    if kind in ("integer", "long"):
        lo, hi = _bounds(shape, 0, 1000)
        return draw(st.integers(int(lo), int(hi)))
    if kind in ("float", "double"):
        lo, hi = _bounds(shape, 0.0, 1000.0)
        return draw(
            st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False, width=64)
        )
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "timestamp":
        return draw(
            st.datetimes(
                min_value=datetime(2001, 1, 1),
                max_value=datetime(2035, 1, 1),
                timezones=st.just(timezone.utc),
            ).map(lambda moment: moment.replace(microsecond=0))
        )
    if kind == "blob":
        return draw(st.binary(max_size=16))
    raise AssertionError(f"no strategy for botocore shape type {kind!r} ({shape.name})")


def _draw_structure(draw: st.DrawFn, shape: StructureShape, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH + 8:
        raise AssertionError(f"required members of {shape.name} recurse without end")
    members = shape.members
    if _is_union(shape):
        name = draw(st.sampled_from(sorted(members)))
        return {name: _draw_value(draw, members[name], depth + 1)}
    # Idempotency tokens are always drawn: botocore would otherwise fill them with a uuid.
    chosen = [
        name
        for name, member in members.items()
        if name in shape.required_members or member.metadata.get("idempotencyToken")
    ]
    optional = sorted(name for name in members if name not in chosen)
    if optional and depth < MAX_DEPTH:
        chosen += draw(st.lists(st.sampled_from(optional), unique=True, max_size=MAX_OPTIONAL))
    return {name: _draw_value(draw, members[name], depth + 1) for name in chosen}


@st.composite
def value_for(draw: st.DrawFn, shape: Shape, depth: int = 0) -> Any:
    """A value of ``shape`` that botocore's parameter validation accepts."""
    return _draw_value(draw, shape, depth)


@st.composite
def request_for(draw: st.DrawFn, operation: str) -> dict[str, Any]:
    """A request of ``operation`` built from its input shape; botocore accepts it as it is."""
    request = _draw_structure(draw, input_shape(operation), 0)
    if operation in PIPELINE_OPERATIONS:
        # A definition in S3 cannot be read through a client-level guard; the inline one is
        # drawn by pipeline_request_for.
        request.pop("PipelineDefinitionS3Location", None)
    return request


# -- compliant and non-compliant security values -------------------------------------------


def kms_spellings(policy: Policy) -> list[str]:
    """Every spelling of the policy's keys: each key as given, the bare id of a key ARN, and
    the alias name of an alias ARN."""
    spellings: list[str] = []
    for key in policy.kms_key_ids:
        spellings.append(key)
        if key.startswith("arn:"):
            kind_and_name = key.split(":", 5)[5]
            kind, _, name = kind_and_name.partition("/")
            spellings.append(name if kind == "key" else f"alias/{name}")
    return list(dict.fromkeys(spellings))


def _subset(values: tuple[str, ...] | Any) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(list(values)), min_size=1, max_size=len(values), unique=True)


def compliant_value(
    control: Control, policy: Policy, leaf: Shape | None = None
) -> st.SearchStrategy[Any]:
    """A value the policy allows for ``control``'s field (``leaf`` is its shape: a list of
    roles or one); a fresh object every time."""
    return _compliant(control, policy, leaf).map(copy.deepcopy)


def _compliant(control: Control, policy: Policy, leaf: Shape | None) -> st.SearchStrategy[Any]:
    requirement = control.requirement
    kind = requirement.kind
    if kind == "role":
        return st.sampled_from(list(policy.role_arns))
    if kind == "passed_role":
        roles = st.sampled_from(list(policy.role_arns))
        if leaf is not None and leaf.type_name == "list":
            return st.lists(roles, max_size=2, unique=True)
        return roles
    if kind == "kms_key":
        return st.sampled_from(kms_spellings(policy))
    if kind == "vpc":
        return st.fixed_dictionaries(
            {
                "Subnets": _subset(policy.subnets),
                "SecurityGroupIds": _subset(policy.security_group_ids),
            }
        )
    if kind == "subnet":
        return st.sampled_from(list(policy.subnets))
    if kind == "subnets":
        return _subset(policy.subnets)
    if kind == "security_groups":
        return _subset(policy.security_group_ids)
    if kind == "equals":
        return st.just(requirement.value)
    if kind == "resource_policy":
        return st.sampled_from(
            [
                _policy_document({"AWS": f"arn:aws:iam::{_FOREIGN_ACCOUNT}:root"}),
                '{"Statement": []}',
            ]
        )
    raise AssertionError(f"no compliant value for requirement kind {kind!r}")


def _policy_document(principal: object, **statement: Any) -> str:
    """A resource policy with one Allow statement to ``principal``."""
    allow = {"Effect": "Allow", "Principal": principal, "Action": "*", "Resource": "*", **statement}
    return json.dumps({"Version": "2012-10-17", "Statement": [allow]})


def _foreign_kms(policy: Policy) -> list[str]:
    found: list[str] = [
        f"arn:aws:kms:us-east-1:{_FOREIGN_ACCOUNT}:key/{_FOREIGN_KEY_ID}",
        _FOREIGN_KEY_ID,
        "alias/aws/sagemaker",
        "alias/someone-elses-key",
        "",
    ]
    for key in policy.kms_key_ids:
        if not key.startswith("arn:"):
            continue
        _, partition, service, region, account, rest = key.split(":", 5)
        kind, _, name = rest.partition("/")
        found += [
            f"arn:{partition}:{service}:{region}:{_FOREIGN_ACCOUNT}:{rest}",
            f"arn:{partition}:{service}:ap-south-2:{account}:{rest}",
            f"arn:{partition}:{service}:{region}:{account}:{kind}/{name}-other",
            f"{kind}/{name}" if kind == "key" else f"alias/{name}/nested",
            f"{name} ",
        ]
    allowed = set(kms_spellings(policy))
    return [value for value in dict.fromkeys(found) if value not in allowed]


def _other_strings(value: str, leaf: Shape | None) -> list[str]:
    enum = list(getattr(leaf, "enum", None) or [])
    found = [other for other in enum if other != value]
    found += [value.lower(), value.upper(), f" {value}", f"{value} "]
    if value.isdigit():
        found.append(str(int(value) - 1))
    return [other for other in dict.fromkeys(found) if other != value]


def noncompliant_value(
    control: Control, policy: Policy, leaf: Shape | None = None
) -> st.SearchStrategy[Any]:
    """A value the policy does not allow for ``control``'s field (``leaf`` is its shape, used
    for the other members of an enum); a fresh object every time."""
    return _noncompliant(control, policy, leaf).map(copy.deepcopy)


def _noncompliant(control: Control, policy: Policy, leaf: Shape | None) -> st.SearchStrategy[Any]:
    requirement = control.requirement
    kind = requirement.kind
    subnets, groups = list(policy.subnets), list(policy.security_group_ids)
    foreign_subnet, foreign_group = "subnet-0badbadbadbadbad0", "sg-0badbadbadbadbad0"
    wrong = st.just(WRONG_TYPE)
    if kind == "role":
        account = policy.account_id or "111122223333"
        return (
            st.sampled_from(
                [
                    f"arn:aws:iam::{_FOREIGN_ACCOUNT}:role/SafeAIExecution",
                    f"arn:aws:iam::{account}:role/AdministratorAccess",
                    *(f"{arn}-other" for arn in policy.role_arns),
                    *(arn.replace(account, _FOREIGN_ACCOUNT) for arn in policy.role_arns),
                    "",
                ]
            )
            | wrong
        )
    if kind == "passed_role":
        account = policy.account_id or "111122223333"
        outside = st.sampled_from(
            [
                f"arn:aws:iam::{_FOREIGN_ACCOUNT}:role/EMR_EC2_DefaultRole",
                f"arn:aws:iam::{account}:role/AdministratorAccess",
            ]
        )
        if leaf is not None and leaf.type_name == "list":
            return st.lists(outside, min_size=1, max_size=2).map(
                lambda roles: [*policy.role_arns[:1], *roles]
            )
        return outside
    if kind == "kms_key":
        return st.sampled_from(_foreign_kms(policy)) | wrong
    if kind in ("subnets", "security_groups"):
        allowed, foreign = (
            (subnets, foreign_subnet) if kind == "subnets" else (groups, foreign_group)
        )
        return (
            st.sampled_from(
                [
                    [foreign],
                    [*allowed, foreign],
                    [foreign, allowed[0]],
                    [],
                    allowed[0],
                    [WRONG_TYPE],
                ]
            )
            | wrong
        )
    if kind == "subnet":
        return st.sampled_from([foreign_subnet, groups[0], ""]) | wrong
    if kind == "vpc":
        return (
            st.sampled_from(
                [
                    {"Subnets": [foreign_subnet], "SecurityGroupIds": groups},
                    {"Subnets": [*subnets, foreign_subnet], "SecurityGroupIds": groups[:1]},
                    {"Subnets": subnets, "SecurityGroupIds": [foreign_group]},
                    {"Subnets": subnets[:1], "SecurityGroupIds": [groups[0], foreign_group]},
                    {"Subnets": [], "SecurityGroupIds": groups},
                    {"Subnets": subnets, "SecurityGroupIds": []},
                    {"Subnets": subnets},
                    {"SecurityGroupIds": groups},
                    {"Subnets": WRONG_TYPE, "SecurityGroupIds": groups},
                    {"Subnets": subnets, "SecurityGroupIds": subnets},
                    "vpc-0badbadbadbadbad0",
                    [{"Subnets": subnets, "SecurityGroupIds": groups}],
                ]
            )
            | wrong
        )
    if kind == "equals":
        value = requirement.value
        if isinstance(value, bool):
            return st.sampled_from([not value, str(value), str(value).lower(), int(value)]) | wrong
        if isinstance(value, str):
            others: list[Any] = _other_strings(value, leaf)
            if value.isdigit():
                others.append(int(value))
            return st.sampled_from(others) | wrong
    if kind == "resource_policy":
        return (
            st.sampled_from(
                [
                    _policy_document("*"),
                    _policy_document({"AWS": "*"}),
                    json.dumps({"Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}}}),
                    "{not json",
                    '{"Statement": [], "Statement": []}',
                ]
            )
            | wrong
        )
    if kind == "absent":
        return st.sampled_from([{"MemorySizeInMB": 2048, "MaxConcurrency": 5}, {}]) | wrong
    raise AssertionError(f"no non-compliant value for requirement kind {kind!r}")


# -- the overlay ---------------------------------------------------------------------------


def _create(parent: dict[str, Any], parent_shape: StructureShape, name: str, value: Any) -> None:
    """Set ``parent[name]``, keeping a tagged union to its one member."""
    if _is_union(parent_shape):
        parent.clear()
    parent[name] = value


def _reach(
    draw: st.DrawFn,
    node: dict[str, Any],
    shape: StructureShape,
    segments: list[str],
    *,
    create: bool,
) -> list[tuple[dict[str, Any], StructureShape]]:
    """The containers ``segments`` reach below ``node``; with ``create``, absent (or empty)
    ones are sometimes created from their shape."""
    if not segments:
        return [(node, shape)]
    head, rest = segments[0], segments[1:]
    name = head.removesuffix("[]")
    member = shape.members[name]
    found: list[tuple[dict[str, Any], StructureShape]] = []
    if head.endswith("[]"):
        element = member.member  # type: ignore[attr-defined]
        items = node.get(name)
        if not isinstance(items, list) or not items:
            if not create or not draw(st.booleans()):
                return []
            count = draw(st.integers(1, MAX_ITEMS))
            items = [_draw_value(draw, element, CREATED_DEPTH) for _ in range(count)]
            _create(node, shape, name, items)
        for item in items:
            if isinstance(item, dict):
                found += _reach(draw, item, element, rest, create=create)
        return found
    child = node.get(name)
    if not isinstance(child, dict) or not child:
        if not create or not draw(st.booleans()):
            return []
        child = _draw_value(draw, member, CREATED_DEPTH)
        _create(node, shape, name, child)
    assert isinstance(member, StructureShape)
    return _reach(draw, child, member, rest, create=create)


def _put(
    draw: st.DrawFn, container: dict[str, Any], shape: StructureShape, path: list[str], value: Any
) -> None:
    node, node_shape = container, shape
    for name in path[:-1]:
        member = node_shape.members[name]
        assert isinstance(member, StructureShape)
        child = node.get(name)
        if not isinstance(child, dict):
            # Required members only, so that the leaf is what the overlay decides.
            child = _draw_value(draw, member, MAX_DEPTH)
            _create(node, node_shape, name, child)
        node, node_shape = child, member
    _create(node, node_shape, path[-1], value)


def _remove(container: dict[str, Any], shape: StructureShape, path: list[str]) -> None:
    """Remove the leaf, and each structure on the way that then lacks a required member (the
    container itself is kept: the engine fills in its missing fields)."""
    chain: list[tuple[dict[str, Any], StructureShape, str]] = []
    node: Any = container
    node_shape: Shape = shape
    for name in path:
        if not isinstance(node, dict) or name not in node:
            return
        assert isinstance(node_shape, StructureShape)
        chain.append((node, node_shape, name))
        node, node_shape = node[name], node_shape.members[name]
    holder, _, leaf = chain.pop()
    del holder[leaf]
    while chain:
        holder, holder_shape, name = chain.pop()
        child, child_shape = holder[name], holder_shape.members[name]
        assert isinstance(child_shape, StructureShape)
        if set(child_shape.required_members) - set(child) or (_is_union(child_shape) and not child):
            del holder[name]
        else:
            return


#: What the overlay does with one field in one container.
ALL_MODES = ("keep", "absent", "compliant", "noncompliant")
#: The modes of a request that asks for nothing weaker than the policy.
FRIENDLY_MODES = ("absent", "compliant")


def _overlay_target(
    draw: st.DrawFn,
    request: dict[str, Any],
    shape: StructureShape,
    control: Control,
    target: Target,
    policy: Policy,
    modes: tuple[str, ...],
) -> None:
    within = target.within.split(".") if target.within else []
    relative = target.relative_path.split(".")
    for container, container_shape in _reach(draw, request, shape, within, create=False):
        mode = draw(st.sampled_from(modes))
        if mode == "keep":
            continue
        if mode == "absent" or (mode == "compliant" and control.requirement.kind == "absent"):
            _remove(container, container_shape, relative)
            continue
        leaf = shape_at(container_shape, target.relative_path)
        if mode == "compliant":
            value = draw(compliant_value(control, policy, leaf))
        else:
            value = draw(noncompliant_value(control, policy, leaf))
        _put(draw, container, container_shape, relative, value)


#: Kinds that do not govern one field's value: a pipeline's steps, tags, and the code kinds that
#: move a job's code (tests/unit/test_code_kinds.py) or refuse a model's S3 code location.
NOT_ONE_FIELD = ("steps", "tags", "code_channel", "code_location")


def _overlay(
    draw: st.DrawFn,
    operation: str,
    request: dict[str, Any],
    policy: Policy,
    modes: tuple[str, ...],
) -> None:
    shape = input_shape(operation)
    pairs = [
        pair for pair in for_operation(operation) if pair[0].requirement.kind not in NOT_ONE_FIELD
    ]
    # Containers first, all of them: a container created for one target may hold another
    # target's field, which the second pass then decides.
    for _, target in pairs:
        if target.within:
            _reach(draw, request, shape, target.within.split("."), create=True)
    for control, target in pairs:
        _overlay_target(draw, request, shape, control, target, policy, modes)


@st.composite
def guarded_request_for(draw: st.DrawFn, operation: str, policy: Policy) -> dict[str, Any]:
    """``request_for(operation)`` with every security field the catalogue covers drawn as
    absent, as drawn, compliant with ``policy``, or not compliant with it.

    Half of the requests only ever leave a field absent or make it compliant, so that the
    requests the guard lets through are well represented.
    """
    request = draw(request_for(operation))
    modes = draw(st.sampled_from((FRIENDLY_MODES, ALL_MODES)))
    _overlay(draw, operation, request, policy, modes)
    return request


# -- pipelines -----------------------------------------------------------------------------


@st.composite
def pipeline_definition(draw: st.DrawFn, policy: Policy) -> dict[str, Any]:
    """A pipeline definition holding a Training step (sometimes inside a Condition's branch,
    sometimes two), whose ``Arguments`` are an overlaid ``CreateTrainingJob`` request."""

    def training(index: int) -> dict[str, Any]:
        arguments = draw(guarded_request_for("CreateTrainingJob", policy))
        arguments.pop("TrainingJobName", None)
        return {"Name": f"Train{index}", "Type": "Training", "Arguments": arguments}

    steps: list[dict[str, Any]] = [training(0)]
    if draw(st.booleans()):
        steps.append(training(1))
    if draw(st.booleans()):
        condition = {
            "Name": "Check",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [
                    {"Type": "Equals", "LeftValue": {"Get": "Parameters.Mode"}, "RightValue": "x"}
                ],
                "IfSteps": [steps.pop()] if len(steps) > 1 else [],
                "ElseSteps": [
                    {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stopped"}}
                ],
            },
        }
        steps.append(condition)
    return {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "Mode", "Type": "String", "DefaultValue": "x"}],
        "Steps": steps,
    }


@st.composite
def pipeline_request_for(draw: st.DrawFn, operation: str, policy: Policy) -> dict[str, Any]:
    """A ``CreatePipeline``/``UpdatePipeline`` request whose ``PipelineDefinition`` is a drawn
    definition (sometimes absent on updates), with ``RoleArn`` overlaid."""
    assert operation in PIPELINE_OPERATIONS
    request = draw(guarded_request_for(operation, policy))
    if operation == "CreatePipeline" or draw(st.booleans()):
        request["PipelineDefinition"] = json.dumps(draw(pipeline_definition(policy)))
    else:
        request.pop("PipelineDefinition", None)
    return request
