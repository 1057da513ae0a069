"""The caller role people or CI assume to launch ML work (issue #15): trust as asked, MFA for
people, least privilege, within IAM's limits, and in step with what the guard reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import safeai
from safeai import iam
from safeai._buckets import SETTINGS
from safeai._caller_role import GUARD_READS, S3_ACTIONS
from safeai._iam_actions import policy_size, validate_actions
from safeai._scp import deny_statements
from tests import aws_calls

ACCOUNT = "123456789012"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/ml-training"
ADA = "arn:aws:iam::123456789012:user/ada"
CI = "arn:aws:iam::123456789012:role/ci-runner"
SOURCE = Path(__file__).resolve().parents[2] / "src" / "safeai"


def make_policy(**overrides: Any) -> safeai.Policy:
    fields: dict[str, Any] = {
        "execution_role_arn": ROLE,
        "kms_key_id": KEY,
        "subnets": ["subnet-0a", "subnet-0b"],
        "security_group_ids": ["sg-01"],
        "region": "us-east-1",
    }
    fields.update(overrides)
    return safeai.Policy(**fields)


def statements(role: iam.CallerRole) -> list[dict[str, Any]]:
    return [s for document in role.permissions_policies for s in document["Statement"]]


def by_sid(role: iam.CallerRole) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in statements(role)}


def allowed(role: iam.CallerRole) -> set[str]:
    found: set[str] = set()
    for statement in statements(role):
        if statement["Effect"] == "Allow":
            action = statement["Action"]
            found |= {action} if isinstance(action, str) else set(action)
    return found


def test_people_need_a_recent_mfa_sign_in_and_workloads_are_trusted_as_named() -> None:
    role = iam.caller_role(make_policy(), [ADA, CI, ADA], max_mfa_age=1800)
    trust = {s["Sid"]: s for s in role.trust_policy["Statement"]}
    assert set(trust) == {"PeopleWithMFA", "Workloads"}
    assert trust["PeopleWithMFA"]["Principal"] == {"AWS": [ADA]}
    assert trust["PeopleWithMFA"]["Condition"] == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "1800"},
    }
    assert trust["Workloads"]["Principal"] == {"AWS": [CI]}
    assert "Condition" not in trust["Workloads"]
    for statement in trust.values():
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]


def test_an_account_principal_is_people_and_needs_mfa() -> None:
    root = "arn:aws:iam::123456789012:root"
    role = iam.caller_role(make_policy(), [root])
    [statement] = role.trust_policy["Statement"]
    assert statement["Principal"] == {"AWS": [root]}
    assert "aws:MultiFactorAuthPresent" in statement["Condition"]["Bool"]


def test_no_action_is_a_wildcard_and_every_action_exists() -> None:
    role = iam.caller_role(make_policy(), [ADA], data_buckets=["ml-data"])
    every = [
        action
        for statement in [*statements(role), *role.trust_policy["Statement"]]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    ]
    assert every
    assert not [action for action in every if "*" in action or "?" in action]
    validate_actions(every)


def test_pass_role_is_only_the_execution_role_and_only_to_sagemaker() -> None:
    policy = make_policy(allowed_role_arns=["arn:aws:iam::123456789012:role/ml-batch"])
    role = iam.caller_role(policy, [ADA])
    pass_role = [s for s in statements(role) if "iam:PassRole" in s["Action"]]
    assert pass_role == [
        {
            "Sid": "PassTheExecutionRoleToSageMakerOnly",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": sorted(policy.role_arns),
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        }
    ]


def test_sagemaker_is_allowed_only_in_the_policys_account_and_region_and_denied_like_the_scp() -> (
    None
):
    policy = make_policy()
    role = iam.caller_role(policy, [ADA])
    sids = by_sid(role)
    secured = sids["SecuredSageMakerRequests"]
    assert secured["Resource"] == ["arn:aws:sagemaker:us-east-1:123456789012:*"]
    assert {"sagemaker:CreateTrainingJob", "sagemaker:CreateEndpointConfig"} <= set(
        secured["Action"]
    )
    assert "sagemaker:DeleteDomain" not in allowed(role)
    assert sids["ListTheSameResources"]["Resource"] == "*"
    denies = [s for s in statements(role) if s["Effect"] == "Deny"]
    assert denies == deny_statements(policy)
    assert any(s["Sid"] == "DenyOtherNetworkIsolation" for s in denies)


def test_the_key_is_used_for_data_only_through_s3() -> None:
    statement = by_sid(iam.caller_role(make_policy(), [ADA]))["UseTheKeyForDataThroughS3"]
    assert statement["Resource"] == [KEY]
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }


def test_data_buckets_and_macie_are_granted_only_when_asked() -> None:
    bare = iam.caller_role(make_policy(pii="off"), [ADA])
    assert not {"s3:GetObject", "s3:PutObject", "macie2:CreateClassificationJob"} & allowed(bare)
    full = iam.caller_role(make_policy(), [ADA], data_buckets=["ml-data"])
    sids = by_sid(full)
    assert sids["ReadAndWriteTheData"]["Resource"] == ["arn:aws:s3:::ml-data/*"]
    assert sids["GuardReadsTheDataBuckets"]["Resource"] == ["arn:aws:s3:::ml-data"]
    assert "macie2:CreateClassificationJob" in allowed(full)


def test_the_documents_fit_iams_limits_and_split_into_managed_policies_when_needed() -> None:
    role = iam.caller_role(make_policy(), [ADA, CI], data_buckets=["ml-data"])
    assert policy_size(role.trust_policy) <= iam.TRUST_POLICY_LIMIT
    if len(role.permissions_policies) == 1:
        assert policy_size(role.permissions_policies[0]) <= iam.INLINE_ROLE_POLICY_LIMIT
    else:
        assert len(role.permissions_policies) <= 10, "a role has ten managed policies by default"
        for document in role.permissions_policies:
            assert policy_size(document) <= iam.MANAGED_POLICY_LIMIT
    sids = [s["Sid"] for s in statements(role)]
    assert len(sids) == len(set(sids))
    printed = role.as_json()
    assert set(printed) == {"trust_policy", "permissions_policy"}
    assert json.loads(json.dumps(printed)) == printed


def test_a_small_policy_is_one_inline_document() -> None:
    role = iam.caller_role(
        make_policy(network_isolation=False, inter_container_encryption=False, pii="off"),
        [ADA],
        max_mfa_age=900,
    )
    # Whatever the size, as_json() names one document or a list of them.
    permissions = role.as_json()["permissions_policy"]
    assert isinstance(permissions, dict) == (len(role.permissions_policies) == 1)


@pytest.mark.parametrize(
    ("principals", "overrides", "message"),
    [
        ([], {}, "name the principals"),
        (["ada"], {}, "not an IAM principal ARN"),
        (["arn:aws:iam::123456789012:group/ml"], {}, "not an IAM principal ARN"),
        ([ADA], {"execution_role_arn": None}, "execution_role_arn"),
        ([ADA], {"kms_key_id": "alias/ml"}, "key ARN"),
    ],
)
def test_what_cannot_be_expressed_is_refused_with_the_fix(
    principals: list[str], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(safeai.PolicyError, match=message):
        iam.caller_role(make_policy(**overrides), principals)


def test_an_mfa_age_outside_stss_range_is_refused() -> None:
    with pytest.raises(safeai.PolicyError, match="between 900 and 43200"):
        iam.caller_role(make_policy(), [ADA], max_mfa_age=60)


# -- in step with the code: every AWS operation the guard calls is granted ----------------------

#: The modules whose calls run with the caller's credentials before a request is let through.
GUARD_MODULES = (
    *sorted((SOURCE / "preflight").glob("*.py")),
    SOURCE / "_readers.py",
    SOURCE / "_references.py",
    SOURCE / "pii" / "_macie.py",
    SOURCE / "pii" / "_local.py",
    SOURCE / "pii" / "_fingerprint.py",
)
SERVICES = ("sagemaker", "s3", "iam", "kms", "ec2", "macie2", "sts")
#: Reads of the detective audit, not of the guard (the reader layer serves both).
AUDIT_ONLY = {
    "get_account_authorization_details",
    "list_access_keys",
    "assume_role",  # into an audited account, with the auditor's own credentials
    "list_accounts",  # of the organization, likewise
}
#: STS answers GetCallerIdentity whatever the caller's permissions (STS API reference); and
#: strings that merely spell an operation (``"verify"``, preflight's function in ``__all__``).
NO_PERMISSION_NEEDED = {"get_caller_identity", "verify"}


def test_every_operation_the_guard_calls_is_granted() -> None:
    from botocore import xform_name

    operations = aws_calls.operations(SERVICES)
    called = {name for path in GUARD_MODULES for name in aws_calls.called(path, operations)}
    called |= {xform_name(setting.get) for setting in SETTINGS}
    assert {"describe_key", "get_role", "describe_subnets", "get_object"} <= called, called
    role = iam.caller_role(make_policy(), [ADA], data_buckets=["ml-data"])
    granted = allowed(role)
    missing = sorted(
        name
        for name in called - AUDIT_ONLY - NO_PERMISSION_NEEDED
        if not any(
            S3_ACTIONS.get(operation, f"{service}:{operation}") in granted
            for service, operation in operations[name]
        )
    )
    assert missing == [], "grant these in GUARD_READS (safeai._caller_role) or the SageMaker reads"


def test_the_stored_resources_the_guard_reads_are_granted() -> None:
    # Read by name from the registry (Resource.stored), so the parse above does not see them:
    # the caller role must grant each describe, and the call that starts or names the resource.
    from safeai.controls._resources import stored_resources

    granted = allowed(iam.caller_role(make_policy(), [ADA]))
    rows = [row for rows in stored_resources().values() for row in rows]
    assert rows
    for row in rows:
        assert f"sagemaker:{row.describe_operation}" in granted, row
        assert f"sagemaker:{row.operation}" in granted, row


def test_the_guard_reads_table_only_names_reads_and_macies_job() -> None:
    for purpose, actions in GUARD_READS.items():
        for action in actions:
            verb = action.split(":", 1)[1]
            assert verb.startswith(("Get", "List", "Describe")) or action in (
                "macie2:CreateClassificationJob",
                "macie2:UpdateClassificationJob",
            ), (purpose, action)
