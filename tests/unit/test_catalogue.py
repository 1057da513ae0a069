"""Conformance of the controls catalogue with botocore's service models.

A control is data; the only thing that keeps the data honest is this test. Every control is
checked once, against the same botocore model that boto3 uses to build the request: a typo in a
path, a kind that does not fit the field, or a malformed anchor id fails here, not in a customer's
notebook. The out-of-scope list is checked the same way, and against the catalogue, so that a
field is never both enforced and declared unenforced.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session
import pytest

from safeai._hooks import GUARDED_SERVICES as _GUARDED_SERVICES
from safeai._policy import Policy
from safeai.controls import CATALOGUE, OUT_OF_SCOPE, Control, OutOfScope
from safeai.controls._resources import botocore_operation, operation_key

if TYPE_CHECKING:
    from botocore.model import ServiceModel

_SLUG = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
_SEGMENT = re.compile(r"^(?P<name>[A-Za-z0-9_]+)(?P<steps>(?:\[\]|\{\})*)$")
_ANCHOR_FORMATS: dict[str, re.Pattern[str]] = {
    "security_hub": re.compile(r"^(SageMaker|S3|IAM)\.\d+$"),
    "prowler": re.compile(r"^(sagemaker|s3|iam)_[a-z0-9_]+$"),
    "checkov": re.compile(r"^CKV2?_AWS_\d+$"),
    "iam_condition_keys": re.compile(r"^(sagemaker|iam|s3|kms):[A-Za-z-]+$"),
    "cdk_nag": re.compile(r"^AwsSolutions-[A-Z]+\d+$"),
    "config_rules": re.compile(r"^(sagemaker|s3|iam)-[a-z0-9-]+$"),
}
#: The shape type each requirement kind needs at its field (``equals`` and ``vpc`` are checked
#: separately: the first depends on the value, the second on the structure's members).
_KIND_TYPES = {
    "role": "string",
    "kms_key": "string",
    "subnet": "string",
    "steps": "string",
    "bucket_policy": "string",
    "resource_policy": "string",
    "sse": "string",
    "acl": "string",
    "bucket_encryption": "structure",
    "subnets": "list",
    "security_groups": "list",
}
_EQUALS_TYPES: dict[type, tuple[str, ...]] = {
    bool: ("boolean",),
    str: ("string",),
    int: ("integer", "long"),
    dict: ("structure",),
}
_BOOLEAN_POLICY_FIELDS = frozenset(
    f.name for f in dataclasses.fields(Policy) if isinstance(f.default, bool)
)


@cache
def _model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def _input_shape(operation: str, service: str = "sagemaker") -> Any | None:
    """The request shape of ``operation`` (a catalogue name: ``s3control:PutPublicAccessBlock``
    is botocore's ``PutPublicAccessBlock``), or None when botocore does not know the operation."""
    if operation != operation_key(service, botocore_operation(operation)):
        raise AssertionError(f"{operation!r} is not how the catalogue names a {service} operation")
    name = botocore_operation(operation)
    if name not in _model(service).operation_names:
        return None
    return _model(service).operation_model(name).input_shape


def resolve(shape: Any | None, path: str, *, maps: bool = False) -> Any | None:
    """The shape at ``path`` below ``shape``, or None when the path does not exist.

    ``.`` steps into a structure member, ``[]`` into a list's element; ``{}`` into a map's value
    only when ``maps`` is set, because the engine's paths cannot address map values (the
    out-of-scope list may name them, the catalogue may not).
    """
    if shape is None:
        return None
    if not path:
        return shape
    node: Any = shape
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if match is None or node.type_name != "structure":
            return None
        member = node.members.get(match["name"])
        if member is None:
            return None
        node = member
        for step in re.findall(r"\[\]|\{\}", match["steps"]):
            if step == "[]" and node.type_name == "list":
                node = node.member
            elif step == "{}" and maps and node.type_name == "map":
                node = node.value
            else:
                return None
    return node


def nested(path: str, parent: str) -> bool:
    """Whether ``path`` lies strictly below ``parent`` (a member, or an element of a list)."""
    return path.startswith((f"{parent}.", f"{parent}[]", f"{parent}{{}}"))


def _requirement_problems(control: Control, field: Any, where: str) -> list[str]:
    requirement = control.requirement
    kind = requirement.kind
    problems: list[str] = []
    if kind in _KIND_TYPES and field.type_name != _KIND_TYPES[kind]:
        problems.append(
            f"{where}: kind {kind!r} needs a {_KIND_TYPES[kind]}, the field is a {field.type_name}"
        )
    elif kind in ("subnets", "security_groups") and field.member.type_name != "string":
        problems.append(f"{where}: kind {kind!r} needs a list of strings")
    elif kind == "vpc":
        members = field.members if field.type_name == "structure" else {}
        if not {"Subnets", "SecurityGroupIds"} <= set(members):
            problems.append(
                f"{where}: kind 'vpc' needs a structure with Subnets and "
                f"SecurityGroupIds, the field is a {field.type_name}"
            )
    elif kind == "equals":
        wanted = _EQUALS_TYPES.get(type(requirement.value), ())
        if field.type_name not in wanted:
            problems.append(
                f"{where}: equals {requirement.value!r} cannot hold in a {field.type_name}"
            )
        elif (
            isinstance(requirement.value, str)
            and field.enum
            and requirement.value not in field.enum
        ):
            problems.append(f"{where}: {requirement.value!r} is not one of {field.enum}")
    return problems


def _target_problems(control: Control) -> list[str]:
    problems: list[str] = []
    for target in control.targets:
        where = f"{target.operation} {target.path}"
        request = _input_shape(target.operation, control.service)
        if request is None:
            # An operation newer than the installed botocore: such a client never sends it. CI
            # installs the newest botocore, where the target is checked.
            continue
        field = resolve(request, target.path)
        if field is None:
            problems.append(f"{where}: no such field in {request.name}")
            continue
        if target.within and not target.path.startswith(f"{target.within}."):
            problems.append(f"{where}: within {target.within!r} is not a prefix of the path")
        container = resolve(request, target.within)
        if container is None or container.type_name != "structure":
            problems.append(f"{where}: within {target.within!r} is not a structure")
        else:
            for path in target.instance_types:
                instance_type = resolve(container, path)
                if instance_type is None or instance_type.type_name != "string":
                    problems.append(
                        f"{where}: instance_types {path!r} is not a string field of "
                        f"{container.name}"
                    )
            if target.check_only_with and not target.inject:
                problems.append(f"{where}: check_only_with on a target that is check-only")
            for path in target.check_only_with:
                if resolve(container, path) is None:
                    problems.append(
                        f"{where}: check_only_with {path!r} is not a field of {container.name}"
                    )
        if not target.forbidden:
            problems.extend(_requirement_problems(control, field, where))
    return problems


@pytest.mark.parametrize("control", CATALOGUE, ids=lambda control: control.slug)
def test_control_conforms(control: Control) -> None:
    """Each control is checked whole, so one failure lists everything wrong with it."""
    problems: list[str] = []
    if sum(other.slug == control.slug for other in CATALOGUE) != 1:
        problems.append("the slug is used by more than one control")
    if not _SLUG.match(control.slug):
        problems.append("the slug is not of the form <resource>.<control> in lower case")
    if not control.title.strip():
        problems.append("the title is empty")
    if not control.remedy.strip() or not control.remedy.endswith("."):
        problems.append("the remedy is empty or does not end with a period")
    if bool(control.targets) == (control.requirement.kind in ("preflight", "client")):
        problems.append("request controls need targets; preflight controls have none")
    if control.service not in _GUARDED_SERVICES:
        problems.append(f"service {control.service!r} is not one the guard attaches to")
    if len(set(control.targets)) != len(control.targets):
        problems.append("a target is listed twice")
    flag = control.requirement.enabled_by
    if flag is not None and flag not in _BOOLEAN_POLICY_FIELDS:
        problems.append(f"enabled_by {flag!r} is not a boolean Policy field")
    problems.extend(_target_problems(control))
    for family, ids in dataclasses.asdict(control.anchors).items():
        pattern = _ANCHOR_FORMATS[family]
        problems.extend(
            f"anchor {family} {id_!r} is malformed" for id_ in ids if not pattern.match(id_)
        )
    assert not problems, "\n".join(problems)


def test_operation_names_are_unique_across_guarded_services() -> None:
    """The catalogue indexes controls by operation name alone (qualified with the service for
    the services whose names repeat another's); the guard dispatches on it."""
    seen: dict[str, str] = {}
    clashes = []
    for service in sorted(_GUARDED_SERVICES):
        for name in _model(service).operation_names:
            operation = operation_key(service, name)
            if operation in seen:
                clashes.append(f"{operation}: {seen[operation]} and {service}")
            seen[operation] = service
    assert not clashes, clashes


def test_no_field_is_claimed_by_two_controls() -> None:
    """Two controls on one field would give a request two verdicts and two remedies."""
    owners: dict[tuple[str, str], list[str]] = {}
    for control in CATALOGUE:
        for target in control.targets:
            owners.setdefault((target.operation, target.path), []).append(control.slug)
    shared = {field: slugs for field, slugs in owners.items() if len(set(slugs)) > 1}
    assert not shared, shared


@pytest.mark.parametrize("entry", OUT_OF_SCOPE, ids=lambda entry: f"{entry.operation}:{entry.path}")
def test_out_of_scope_entry_is_sound(entry: OutOfScope) -> None:
    """An entry names a real field, says why, and does not contradict the catalogue."""
    request = _input_shape(entry.operation, entry.service)
    if request is None:
        pytest.skip(f"{entry.operation} is newer than the installed botocore")
    if entry.path != "*":
        assert resolve(request, entry.path, maps=True) is not None, (
            f"{request.name} has no field {entry.path}"
        )
    assert entry.reason.strip(), "the reason is empty"
    contradicting = [
        f"{control.slug} enforces {target.path}"
        for control in CATALOGUE
        for target in control.targets
        if target.operation == entry.operation
        and (
            entry.path in ("*", target.path)
            or nested(target.path, entry.path)
            or nested(entry.path, target.path)
        )
    ]
    assert not contradicting, contradicting


def test_out_of_scope_entries_are_unique() -> None:
    """A field listed twice would carry two reasons, and one of them would go stale."""
    keys = [(entry.operation, entry.path) for entry in OUT_OF_SCOPE]
    assert len(keys) == len(set(keys)), [key for key in keys if keys.count(key) > 1]
