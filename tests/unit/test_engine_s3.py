"""The S3 requirement kinds of the pure engine, and the sandbox's bucket-policy evaluation."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

import safeai
from safeai._engine import evaluate
from safeai.s3 import baseline_policy_statements
from safeai.testing._bucket_policies import decide

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-east-1:999999999999:key/ffffffff-12ab-34cd-56ef-1234567890ab"
POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/ml", kms_key_id=KEY, region="us-east-1"
)
BUCKET = "arn:aws:s3:::data"


def _refused(operation: str, request: dict[str, Any], policy: safeai.Policy = POLICY) -> Any:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(operation, request, policy)
    return refused.value


# -- object writes ---------------------------------------------------------------------------


def test_a_key_id_of_the_policys_key_is_compliant_and_nothing_is_added_but_the_bucket_key() -> None:
    secured, decisions = safeai.enforce(
        "PutObject",
        {"Bucket": "b", "Key": "k", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY_ID},
        POLICY,
    )
    assert secured["SSEKMSKeyId"] == KEY_ID
    assert secured["BucketKeyEnabled"] is True
    assert [d.value for d in decisions] == [{"BucketKeyEnabled": True}]


def test_aws_kms_without_a_key_gets_the_policys_key_not_the_aws_managed_one() -> None:
    secured, _ = safeai.enforce("CopyObject", {"ServerSideEncryption": "aws:kms"}, POLICY)
    assert secured["SSEKMSKeyId"] == KEY


def test_dsse_takes_no_bucket_key_and_an_explicit_false_is_the_callers_choice() -> None:
    dsse, _ = safeai.enforce("PutObject", {"ServerSideEncryption": "aws:kms:dsse"}, POLICY)
    assert "BucketKeyEnabled" not in dsse
    off, _ = safeai.enforce("PutObject", {"BucketKeyEnabled": False}, POLICY)
    assert off["BucketKeyEnabled"] is False
    assert off["ServerSideEncryption"] == "aws:kms"


def test_a_policy_without_a_key_refuses_object_writes() -> None:
    refused = _refused("PutObject", {"Bucket": "b"}, safeai.Policy(region="us-east-1"))
    assert refused.path == "SSEKMSKeyId"
    assert "Policy.kms_key_id" in str(refused.expected)


def test_an_sse_c_key_never_appears_in_the_refusal() -> None:
    refused = _refused("CreateMultipartUpload", {"SSECustomerKey": "secret-customer-key"})
    assert "secret-customer-key" not in str(refused)
    assert refused.path == "SSECustomerKey"


# -- bucket encryption -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ([], "ServerSideEncryptionConfiguration.Rules"),
        (
            [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}],
            "ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault"
            ".SSEAlgorithm",
        ),
        (
            [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": OTHER_KEY,
                    }
                }
            ],
            "ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault"
            ".KMSMasterKeyID",
        ),
    ],
)
def test_weaker_default_encryption_is_refused(rules: list[Any], path: str) -> None:
    refused = _refused(
        "PutBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rules": rules}}
    )
    assert (refused.control, refused.path) == ("s3.default_encryption", path)


def test_an_existing_bucket_without_a_default_is_a_finding() -> None:
    (finding,) = evaluate(
        "PutBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rules": [{}]}}, POLICY
    )
    assert finding.path.endswith("ApplyServerSideEncryptionByDefault")


def test_report_mode_records_the_default_and_changes_nothing() -> None:
    request: dict[str, Any] = {"ServerSideEncryptionConfiguration": {"Rules": [{}]}}
    secured, decisions = safeai.enforce(
        "PutBucketEncryption", request, dataclasses.replace(POLICY, mode="report")
    )
    assert secured == request
    assert {d.outcome for d in decisions} == {"would_inject"}


# -- ACLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_public_canned_acls_are_refused(acl: str) -> None:
    assert _refused("CreateBucket", {"Bucket": "b", "ACL": acl}).control == "s3.acl"


@pytest.mark.parametrize("acl", ["private", "bucket-owner-full-control", "log-delivery-write"])
def test_private_canned_acls_pass(acl: str) -> None:
    _, decisions = safeai.enforce("PutBucketAcl", {"Bucket": "b", "ACL": acl}, POLICY)
    assert [d.outcome for d in decisions] == ["compliant"]


def test_a_grant_to_a_named_account_passes_and_one_to_everyone_is_refused() -> None:
    safeai.enforce("PutObjectAcl", {"GrantRead": 'id="0123abcd"'}, POLICY)
    refused = _refused(
        "PutObjectAcl",
        {
            "GrantFullControl": 'id="0123abcd", uri="http://acs.amazonaws.com/groups/global/AllUsers"'
        },
    )
    assert refused.path == "GrantFullControl"


# -- bucket policies -------------------------------------------------------------------------


def _policy(*statements: dict[str, Any]) -> str:
    tls = baseline_policy_statements("data", (KEY,))[0]
    return json.dumps({"Version": "2012-10-17", "Statement": [tls, *statements]})


def _tls_deny(**changes: Any) -> dict[str, Any]:
    deny = dict(baseline_policy_statements("data", (KEY,))[0])
    deny.update(changes)
    return deny


def _allow(principal: object, condition: dict[str, Any] | None = None, **extra: Any) -> Any:
    statement: dict[str, Any] = {
        "Sid": "S",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/*",
        **extra,
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize(
    "statement",
    [
        _allow("*"),
        _allow({"AWS": "*"}),
        _allow({"AWS": ["arn:aws:iam::111122223333:root", "*"]}),
        _allow("*", {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}),
        _allow("*", {"StringLike": {"aws:PrincipalOrgID": "*"}}),
        _allow("*", {"Bool": {"aws:SecureTransport": "true"}}),
        {
            "Sid": "S",
            "Effect": "Allow",
            "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET}/*",
        },
    ],
)
def test_a_public_allow_without_a_restricting_condition_is_refused(statement: Any) -> None:
    refused = _refused("PutBucketPolicy", {"Bucket": "data", "Policy": _policy(statement)})
    assert refused.path == "Policy:Statement[S].Principal"


@pytest.mark.parametrize(
    "statement",
    [
        _allow({"AWS": "arn:aws:iam::111122223333:role/reader"}),
        _allow("*", {"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
        _allow("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
    ],
)
def test_a_named_or_restricted_principal_passes(statement: Any) -> None:
    safeai.enforce("PutBucketPolicy", {"Bucket": "data", "Policy": _policy(statement)}, POLICY)


@pytest.mark.parametrize(
    "policy",
    [
        json.dumps({"Statement": [_allow({"AWS": "arn:aws:iam::111122223333:root"})]}),
        json.dumps(
            {
                "Statement": {
                    **baseline_policy_statements("data", (KEY,))[0],
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                }
            }
        ),
        "{not json",
        '{"Statement": [], "Statement": []}',
        json.dumps({"Statement": [_tls_deny(Action=[{}])]}),
        json.dumps({"Statement": [_tls_deny(Resource=[["arn:aws:s3:::data"]])]}),
    ],
    ids=[
        "no-tls-deny",
        "deny-on-the-wrong-value",
        "invalid-json",
        "duplicate-keys",
        "actions-not-strings",
        "resources-not-strings",
    ],
)
def test_a_policy_without_a_valid_tls_deny_is_refused(policy: str) -> None:
    refused = _refused("PutBucketPolicy", {"Bucket": "data", "Policy": policy})
    assert refused.control == "s3.bucket_policy"


def test_a_single_statement_object_with_a_boolean_false_is_a_tls_deny() -> None:
    deny = {**baseline_policy_statements("data", (KEY,))[0]}
    deny["Condition"] = {"Bool": {"aws:SecureTransport": False}}
    safeai.enforce(
        "PutBucketPolicy", {"Bucket": "data", "Policy": json.dumps({"Statement": deny})}, POLICY
    )


@pytest.mark.parametrize(
    "weakened",
    [
        _tls_deny(
            Condition={
                "Bool": {"aws:SecureTransport": "false"},
                "StringEquals": {"aws:SourceVpce": "vpce-1"},
            }
        ),
        _tls_deny(
            Condition={"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}}
        ),
        _tls_deny(Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"]),
        _tls_deny(Resource="arn:aws:s3:::data/*"),
        {**_tls_deny(), "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}},
        _tls_deny(Principal={"AWS": "arn:aws:iam::111122223333:root"}),
        _tls_deny(Action="s3:GetObject"),
    ],
    ids=[
        "narrowed",
        "extra-bool-key",
        "other-bucket",
        "objects-only",
        "not-principal",
        "one-account",
        "one-action",
    ],
)
def test_a_weakened_tls_deny_does_not_count(weakened: dict[str, Any]) -> None:
    policy = json.dumps({"Statement": [weakened]})
    refused = _refused("PutBucketPolicy", {"Bucket": "data", "Policy": policy})
    assert refused.found == "<no TLS-only deny>"


@pytest.mark.parametrize(
    "condition",
    [
        {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}},
        {"Null": {"aws:SourceVpce": "true"}},
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/0"}},  # the same network, spelt loosely
        {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}},  # everyone, in halves
        {"IpAddress": {"aws:SourceIp": "0::/0"}},
        {"IpAddress": {"aws:SourceIp": "2000::/3"}},  # every global unicast IPv6 address
        {"IpAddress": {"aws:SourceIp": "not-an-address"}},
        {"IpAddress": {"aws:SourceIp": [f"{n}.0.0.0/8" for n in range(256)]}},  # /8 by /8
        {"IpAddress": {"aws:SourceIp": "::ffff:0:0/96"}},  # every IPv4 address, mapped
        {"StringLike": {"aws:PrincipalArn": "arn:*"}},
        {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgID": "o-1"}},
    ],
)
def test_a_condition_that_confines_nothing_leaves_the_statement_public(
    condition: dict[str, Any],
) -> None:
    policy = _policy(_allow("*", condition))
    assert _refused("PutBucketPolicy", {"Bucket": "data", "Policy": policy}).path.endswith(
        "Principal"
    )


# -- the sandbox's evaluation ----------------------------------------------------------------


BASELINE = {"Statement": baseline_policy_statements("data", (KEY,))}


@pytest.mark.parametrize(
    ("action", "context", "verdict"),
    [
        ("s3:GetObject", {"aws:securetransport": "false"}, "deny"),
        ("s3:GetObject", {"aws:securetransport": "true"}, "neutral"),
        # No encryption header: the bucket default applies (Null false keeps the negated
        # operators, true for an absent key, from denying it).
        ("s3:PutObject", {"aws:securetransport": "true"}, "neutral"),
        (
            "s3:PutObject",
            {"aws:securetransport": "true", "s3:x-amz-server-side-encryption": "AES256"},
            "deny",
        ),
        (
            "s3:PostObject",  # moto's name for CreateMultipartUpload: IAM's s3:PutObject
            {
                "aws:securetransport": "true",
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": OTHER_KEY,
            },
            "deny",
        ),
        (
            "s3:PutObject",
            {"aws:securetransport": "true", "s3:x-amz-server-side-encryption": "aws:kms"},
            "deny",  # aws:kms with no key id would use the AWS managed key
        ),
        (
            "s3:PutObject",
            {
                "aws:securetransport": "true",
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY,
            },
            "neutral",
        ),
    ],
)
def test_the_sandbox_evaluates_the_baseline_with_the_requests_context(
    action: str, context: dict[str, str], verdict: str
) -> None:
    assert decide(BASELINE, action, f"{BUCKET}/k", context) == verdict


def test_the_sandbox_makes_a_negated_operator_true_for_an_absent_key_as_iam_does() -> None:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
    }
    verdict = decide({"Statement": [deny]}, "s3:PutObject", f"{BUCKET}/k", {})
    assert verdict == "deny"


def test_the_sandbox_never_lets_an_unknown_operator_widen_an_allow() -> None:
    policy = {"Statement": [_allow("*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})]}
    assert decide(policy, "s3:GetObject", f"{BUCKET}/k", {"aws:sourceip": "10.1.1.1"}) == "neutral"
