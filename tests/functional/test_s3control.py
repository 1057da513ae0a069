"""The account's S3 settings and access points through the guard and the audit: real boto3
``s3control`` clients over HTTPS against the moto sandbox, asserting on what reached moto."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

import safeai
from safeai._detective import audit
from safeai.controls.s3 import PUBLIC_ACCESS_SETTINGS
from safeai.controls.s3control import ALL_BLOCKED
from safeai.testing import RequestRecorder, _moto_s3control
from safeai.testing._sandbox import ACCOUNT

from ..conftest import audit_cli, policy_file

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from safeai.testing import Sandbox

REGION = "us-east-1"
BUCKET = "safeai-sandbox-ml-data"  # the baseline's
ACCOUNT_BPA = "s3control.account_public_access"
POLICY_CONTROL = "s3control.access_point_policy"
POINT_BPA = "s3control.access_point_public_access"
ONLY: dict[str, Any] = {"regions": [REGION], "buckets": False}


def _document(principal: object, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/shared/object/*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


PUBLIC = _document("*")
ORGANIZATION_ONLY = _document("*", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Any]:
    """An unguarded s3control client on the sandbox. The account's Block Public Access and its
    access points are put back as they were after the test (the sandbox lives for the session)."""
    # Idempotent; the sandbox installs it too once safeai.testing._sandbox calls it.
    _moto_s3control.install()
    client: Any = boto3.Session(region_name=REGION).client("s3control")
    before = _account_setting(client)
    points = {p["Name"] for p in client.list_access_points(AccountId=ACCOUNT)["AccessPointList"]}
    yield client
    for point in client.list_access_points(AccountId=ACCOUNT)["AccessPointList"]:
        if point["Name"] not in points:
            client.delete_access_point(AccountId=ACCOUNT, Name=point["Name"])
    if before is None:
        client.delete_public_access_block(AccountId=ACCOUNT)
    else:
        client.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=before)


@pytest.fixture
def s3control_sent() -> Iterator[RequestRecorder]:
    with RequestRecorder(services=frozenset({"s3control"})) as recorder:
        yield recorder


def _account_setting(client: Any) -> dict[str, bool] | None:
    try:
        return dict(
            client.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
            raise
        return None


def _guarded_client(policy: safeai.Policy) -> Any:
    return boto3.Session(region_name=REGION).client("s3control")


# -- the guard ------------------------------------------------------------------------------------


def test_deleting_the_accounts_block_public_access_is_refused_with_nothing_sent(
    raw: Any, policy: safeai.Policy, s3control_sent: RequestRecorder
) -> None:
    raw.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_BLOCKED)
    client = _guarded_client(policy)
    with (
        safeai.guarded(policy, client=client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        client.delete_public_access_block(AccountId=ACCOUNT)
    assert refused.value.control == ACCOUNT_BPA
    assert s3control_sent.sent("DeletePublicAccessBlock") == []
    assert _account_setting(raw) == ALL_BLOCKED


def test_a_waived_delete_is_sent(
    raw: Any, policy: safeai.Policy, s3control_sent: RequestRecorder
) -> None:
    raw.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_BLOCKED)
    client = _guarded_client(policy)
    with (
        safeai.guarded(policy, client=client),
        safeai.waive(ACCOUNT_BPA, reason="moving the account to an SCP, ticket SEC-31"),
    ):
        client.delete_public_access_block(AccountId=ACCOUNT)
    assert len(s3control_sent.sent("DeletePublicAccessBlock")) == 1
    assert _account_setting(raw) is None


@pytest.mark.parametrize("setting", PUBLIC_ACCESS_SETTINGS)
def test_an_account_setting_turned_off_is_refused_with_nothing_sent(
    raw: Any, policy: safeai.Policy, s3control_sent: RequestRecorder, setting: str
) -> None:
    client = _guarded_client(policy)
    with (
        safeai.guarded(policy, client=client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        client.put_public_access_block(
            AccountId=ACCOUNT, PublicAccessBlockConfiguration={**ALL_BLOCKED, setting: False}
        )
    assert (refused.value.control, refused.value.path) == (
        ACCOUNT_BPA,
        f"PublicAccessBlockConfiguration.{setting}",
    )
    assert s3control_sent.sent("PutPublicAccessBlock") == []


def test_a_partial_account_setting_is_sent_with_every_setting_on(
    raw: Any, policy: safeai.Policy, s3control_sent: RequestRecorder
) -> None:
    client = _guarded_client(policy)
    with safeai.guarded(policy, client=client):
        client.put_public_access_block(
            AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
        )
    body = s3control_sent.last("PutPublicAccessBlock").body
    for setting in PUBLIC_ACCESS_SETTINGS:
        assert f"<{setting}>true</{setting}>".encode() in body
    assert _account_setting(raw) == ALL_BLOCKED


def test_a_public_access_point_policy_is_refused_and_a_confined_one_sent(
    raw: Any, policy: safeai.Policy, s3control_sent: RequestRecorder
) -> None:
    raw.create_access_point(AccountId=ACCOUNT, Name="shared", Bucket=BUCKET)
    client = _guarded_client(policy)
    with safeai.guarded(policy, client=client):
        with pytest.raises(safeai.SecurityViolation) as refused:
            client.put_access_point_policy(AccountId=ACCOUNT, Name="shared", Policy=PUBLIC)
        assert s3control_sent.sent("PutAccessPointPolicy") == []
        client.put_access_point_policy(AccountId=ACCOUNT, Name="shared", Policy=ORGANIZATION_ONLY)
    assert (refused.value.control, refused.value.path) == (
        POLICY_CONTROL,
        "Policy:Statement[0].Principal",
    )
    assert len(s3control_sent.sent("PutAccessPointPolicy")) == 1
    stored = raw.get_access_point_policy(AccountId=ACCOUNT, Name="shared")["Policy"]
    assert json.loads(stored) == json.loads(ORGANIZATION_ONLY)


def test_an_access_point_with_a_setting_off_is_refused_and_one_without_settings_sent(
    raw: Any, policy: safeai.Policy, s3control_sent: RequestRecorder
) -> None:
    client = _guarded_client(policy)
    with safeai.guarded(policy, client=client):
        with pytest.raises(safeai.SecurityViolation) as refused:
            client.create_access_point(
                AccountId=ACCOUNT,
                Name="open",
                Bucket=BUCKET,
                PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False},
            )
        assert s3control_sent.sent("CreateAccessPoint") == []
        client.create_access_point(
            AccountId=ACCOUNT, Name="private", Bucket=BUCKET, VpcConfiguration={"VpcId": "vpc-1"}
        )
    assert refused.value.control == POINT_BPA
    (sent,) = s3control_sent.sent("CreateAccessPoint")
    assert b"PublicAccessBlockConfiguration" not in sent.body, "AWS's default: all four on"
    assert b"<VpcId>vpc-1</VpcId>" in sent.body, "the network origin as the request gave it"
    created = raw.get_access_point(AccountId=ACCOUNT, Name="private")
    assert created["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    assert created["NetworkOrigin"] == "VPC"


def test_a_process_wide_guard_reaches_new_s3control_clients(
    raw: Any, policy: safeai.Policy, s3control_sent: RequestRecorder
) -> None:
    with safeai.guarded(policy):
        client: Any = boto3.Session(region_name=REGION).client("s3control")
        with pytest.raises(safeai.SecurityViolation):
            client.delete_public_access_block(AccountId=ACCOUNT)
    assert s3control_sent.sent("DeletePublicAccessBlock") == []


# -- the audit ------------------------------------------------------------------------------------


def test_an_account_with_block_public_access_off_is_a_finding(raw: Any, sandbox: Sandbox) -> None:
    raw.put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={**ALL_BLOCKED, "RestrictPublicBuckets": False},
    )
    report = audit(sandbox.boto_session(), sandbox.policy, resource_types=["s3-account"], **ONLY)
    assert report.errors == ()
    (finding,) = report.findings
    assert (finding.control, finding.resource_type, finding.region) == (
        ACCOUNT_BPA,
        "s3-account",
        "global",
    )
    assert (finding.path, finding.found) == (
        "PublicAccessBlockConfiguration.RestrictPublicBuckets",
        False,
    )
    assert finding.resource_arn == f"AWS::::Account:{ACCOUNT}"
    assert report.resource_counts == {"s3-account": 1}
    assert report.exit_code == 1


def test_an_account_without_block_public_access_is_a_finding_and_with_it_clean(
    raw: Any, sandbox: Sandbox
) -> None:
    if _account_setting(raw) is not None:
        raw.delete_public_access_block(AccountId=ACCOUNT)
    report = audit(sandbox.boto_session(), sandbox.policy, resource_types=["s3-account"], **ONLY)
    assert {f.path for f in report.findings} == {
        f"PublicAccessBlockConfiguration.{setting}" for setting in PUBLIC_ACCESS_SETTINGS
    }
    raw.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_BLOCKED)
    clean = audit(sandbox.boto_session(), sandbox.policy, resource_types=["s3-account"], **ONLY)
    assert (clean.findings, clean.errors, clean.exit_code) == ((), (), 0)
    assert clean.resource_counts == {"s3-account": 1}


def test_an_access_point_with_a_public_policy_is_a_finding(raw: Any, sandbox: Sandbox) -> None:
    raw.create_access_point(AccountId=ACCOUNT, Name="public-share", Bucket=BUCKET)
    raw.put_access_point_policy(AccountId=ACCOUNT, Name="public-share", Policy=PUBLIC)
    raw.create_access_point(AccountId=ACCOUNT, Name="org-share", Bucket=BUCKET)
    raw.put_access_point_policy(AccountId=ACCOUNT, Name="org-share", Policy=ORGANIZATION_ONLY)
    raw.create_access_point(
        AccountId=ACCOUNT,
        Name="acl-open",
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={**ALL_BLOCKED, "IgnorePublicAcls": False},
    )
    raw.create_access_point(AccountId=ACCOUNT, Name="no-policy", Bucket=BUCKET)
    with RequestRecorder(services=frozenset({"s3control"})) as recorder:
        report = audit(
            sandbox.boto_session(), sandbox.policy, resource_types=["s3-access-point"], **ONLY
        )
    assert report.errors == ()
    arn = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/"
    assert {(f.resource_arn, f.control, f.path) for f in report.findings} == {
        (f"{arn}public-share", POLICY_CONTROL, "Policy:Statement[0].Principal"),
        (f"{arn}acl-open", POINT_BPA, "PublicAccessBlockConfiguration"),
    }
    assert {f.resource_type for f in report.findings} == {"s3-access-point"}
    assert {r.arn for r in report.resources} >= {
        f"{arn}{name}" for name in ("public-share", "org-share", "acl-open", "no-policy")
    }
    operations = {request.operation for request in recorder.requests}
    assert operations == {"ListAccessPoints", "GetAccessPoint", "GetAccessPointPolicy"}


def test_safeai_audit_type_s3_account(raw: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    if _account_setting(raw) is not None:
        raw.delete_public_access_block(AccountId=ACCOUNT)
    config = policy_file(sandbox.policy, tmp_path)
    status, out = audit_cli(
        "--config", config, "--region", REGION, "--type", "s3-account", "--format", "json"
    )
    report = json.loads(out)
    assert status == 1
    # The buckets resources name come with every type (here: none).
    assert report["resource_types"]["s3-account"] == {"evaluated": 1, "with_findings": 1}
    assert report["resource_types"]["s3-bucket"]["evaluated"] == 0
    assert {f["control"] for f in report["findings"]} == {ACCOUNT_BPA}
    raw.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_BLOCKED)
    status, out = audit_cli(
        "--config", config, "--region", REGION, "--type", "s3-account", "--format", "json"
    )
    assert status == 0, out
