"""The controls catalogue: the single source of truth for what safeai enforces.

Every resource family is a :class:`Resource` record in :data:`RESOURCES` (its operations, ARN
types, S3 inputs, pipeline steps, references, tags); every control is a :class:`Control` record
in :data:`CATALOGUE`. The same records drive
enforcement of requests, the detective audit, the SCP generator and the control reference in
``docs/``. This package is data only: it never imports boto3 and never calls AWS.
"""

from __future__ import annotations

from functools import cache

from . import (
    client,
    edge,
    feature_store,
    hosting,
    human_review,
    inference_testing,
    mlflow,
    model_registry,
    monitoring,
    notebooks,
    pii,
    pipelines,
    preflight,
    runtime,
    s3,
    s3control,
    studio_apps,
    tags,
    training,
)
from ._refusing import CHECKED_ON, RefusingControl, refusing_controls
from ._resources import (
    RESOURCES,
    TAG_CHANGES,
    AuditListing,
    Resource,
    S3Inputs,
    input_family,
    input_places,
    pipeline_executions,
    referencing_operations,
    resource_of,
)
from ._schema import Anchors, Control, Requirement, Target
from ._scope import OUT_OF_SCOPE, OutOfScope

__all__ = [
    "CATALOGUE",
    "CHECKED_ON",
    "OUT_OF_SCOPE",
    "RESOURCES",
    "Anchors",
    "AuditListing",
    "Control",
    "OutOfScope",
    "RefusingControl",
    "Requirement",
    "Resource",
    "S3Inputs",
    "Target",
    "by_slug",
    "for_operation",
    "guarded_operations",
    "input_family",
    "referencing_operations",
    "refusing_controls",
    "resource_of",
    "secured_operations",
    "services",
]

CATALOGUE: tuple[Control, ...] = (
    training.CONTROLS
    + hosting.CONTROLS
    + feature_store.CONTROLS
    + model_registry.CONTROLS
    + mlflow.CONTROLS
    + inference_testing.CONTROLS
    + human_review.CONTROLS
    + edge.CONTROLS
    + studio_apps.CONTROLS
    + notebooks.CONTROLS
    + monitoring.CONTROLS
    + pipelines.CONTROLS
    + client.CONTROLS
    + preflight.CONTROLS
    + tags.CONTROLS
    + s3.CONTROLS
    + s3control.CONTROLS
    + runtime.CONTROLS
    + pii.CONTROLS
)


@cache
def _index() -> dict[str, tuple[tuple[Control, Target], ...]]:
    by_operation: dict[str, list[tuple[Control, Target]]] = {}
    for control in CATALOGUE:
        for target in control.targets:
            by_operation.setdefault(target.operation, []).append((control, target))
    return {op: tuple(pairs) for op, pairs in by_operation.items()}


def for_operation(operation: str) -> tuple[tuple[Control, Target], ...]:
    """Every (control, target) pair that applies to ``operation``, in catalogue order."""
    return _index().get(operation, ())


def guarded_operations(service: str | None = None) -> frozenset[str]:
    """The operations at least one control applies to (of ``service`` only, when given).
    Operation names are unique across the services safeai guards (the conformance tests
    check it), so one index serves them all."""
    if service is None:
        return frozenset(_index())
    return _operations_of(service)


@cache
def _operations_of(service: str) -> frozenset[str]:
    return frozenset(
        target.operation
        for control in CATALOGUE
        if control.service == service
        for target in control.targets
    )


@cache
def secured_operations() -> frozenset[str]:
    """The operations whose requests the guard secures: those a control applies to, the tag
    changes, the requests that name stored resources, the runs of stored pipelines, and the
    requests naming S3 places preflight checks (an MLflow artifact store, with no field control).
    Any other call of a guarded client has only its client checked."""
    return (
        guarded_operations()
        | TAG_CHANGES
        | referencing_operations()
        | pipeline_executions()
        | frozenset(input_places())
    )


def services() -> frozenset[str]:
    """The botocore services the catalogue has controls for."""
    return frozenset(control.service for control in CATALOGUE)


@cache
def _slugs() -> dict[str, Control]:
    return {control.slug: control for control in CATALOGUE}


def by_slug(slug: str) -> Control | None:
    """The control with this slug, or None."""
    return _slugs().get(slug)
