"""The account's S3 settings and access points (``s3control``) without AWS: the catalogue names
s3control's operations ``s3control:<Operation>``, the engine fills in, refuses and waives as it
does for the bucket settings, and a guarded s3control client sends nothing it refuses."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

import safeai
from safeai._audit_account import AccessPoints, AccountPublicAccess
from safeai._audit_parts import Tally
from safeai._engine import evaluate
from safeai.controls import by_slug, for_operation, guarded_operations, resource_of, services
from safeai.controls._resources import botocore_operation, operation_key
from safeai.controls.s3 import PUBLIC_ACCESS_SETTINGS
from safeai.controls.s3control import ALL_BLOCKED

ACCOUNT = "111122223333"
POLICY = safeai.Policy(
    execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/ml",
    kms_key_id=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
    preflight=False,
)
ACCOUNT_BPA = "s3control.account_public_access"
POLICY_CONTROL = "s3control.access_point_policy"
POINT_BPA = "s3control.access_point_public_access"
REASON = "a public dataset bucket, reviewed by the platform team, ticket SEC-7"

PUT_ACCOUNT = "s3control:PutPublicAccessBlock"
DELETE_ACCOUNT = "s3control:DeletePublicAccessBlock"
CREATE_POINT = "s3control:CreateAccessPoint"
CREATE_MRAP = "s3control:CreateMultiRegionAccessPoint"

#: Where each policy operation holds the document, and the rest of a minimal request.
POLICY_PLACES = {
    "s3control:PutAccessPointPolicy": ("Policy", {"AccountId": ACCOUNT, "Name": "ap"}),
    "s3control:PutAccessPointPolicyForObjectLambda": (
        "Policy",
        {"AccountId": ACCOUNT, "Name": "olap"},
    ),
    "s3control:PutMultiRegionAccessPointPolicy": (
        "Details.Policy",
        {"AccountId": ACCOUNT, "ClientToken": "t", "Details": {"Name": "mrap"}},
    ),
}


def _document(principal: object, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/ap/object/*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


PUBLIC = _document("*")
ORGANIZATION_ONLY = _document("*", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
NAMED = _document({"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"})


def _with_policy(operation: str, document: str) -> tuple[dict[str, Any], str]:
    path, base = POLICY_PLACES[operation]
    request = json.loads(json.dumps(base))
    node = request
    *parents, member = path.split(".")
    for parent in parents:
        node = node[parent]
    node[member] = document
    return request, path


def _waived(*slugs: str) -> safeai.Policy:
    return dataclasses.replace(POLICY, waivers=dict.fromkeys(slugs, REASON))


# -- the catalogue names s3control's operations apart from s3's ---------------------------------


def test_s3controls_operations_are_qualified_and_s3s_are_not() -> None:
    assert operation_key("s3control", "PutPublicAccessBlock") == PUT_ACCOUNT
    assert operation_key("s3", "PutPublicAccessBlock") == "PutPublicAccessBlock"
    assert botocore_operation(PUT_ACCOUNT) == "PutPublicAccessBlock"
    assert botocore_operation("PutPublicAccessBlock") == "PutPublicAccessBlock"
    assert "s3control" in services()
    assert guarded_operations("s3control") == {
        PUT_ACCOUNT,
        DELETE_ACCOUNT,
        CREATE_POINT,
        CREATE_MRAP,
        *POLICY_PLACES,
    }
    assert {c.slug for c, _ in for_operation(PUT_ACCOUNT)} == {ACCOUNT_BPA}
    assert {c.slug for c, _ in for_operation("PutPublicAccessBlock")} == {"s3.public_access"}
    for slug in (ACCOUNT_BPA, POLICY_CONTROL, POINT_BPA):
        control = by_slug(slug)
        assert control is not None
        assert control.service == "s3control"
    resource = resource_of("s3control")
    assert resource is not None
    assert set(resource.operations) == guarded_operations("s3control")


def test_account_public_access_anchors_security_hub_s3_1_and_config() -> None:
    control = by_slug(ACCOUNT_BPA)
    assert control is not None
    assert "S3.1" in control.anchors.security_hub
    assert "s3-account-level-public-access-blocks-periodic" in control.anchors.config_rules


# -- the account's Block Public Access ------------------------------------------------------------


def test_a_missing_account_setting_is_filled_in() -> None:
    for configuration in (None, {}, {"BlockPublicAcls": True}):
        request: dict[str, Any] = {"AccountId": ACCOUNT}
        if configuration is not None:
            request["PublicAccessBlockConfiguration"] = configuration
        secured, decisions = safeai.enforce(PUT_ACCOUNT, request, POLICY)
        assert secured["PublicAccessBlockConfiguration"] == ALL_BLOCKED
        assert {d.control for d in decisions} == {ACCOUNT_BPA}
        assert {d.outcome for d in decisions} <= {"injected", "compliant"}


@pytest.mark.parametrize("setting", PUBLIC_ACCESS_SETTINGS)
def test_an_account_setting_turned_off_is_refused(setting: str) -> None:
    request = {
        "AccountId": ACCOUNT,
        "PublicAccessBlockConfiguration": {**ALL_BLOCKED, setting: False},
    }
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(PUT_ACCOUNT, request, POLICY)
    violation = refused.value
    assert (violation.control, violation.operation) == (ACCOUNT_BPA, PUT_ACCOUNT)
    assert violation.path == f"PublicAccessBlockConfiguration.{setting}"
    assert violation.found is False
    assert 'safeai.waive("s3control.account_public_access"' in str(violation)


def test_deleting_the_accounts_block_public_access_is_refused_unless_waived() -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(DELETE_ACCOUNT, {"AccountId": ACCOUNT}, POLICY)
    assert (refused.value.control, refused.value.path) == (ACCOUNT_BPA, "AccountId")
    assert "DeletePublicAccessBlock" in str(refused.value.expected)
    secured, decisions = safeai.enforce(
        DELETE_ACCOUNT, {"AccountId": ACCOUNT}, _waived(ACCOUNT_BPA)
    )
    assert secured == {"AccountId": ACCOUNT}
    assert [(d.control, d.outcome, d.reason) for d in decisions] == [
        (ACCOUNT_BPA, "waived", REASON)
    ]


def test_a_waived_account_setting_is_sent_as_written() -> None:
    request = {
        "AccountId": ACCOUNT,
        "PublicAccessBlockConfiguration": {**ALL_BLOCKED, "RestrictPublicBuckets": False},
    }
    secured, decisions = safeai.enforce(PUT_ACCOUNT, request, _waived(ACCOUNT_BPA))
    assert secured == request
    assert {d.outcome for d in decisions} == {"waived"}


def test_a_buckets_block_public_access_stays_s3s_control() -> None:
    request = {"Bucket": "b", "PublicAccessBlockConfiguration": {}}
    secured, decisions = safeai.enforce("PutPublicAccessBlock", request, POLICY)
    assert secured["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    assert {d.control for d in decisions} == {"s3.public_access"}
    # Waiving the account's control leaves a bucket's alone, and the other way round.
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("DeletePublicAccessBlock", {"Bucket": "b"}, _waived(ACCOUNT_BPA))
    assert refused.value.control == "s3.public_access"
    with pytest.raises(safeai.SecurityViolation):
        safeai.enforce(DELETE_ACCOUNT, {"AccountId": ACCOUNT}, _waived("s3.public_access"))


# -- access point policies ------------------------------------------------------------------------


@pytest.mark.parametrize("operation", POLICY_PLACES)
def test_a_public_access_point_policy_is_refused(operation: str) -> None:
    request, path = _with_policy(operation, PUBLIC)
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(operation, request, POLICY)
    violation = refused.value
    assert (violation.control, violation.operation) == (POLICY_CONTROL, operation)
    assert violation.path == f"{path}:Statement[0].Principal"
    assert violation.found == "*"


@pytest.mark.parametrize("operation", POLICY_PLACES)
@pytest.mark.parametrize("document", [ORGANIZATION_ONLY, NAMED], ids=["confined", "named"])
def test_a_confined_access_point_policy_is_sent_unchanged(operation: str, document: str) -> None:
    request, path = _with_policy(operation, document)
    secured, decisions = safeai.enforce(operation, request, POLICY)
    assert secured == request
    assert [(d.control, d.path, d.outcome) for d in decisions] == [
        (POLICY_CONTROL, path, "compliant")
    ]


@pytest.mark.parametrize("operation", POLICY_PLACES)
def test_a_waived_public_access_point_policy_is_sent(operation: str) -> None:
    request, _ = _with_policy(operation, PUBLIC)
    secured, decisions = safeai.enforce(operation, request, _waived(POLICY_CONTROL))
    assert secured == request
    assert [(d.control, d.outcome) for d in decisions] == [(POLICY_CONTROL, "waived")]


def test_an_access_point_policy_that_is_not_json_is_refused() -> None:
    request, _ = _with_policy("s3control:PutAccessPointPolicy", "{not json")
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("s3control:PutAccessPointPolicy", request, POLICY)
    assert refused.value.control == POLICY_CONTROL


def test_an_access_point_policy_needs_no_tls_deny() -> None:
    # Judged as a resource policy: the TLS-only deny belongs to the bucket's policy.
    request, _ = _with_policy("s3control:PutAccessPointPolicy", NAMED)
    safeai.enforce("s3control:PutAccessPointPolicy", request, POLICY)


# -- an access point's Block Public Access --------------------------------------------------------

#: Each create request, and where it holds the access point's Block Public Access.
POINT_PLACES = {
    CREATE_POINT: (
        "PublicAccessBlockConfiguration",
        {"AccountId": ACCOUNT, "Name": "ap", "Bucket": "data"},
    ),
    CREATE_MRAP: (
        "Details.PublicAccessBlock",
        {
            "AccountId": ACCOUNT,
            "ClientToken": "t",
            "Details": {"Name": "mrap", "Regions": [{"Bucket": "data"}]},
        },
    ),
}


def _point(operation: str, configuration: object = None) -> tuple[dict[str, Any], str]:
    path, base = POINT_PLACES[operation]
    request = json.loads(json.dumps(base))
    if configuration is not None:
        node = request
        *parents, member = path.split(".")
        for parent in parents:
            node = node[parent]
        node[member] = configuration
    return request, path


@pytest.mark.parametrize("operation", POINT_PLACES)
def test_an_access_point_without_settings_is_left_to_awss_default(operation: str) -> None:
    # AWS turns all four settings on for an access point whose create request leaves them out;
    # the request is sent as written (an Outposts or directory-bucket access point may not take
    # the configuration at all).
    request, _ = _point(operation)
    secured, decisions = safeai.enforce(operation, request, POLICY)
    assert secured == request
    assert decisions == []


@pytest.mark.parametrize("operation", POINT_PLACES)
def test_an_access_point_with_every_setting_on_is_compliant(operation: str) -> None:
    request, path = _point(operation, dict(ALL_BLOCKED))
    secured, decisions = safeai.enforce(operation, request, POLICY)
    assert secured == request
    assert [(d.control, d.path, d.outcome) for d in decisions] == [(POINT_BPA, path, "compliant")]


@pytest.mark.parametrize("operation", POINT_PLACES)
@pytest.mark.parametrize(
    "configuration",
    [
        {**ALL_BLOCKED, "BlockPublicPolicy": False},
        {**ALL_BLOCKED, "RestrictPublicBuckets": False},
        {"BlockPublicAcls": True},  # the others absent: off
        {},  # every setting off
    ],
    ids=["policy-off", "restrict-off", "partial", "empty"],
)
def test_an_access_point_with_a_setting_off_is_refused(
    operation: str, configuration: dict[str, bool]
) -> None:
    request, path = _point(operation, configuration)
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(operation, request, POLICY)
    violation = refused.value
    assert (violation.control, violation.operation, violation.path) == (POINT_BPA, operation, path)
    assert violation.found == configuration


def test_an_access_points_network_origin_is_kept_as_written() -> None:
    for vpc in ({"VpcConfiguration": {"VpcId": "vpc-0a1"}}, {}):
        request, _ = _point(CREATE_POINT)
        request.update(vpc)
        secured, _ = safeai.enforce(CREATE_POINT, request, POLICY)
        assert secured == request


def test_a_waived_access_point_setting_is_sent_as_written() -> None:
    request, _ = _point(CREATE_POINT, {**ALL_BLOCKED, "BlockPublicAcls": False})
    secured, decisions = safeai.enforce(CREATE_POINT, request, _waived(POINT_BPA))
    assert secured == request
    assert [d.outcome for d in decisions] == ["waived"]


# -- the audit judges what it reads with the same entries ----------------------------------------


def test_an_account_without_block_public_access_is_four_findings() -> None:
    found = evaluate(
        PUT_ACCOUNT, {"AccountId": ACCOUNT, "PublicAccessBlockConfiguration": {}}, POLICY
    )
    assert sorted(v.path for v in found) == sorted(
        f"PublicAccessBlockConfiguration.{setting}" for setting in PUBLIC_ACCESS_SETTINGS
    )
    assert {v.control for v in found} == {ACCOUNT_BPA}
    clean = {"AccountId": ACCOUNT, "PublicAccessBlockConfiguration": dict(ALL_BLOCKED)}
    assert evaluate(PUT_ACCOUNT, clean, POLICY) == []


# -- a guarded s3control client sends nothing it refuses -----------------------------------------


class _Raw:
    def stream(self, **_: Any) -> Any:
        yield b""


class Wire:
    """A botocore s3control client whose requests are captured and answered with an empty 200."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.client: Any = botocore.session.get_session().create_client(
            "s3control",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.client.meta.events.register("before-send.s3-control", self._answer)

    def _answer(self, request: Any, event_name: str, **_: Any) -> Any:
        body = request.body if isinstance(request.body, bytes) else b""
        self.sent.append((event_name.rsplit(".", 1)[-1], body))
        return AWSResponse(request.url, 200, HTTPHeaders(), _Raw())


def test_a_guarded_s3control_client_refuses_before_sending() -> None:
    wire = Wire()
    with safeai.guarded(POLICY, client=wire.client):
        with pytest.raises(safeai.SecurityViolation) as refused:
            wire.client.delete_public_access_block(AccountId=ACCOUNT)
        assert refused.value.control == ACCOUNT_BPA
        with pytest.raises(safeai.SecurityViolation):
            wire.client.put_public_access_block(
                AccountId=ACCOUNT,
                PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False},
            )
        with pytest.raises(safeai.SecurityViolation):
            wire.client.put_access_point_policy(AccountId=ACCOUNT, Name="ap", Policy=PUBLIC)
        assert wire.sent == []
        wire.client.put_public_access_block(
            AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
        )
    ((operation, body),) = wire.sent
    assert operation == "PutPublicAccessBlock"
    for setting in PUBLIC_ACCESS_SETTINGS:
        assert f"<{setting}>true</{setting}>".encode() in body


# -- the audit's account-level readers, on a client that answers from memory ---------------------


def _error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


class _S3Control:
    """Just enough of an s3control client for the audit: ``account`` is the account's Block
    Public Access (an exception: how the read fails), ``points`` name -> (its GetAccessPoint
    answer, its policy or the exception GetAccessPointPolicy raises)."""

    def __init__(
        self,
        account: dict[str, bool] | Exception | None = None,
        points: dict[str, tuple[dict[str, Any], str | Exception]] | None = None,
        page: int = 1,
    ) -> None:
        self.account = account
        self.points = points or {}
        self.page = page
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def can_paginate(self, name: str) -> bool:
        return False

    def get_public_access_block(self, **asked: Any) -> dict[str, Any]:
        self.calls.append(("GetPublicAccessBlock", asked))
        if isinstance(self.account, Exception):
            raise self.account
        if self.account is None:
            raise _error("NoSuchPublicAccessBlockConfiguration", "GetPublicAccessBlock")
        return {"PublicAccessBlockConfiguration": self.account, "ResponseMetadata": {}}

    def list_access_points(self, **asked: Any) -> dict[str, Any]:
        self.calls.append(("ListAccessPoints", asked))
        names = sorted(self.points)
        start = int(asked.get("NextToken", 0))
        page = names[start : start + self.page]
        entries = [
            {"Name": name, "AccessPointArn": self._arn(name), "Bucket": "data"} for name in page
        ]
        more = start + self.page < len(names)
        return {
            "AccessPointList": entries,
            **({"NextToken": str(start + self.page)} if more else {}),
        }

    def get_access_point(self, **asked: Any) -> dict[str, Any]:
        self.calls.append(("GetAccessPoint", asked))
        return {**self.points[asked["Name"]][0], "ResponseMetadata": {}}

    def get_access_point_policy(self, **asked: Any) -> dict[str, Any]:
        self.calls.append(("GetAccessPointPolicy", asked))
        policy = self.points[asked["Name"]][1]
        if isinstance(policy, Exception):
            raise policy
        return {"Policy": policy}

    @staticmethod
    def _arn(name: str) -> str:
        return f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/{name}"


def _tally() -> Tally:
    return Tally(None)


def test_an_account_without_block_public_access_is_a_finding_per_setting() -> None:
    client = _S3Control(account=None)
    judged = AccountPublicAccess(client, ACCOUNT, POLICY, {}, _tally()).run()
    assert judged.errors == []
    assert [r.arn for r in judged.resources] == [f"AWS::::Account:{ACCOUNT}"]
    assert {(f.control, f.resource_type, f.region) for f in judged.findings} == {
        (ACCOUNT_BPA, "s3-account", "global")
    }
    assert sorted(f.path for f in judged.findings) == sorted(
        f"PublicAccessBlockConfiguration.{setting}" for setting in PUBLIC_ACCESS_SETTINGS
    )
    assert {f.found for f in judged.findings} == {None}
    assert client.calls == [("GetPublicAccessBlock", {"AccountId": ACCOUNT})]


def test_an_account_setting_off_is_a_finding_and_all_on_is_clean() -> None:
    off = {**ALL_BLOCKED, "IgnorePublicAcls": False}
    (finding,) = AccountPublicAccess(_S3Control(off), ACCOUNT, POLICY, {}, _tally()).run().findings
    assert (finding.path, finding.found) == (
        "PublicAccessBlockConfiguration.IgnorePublicAcls",
        False,
    )
    assert "S3.1" in finding.anchors.security_hub
    clean = AccountPublicAccess(_S3Control(dict(ALL_BLOCKED)), ACCOUNT, POLICY, {}, _tally()).run()
    assert (clean.findings, clean.errors, len(clean.resources)) == ([], [], 1)
    waived = AccountPublicAccess(
        _S3Control(off), ACCOUNT, POLICY, {ACCOUNT_BPA: REASON}, _tally()
    ).run()
    assert waived.findings == []


def test_an_unreadable_account_setting_is_an_error_not_a_clean_account() -> None:
    denied = _S3Control(_error("AccessDenied", "GetPublicAccessBlock"))
    judged = AccountPublicAccess(denied, ACCOUNT, POLICY, {}, _tally()).run()
    (error,) = judged.errors
    assert (error.region, error.resource_type, error.operation, error.code) == (
        "global",
        "s3-account",
        "GetPublicAccessBlock",
        "AccessDenied",
    )
    assert (judged.findings, judged.resources) == ([], [])


def test_access_points_are_judged_by_their_settings_and_policies() -> None:
    client = _S3Control(
        points={
            "open": (
                {"PublicAccessBlockConfiguration": {**ALL_BLOCKED, "BlockPublicPolicy": False}},
                PUBLIC,
            ),
            "private": (
                {
                    "PublicAccessBlockConfiguration": dict(ALL_BLOCKED),
                    "VpcConfiguration": {"VpcId": "vpc-1"},
                },
                _error("NoSuchAccessPointPolicy", "GetAccessPointPolicy"),
            ),
            "shared": ({"PublicAccessBlockConfiguration": dict(ALL_BLOCKED)}, ORGANIZATION_ONLY),
        },
        page=2,
    )
    judged = AccessPoints("us-east-1", client, ACCOUNT, POLICY, {}, _tally()).run(workers=2)
    assert judged.errors == []
    assert sorted(r.arn for r in judged.resources) == [
        client._arn(name) for name in ("open", "private", "shared")
    ]
    assert {(f.resource_arn, f.control, f.path) for f in judged.findings} == {
        (client._arn("open"), POINT_BPA, "PublicAccessBlockConfiguration"),
        (client._arn("open"), POLICY_CONTROL, "Policy:Statement[0].Principal"),
    }
    assert {(f.resource_type, f.region) for f in judged.findings} == {
        ("s3-access-point", "us-east-1")
    }
    listings = [asked for operation, asked in client.calls if operation == "ListAccessPoints"]
    assert len(listings) == 2, "every page"
    assert all(asked["AccountId"] == ACCOUNT for asked in listings)


def test_an_unreadable_access_point_is_an_error_and_the_others_are_judged() -> None:
    client = _S3Control(
        points={
            "denied": (
                {"PublicAccessBlockConfiguration": dict(ALL_BLOCKED)},
                _error("AccessDenied", "GetAccessPointPolicy"),
            ),
            "open": ({"PublicAccessBlockConfiguration": dict(ALL_BLOCKED)}, PUBLIC),
        }
    )
    judged = AccessPoints("us-east-1", client, ACCOUNT, POLICY, {}, _tally()).run(workers=1)
    (error,) = judged.errors
    assert (error.resource, error.operation, error.code, error.resource_type) == (
        client._arn("denied"),
        "GetAccessPointPolicy",
        "AccessDenied",
        "s3-access-point",
    )
    assert [f.resource_arn for f in judged.findings] == [client._arn("open")]


def test_an_access_point_listing_that_fails_is_an_error_for_the_region() -> None:
    class Denied(_S3Control):
        def list_access_points(self, **asked: Any) -> dict[str, Any]:
            raise _error("AccessDenied", "ListAccessPoints")

    judged = AccessPoints("eu-west-1", Denied(), ACCOUNT, POLICY, {}, _tally()).run(workers=1)
    (error,) = judged.errors
    assert (error.region, error.operation, error.resource) == (
        "eu-west-1",
        "ListAccessPoints",
        None,
    )


def test_the_account_types_are_audited_by_default_and_need_the_accounts_id() -> None:
    from safeai import _detective

    assert {"s3-account", "s3-access-point"} <= set(_detective.AUDITED_TYPES)
    listings, others = _detective._chosen_types(None)
    assert listings == _detective.RESOURCE_TYPES
    assert others == {"s3-account", "s3-access-point", "iam-user"}
    assert _detective._chosen_types(["s3-account"]) == ((), frozenset({"s3-account"}))
    scope = _detective._Scope(
        policy=POLICY,
        kinds=(),
        users=False,
        s3_account=True,
        access_points=True,
        buckets=False,
        regions=("us-east-1", "eu-west-1"),
        workers=1,
        tally=_tally(),
        waived=False,
        waivers={},
    )
    assert scope.type_names == ["s3-access-point", "s3-account"]
    # GetCallerIdentity failed (an error of its own): each type is an error, never clean.
    parts = [read() for read in _detective._account_settings(scope, None, [])]
    errors = [error for part in parts for error in part.errors]
    assert sorted((e.region, e.resource_type) for e in errors) == [
        ("eu-west-1", "s3-access-point"),
        ("global", "s3-account"),
        ("us-east-1", "s3-access-point"),
    ]
    assert all(part.findings == [] and part.resources == [] for part in parts)
