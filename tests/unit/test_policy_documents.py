"""The one policy-document analyser, and every layer that judges a policy through it.

``VERDICTS`` is a table of statements with whether they open a resource to the public; each row
runs through every consumer (a bucket policy and a resource policy through the engine, a KMS key
policy through preflight's rule), so the three cannot disagree again.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import safeai
from safeai import _engine
from safeai.kinds import policy_documents as documents
from safeai.preflight.kms import key_policy_findings
from safeai.s3 import baseline_policy_statements

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/ml", kms_key_id=KEY, region="us-east-1"
)
ORG = "o-a1b2c3d4e5"


def _allow(principal: object = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "S",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


#: (statement, whether it opens the resource to the public).
VERDICTS = [
    pytest.param(_allow({"AWS": "arn:aws:iam::111122223333:root"}), False, id="named-account"),
    pytest.param({**_allow(), "Effect": "Deny"}, False, id="deny"),
    pytest.param(_allow(), True, id="star"),
    pytest.param(_allow({"AWS": "*"}), True, id="aws-star"),
    pytest.param(_allow({"AWS": ["arn:aws:iam::111122223333:root", "*"]}), True, id="star-listed"),
    pytest.param(
        {k: v for k, v in _allow().items() if k != "Principal"}
        | {"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}},
        True,
        id="not-principal",
    ),
    # Known wrong answer 1: kms.key passed this, the bucket policy refused it.
    pytest.param(
        _allow("*", {"StringLike": {"aws:PrincipalArn": "*"}}), True, id="principal-arn-wildcard"
    ),
    pytest.param(
        _allow("*", {"StringLike": {"aws:PrincipalArn": "arn:*"}}), True, id="principal-arn-open"
    ),
    pytest.param(
        _allow("*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}),
        False,
        id="principal-arn-one-account",
    ),
    # StringLike's '*' also matches ':': a region wildcard would let another account's role
    # whose path holds ':111122223333:' match; ArnLike matches segment by segment.
    pytest.param(
        _allow("*", {"StringLike": {"aws:PrincipalArn": "arn:aws:iam:*:111122223333:*"}}),
        True,
        id="principal-arn-string-like-region-wildcard",
    ),
    pytest.param(
        _allow("*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam:*:111122223333:*"}}),
        False,
        id="principal-arn-arn-like-region-wildcard",
    ),
    pytest.param(
        _allow("*", {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}),
        False,
        id="principal-arn-string-like-fixed-account",
    ),
    # Known wrong answer 2: the organisation's own VPC endpoints were refused on a bucket.
    pytest.param(_allow("*", {"StringEquals": {"aws:VpceOrgID": ORG}}), False, id="vpce-org"),
    pytest.param(
        _allow("*", {"StringEquals": {"aws:VpceAccount": "111122223333"}}),
        False,
        id="vpce-account",
    ),
    pytest.param(
        _allow("*", {"ForAnyValue:StringLike": {"aws:VpceOrgPaths": [f"{ORG}/r-ab12/ou-1/*"]}}),
        False,
        id="vpce-org-paths",
    ),
    pytest.param(
        _allow("*", {"ForAnyValue:StringLike": {"aws:VpceOrgPaths": ["o-*"]}}),
        True,
        id="vpce-org-paths-any-org",
    ),
    pytest.param(_allow("*", {"StringLike": {"aws:VpceOrgID": "*"}}), True, id="vpce-org-any"),
    pytest.param(
        _allow("*", {"StringEqualsIfExists": {"aws:VpceOrgID": ORG}}), True, id="if-exists"
    ),
    pytest.param(
        _allow("*", {"StringNotEquals": {"aws:VpceOrgID": ORG}}), True, id="negated-operator"
    ),
    pytest.param(
        _allow("*", {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ORG}}),
        True,
        id="for-all-values",
    ),
    pytest.param(
        _allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}}), False, id="principal-org"
    ),
    pytest.param(
        _allow("*", {"StringEquals": {"kms:CallerAccount": "111122223333"}}),
        False,
        id="caller-account",
    ),
    pytest.param(_allow("*", {"Bool": {"aws:SecureTransport": "true"}}), True, id="tls-only"),
    pytest.param(_allow("*", {"StringEquals": {"aws:SourceVpce": "vpce-1"}}), False, id="vpce"),
    pytest.param(
        _allow("*", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), False, id="narrow-ip"
    ),
    pytest.param(_allow("*", {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}), True, id="wide-ip"),
]


@pytest.mark.parametrize(("statement", "public"), VERDICTS)
def test_the_analyser(statement: dict[str, Any], public: bool) -> None:
    assert documents.grants_public(statement) is public


@pytest.mark.parametrize(("statement", "public"), VERDICTS)
def test_a_bucket_policy_through_the_engine(statement: dict[str, Any], public: bool) -> None:
    tls = baseline_policy_statements("data", (KEY,))[0]
    request = {"Bucket": "data", "Policy": json.dumps({"Statement": [tls, statement]})}
    assert _refused("PutBucketPolicy", request) is public


@pytest.mark.parametrize("operation", ["PutEndpointPolicy", "PutModelPackageGroupPolicy"])
@pytest.mark.parametrize(("statement", "public"), VERDICTS)
def test_a_resource_policy_through_the_engine(
    operation: str, statement: dict[str, Any], public: bool
) -> None:
    name = "ResourceArn" if operation == "PutEndpointPolicy" else "ModelPackageGroupName"
    request = {name: "shared", "ResourcePolicy": json.dumps({"Statement": [statement]})}
    assert _refused(operation, request) is public


@pytest.mark.parametrize(("statement", "public"), VERDICTS)
def test_a_key_policy_through_preflight(statement: dict[str, Any], public: bool) -> None:
    key_statement = {**statement, "Action": "kms:Decrypt"}
    assert bool(key_policy_findings({"Statement": [key_statement]})) is public


def _refused(operation: str, request: dict[str, Any]) -> bool:
    """Whether the engine refuses the request for a public principal (and for nothing else)."""
    found = _engine.evaluate(operation, request, POLICY)
    assert all(violation.path.endswith("Principal") for violation in found), found
    return bool(found)


def test_a_key_policy_finding_says_when_its_condition_confines_nothing() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "kms:Decrypt",
        "Condition": {"StringLike": {"aws:PrincipalArn": "*"}},
    }
    assert key_policy_findings({"Statement": statement}) == [
        "key policy statement 1 grants ['kms:Decrypt'] to '*' under a condition that confines "
        "nothing"
    ]


# -- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        '{"Statement": [], "Statement": []}',
        json.dumps({"Statement": "text"}),
        json.dumps({"Statement": [1]}),
        json.dumps(["not", "a", "document"]),
        None,
    ],
    ids=["invalid", "duplicate-keys", "text", "not-objects", "a-list", "not-text"],
)
def test_what_is_not_a_policy_document_reads_as_none(raw: object) -> None:
    assert documents.parse_statements(raw) is None


def test_one_statement_object_reads_as_a_list() -> None:
    assert documents.parse_statements(json.dumps({"Statement": {"Effect": "Deny"}})) == [
        {"Effect": "Deny"}
    ]
    assert documents.statements({"Statement": {"Effect": "Deny"}}) == [{"Effect": "Deny"}]


def test_clauses_split_the_operator() -> None:
    (clause,) = documents.clauses(
        {"ForAnyValue:StringLikeIfExists": {"AWS:PrincipalOrgPaths": "o-1/*"}}
    )
    assert clause == documents.Clause(
        qualifier="ForAnyValue",
        operator="StringLike",
        if_exists=True,
        key="AWS:PrincipalOrgPaths",
        name="aws:principalorgpaths",
        values=("o-1/*",),
    )
    assert documents.clauses({"Bool": "not a block"}) == []
    assert documents.clauses({"Bool": {"aws:SecureTransport": False}})[0].values == ("false",)


@pytest.mark.parametrize(
    ("value", "account"),
    [
        ("arn:aws:iam::111122223333:role/*", "111122223333"),
        ("arn:aws:sagemaker:*:111122223333:*", "111122223333"),
        ("arn:aws:iam::*:role/x", None),
        ("arn:aws:s*:us-east-1:111122223333:x", None),
        ("arn:*", None),
        ("111122223333", None),
    ],
)
def test_arn_account(value: str, account: str | None) -> None:
    assert documents.arn_account(value) == account


# -- role trust: the confused-deputy condition is judged by the same rules ---------------------

ACCOUNT = "111122223333"
SAGEMAKER = {"Service": "sagemaker.amazonaws.com"}


@pytest.mark.parametrize(
    ("condition", "pinned"),
    [
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, True),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{ACCOUNT}:*"}}, True),
        ({"ForAnyValue:StringEquals": {"aws:SourceAccount": ACCOUNT}}, True),
        # The first two used to pass (the key and the account were there); none confines.
        ({"StringNotEquals": {"aws:SourceAccount": ACCOUNT}}, False),
        ({"ForAllValues:StringEquals": {"aws:SourceAccount": ACCOUNT}}, False),
        ({"StringLike": {"aws:SourceAccount": "1111*"}}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:*:*"}}, False),
        ({"StringLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{ACCOUNT}:*"}}, False),
    ],
    ids=[
        "account",
        "arn-in-account",
        "for-any-value",
        "negated",
        "for-all-values",
        "account-wildcard",
        "arn-any-account",
        "string-like-region-wildcard",
    ],
)
def test_a_trust_condition_pins_the_account_only_when_it_confines(
    condition: dict[str, Any], pinned: bool
) -> None:
    from safeai.preflight.iam import trust_findings

    statement = {
        "Effect": "Allow",
        "Principal": SAGEMAKER,
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    assert (trust_findings({"Statement": [statement]}, ACCOUNT) == []) is pinned


@pytest.mark.parametrize(
    ("condition", "context", "verdict"),
    [
        ({"StringEquals": {"aws:VpceOrgID": ORG}}, {"aws:vpceorgid": ORG}, "allow"),
        ({"StringEquals": {"aws:VpceOrgID": ORG}}, {}, "neutral"),
        ({"StringEqualsIfExists": {"aws:VpceOrgID": ORG}}, {}, "allow"),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:securetransport": "false"}, "allow"),
    ],
)
def test_the_sandbox_reads_conditions_through_the_analyser(
    condition: dict[str, Any], context: dict[str, str], verdict: str
) -> None:
    from safeai.testing._bucket_policies import decide

    policy = {"Statement": {**_allow("*", condition), "Resource": "arn:aws:s3:::data/*"}}
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::data/k", context) == verdict
