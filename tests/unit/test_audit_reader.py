"""The audit-reader role each member account holds for an organization-wide audit (issue #17):
trust as asked, only the audit's reads, within IAM's limits, in step with what the audit reads,
and the same documents in the StackSet template."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import safeai
from safeai import _iam_actions, iam
from safeai._audit_reader import AUDIT_READS, audit_reader_actions
from safeai._buckets import SETTINGS
from safeai._caller_role import S3_ACTIONS
from safeai._iam_actions import policy_size, validate_actions
from safeai.controls._resources import audit_listings, pipeline_definitions
from tests import aws_calls

AUDITOR = "111122223333"
SOURCE = Path(__file__).resolve().parents[2] / "src" / "safeai"


def statements(role: iam.AuditReaderRole) -> list[dict[str, Any]]:
    return [s for document in role.permissions_policies for s in document["Statement"]]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def allowed(role: iam.AuditReaderRole) -> set[str]:
    return {
        action
        for statement in statements(role)
        if statement["Effect"] == "Allow"
        for action in actions_of(statement)
    }


# -- trust ----------------------------------------------------------------------------------------


def test_only_the_auditing_account_is_trusted_without_an_external_id() -> None:
    role = iam.audit_reader_role(AUDITOR)
    assert role.trust_policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheAuditingAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{AUDITOR}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def test_the_external_id_is_required_when_given() -> None:
    role = iam.audit_reader_role(AUDITOR, external_id="safeai-audit-7f3a")
    [statement] = role.trust_policy["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{AUDITOR}:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "safeai-audit-7f3a"}}


def test_the_partition_is_the_auditing_accounts() -> None:
    role = iam.audit_reader_role(AUDITOR, partition="aws-us-gov")
    [statement] = role.trust_policy["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{AUDITOR}:root"}


@pytest.mark.parametrize(
    ("account", "options", "message"),
    [
        ("1111-2222-3333", {}, r"not an AWS account id: expected 12 digits, like 111122223333"),
        ("11112222333", {}, "expected 12 digits"),
        (111122223333, {}, "expected 12 digits"),
        (AUDITOR, {"external_id": "x"}, "2 to 1,224 characters"),
        (AUDITOR, {"external_id": "has space"}, "like safeai-audit-7f3a9c"),
        (AUDITOR, {"external_id": "é" * 4}, "not an external id"),
        (AUDITOR, {"external_id": "a" * 1225}, "not an external id"),
        (AUDITOR, {"partition": "amazon"}, "not an AWS partition"),
    ],
)
def test_what_cannot_be_trusted_is_refused_with_an_example(
    account: Any, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(safeai.PolicyError, match=message):
        iam.audit_reader_role(account, **options)


def test_the_longest_external_id_and_every_allowed_character_are_accepted() -> None:
    iam.audit_reader_role(AUDITOR, external_id="a" * 1224)
    iam.audit_reader_role(AUDITOR, external_id="A_z0+=,.@:/-")


# -- permissions ----------------------------------------------------------------------------------


def test_only_get_list_and_describe_actions_none_with_a_wildcard_and_every_one_exists() -> None:
    role = iam.audit_reader_role(AUDITOR, external_id="abc")
    every = [action for statement in statements(role) for action in actions_of(statement)]
    assert every
    assert len(every) == len(set(every)), "an action is allowed twice"
    for action in every:
        assert "*" not in action, action
        assert "?" not in action, action
        service, _, name = action.partition(":")
        assert service in ("sagemaker", "s3", "iam"), action
        assert name.startswith(("Get", "List", "Describe")), action
    assert {s["Effect"] for s in statements(role)} == {"Allow"}
    assert all("NotAction" not in s and "NotResource" not in s for s in statements(role))
    validate_actions(every)
    validate_actions(actions_of(role.trust_policy["Statement"][0]))
    # No data: configuration reads only.
    assert not {"s3:GetObject", "s3:ListBucket", "sagemaker:Search"} & allowed(role)


def test_the_reads_come_from_the_registry_the_bucket_settings_and_the_identity_table() -> None:
    granted = allowed(iam.audit_reader_role(AUDITOR))
    for listing in audit_listings():
        assert f"{listing.service}:{listing.list_operation}" in granted
        assert f"{listing.service}:{listing.describe_operation}" in granted
    for setting in SETTINGS:
        assert S3_ACTIONS.get(setting.get, f"s3:{setting.get}") in granted
    for actions in AUDIT_READS.values():
        assert set(actions) <= granted
    # An endpoint is checked through the configuration and the models it names.
    assert {"sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"} <= set(
        audit_reader_actions()["references"]
    )
    assert granted == {action for group in audit_reader_actions().values() for action in group}


def test_every_statement_is_on_every_resource_and_has_a_unique_sid() -> None:
    role = iam.audit_reader_role(AUDITOR)
    sids = [s["Sid"] for s in statements(role)]
    assert len(sids) == len(set(sids))
    assert {s["Resource"] for s in statements(role)} == {"*"}
    # The documents do not depend on the account trusted: every member account holds the same.
    other = iam.audit_reader_role("444455556666", external_id="zz", partition="aws-cn")
    assert other.permissions_policies == role.permissions_policies


def test_a_write_slipping_into_the_reads_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(AUDIT_READS, "iam-users", ("iam:GetPolicy", "iam:CreatePolicy"))
    audit_reader_actions.cache_clear()
    try:
        with pytest.raises(safeai.PolicyError, match=r"only Get, List and Describe.*CreatePolicy"):
            iam.audit_reader_role(AUDITOR)
    finally:
        monkeypatch.undo()
        audit_reader_actions.cache_clear()


def test_the_documents_fit_iams_limits_and_print_as_json() -> None:
    role = iam.audit_reader_role(AUDITOR, external_id="e" * 1224)
    assert policy_size(role.trust_policy) <= iam.TRUST_POLICY_LIMIT
    assert len(role.permissions_policies) == 1
    assert policy_size(role.permissions_policies[0]) <= iam.INLINE_ROLE_POLICY_LIMIT
    printed = role.as_json()
    assert printed == {
        "trust_policy": role.trust_policy,
        "permissions_policy": role.permissions_policies[0],
    }
    assert json.loads(json.dumps(printed)) == printed


def test_permissions_over_the_inline_limit_are_split_into_managed_policies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = iam.audit_reader_role(AUDITOR)
    monkeypatch.setattr(_iam_actions, "INLINE_ROLE_POLICY_LIMIT", 1_000)
    monkeypatch.setattr(_iam_actions, "MANAGED_POLICY_LIMIT", 1_200)
    split = iam.audit_reader_role(AUDITOR)
    assert len(split.permissions_policies) > 1
    for document in split.permissions_policies:
        assert policy_size(document) <= 1_200
    assert allowed(split) == allowed(whole)
    assert isinstance(split.as_json()["permissions_policy"], list)


# -- in step with the code: every AWS operation the audit calls is granted ----------------------

#: The audit and the modules that read and judge for it.
AUDIT_MODULES = (
    SOURCE / "_detective.py",
    SOURCE / "_audit_account.py",
    SOURCE / "_readers.py",
    SOURCE / "_references.py",
    SOURCE / "_buckets.py",
)
SERVICES = ("sagemaker", "s3", "iam", "sts", "organizations")
#: Reads of the reader layer and the references that only the guard makes.
GUARD_ONLY = {
    # A pipeline definition kept in S3, inlined by the guard for CreatePipeline/UpdatePipeline;
    # DescribePipeline answers with the definition itself, and the audit reads no data.
    "get_object",
    # Read for CreateInferenceComponent/UpdateInferenceComponent requests; the audit lists no
    # inference components (see test_the_guard_only_reads_are_not_reached_by_the_audit).
    "describe_inference_component",
}
#: Calls the organization audit makes, but not through the member account's role.
NOT_THROUGH_THE_ROLE = {
    # The auditing account lists the organization (from its management or a delegated
    # administrator account) and assumes the role, with its own credentials.
    "list_accounts",
    "assume_role",
    # STS answers GetCallerIdentity whatever the caller's permissions (STS API reference).
    "get_caller_identity",
}


def test_every_operation_the_audit_calls_is_granted() -> None:
    from botocore import xform_name

    operations = aws_calls.operations(SERVICES)
    called = {name for path in AUDIT_MODULES for name in aws_calls.called(path, operations)}
    # Chosen at run time: the listings' paginators and describes, the buckets' settings.
    called |= {
        xform_name(operation)
        for listing in audit_listings()
        for operation in (listing.list_operation, listing.describe_operation)
    }
    called |= {xform_name(setting.get) for setting in SETTINGS}
    assert {
        "describe_endpoint_config",
        "get_account_authorization_details",
        "list_access_keys",
        "get_bucket_encryption",
    } <= called, called
    assert called >= GUARD_ONLY, "a guard-only read is gone: take it out of GUARD_ONLY"
    granted = allowed(iam.audit_reader_role(AUDITOR))
    missing = sorted(
        name
        for name in called - GUARD_ONLY - NOT_THROUGH_THE_ROLE
        if not any(
            S3_ACTIONS.get(operation, f"{service}:{operation}") in granted
            for service, operation in operations[name]
        )
    )
    assert missing == [], (
        "the audit calls these and the audit-reader role does not grant them: derive them "
        "(the registry's listings, SETTINGS) or add them to AUDIT_READS (safeai._audit_reader)"
    )


#: s3control's operations are authorized under the ``s3`` prefix, most by their own name; the
#: account's Block Public Access as ``...AccountPublicAccessBlock`` (Service Authorization
#: Reference, Amazon S3).
S3CONTROL_ACTIONS = {"GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock"}


def test_every_s3control_read_of_the_audit_is_granted() -> None:
    # Apart: s3control's names repeat s3's (GetPublicAccessBlock), whose grants must not count.
    operations = aws_calls.operations(("s3control",))
    called = aws_calls.called(SOURCE / "_audit_account.py", operations)
    assert {
        "get_public_access_block",
        "list_access_points",
        "get_access_point",
        "get_access_point_policy",
    } <= called, called
    granted = allowed(iam.audit_reader_role(AUDITOR))
    missing = sorted(
        action
        for name in called
        for _, operation in operations[name]
        if (action := S3CONTROL_ACTIONS.get(operation, f"s3:{operation}")) not in granted
    )
    assert missing == [], "grant these in AUDIT_READS (safeai._audit_reader)"


def test_the_guard_only_reads_are_not_reached_by_the_audit() -> None:
    # The audit checks a listed resource through what it names only for the listings marked
    # ``references`` (an endpoint: CreateEndpoint); inference components and pipelines, whose
    # checks read an inference component or an S3 object, are not among them.
    checked_through_references = {
        listing.create_operation for listing in audit_listings() if listing.references
    }
    assert checked_through_references
    assert not checked_through_references & {
        "CreateInferenceComponent",
        "UpdateInferenceComponent",
        *pipeline_definitions(),
    }


# -- the StackSet template ----------------------------------------------------------------------


def _resolve(value: Any, parameters: dict[str, str], conditions: dict[str, bool]) -> Any:
    """The template's value with the intrinsic functions it uses worked out."""
    if isinstance(value, list):
        return [_resolve(item, parameters, conditions) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    if set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([\w:]+)\}", lambda m: parameters[m.group(1)], value["Fn::Sub"])
    if set(value) == {"Fn::If"}:
        name, yes, no = value["Fn::If"]
        return _resolve(yes if conditions[name] else no, parameters, conditions)
    if set(value) == {"Fn::Equals"}:
        left, right = _resolve(value["Fn::Equals"], parameters, conditions)
        return left == right
    if set(value) == {"Fn::Not"}:
        return not _resolve(value["Fn::Not"][0], parameters, conditions)
    return {key: _resolve(item, parameters, conditions) for key, item in value.items()}


def _deployed(template: dict[str, Any], **given: str) -> dict[str, Any]:
    """The role's properties as a stack with ``given`` parameters (else the defaults) makes."""
    parameters = {name: spec["Default"] for name, spec in template["Parameters"].items()}
    parameters.update(given)
    for name, spec in template["Parameters"].items():
        assert re.fullmatch(spec["AllowedPattern"], parameters[name]), name
    parameters["AWS::Partition"] = "aws"
    # A resource's Ref stands for it (a managed policy's: its ARN) by its logical name.
    parameters.update({name: name for name in template["Resources"]})
    conditions = {
        name: _resolve(condition, parameters, {})
        for name, condition in template["Conditions"].items()
    }
    resources = _resolve(template["Resources"], parameters, conditions)
    properties = dict(resources["AuditReaderRole"]["Properties"])
    managed = properties.pop("ManagedPolicyArns", None)
    if managed is not None:
        by_arn = {
            name: resource["Properties"]["PolicyDocument"]
            for name, resource in template["Resources"].items()
            if resource["Type"] == "AWS::IAM::ManagedPolicy"
        }
        properties["Managed"] = [by_arn[name] for name in managed]
    return properties


@pytest.mark.parametrize("external_id", [None, "safeai-audit-7f3a"])
def test_the_template_holds_the_same_documents(external_id: str | None) -> None:
    template = iam.audit_reader_stackset_template(AUDITOR, external_id=external_id)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert set(template["Parameters"]) == {"TrustedAccount", "ExternalId", "RoleName"}
    assert template["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": ["AuditReaderRole", "Arn"]}
    [role] = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert role is template["Resources"]["AuditReaderRole"]
    expected = iam.audit_reader_role(AUDITOR, external_id=external_id)
    properties = _deployed(template)
    assert properties["RoleName"] == "safeai-audit-reader"
    assert properties["AssumeRolePolicyDocument"] == expected.trust_policy
    assert properties["Policies"] == [
        {"PolicyName": "safeai-audit-reader", "PolicyDocument": expected.permissions_policies[0]}
    ]
    assert json.loads(json.dumps(template)) == template


def test_the_templates_parameters_change_the_trust_as_the_function_would() -> None:
    template = iam.audit_reader_stackset_template(AUDITOR, role_name="auditor")
    properties = _deployed(template, TrustedAccount="444455556666", ExternalId="org-audit")
    assert properties["RoleName"] == "auditor"
    assert (
        properties["AssumeRolePolicyDocument"]
        == iam.audit_reader_role("444455556666", external_id="org-audit").trust_policy
    )


def test_split_permissions_become_managed_policies_in_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_iam_actions, "INLINE_ROLE_POLICY_LIMIT", 1_000)
    monkeypatch.setattr(_iam_actions, "MANAGED_POLICY_LIMIT", 1_200)
    template = iam.audit_reader_stackset_template(AUDITOR)
    properties = _deployed(template)
    assert "Policies" not in properties
    assert properties["Managed"] == list(iam.audit_reader_role(AUDITOR).permissions_policies)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"role_name": "has space"}, "not a role name"),
        ({"role_name": "r" * 65}, "not a role name"),
        ({"external_id": "x"}, "not an external id"),
    ],
)
def test_the_template_refuses_what_the_stack_would(options: dict[str, Any], message: str) -> None:
    with pytest.raises(safeai.PolicyError, match=message):
        iam.audit_reader_stackset_template(AUDITOR, **options)


def test_cfn_lint_finds_no_error_or_warning_in_the_template() -> None:
    # cfn-lint comes with moto's server extra (the sandbox); its informational rules (I...),
    # which its command line does not report by default, are left out here too.
    cfnlint = pytest.importorskip("cfnlint.api")
    for external_id in (None, "safeai-audit"):
        template = iam.audit_reader_stackset_template(AUDITOR, external_id=external_id)
        matches = cfnlint.lint_all(json.dumps(template))
        assert [str(match) for match in matches if match.rule.id[0] in "EW"] == []
