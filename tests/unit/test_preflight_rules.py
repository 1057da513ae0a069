"""The preflight rules as pure functions of AWS answers, and the cache they share: no AWS."""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import quote

import pytest

from safeai.preflight import _cache
from safeai.preflight.data import ADMIN_GRADE_MANAGED_POLICIES, STAR_RESOURCE_ACTIONS
from safeai.preflight.iam import (
    admin_grade,
    permission_findings,
    policy_document,
    trust_findings,
)
from safeai.preflight.kms import key_findings, key_policy_findings
from safeai.preflight.network import (
    Network,
    _Vpc,
    gateway_status,
    interface_status,
    internet_routes,
    open_ingress,
    plan_endpoints,
    route_table_for,
    subnet_findings,
)

ACCOUNT = "123456789012"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: object, resource: object = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# -- data --------------------------------------------------------------------------------------


def test_admin_grade_names_are_real_aws_managed_policies() -> None:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    known = {
        f"{entry['Path'].strip('/')}/{name}".lstrip("/")
        for name, entry in json.loads(aws_managed_policies_data).items()
    }
    assert not ADMIN_GRADE_MANAGED_POLICIES - known, ADMIN_GRADE_MANAGED_POLICIES - known


def test_star_resource_actions_are_real_operations() -> None:
    import botocore.session

    session = botocore.session.get_session()
    prefixes = {"cloudwatch": "cloudwatch", "logs": "logs", "ecr": "ecr", "ec2": "ec2"}
    for action in STAR_RESOURCE_ACTIONS:
        prefix, name = action.split(":")
        model = session.get_service_model(prefixes[prefix])
        assert name in model.operation_names, action


# -- role: trust -------------------------------------------------------------------------------

SAGEMAKER = {"Service": "sagemaker.amazonaws.com"}
PINNED = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


@pytest.mark.parametrize(
    "statement",
    [
        {
            "Effect": "Allow",
            "Principal": SAGEMAKER,
            "Action": "sts:AssumeRole",
            "Condition": PINNED,
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": ["sagemaker.amazonaws.com"]},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:*"}},
        },
        {
            "Effect": "Allow",
            "Principal": SAGEMAKER,
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"AWS:SourceAccount": [ACCOUNT]}},
        },
        # Deny statements restrict: they are never findings.
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
    ],
    ids=["source-account", "source-arn", "key-case-and-list", "deny"],
)
def test_trust_policy_that_passes(statement: dict[str, Any]) -> None:
    assert trust_findings(doc(statement), ACCOUNT) == []


@pytest.mark.parametrize(
    ("statement", "finding"),
    [
        ({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}, "trusts * *"),
        (
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}},
            f"trusts AWS arn:aws:iam::{ACCOUNT}:root",
        ),
        (
            {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}},
            "trusts Federated cognito-identity.amazonaws.com",
        ),
        (
            {"Effect": "Allow", "NotPrincipal": SAGEMAKER, "Action": "sts:AssumeRole"},
            "Allow with NotPrincipal trusts every other one",
        ),
        (
            {"Effect": "Allow", "Principal": SAGEMAKER, "Action": "sts:AssumeRole"},
            "no aws:SourceAccount or aws:SourceArn condition",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": SAGEMAKER,
                "Condition": {"Null": {"aws:SourceAccount": "false"}},
            },
            "no aws:SourceAccount or aws:SourceArn condition",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": SAGEMAKER,
                "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
            },
            "no aws:SourceAccount or aws:SourceArn condition",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": SAGEMAKER,
                "Condition": {"StringLike": {"aws:SourceAccount": "*"}},
            },
            "no aws:SourceAccount or aws:SourceArn condition",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": SAGEMAKER,
                "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:999999999999:*"}},
            },
            "aws:SourceArn ['arn:aws:sagemaker:*:999999999999:*'] does not name account " + ACCOUNT,
        ),
    ],
    ids=[
        "everyone",
        "account-root",
        "federated",
        "not-principal",
        "no-condition",
        "null-operator",
        "if-exists",
        "wildcard-value",
        "another-account-arn",
    ],
)
def test_trust_policy_that_is_refused(statement: dict[str, Any], finding: str) -> None:
    assert trust_findings(doc(statement), ACCOUNT) == [f"statement 1: {finding}"]


def test_trust_condition_without_a_known_account_only_needs_the_key() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": SAGEMAKER,
        "Condition": {"StringEquals": {"aws:SourceAccount": "999999999999"}},
    }
    assert trust_findings(doc(statement)) == []


def test_single_statement_object_is_read() -> None:
    document = {"Statement": {"Effect": "Allow", "Principal": "*"}}
    assert trust_findings(document, ACCOUNT) == ["statement 1: trusts * *"]


# -- role: permissions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::bucket/prefix/*"),
        allow("s3:*", "arn:aws:s3:::bucket/*"),
        allow(sorted(STAR_RESOURCE_ACTIONS)),
        allow(["LOGS:putlogevents", "ecr:GetAuthorizationToken"]),
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
        allow("kms:Decrypt", ["arn:aws:kms:us-east-1:123456789012:key/k"]),
    ],
    ids=["scoped", "service-wildcard-on-one-bucket", "needs-star", "case", "deny", "key"],
)
def test_permissions_that_pass(statement: dict[str, Any]) -> None:
    assert permission_findings(doc(statement)) == []


@pytest.mark.parametrize(
    ("statement", "finding"),
    [
        (allow("*"), "Allow ['*'] on *"),
        (allow("s3:*"), "Allow ['s3:*'] on *"),
        (allow(["ec2:Describe*"]), "Allow ['ec2:Describe*'] on *"),
        (allow("s3:GetObject", ["arn:aws:s3:::b/*", "*"]), "Allow ['s3:GetObject'] on *"),
        (
            allow(["logs:PutLogEvents", "iam:PassRole"]),
            "Allow ['iam:PassRole'] on *",
        ),
        (
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            "Allow every action but ['iam:*'] on *",
        ),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/*"},
            "Allow ['s3:GetObject'] on *",
        ),
        (
            allow("sagemaker:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
            "Allow ['sagemaker:*'] on *",
        ),
    ],
    ids=[
        "everything",
        "service",
        "pattern",
        "star-among-resources",
        "one-extra-action",
        "not-action",
        "not-resource",
        "condition-does-not-excuse",
    ],
)
def test_permissions_that_are_refused(statement: dict[str, Any], finding: str) -> None:
    assert permission_findings(doc(statement)) == [f"statement 1: {finding}"]


def test_policy_documents_are_decoded() -> None:
    document = doc(allow("s3:*"))
    text = json.dumps(document)
    assert policy_document(document) == document
    assert policy_document(text) == document
    assert policy_document(quote(text)) == document
    with pytest.raises(ValueError, match="not a policy document"):
        policy_document(["no"])


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess"),
        ("arn:aws-us-gov:iam::aws:policy/PowerUserAccess", "PowerUserAccess"),
        (
            "arn:aws:iam::aws:policy/job-function/SystemAdministrator",
            "job-function/SystemAdministrator",
        ),
        ("arn:aws:iam::123456789012:policy/AdministratorAccess", None),
        ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", None),
    ],
)
def test_admin_grade(arn: str, name: str | None) -> None:
    assert admin_grade(arn) == name


# -- KMS ---------------------------------------------------------------------------------------

GOOD_KEY = {
    "KeyId": "k",
    "Arn": "arn:aws:kms:us-east-1:123456789012:key/k",
    "Enabled": True,
    "KeyState": "Enabled",
    "KeyManager": "CUSTOMER",
    "KeySpec": "SYMMETRIC_DEFAULT",
    "KeyUsage": "ENCRYPT_DECRYPT",
}


@pytest.mark.parametrize(
    ("change", "findings"),
    [
        ({}, []),
        ({"KeyUsage": None}, []),  # absent (moto): ENCRYPT_DECRYPT, the API default
        ({"KeyManager": "AWS"}, ["KeyManager AWS (an AWS managed key)"]),
        ({"Enabled": False, "KeyState": "Disabled"}, ["key state Disabled"]),
        ({"Enabled": False, "KeyState": "PendingDeletion"}, ["key state PendingDeletion"]),
        (
            {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"},
            ["KeySpec RSA_2048", "KeyUsage SIGN_VERIFY"],
        ),
        ({"KeySpec": None, "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"}, []),
        (
            {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
            ["KeySpec HMAC_256", "KeyUsage GENERATE_VERIFY_MAC"],
        ),
    ],
    ids=[
        "good",
        "no-usage",
        "aws-managed",
        "disabled",
        "pending-deletion",
        "asymmetric",
        "old-spec-field",
        "hmac",
    ],
)
def test_key_metadata(change: dict[str, Any], findings: list[str]) -> None:
    metadata = {key: value for key, value in {**GOOD_KEY, **change}.items() if value is not None}
    assert key_findings(metadata, rotation=True) == findings


def test_key_rotation() -> None:
    assert key_findings(GOOD_KEY, rotation=False) == ["automatic rotation off"]
    assert key_findings(GOOD_KEY) == []  # not read yet


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}, True),
        ({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"}, True),
        (
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}, "Action": "*"},
            True,
        ),
        (
            {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*"},
            True,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "kms:*",
                "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
            },
            False,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
            },
            False,
        ),
        ({"Effect": "Deny", "Principal": "*", "Action": "kms:*"}, False),
    ],
    ids=[
        "aws-star",
        "star",
        "star-in-list",
        "not-principal",
        "conditioned",
        "account-root",
        "deny",
    ],
)
def test_key_policy(statement: dict[str, Any], refused: bool) -> None:
    assert bool(key_policy_findings(doc({**statement, "Resource": "*"}))) is refused


def test_key_policy_finding_names_the_actions() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "NotAction": "kms:ScheduleKeyDeletion"}
    assert key_policy_findings(doc(statement)) == [
        "key policy statement 1 grants ['every action but', 'kms:ScheduleKeyDeletion'] to '*' "
        "unconditionally"
    ]


# -- network -----------------------------------------------------------------------------------

LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}
MAIN = {
    "RouteTableId": "rtb-main",
    "VpcId": "vpc-1",
    "Associations": [{"Main": True, "RouteTableId": "rtb-main"}],
    "Routes": [LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}],
}
PRIVATE = {
    "RouteTableId": "rtb-private",
    "VpcId": "vpc-1",
    "Associations": [{"Main": False, "SubnetId": "subnet-a", "RouteTableId": "rtb-private"}],
    "Routes": [LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}],
}


def test_route_table_is_the_explicit_one_else_the_main_one() -> None:
    assert route_table_for("subnet-a", "vpc-1", [MAIN, PRIVATE]) is PRIVATE
    assert route_table_for("subnet-b", "vpc-1", [MAIN, PRIVATE]) is MAIN
    assert route_table_for("subnet-b", "vpc-2", [MAIN, PRIVATE]) is None


@pytest.mark.parametrize(
    ("route", "public"),
    [
        ({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}, True),
        ({"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1"}, True),
        ({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}, False),
        ({"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"}, False),
        ({"DestinationCidrBlock": "52.0.0.0/8", "GatewayId": "igw-1"}, False),
        ({"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1"}, False),
        ({"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1"}, False),
    ],
    ids=["igw", "igw-ipv6", "nat", "egress-only", "not-default", "s3-gateway", "transit"],
)
def test_internet_routes(route: dict[str, str], public: bool) -> None:
    assert bool(internet_routes({"Routes": [LOCAL, route]})) is public


def test_subnet_findings() -> None:
    subnet = {"SubnetId": "subnet-a", "MapPublicIpOnLaunch": False}
    assert subnet_findings(subnet, PRIVATE) == []
    assert subnet_findings({**subnet, "MapPublicIpOnLaunch": True}, PRIVATE) == [
        "MapPublicIpOnLaunch is on"
    ]
    assert subnet_findings(subnet, MAIN) == ["route 0.0.0.0/0 -> igw-1"]
    assert subnet_findings(subnet, None) == ["no route table (neither associated nor a main table)"]


def test_open_ingress() -> None:
    group = {
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-self"}]},
        ],
        # Egress to anywhere is the default and is not ingress.
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }
    assert open_ingress(group) == [
        "ingress tcp 22-22 from 0.0.0.0/0",
        "ingress all traffic from ::/0",
    ]


def endpoint(service: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "VpcEndpointId": f"vpce-{service.rsplit('.', 1)[-1]}",
        "ServiceName": f"com.amazonaws.us-east-1.{service}",
        "VpcEndpointType": kind,
        "State": "available",
        **fields,
    }


def test_gateway_status() -> None:
    s3 = "com.amazonaws.us-east-1.s3"
    endpoints = [endpoint("s3", "Gateway", RouteTableIds=["rtb-1"])]
    assert gateway_status(endpoints, s3, ["rtb-1"]) == (["vpce-s3"], [])
    assert gateway_status(endpoints, s3, ["rtb-1", "rtb-2"]) == (["vpce-s3"], ["rtb-2"])
    pending = [endpoint("s3", "Gateway", RouteTableIds=["rtb-1"], State="pending")]
    assert gateway_status(pending, s3, ["rtb-1"]) == ([], ["rtb-1"])
    interface = [endpoint("s3", "Interface", RouteTableIds=["rtb-1"])]
    assert gateway_status(interface, s3, ["rtb-1"]) == ([], ["rtb-1"])


def test_interface_status() -> None:
    kms = "com.amazonaws.us-east-1.kms"
    assert interface_status([], kms) == (None, "missing")
    usable = endpoint("kms", "Interface", PrivateDnsEnabled=True, State="Available")
    assert interface_status([usable], kms) == ("vpce-kms", None)
    no_dns = endpoint("kms", "interface", PrivateDnsEnabled=False)
    assert interface_status([no_dns], kms) == (
        None,
        "not usable: vpce-kms available, private DNS off",
    )
    assert interface_status([no_dns, usable], kms) == ("vpce-kms", None)
    gateway = endpoint("kms", "Gateway", PrivateDnsEnabled=True)
    assert interface_status([gateway], kms) == (None, "missing")


def test_plan_endpoints_creates_only_what_is_missing() -> None:
    network = Network(
        region="us-east-1",
        subnets={
            "subnet-a": {
                "SubnetId": "subnet-a",
                "VpcId": "vpc-1",
                "AvailabilityZone": "us-east-1a",
            },
            "subnet-b": {
                "SubnetId": "subnet-b",
                "VpcId": "vpc-1",
                "AvailabilityZone": "us-east-1b",
            },
            "subnet-c": {
                "SubnetId": "subnet-c",
                "VpcId": "vpc-1",
                "AvailabilityZone": "us-east-1a",
            },
        },
        missing_subnets=(),
        vpcs={
            "vpc-1": _Vpc(
                route_tables=({**PRIVATE, "Associations": [{"Main": True}]},),
                endpoints=(
                    endpoint("kms", "Interface", PrivateDnsEnabled=True),
                    endpoint("sts", "Interface", PrivateDnsEnabled=False),
                ),
            )
        },
        groups={},
        missing_groups=(),
    )
    planned, broken = plan_endpoints(network, ("kms", "sts", "logs"), ["sg-1"])
    assert planned == [
        {
            "VpcId": "vpc-1",
            "VpcEndpointType": "Gateway",
            "ServiceName": "com.amazonaws.us-east-1.s3",
            "RouteTableIds": ["rtb-private"],
        },
        {
            "VpcId": "vpc-1",
            "VpcEndpointType": "Interface",
            "ServiceName": "com.amazonaws.us-east-1.logs",
            "SubnetIds": ["subnet-a", "subnet-b"],
            "SecurityGroupIds": ["sg-1"],
            "PrivateDnsEnabled": True,
        },
    ]
    assert broken == [
        "vpc-1 com.amazonaws.us-east-1.sts: not usable: vpce-sts available, private DNS off"
    ]


# -- the cache ---------------------------------------------------------------------------------


def test_cache_reuses_answers_within_the_ttl() -> None:
    cache = _cache.TtlCache()
    answers = iter(range(10))
    assert cache.get("k", 60, lambda: next(answers)) == 0
    assert cache.get("k", 60, lambda: next(answers)) == 0
    assert cache.get("k", 0, lambda: next(answers)) == 1, "a TTL of 0 always asks"
    assert cache.get("k", 60, lambda: next(answers)) == 0, "and stores nothing"
    cache.clear()
    assert cache.get("k", 60, lambda: next(answers)) == 2


def test_cache_entries_expire() -> None:
    now = [1000.0]
    cache = _cache.TtlCache(clock=lambda: now[0])
    answers = iter(range(10))
    assert cache.get("k", 10, lambda: next(answers)) == 0
    now[0] += 9.9
    assert cache.get("k", 10, lambda: next(answers)) == 0
    now[0] += 0.1
    assert cache.get("k", 10, lambda: next(answers)) == 1


def test_cache_keeps_the_most_recently_used() -> None:
    cache = _cache.TtlCache(max_entries=2)
    for key in ("a", "b"):
        cache.get(key, 60, lambda: 0)
    cache.get("a", 60, lambda: 1)  # a hit: "a" becomes the most recent
    cache.get("c", 60, lambda: 0)
    assert len(cache) == 2
    assert cache.get("a", 60, lambda: 9) == 0
    assert cache.get("b", 60, lambda: 9) == 9


def test_concurrent_misses_compute_once() -> None:
    cache = _cache.TtlCache()
    started, release = threading.Event(), threading.Event()
    computed: list[int] = []

    def slow() -> str:
        computed.append(1)
        started.set()
        release.wait(5)
        return "answer"

    results: list[str] = []
    leader = threading.Thread(target=lambda: results.append(cache.get("k", 60, slow)))
    leader.start()
    started.wait(5)
    followers = [
        threading.Thread(target=lambda: results.append(cache.get("k", 60, slow))) for _ in range(5)
    ]
    for follower in followers:
        follower.start()
    time.sleep(0.05)
    release.set()
    for thread in (leader, *followers):
        thread.join(5)
    assert computed == [1]
    assert results == ["answer"] * 6


def test_a_failure_reaches_the_waiters_and_is_not_cached() -> None:
    cache = _cache.TtlCache()
    started, release = threading.Event(), threading.Event()

    def failing() -> str:
        started.set()
        release.wait(5)
        raise RuntimeError("throttled")

    errors: list[BaseException] = []

    def call() -> None:
        try:
            cache.get("k", 60, failing)
        except RuntimeError as error:
            errors.append(error)

    leader = threading.Thread(target=call)
    leader.start()
    started.wait(5)
    follower = threading.Thread(target=call)
    follower.start()
    time.sleep(0.05)
    release.set()
    leader.join(5)
    follower.join(5)
    assert [str(e) for e in errors] == ["throttled", "throttled"]
    assert cache.get("k", 60, lambda: "later") == "later"


def test_an_answer_fetched_across_a_clear_is_not_stored() -> None:
    cache = _cache.TtlCache()

    def clears_meanwhile() -> str:
        cache.clear()
        return "stale"

    assert cache.get("k", 60, clears_meanwhile) == "stale"
    assert cache.get("k", 60, lambda: "fresh") == "fresh"


def test_preflight_slugs_are_the_catalogue_preflight_controls() -> None:
    from safeai import preflight
    from safeai.controls import preflight as catalogue
    from safeai.preflight import iam, kms, network

    slugs = preflight.SLUGS
    assert slugs == tuple(control.slug for control in catalogue.CONTROLS)
    role_and_key = (iam.TRUST, iam.LEAST_PRIVILEGE, kms.KEY)
    assert slugs == (
        *role_and_key,
        network.PRIVATE_SUBNETS,
        network.SECURITY_GROUPS,
        network.PRIVATELINK,
    )
