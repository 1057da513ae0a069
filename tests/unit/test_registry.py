"""Conformance of the resource registry with the catalogue, botocore, and every derived view.

The registry (``safeai.controls.RESOURCES``) is the one place that says which operations a
resource family has, where its requests name S3 inputs, which pipeline steps stand for them,
what they reference, how the audit lists them. The doors, preflight, the audit, the role and SCP
generators and the docs read derived views of it; these tests fail when an operation is in one
view but neither guarded by the catalogue nor listed out of scope with a reason.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from safeai import _inputs, _references, _scp, iam
from safeai.controls import (
    CATALOGUE,
    OUT_OF_SCOPE,
    RESOURCES,
    Control,
    Resource,
    guarded_operations,
    resource_of,
)
from safeai.controls import _resources as registry
from safeai.controls.pii import CONTROLS as PII_CONTROLS
from safeai.controls.pipelines import STEP_OPERATIONS
from safeai.controls.runtime import OPERATIONS as RUNTIME_OPERATIONS
from safeai.controls.tags import CONTROLS as TAG_CONTROLS
from safeai.preflight import network

from .test_catalogue import _input_shape, _model, resolve

#: Operations the guard reaches without a catalogue target of their own: requests that name
#: stored resources (checked through them), runs of a stored pipeline, requests that name S3
#: data a job reads, and predictions (checked on their client: runtime.private_link).
_DOOR_OPERATIONS = (
    registry.referencing_operations()
    | registry.pipeline_executions()
    | frozenset(registry.input_places())
    | RUNTIME_OPERATIONS
)
_WHOLLY_OUT_OF_SCOPE = frozenset(entry.operation for entry in OUT_OF_SCOPE if entry.path == "*")


def _accounted_for(operation: str) -> bool:
    return (
        operation in guarded_operations()
        or operation in _DOOR_OPERATIONS
        or operation in _WHOLLY_OUT_OF_SCOPE
    )


def _named_operations(resource: Resource) -> set[str]:
    """Every operation a resource record names, in any of its fields."""
    return {
        *resource.operations,
        *(place.operation for place in resource.inputs),
        *(operation for _, operation in resource.steps),
        *resource.references,
        *resource.tagged,
        *(listing.create_operation for listing in resource.audit),
        *(row.operation for row in resource.stored),
        *(row.create_operation for row in resource.stored),
    }


def test_families_and_arn_types_are_unique() -> None:
    families = Counter(resource.family for resource in RESOURCES)
    assert [family for family, n in families.items() if n > 1] == []
    arn_types = Counter(t for resource in RESOURCES for t in resource.arn_types)
    assert [arn_type for arn_type, n in arn_types.items() if n > 1] == []


@pytest.mark.parametrize("family", sorted({control.resource for control in CATALOGUE}))
def test_every_control_family_has_a_resource_record(family: str) -> None:
    resource = resource_of(family)
    assert resource is not None, f"controls of {family!r} but no Resource record in RESOURCES"
    assert resource.title
    assert resource.scope


@pytest.mark.parametrize("control", CATALOGUE, ids=lambda control: control.slug)
def test_a_control_acts_only_on_its_own_familys_operations(control: Control) -> None:
    resource = resource_of(control.resource)
    assert resource is not None
    foreign = set(control.operations) - set(resource.operations)
    assert foreign == set(), f"{resource.family} does not list {sorted(foreign)}"


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.family)
def test_every_operation_a_resource_names_is_guarded_or_out_of_scope(resource: Resource) -> None:
    unaccounted = sorted(op for op in _named_operations(resource) if not _accounted_for(op))
    assert unaccounted == [], (
        f"{resource.family} names {unaccounted}: add their controls to the catalogue, or list "
        "them in controls/_scope.py with the reason"
    )


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.family)
def test_every_operation_a_resource_names_exists_in_botocore(resource: Resource) -> None:
    model = _model(resource.service)
    known = (
        {registry.operation_key(resource.service, name) for name in model.operation_names}
        if resource.operations
        else set()
    )
    listings = {
        op
        for listing in resource.audit
        for op in (listing.list_operation, listing.describe_operation)
    } | {row.describe_operation for row in resource.stored}
    # An operation newer than the installed botocore is never sent by its clients; CI installs
    # the newest botocore, which knows every one (the catalogue test skips them the same way).
    newest = {"CreateTrainingSession", "UpdateObjectEncryption"}
    missing = sorted((_named_operations(resource) | listings) - known - newest)
    assert missing == []


def test_every_guarded_operation_belongs_to_a_resource() -> None:
    listed = {op for resource in RESOURCES for op in resource.operations}
    assert sorted(guarded_operations() - listed) == []
    assert sorted(_DOOR_OPERATIONS - listed) == []


@pytest.mark.parametrize(
    "place",
    [place for resource in RESOURCES for place in resource.inputs],
    ids=lambda place: f"{place.operation}:{place.container}.{place.uri}",
)
def test_input_places_exist_in_the_request_shape(place: registry.S3Inputs) -> None:
    service = next(resource.service for resource in RESOURCES if place in resource.inputs)
    request = _input_shape(place.operation, service)
    if request is None:
        pytest.skip(f"botocore does not know {place.operation}")
    container = resolve(request, place.container)
    assert container is not None
    assert container.type_name == "structure"
    assert resolve(container, place.uri) is not None
    if place.data_type is not None:
        assert resolve(container, place.data_type) is not None


def test_the_audit_lists_what_it_can_and_says_why_not_for_the_rest() -> None:
    for resource in RESOURCES:
        if resource.audit:
            assert not resource.unaudited, resource.family
            for listing in resource.audit:
                assert listing.create_operation in resource.creates
                assert listing.arn_type in resource.arn_types
        elif resource.creates and resource.service == "sagemaker":
            assert resource.unaudited, f"{resource.family}: neither audited nor said why not"


def test_derived_views_agree_with_the_registry() -> None:
    from safeai._detective import RESOURCE_TYPES

    assert registry.audit_listings() == RESOURCE_TYPES
    assert registry.referencing_operations() == _references.REFERENCING_OPERATIONS
    assert set(registry.stored_resources()) <= _references.REFERENCING_OPERATIONS
    assert registry.hosting_operations() == network.HOSTING_OPERATIONS
    assert registry.role_assuming_types() == iam.DEFAULT_JOB_TYPES
    assert registry.pipeline_executions() == _inputs.EXECUTIONS
    assert registry.step_operations() == STEP_OPERATIONS
    assert {c.slug for c in PII_CONTROLS} == {f"{r.family}.pii" for r in registry.pii_families()}
    assert {c.slug: c.operations for c in TAG_CONTROLS} == {
        f"{family}.tags": operations for family, operations in registry.tagged_operations().items()
    }


def test_step_operations_are_their_familys_creates() -> None:
    for resource in RESOURCES:
        for step, operation in resource.steps:
            assert operation in resource.creates, f"step {step} of {resource.family}"


def test_every_tagged_operation_takes_tags() -> None:
    for resource in RESOURCES:
        for operation in resource.tagged:
            request = _input_shape(operation, resource.service)
            if request is not None:
                assert "Tags" in request.members, operation


def test_scp_actions_are_resource_operations_or_out_of_scope() -> None:
    listed = {op for resource in RESOURCES for op in resource.operations}
    named = {action for actions in _scp.SUPPORTED_ACTIONS.values() for action in actions}
    assert sorted(named - listed - _WHOLLY_OUT_OF_SCOPE) == []


def test_the_role_trusts_every_type_whose_jobs_assume_it() -> None:
    # The generator's default covers every ARN type the registry says assumes the role: the
    # families whose jobs run as it, training sessions, clusters and optimization jobs included.
    assert {"training-session", "cluster", "optimization-job"} <= set(iam.DEFAULT_JOB_TYPES)
    for resource in RESOURCES:
        assert set(resource.assumes_role) <= set(resource.arn_types), resource.family


def test_what_references_read_is_known() -> None:
    for resource in RESOURCES:
        assert bool(resource.references) == bool(resource.reads), resource.family
        for family in resource.reads:
            assert resource_of(family) is not None, f"{resource.family} reads {family!r}"


@pytest.mark.parametrize(
    "row",
    [row for resource in RESOURCES for row in resource.stored],
    ids=lambda row: f"{row.operation}:{row.describe_operation}",
)
def test_stored_resources_are_read_and_checked_as_botocore_spells_them(
    row: registry.StoredResource,
) -> None:
    # Named as a reference of its family, read as one of the families it reads.
    owner = next(r for r in RESOURCES if row in r.stored)
    assert row.operation in owner.references
    creator = next(r for r in RESOURCES if row.create_operation in r.creates)
    assert creator.family in owner.reads
    assert row.create_operation in guarded_operations()
    request: Any = _input_shape(row.operation)
    describe: Any = _model("sagemaker").operation_model(row.describe_operation)
    create: Any = _input_shape(row.create_operation)
    assert resolve(request, row.name) is not None
    assert row.describe_parameter in describe.input_shape.required_members
    for member in row.passed:
        assert member in request.members
        assert member in describe.input_shape.members
    if row.when is not None:
        path, value = row.when
        shape: Any = resolve(request, path)
        assert value in shape.enum
    for described, created in row.renames:
        assert described in describe.output_shape.members
        assert created in create.members
    # Every member the answer is checked at is one the create request and the answer share.
    for member in row.within:
        assert member in create.members
        assert member in describe.output_shape.members
    if row.control is not None:
        from safeai.controls import by_slug

        assert by_slug(row.control) is not None


def test_a_stored_resource_named_by_kind_has_a_row_for_every_kind() -> None:
    # A schedule names one of four kinds of job definition, told apart by MonitoringType: a kind
    # without a row could not be read, and would be refused.
    for operation, rows in registry.stored_resources().items():
        typed = [row.when for row in rows if row.when is not None]
        if not typed:
            assert len(rows) == 1, operation
            continue
        assert len(typed) == len(rows), operation
        (path,) = {path for path, _ in typed}
        member: Any = resolve(_input_shape(operation), path)
        assert {value for _, value in typed} == set(member.enum)


def test_every_preflight_control_a_kind_names_exists() -> None:
    from safeai.controls import by_slug
    from safeai.kinds import KINDS

    named = {slug for kind in KINDS.values() for slug in kind.judged_by}
    assert named
    assert sorted(slug for slug in named if by_slug(slug) is None) == []
