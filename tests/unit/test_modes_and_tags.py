"""Rollout modes (enforce, warn, report, per control) and required tags, in the pure engine."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import safeai
from safeai._engine import handled_operations, secure_in_place
from safeai.controls import CATALOGUE, RESOURCES
from safeai.controls.tags import TAGGED_OPERATIONS

ROLE = "arn:aws:iam::111122223333:role/ml-training"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = safeai.Policy(
    execution_role_arn=ROLE,
    kms_key_id=KEY,
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
)
OPEN: dict[str, Any] = {
    "TrainingJobName": "j",
    "EnableNetworkIsolation": False,
    "OutputDataConfig": {"S3OutputPath": "s3://b/out"},
}


def _outcomes(decisions: list[safeai.Decision]) -> dict[str, str]:
    return {d.control: d.outcome for d in decisions}


def test_report_mode_changes_and_refuses_nothing_but_says_what_enforce_would_do() -> None:
    report = dataclasses.replace(POLICY, mode="report")
    secured, decisions = safeai.enforce("CreateTrainingJob", OPEN, report)
    assert secured == OPEN
    outcomes = _outcomes(decisions)
    assert outcomes["training.network_isolation"] == "would_refuse"
    assert outcomes["training.role"] == "would_inject"
    assert outcomes["training.output_kms"] == "would_inject"
    refused = next(d for d in decisions if d.outcome == "would_refuse")
    assert refused.value is False
    assert refused.reason == "required: True"
    would = next(d for d in decisions if d.control == "training.role")
    assert would.value == ROLE


def test_warn_mode_injects_what_is_missing_and_lets_the_violation_through() -> None:
    warn = dataclasses.replace(POLICY, mode="warn")
    params = dict(OPEN)
    decisions: list[safeai.Decision] = []
    warned = secure_in_place("CreateTrainingJob", params, warn, decisions=decisions)
    assert params["EnableNetworkIsolation"] is False
    assert params["RoleArn"] == ROLE
    assert [v.control for v in warned] == ["training.network_isolation"]
    assert _outcomes(decisions)["training.network_isolation"] == "warned"


def test_per_control_modes_override_the_policy_mode() -> None:
    mixed = dataclasses.replace(POLICY, mode="report", modes={"training.role": "enforce"})
    secured, decisions = safeai.enforce("CreateTrainingJob", OPEN, mixed)
    assert secured["RoleArn"] == ROLE
    assert secured["EnableNetworkIsolation"] is False
    assert _outcomes(decisions)["training.network_isolation"] == "would_refuse"
    strict = dataclasses.replace(
        POLICY, mode="report", modes={"training.network_isolation": "enforce"}
    )
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateTrainingJob", OPEN, strict)
    assert refused.value.control == "training.network_isolation"


def test_waivers_win_over_modes() -> None:
    waived = dataclasses.replace(
        POLICY, mode="enforce", waivers={"training.network_isolation": "INC-5"}
    )
    _, decisions = safeai.enforce("CreateTrainingJob", OPEN, waived)
    assert _outcomes(decisions)["training.network_isolation"] == "waived"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mode", "audit", "expected one of enforce, warn, report"),
        ("modes", {"training.nope": "warn"}, "is not a control slug"),
        ("modes", {"training.vpc": "dryrun"}, "expected one of enforce, warn, report"),
        ("tags", {"aws:reserved": "x"}, "is not a tag key"),
        ("required_tag_keys", "owner", "expected a list"),
    ],
)
def test_mode_and_tag_settings_are_validated(field: str, value: object, message: str) -> None:
    overrides: dict[str, Any] = {field: value}
    with pytest.raises(safeai.PolicyError, match=message):
        dataclasses.replace(POLICY, **overrides)


TAGGED = dataclasses.replace(
    POLICY, tags={"cost-center": "ml-42", "data-classification": "confidential"}
)


@pytest.mark.parametrize("operation", [op for ops in TAGGED_OPERATIONS.values() for op in ops])
def test_policy_tags_are_added_to_every_tagged_create_operation(operation: str) -> None:
    secured, decisions = safeai.enforce(
        operation, {"Tags": [{"Key": "team", "Value": "a"}]}, TAGGED
    )
    assert secured["Tags"] == [
        {"Key": "team", "Value": "a"},
        {"Key": "cost-center", "Value": "ml-42"},
        {"Key": "data-classification", "Value": "confidential"},
    ]
    assert any(d.control.endswith(".tags") and d.outcome == "injected" for d in decisions)


def test_tags_are_added_when_the_request_has_none() -> None:
    secured, _ = safeai.enforce("CreateModel", {"ModelName": "m"}, TAGGED)
    assert {tag["Key"] for tag in secured["Tags"]} == {"cost-center", "data-classification"}


def test_a_tag_with_another_value_is_refused() -> None:
    request = {"ModelName": "m", "Tags": [{"Key": "cost-center", "Value": "marketing"}]}
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateModel", request, TAGGED)
    assert refused.value.control == "model.tags"
    assert refused.value.path == "Tags[Key=cost-center]"
    assert refused.value.found == "marketing"


def test_a_required_key_nobody_provides_is_refused_by_name() -> None:
    owned = dataclasses.replace(TAGGED, required_tag_keys=["owner"])
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateModel", {"ModelName": "m"}, owned)
    assert refused.value.path == "Tags[Key=owner]"
    assert "'owner'" in str(refused.value)
    secured, _ = safeai.enforce(
        "CreateModel", {"ModelName": "m", "Tags": [{"Key": "owner", "Value": "ana"}]}, owned
    )
    assert {"Key": "owner", "Value": "ana"} in secured["Tags"]


def test_no_tags_in_the_policy_leaves_requests_alone() -> None:
    secured, decisions = safeai.enforce("CreateModel", {"ModelName": "m"}, POLICY)
    assert "Tags" not in secured
    assert not [d for d in decisions if d.control == "model.tags"]


ARN = "arn:aws:sagemaker:us-east-1:111122223333:training-job/j"


@pytest.mark.parametrize(
    ("operation", "params", "path"),
    [
        (
            "AddTags",
            {"ResourceArn": ARN, "Tags": [{"Key": "cost-center", "Value": "x"}]},
            "Tags[0]",
        ),
        ("DeleteTags", {"ResourceArn": ARN, "TagKeys": ["data-classification"]}, "TagKeys[0]"),
    ],
)
def test_tag_changes_that_would_remove_or_change_a_policy_tag_are_refused(
    operation: str, params: dict[str, Any], path: str
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(operation, params, TAGGED)
    assert refused.value.control == "training.tags"
    assert refused.value.path == path


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("AddTags", {"ResourceArn": ARN, "Tags": [{"Key": "cost-center", "Value": "ml-42"}]}),
        ("AddTags", {"ResourceArn": ARN, "Tags": [{"Key": "team", "Value": "x"}]}),
        ("DeleteTags", {"ResourceArn": ARN, "TagKeys": ["team"]}),
        (
            "DeleteTags",
            {
                "ResourceArn": "arn:aws:sagemaker:us-east-1:1:app/d/u/a/b",
                "TagKeys": ["cost-center"],
            },
        ),
    ],
)
def test_harmless_tag_changes_pass(operation: str, params: dict[str, Any]) -> None:
    assert safeai.enforce(operation, params, TAGGED)[0] == params


def test_tag_change_operations_are_handled() -> None:
    assert {"AddTags", "DeleteTags"} <= handled_operations()


def test_every_tag_control_names_a_resource_family_of_the_catalogue() -> None:
    families = {control.resource for control in CATALOGUE if not control.slug.endswith(".tags")}
    # A private hub's one other check is its bucket's posture, a preflight of its S3 store.
    stores = {resource.family for resource in RESOURCES if resource.inputs}
    assert set(TAGGED_OPERATIONS) - {"endpoint"} <= families | stores
