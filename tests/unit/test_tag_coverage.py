"""The tagged operations are derived from botocore's model, as the coverage test derives the
security fields: a covered create operation that gains ``Tags`` in a botocore release, or a
listed one that loses it, turns CI red."""

from __future__ import annotations

import botocore.session

from safeai.controls import CATALOGUE
from safeai.controls.tags import TAG_RESOURCE_TYPES, TAGGED_OPERATIONS


def test_tagged_operations_are_exactly_the_covered_creates_that_take_tags() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    known = set(model.operation_names)
    covered = {
        operation
        for control in CATALOGUE
        if not control.slug.endswith(".tags")
        for operation in control.operations
        if operation.startswith("Create")
    } | {
        "CreateEndpoint",  # checked through the configuration it names
        "CreateHub",  # its bucket's posture is checked (S3 inputs that are not scanned)
    }
    with_tags = {
        operation
        for operation in covered & known
        if "Tags" in getattr(model.operation_model(operation).input_shape, "members", {})
    }
    listed = {operation for ops in TAGGED_OPERATIONS.values() for operation in ops} & known
    assert with_tags == listed


def test_every_tagged_family_can_be_found_from_an_arn() -> None:
    assert set(TAGGED_OPERATIONS) == set(TAG_RESOURCE_TYPES.values())
