"""The identity part of the detective audit, without AWS: which identity policies let their
holder call SageMaker (:func:`safeai._audit_identity.sagemaker_action`, pure), how IAM users are
judged from what the reads return (a stand-in IAM client), how the findings show a key, and the
audit listings of Studio domains and user profiles against botocore's models."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import botocore.session
import pytest
from botocore.exceptions import ClientError

import safeai
from safeai._audit_identity import (
    IAM_USERS,
    IamUsers,
    SageMakerGrant,
    _key_finding,
    _policy_document,
    _sagemaker_actions,
    sagemaker_action,
)
from safeai._audit_model import AuditReport
from safeai._audit_parts import Tally
from safeai._detective import AUDITED_TYPES, RESOURCE_TYPES, audit
from safeai.controls._resources import resource_of

if TYPE_CHECKING:
    from safeai.controls import AuditListing


def _allow(action: object, *, key: str = "Action", effect: str = "Allow") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, key: action, "Resource": "*"}],
    }


# -- which documents let their holder call SageMaker ------------------------------------------


@pytest.mark.parametrize(
    ("action", "granted"),
    [
        ("*", "*"),
        ("sagemaker:*", "sagemaker:*"),
        ("sagemaker:Create*", "sagemaker:Create*"),
        ("SageMaker:createtrainingjob", "SageMaker:createtrainingjob"),  # case-insensitive
        ("sagemaker:CreateTrainingJo?", "sagemaker:CreateTrainingJo?"),
        ("sage*:*", "sage*:*"),
        ("*:CreateTrainingJob", "*:CreateTrainingJob"),
        ("sagemaker:Describe*", "sagemaker:Describe*"),  # reading is a SageMaker permission too
        ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpoint"),  # the runtime's
        ("sagemaker:PutRecord", "sagemaker:PutRecord"),  # Feature Store's runtime
        (["s3:GetObject", "sagemaker:ListModels"], "sagemaker:ListModels"),
        ("s3:*", None),
        (["s3:GetObject", "iam:PassRole"], None),
        ("sagemaker-geospatial:*", None),  # another service, whose actions have their own prefix
        ("sagemaker:NoSuchAction", None),  # names nothing, grants nothing
        ("sagemaker", None),
        (42, None),
    ],
)
def test_an_allowed_action_that_matches_a_sagemaker_action_grants(
    action: object, granted: str | None
) -> None:
    assert sagemaker_action(_allow(action)) == granted


@pytest.mark.parametrize(
    ("excluded", "granted"),
    [
        ("iam:*", "every action but iam:*"),
        (["iam:*", "s3:*"], "every action but iam:*, s3:*"),
        ("sagemaker:Create*", "every action but sagemaker:Create*"),  # Describe* is left
        ("sagemaker:*", None),
        ("SAGEMAKER:*", None),
        ("*", None),
        (["sagemaker:*", "iam:*"], None),
    ],
)
def test_an_allowed_not_action_grants_unless_it_leaves_no_sagemaker_action_out(
    excluded: object, granted: str | None
) -> None:
    assert sagemaker_action(_allow(excluded, key="NotAction")) == granted


def test_deny_statements_grant_nothing_and_are_not_subtracted() -> None:
    assert sagemaker_action(_allow("sagemaker:*", effect="Deny")) is None
    document = {
        "Statement": [
            {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob", "Resource": "*"},
        ]
    }
    # Over-reports: IAM would deny, but a Deny (like a boundary or an SCP) is not subtracted.
    assert sagemaker_action(document) == "sagemaker:CreateTrainingJob"


def test_resources_and_conditions_are_not_read() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "sagemaker:CreateTrainingJob",
        "Resource": "arn:aws:sagemaker:eu-west-1:111122223333:training-job/only-this",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
    assert sagemaker_action({"Statement": statement}) == "sagemaker:CreateTrainingJob"


def test_documents_without_a_grant() -> None:
    assert sagemaker_action({}) is None
    assert sagemaker_action({"Statement": []}) is None
    assert sagemaker_action({"Statement": [{"Effect": "Allow", "Resource": "*"}]}) is None
    assert sagemaker_action({"Statement": ["not a statement"]}) is None


def test_the_first_granting_element_is_named() -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["sagemaker:List*", "*"], "Resource": "*"},
        ]
    }
    assert sagemaker_action(document) == "sagemaker:List*"


def test_sagemaker_actions_are_every_api_that_signs_as_sagemaker() -> None:
    actions = set(_sagemaker_actions())
    assert {
        "sagemaker:createtrainingjob",
        "sagemaker:invokeendpoint",
        "sagemaker:putrecord",
        "sagemaker:starthumanloop",
    } <= actions
    assert all(action.startswith("sagemaker:") for action in actions)
    geospatial = botocore.session.get_session().get_service_model("sagemaker-geospatial")
    assert f"sagemaker:{geospatial.operation_names[0].lower()}" not in actions


def test_policy_documents_as_iam_answers_them() -> None:
    document = {"Version": "2012-10-17", "Statement": []}
    assert _policy_document(document) is document
    assert _policy_document(quote(json.dumps(document))) == document
    with pytest.raises(ValueError, match="not a policy document"):
        _policy_document(None)


# -- judging IAM users from what the reads return ---------------------------------------------

ACCOUNT = "111122223333"
FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def _user(name: str, **details: Any) -> dict[str, Any]:
    return {"UserName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", **details}


def _denied(operation: str) -> ClientError:
    answer: Any = {
        "Error": {"Code": "AccessDenied", "Message": f"not authorized to perform iam:{operation}"}
    }
    return ClientError(answer, operation)


class _Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return self.pages


class _Iam:
    """A stand-in IAM client: authorization details in two pages, managed policies, keys."""

    def __init__(self, details: list[dict[str, Any]], keys: dict[str, list[dict[str, Any]]]):
        self.details = details
        self.keys = keys
        self.managed: dict[str, dict[str, Any] | ClientError] = {FULL_ACCESS: _allow("sagemaker:*")}
        self.calls: list[str] = []

    def get_paginator(self, name: str) -> Any:
        if name == "get_account_authorization_details":
            self.calls.append("GetAccountAuthorizationDetails")
            return _Pages(self.details)
        assert name == "list_access_keys"
        iam = self

        class _Keys:
            def paginate(self, UserName: str) -> list[dict[str, Any]]:
                iam.calls.append(f"ListAccessKeys {UserName}")
                return [{"AccessKeyMetadata": iam.keys.get(UserName, [])}]

        return _Keys()

    def get_policy(self, PolicyArn: str) -> dict[str, Any]:
        self.calls.append(f"GetPolicy {PolicyArn}")
        return {"Policy": {"Arn": PolicyArn, "DefaultVersionId": "v7"}}

    def get_policy_version(self, PolicyArn: str, VersionId: str) -> dict[str, Any]:
        self.calls.append(f"GetPolicyVersion {PolicyArn}")
        assert VersionId == "v7"
        found = self.managed[PolicyArn]
        if isinstance(found, ClientError):
            raise found
        return {"PolicyVersion": {"Document": found, "VersionId": VersionId}}


def _key(ending: str, status: str = "Active") -> dict[str, Any]:
    return {"AccessKeyId": f"AKIAEXAMPLE0000{ending}", "Status": status, "CreateDate": CREATED}


def _judge(iam: _Iam, *, waived: bool = False) -> IamUsers:
    return IamUsers(iam, Tally(None), waived=waived).run(2)


def test_users_are_judged_from_every_page_and_each_managed_policy_is_read_once() -> None:
    local = f"arn:aws:iam::{ACCOUNT}:policy/ml"
    details = [
        {
            "UserDetailList": [
                _user(
                    "alice",
                    AttachedManagedPolicies=[
                        {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": FULL_ACCESS}
                    ],
                ),
                _user("bob", GroupList=["ml"]),
            ],
            "GroupDetailList": [],
            "Policies": [],
        },
        {
            "UserDetailList": [
                _user(
                    "carol",
                    UserPolicyList=[{"PolicyName": "data", "PolicyDocument": _allow("s3:*")}],
                    AttachedManagedPolicies=[
                        {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": FULL_ACCESS}
                    ],
                ),
                _user(
                    "dave",
                    UserPolicyList=[{"PolicyName": "data", "PolicyDocument": _allow("s3:*")}],
                ),
            ],
            "GroupDetailList": [
                {
                    "GroupName": "ml",
                    "AttachedManagedPolicies": [{"PolicyName": "ml", "PolicyArn": local}],
                }
            ],
            "Policies": [
                {
                    "Arn": local,
                    "PolicyVersionList": [
                        {"Document": _allow("s3:*"), "IsDefaultVersion": False},
                        {"Document": _allow("sagemaker:Create*"), "IsDefaultVersion": True},
                    ],
                }
            ],
        },
    ]
    keys = {
        "alice": [_key("ALIC"), _key("OLD1", "Inactive")],
        "bob": [_key("BOB1")],
        "carol": [],
        "dave": [_key("DAVE")],
    }
    iam = _Iam(details, keys)
    judged = _judge(iam)
    assert judged.errors == []
    assert sorted(r.arn.rsplit("/", 1)[1] for r in judged.resources) == [
        "alice",
        "bob",
        "carol",
        "dave",
    ]
    found = {(f.resource_arn.rsplit("/", 1)[1], f.path): f.found for f in judged.findings}
    assert found == {
        ("alice", "AccessKeyMetadata[...ALIC].Status"): "active access key ending ALIC, created "
        "2026-01-02; the user may call sagemaker:* through AWS managed policy "
        "'AmazonSageMakerFullAccess'",
        ("bob", "AccessKeyMetadata[...BOB1].Status"): "active access key ending BOB1, created "
        "2026-01-02; the user may call sagemaker:Create* through managed policy 'ml' of group 'ml'",
    }
    # The AWS managed policy once for two users; no keys listed for dave, who may not call it.
    assert iam.calls[:3] == [
        "GetAccountAuthorizationDetails",
        f"GetPolicy {FULL_ACCESS}",
        f"GetPolicyVersion {FULL_ACCESS}",
    ]
    # The keys are listed on the workers, in any order.
    assert sorted(iam.calls[3:]) == [f"ListAccessKeys {name}" for name in ("alice", "bob", "carol")]


def test_several_grants_are_counted() -> None:
    user = _user(
        "erin",
        UserPolicyList=[
            {"PolicyName": "one", "PolicyDocument": _allow("*")},
            {"PolicyName": "two", "PolicyDocument": _allow("sagemaker:List*")},
        ],
        AttachedManagedPolicies=[
            {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": FULL_ACCESS}
        ],
    )
    iam = _Iam([{"UserDetailList": [user]}], {"erin": [_key("ERIN")]})
    (finding,) = _judge(iam).findings
    assert isinstance(finding.found, str)
    assert finding.found.endswith("may call * through inline policy 'one' (and 2 other policies)")


def test_a_denied_details_read_is_an_error_for_the_type() -> None:
    class Denied(_Iam):
        def get_paginator(self, name: str) -> Any:
            raise _denied("GetAccountAuthorizationDetails")

    judged = _judge(Denied([], {}))
    (error,) = judged.errors
    assert (error.region, error.resource_type, error.operation, error.resource, error.code) == (
        "global",
        IAM_USERS,
        "GetAccountAuthorizationDetails",
        None,
        "AccessDenied",
    )
    assert judged.resources == []


def test_a_policy_that_cannot_be_read_is_an_error_unless_another_grants() -> None:
    other = "arn:aws:iam::aws:policy/SomethingElse"
    attached = [
        {"PolicyName": "SomethingElse", "PolicyArn": other},
    ]
    frank = _user("frank", AttachedManagedPolicies=attached)
    grace = _user(
        "grace",
        AttachedManagedPolicies=attached,
        UserPolicyList=[{"PolicyName": "ml", "PolicyDocument": _allow("sagemaker:*")}],
    )
    iam = _Iam([{"UserDetailList": [frank, grace]}], {"grace": [_key("GRAC")]})
    iam.managed[other] = _denied("GetPolicyVersion")
    judged = _judge(iam)
    (error,) = judged.errors
    assert (error.resource, error.operation, error.code) == (
        frank["Arn"],
        "GetPolicyVersion",
        "AccessDenied",
    )
    assert f"policy {other}, which it holds, cannot be read" in error.message
    assert [f.resource_arn for f in judged.findings] == [grace["Arn"]]
    assert iam.calls.count(f"GetPolicyVersion {other}") == 1, "a failed read is not repeated"


def test_a_group_missing_from_the_details_is_an_error() -> None:
    iam = _Iam([{"UserDetailList": [_user("heidi", GroupList=["gone"])]}], {})
    (error,) = _judge(iam).errors
    assert (error.operation, error.code) == ("GetAccountAuthorizationDetails", "LookupError")
    assert "group 'gone'" in error.message


def test_a_denied_key_listing_is_an_error_for_the_user() -> None:
    class NoKeys(_Iam):
        def get_paginator(self, name: str) -> Any:
            if name == "list_access_keys":
                raise _denied("ListAccessKeys")
            return super().get_paginator(name)

    user = _user("ivan", UserPolicyList=[{"PolicyName": "p", "PolicyDocument": _allow("*")}])
    judged = _judge(NoKeys([{"UserDetailList": [user]}], {}))
    (error,) = judged.errors
    assert (error.operation, error.resource) == ("ListAccessKeys", user["Arn"])
    assert judged.resources == []


def test_a_waiver_lists_no_keys_and_reports_nothing() -> None:
    user = _user("judy", UserPolicyList=[{"PolicyName": "p", "PolicyDocument": _allow("*")}])
    iam = _Iam([{"UserDetailList": [user]}], {"judy": [_key("JUDY")]})
    judged = _judge(iam, waived=True)
    assert judged.findings == []
    assert [r.arn for r in judged.resources] == [user["Arn"]]
    assert iam.calls == ["GetAccountAuthorizationDetails"]


# -- a key is shown by its last four characters only --------------------------------------------

KEY_ID = "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize("form", ["to_json", "to_sarif", "to_html", "to_table"])
def test_every_rendering_shows_a_key_by_its_last_four_characters_only(form: str) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:user/kim"
    key = {"AccessKeyId": KEY_ID, "Status": "Active", "CreateDate": CREATED}
    finding = _key_finding(arn, "kim", key, [SageMakerGrant("inline policy 'p'", "sagemaker:*")])
    report = AuditReport(
        findings=(finding,),
        resources=(),
        errors=(),
        api_calls=3,
        duration_seconds=0.1,
        regions=("eu-west-1",),
        resource_types=(IAM_USERS,),
    )
    text = getattr(report, form)()
    assert KEY_ID not in text
    assert KEY_ID[:-4] not in text
    assert "MPLE" in text
    assert finding.control == "client.temporary_credentials"
    assert "kim" in finding.remedy


# -- the audit's types ---------------------------------------------------------------------------


def test_iam_users_are_a_type_of_their_own() -> None:
    assert IAM_USERS in AUDITED_TYPES
    assert IAM_USERS not in {kind.name for kind in RESOURCE_TYPES}, "not listed per region"
    assert {"domain", "user-profile"} <= set(AUDITED_TYPES)
    domain = resource_of("domain")
    assert domain is not None
    assert not domain.unaudited
    with pytest.raises(safeai.SafeAIError, match="unknown resource type"):
        audit(object(), safeai.Policy(), regions=["eu-west-1"], resource_types=["iam-users"])


def test_a_user_profile_is_described_by_its_domain_and_name() -> None:
    (profiles,) = [kind for kind in RESOURCE_TYPES if kind.name == "user-profile"]
    entry = {"DomainId": "d-1", "UserProfileName": "alice", "Status": "InService"}
    assert profiles.describe_parameters(entry) == {"DomainId": "d-1", "UserProfileName": "alice"}
    assert profiles.label(entry) == "user-profile/d-1/alice"
    assert not profiles.arn_listed
    (domains,) = [kind for kind in RESOURCE_TYPES if kind.name == "domain"]
    assert domains.describe_parameters({"DomainId": "d-1", "DomainArn": "a"}) == {"DomainId": "d-1"}


@pytest.mark.parametrize("kind", RESOURCE_TYPES, ids=lambda kind: kind.name)
def test_listing_keys_describe_parameters_and_arns_exist_in_botocore(kind: AuditListing) -> None:
    model = botocore.session.get_session().get_service_model(kind.service)
    request: Any = model.operation_model(kind.describe_operation).input_shape
    answer: Any = model.operation_model(kind.describe_operation).output_shape
    listing: Any = model.operation_model(kind.list_operation).output_shape
    entry = set(listing.members[kind.list_key].member.members)
    assert {kind.name_key, *kind.keys} <= entry
    assert {kind.describe_parameter, *kind.keys} <= set(request.members)
    assert set(request.required_members) <= {kind.describe_parameter, *kind.keys}
    assert kind.arn_key in (entry if kind.arn_listed else set(answer.members))
