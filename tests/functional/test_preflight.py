"""Preflight against AWS (moto in server mode): real boto3 clients, the sandbox's secure baseline,
and one broken piece per test. The account is shared by the whole session, so every test builds
its own uniquely named resources and never changes the baseline's."""

from __future__ import annotations

import argparse
import functools
import io
import itertools
import json
import threading
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

import safeai
from safeai import preflight
from safeai.cli import _network
from safeai.testing import RequestRecorder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from safeai.testing import Baseline, Sandbox

REGION = "us-east-1"
ACCOUNT = "123456789012"
AWS_SERVICES = frozenset({"iam", "kms", "ec2", "sts"})
#: What a cold check of the baseline asks AWS: the role (one inline policy, nothing attached),
#: the key, and the network.
COLD_CALLS = sorted(
    [
        "GetRole",
        "ListRolePolicies",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
        "DescribeKey",
        "GetKeyRotationStatus",
        "GetKeyPolicy",
        "DescribeSubnets",
        "DescribeRouteTables",
        "DescribeVpcEndpoints",
        "DescribeSecurityGroups",
    ]
)
_octets = itertools.count(100)

SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ],
}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    preflight.clear_caches()
    yield
    preflight.clear_caches()


@pytest.fixture
def baseline(sandbox: Sandbox) -> Baseline:
    assert sandbox.baseline is not None
    return sandbox.baseline


@pytest.fixture
def aws(sandbox: Sandbox) -> Any:
    """An unguarded session on the sandbox, to build the broken pieces with."""
    return _session()


@functools.cache
def _session() -> Any:
    # Made once: a session caches botocore's service models, so its clients are quick to make.
    return boto3.Session(region_name=REGION)


def clients(session: Any = None) -> Callable[[str], Any]:
    """What the guard hands preflight: one client per service, the caller's credentials (new
    clients each time: tests register handlers on them)."""
    session = session or _session()
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service)
        return made[service]

    return client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def request(
    baseline: Baseline,
    *,
    role: str | None = None,
    key: str | None = None,
    subnets: list[str] | None = None,
    groups: list[str] | None = None,
) -> dict[str, Any]:
    """A secured CreateTrainingJob request naming the baseline's pieces unless told otherwise."""
    return {
        "TrainingJobName": "preflight",
        "RoleArn": role or baseline.execution_role_arn,
        "OutputDataConfig": {
            "S3OutputPath": f"s3://{baseline.bucket}/out/",
            "KmsKeyId": key or baseline.kms_key_arn,
        },
        "VpcConfig": {
            "Subnets": subnets or list(baseline.subnet_ids),
            "SecurityGroupIds": groups or [baseline.security_group_id],
        },
    }


def refused(
    policy: safeai.Policy,
    params: dict[str, Any],
    *,
    operation: str = "CreateTrainingJob",
    factory: Callable[[str], Any] | None = None,
) -> safeai.SecurityViolation:
    with pytest.raises(safeai.SecurityViolation) as raised:
        preflight.verify(factory or clients(), operation, params, policy)
    return raised.value


def found(violation: safeai.SecurityViolation, control: str) -> list[str]:
    """What every violation of ``control`` in a refusal found."""
    return [str(v.found) for v in (violation, *violation.additional) if v.control == control]


def controls(violation: safeai.SecurityViolation) -> set[str]:
    return {v.control for v in (violation, *violation.additional)}


def calls(recorder: RequestRecorder) -> list[str]:
    return sorted(r.operation for r in recorder.requests)


# -- the baseline ------------------------------------------------------------------------------


def test_the_secure_baseline_passes_every_check(baseline: Baseline, policy: safeai.Policy) -> None:
    decisions = preflight.verify(clients(), "CreateTrainingJob", request(baseline), policy)
    assert {d.outcome for d in decisions} == {"compliant"}
    assert {d.control for d in decisions} == set(preflight.SLUGS)
    values = {d.value for d in decisions}
    assert baseline.execution_role_arn in values
    assert set(baseline.subnet_ids) <= values
    assert baseline.security_group_id in values
    assert set(baseline.vpc_endpoint_ids) <= values


def test_nothing_is_checked_without_preflight(baseline: Baseline) -> None:
    policy = baseline.policy(preflight=False)
    with RequestRecorder(services=AWS_SERVICES) as recorder:
        assert preflight.verify(clients(), "CreateTrainingJob", request(baseline), policy) == []
    assert recorder.requests == []


# -- network -----------------------------------------------------------------------------------


def new_subnet(ec2: Any, vpc: str, *, zone: str = "a", route_table: str | None = None) -> str:
    second = next(_octets)
    subnet: str = ec2.create_subnet(
        VpcId=vpc, CidrBlock=f"10.20.{second}.0/24", AvailabilityZone=f"{REGION}{zone}"
    )["Subnet"]["SubnetId"]
    if route_table:
        ec2.associate_route_table(RouteTableId=route_table, SubnetId=subnet)
    return subnet


def new_vpc(ec2: Any) -> str:
    vpc: str = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    return vpc


def test_subnet_mapping_public_ips_is_refused(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    ec2 = aws.client("ec2")
    subnet = new_subnet(ec2, baseline.vpc_id, route_table=baseline.route_table_id)
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    violation = refused(policy, request(baseline, subnets=[subnet]))
    assert violation.control == "network.private_subnets"
    assert not violation.additional
    assert violation.path == f"VpcConfig.Subnets -> {subnet} route table {baseline.route_table_id}"
    assert "MapPublicIpOnLaunch is on" in str(violation.found)
    assert violation.remedy.startswith("use subnets of one VPC")
    assert "nothing was sent" in str(violation)


def test_route_to_an_internet_gateway_is_refused(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    ec2 = aws.client("ec2")
    vpc = new_vpc(ec2)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    subnets = [new_subnet(ec2, vpc, zone=zone, route_table=table) for zone in ("a", "b")]
    group = ec2.create_security_group(GroupName=unique("sg"), Description="x", VpcId=vpc)
    violation = refused(policy, request(baseline, subnets=subnets, groups=[group["GroupId"]]))
    assert found(violation, "network.private_subnets") == [
        f"route 0.0.0.0/0 -> {gateway}" for _ in subnets
    ]


def test_subnet_without_association_uses_the_main_route_table(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    ec2 = aws.client("ec2")
    vpc = new_vpc(ec2)
    main = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"][0]["RouteTableId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    subnet = new_subnet(ec2, vpc)
    violation = refused(policy, request(baseline, subnets=[subnet], groups=None))
    [public] = [v for v in (violation, *violation.additional) if v.path.endswith(main)]
    assert public.path == f"VpcConfig.Subnets -> {subnet} route table {main}"
    assert public.found == f"route 0.0.0.0/0 -> {gateway}"
    # A new VPC has none of the endpoints, and the baseline's group lives in another VPC.
    assert controls(violation) == {
        "network.private_subnets",
        "network.security_groups",
        "network.privatelink",
    }
    assert any("not in" in text for text in found(violation, "network.security_groups"))


def test_subnets_must_exist_and_share_one_vpc(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    violation = refused(policy, request(baseline, subnets=[baseline.subnet_ids[0], "subnet-0dead"]))
    assert violation.path == "VpcConfig.Subnets -> subnet-0dead"
    assert violation.found == "no such subnet"

    elsewhere = new_subnet(aws.client("ec2"), new_vpc(aws.client("ec2")))
    violation = refused(policy, request(baseline, subnets=[baseline.subnet_ids[0], elsewhere]))
    assert any(text.startswith("subnets in 2 VPCs") for text in found(violation, violation.control))


def test_hosting_subnets_must_span_two_availability_zones(
    baseline: Baseline, policy: safeai.Policy
) -> None:
    one_zone: dict[str, Any] = {
        "ModelName": "m",
        "ExecutionRoleArn": baseline.execution_role_arn,
        "VpcConfig": {
            "Subnets": [baseline.subnet_ids[0]],
            "SecurityGroupIds": [baseline.security_group_id],
        },
    }
    violation = refused(policy, one_zone, operation="CreateModel")
    assert violation.control == "network.private_subnets"
    assert "1 Availability Zone (us-east-1a)" in str(violation.found)
    # A training job in one zone is fine; so is a model in two.
    training = request(baseline, subnets=[baseline.subnet_ids[0]])
    assert preflight.verify(clients(), "CreateTrainingJob", training, policy)
    one_zone["VpcConfig"]["Subnets"] = list(baseline.subnet_ids)
    assert preflight.verify(clients(), "CreateModel", one_zone, policy)


def test_security_group_open_to_the_internet_is_refused(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    ec2 = aws.client("ec2")
    group = ec2.create_security_group(
        GroupName=unique("open"), Description="ssh from anywhere", VpcId=baseline.vpc_id
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    violation = refused(policy, request(baseline, groups=[group]))
    assert violation.control == "network.security_groups"
    assert not violation.additional
    assert violation.path == f"VpcConfig.SecurityGroupIds -> {group}"
    assert violation.found == "ingress tcp 22-22 from 0.0.0.0/0"

    violation = refused(policy, request(baseline, groups=["sg-0dead"]))
    assert violation.found == "no such security group"


def test_missing_interface_endpoint_is_refused(baseline: Baseline) -> None:
    policy = baseline.policy(
        required_vpc_endpoints=(*safeai.Policy().required_vpc_endpoints, "ssm")
    )
    violation = refused(policy, request(baseline))
    assert violation.control == "network.privatelink"
    assert not violation.additional
    assert (
        violation.path
        == f"VpcConfig.Subnets -> {baseline.vpc_id} endpoint com.amazonaws.{REGION}.ssm"
    )
    assert violation.found == "interface endpoint missing"


def test_interface_endpoint_without_private_dns_is_refused(aws: Any, baseline: Baseline) -> None:
    ec2 = aws.client("ec2")
    endpoint = ec2.create_vpc_endpoint(
        VpcId=baseline.vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.secretsmanager",
        VpcEndpointType="Interface",
        SubnetIds=list(baseline.subnet_ids),
        SecurityGroupIds=[baseline.security_group_id],
        PrivateDnsEnabled=False,
    )["VpcEndpoint"]["VpcEndpointId"]
    policy = baseline.policy(required_vpc_endpoints=("secretsmanager",))
    violation = refused(policy, request(baseline))
    assert violation.found == (
        f"interface endpoint not usable: {endpoint} available, private DNS off"
    )


def test_route_table_without_the_s3_gateway_endpoint_is_refused(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    ec2 = aws.client("ec2")
    table = ec2.create_route_table(VpcId=baseline.vpc_id)["RouteTable"]["RouteTableId"]
    subnet = new_subnet(ec2, baseline.vpc_id, route_table=table)
    violation = refused(policy, request(baseline, subnets=[subnet]))
    assert violation.control == "network.privatelink"
    assert violation.found == (f"no available S3 gateway endpoint on route table {table}")


# -- KMS ---------------------------------------------------------------------------------------


def new_key(kms: Any, *, rotation: bool = True, **options: Any) -> str:
    key = kms.create_key(Description=unique("key"), **options)["KeyMetadata"]
    if rotation:
        kms.enable_key_rotation(KeyId=key["KeyId"])
    arn: str = key["Arn"]
    return arn


def test_disabled_key_is_refused(aws: Any, baseline: Baseline, policy: safeai.Policy) -> None:
    kms = aws.client("kms")
    key = new_key(kms)
    kms.disable_key(KeyId=key.rsplit("/", 1)[1])
    violation = refused(policy, request(baseline, key=key))
    assert violation.control == "kms.key"
    assert violation.path == "KmsKeyId -> key"
    assert violation.found == f"{key}: key state Disabled"
    assert "automatic rotation" in violation.remedy


def test_key_without_rotation_is_refused(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    key = new_key(aws.client("kms"), rotation=False)
    violation = refused(policy, request(baseline, key=key))
    assert violation.found == f"{key}: automatic rotation off"


def test_asymmetric_signing_key_is_refused(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    key = new_key(aws.client("kms"), rotation=False, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    violation = refused(policy, request(baseline, key=key))
    assert violation.found == f"{key}: KeySpec RSA_2048; KeyUsage SIGN_VERIFY"


def test_aws_managed_key_is_refused(baseline: Baseline, policy: safeai.Policy) -> None:
    # moto reports alias/aws/* keys as CUSTOMER; make its answer say what AWS says.
    def as_aws_managed(parsed: dict[str, Any], **_: Any) -> None:
        parsed["KeyMetadata"]["KeyManager"] = "AWS"

    factory = clients()
    factory("kms").meta.events.register("after-call.kms.DescribeKey", as_aws_managed)
    violation = refused(policy, request(baseline, key="alias/aws/s3"), factory=factory)
    assert violation.control == "kms.key"
    assert "KeyManager AWS (an AWS managed key)" in str(violation.found)


def test_key_policy_open_to_everyone_is_refused(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
    kms = aws.client("kms")
    key = new_key(kms, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    violation = refused(policy, request(baseline, key=key))
    assert (
        violation.found == f"{key}: key policy statement 1 grants ['kms:*'] to '*' unconditionally"
    )

    statement["Condition"] = {"StringEquals": {"kms:CallerAccount": ACCOUNT}}
    conditioned = new_key(
        kms, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    assert preflight.verify(
        clients(), "CreateTrainingJob", request(baseline, key=conditioned), policy
    )


def test_aliases_are_resolved(baseline: Baseline, policy: safeai.Policy) -> None:
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{baseline.kms_alias}"
    for key in (baseline.kms_alias, alias_arn):
        decisions = preflight.verify(
            clients(), "CreateTrainingJob", request(baseline, key=key), policy
        )
        [decision] = [d for d in decisions if d.control == "kms.key"]
        assert decision.value == f"{key} ({baseline.kms_key_arn})"


def test_unknown_key_is_refused(baseline: Baseline, policy: safeai.Policy) -> None:
    violation = refused(policy, request(baseline, key="alias/no-such-key"))
    assert violation.found == "alias/no-such-key: no such key or alias"


# -- the execution role ------------------------------------------------------------------------


def new_role(
    iam: Any,
    *,
    trust: dict[str, Any] | None = None,
    inline: dict[str, Any] | None = None,
    attached: tuple[str, ...] = (),
) -> str:
    name = unique("role")
    arn: str = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust or SAGEMAKER_TRUST)
    )["Role"]["Arn"]
    if inline is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
    for policy_arn in attached:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn


def allow(action: object, resource: object = "*", **extra: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def test_wildcard_grant_is_refused(aws: Any, baseline: Baseline, policy: safeai.Policy) -> None:
    role = new_role(aws.client("iam"), inline=allow("s3:*"))
    violation = refused(policy, request(baseline, role=role))
    assert violation.control == "role.least_privilege"
    assert violation.path == "RoleArn -> inline policy inline"
    assert violation.found == f"{role}: statement 1: Allow ['s3:*'] on *"


def test_actions_that_need_every_resource_are_allowed(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    actions = ["logs:CreateLogStream", "ecr:GetAuthorizationToken", "ec2:CreateNetworkInterface"]
    role = new_role(aws.client("iam"), inline=allow(actions))
    assert preflight.verify(clients(), "CreateTrainingJob", request(baseline, role=role), policy)


def test_the_default_version_of_a_managed_policy_is_judged(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    iam = aws.client("iam")
    scoped = allow("s3:GetObject", f"arn:aws:s3:::{baseline.bucket}/*")

    def managed(first: dict[str, Any], default: dict[str, Any]) -> str:
        arn: str = iam.create_policy(PolicyName=unique("p"), PolicyDocument=json.dumps(first))[
            "Policy"
        ]["Arn"]
        iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=json.dumps(default), SetAsDefault=True
        )
        return arn

    fixed = managed(allow("*"), scoped)
    role = new_role(iam, attached=(fixed,))
    decisions = preflight.verify(
        clients(), "CreateTrainingJob", request(baseline, role=role), policy
    )
    assert f"RoleArn -> attached policy {fixed} (v2)" in {d.path for d in decisions}

    broken = managed(scoped, allow("iam:*"))
    role = new_role(iam, attached=(broken,))
    violation = refused(policy, request(baseline, role=role))
    assert violation.path == f"RoleArn -> attached policy {broken} (v2)"
    assert violation.found == f"{role}: statement 1: Allow ['iam:*'] on *"


def test_admin_grade_aws_managed_policy_is_refused(
    sandbox: Sandbox, baseline: Baseline, policy: safeai.Policy, monkeypatch: Any
) -> None:
    # moto loads AWS managed policies when an account's IAM is first used, if this is set: use
    # an account no other test touches, through an assumed role's credentials.
    account = "210987654321"
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/tests", RoleSessionName="preflight-tests"
    )["Credentials"]
    other = boto3.Session(
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    trust = json.loads(json.dumps(SAGEMAKER_TRUST).replace(ACCOUNT, account))
    role = new_role(
        other.client("iam"), trust=trust, attached=("arn:aws:iam::aws:policy/AdministratorAccess",)
    )
    violation = refused(policy, request(baseline, role=role), factory=clients(other))
    assert violation.control == "role.least_privilege"
    assert (
        violation.path == "RoleArn -> attached policy arn:aws:iam::aws:policy/AdministratorAccess"
    )
    assert violation.found == f"{role}: admin-grade AWS managed policy AdministratorAccess"


@pytest.mark.parametrize(
    ("principal", "condition", "finding"),
    [
        ({"AWS": "*"}, None, "statement 1: trusts AWS *"),
        (
            {"Service": ["sagemaker.amazonaws.com", "ec2.amazonaws.com"]},
            {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            "statement 1: trusts Service ec2.amazonaws.com",
        ),
        (
            {"Service": "sagemaker.amazonaws.com"},
            None,
            "statement 1: no aws:SourceAccount or aws:SourceArn condition",
        ),
        (
            {"Service": "sagemaker.amazonaws.com"},
            {"StringEquals": {"aws:SourceAccount": "111122223333"}},
            f"statement 1: aws:SourceAccount ['111122223333'] does not name account {ACCOUNT}",
        ),
    ],
    ids=["open", "another-service", "no-confused-deputy-condition", "another-account"],
)
def test_trust_policy_is_refused(
    aws: Any,
    baseline: Baseline,
    policy: safeai.Policy,
    principal: object,
    condition: dict[str, Any] | None,
    finding: str,
) -> None:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    role = new_role(aws.client("iam"), trust={"Version": "2012-10-17", "Statement": [statement]})
    violation = refused(policy, request(baseline, role=role))
    assert violation.control == "role.trust"
    assert violation.path == "RoleArn -> trust policy"
    assert violation.found == f"{role}: {finding}"
    assert "sagemaker.amazonaws.com" in violation.remedy


def test_role_named_without_its_path_cannot_be_checked(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    name = unique("pathed")
    aws.client("iam").create_role(
        RoleName=name, Path="/service-role/", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST)
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    with pytest.raises(safeai.PreflightError, match="name the role by its ARN"):
        preflight.verify(clients(), "CreateTrainingJob", request(baseline, role=role), policy)
    pathed = f"arn:aws:iam::{ACCOUNT}:role/service-role/{name}"
    decisions = preflight.verify(
        clients(), "CreateTrainingJob", request(baseline, role=pathed), policy
    )
    assert ("role.least_privilege", "RoleArn -> policies (none)", pathed) in {
        (d.control, d.path, d.value) for d in decisions
    }


def test_unknown_role_is_refused(baseline: Baseline, policy: safeai.Policy) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"
    violation = refused(policy, request(baseline, role=role))
    assert (violation.control, violation.found) == ("role.trust", f"{role}: no such role")


def test_role_of_another_account_cannot_be_checked(
    baseline: Baseline, policy: safeai.Policy
) -> None:
    # The same name exists in the credentials' account: that is another role, not this one.
    role = baseline.execution_role_arn.replace(ACCOUNT, "999999999999")
    with pytest.raises(safeai.PreflightError, match="the role is in another account") as raised:
        preflight.verify(clients(), "CreateTrainingJob", request(baseline, role=role), policy)
    assert raised.value.control == "role.trust"


# -- waivers -----------------------------------------------------------------------------------


def test_waived_control_is_skipped_and_reported(aws: Any, baseline: Baseline) -> None:
    kms = aws.client("kms")
    key = new_key(kms)
    kms.disable_key(KeyId=key.rsplit("/", 1)[1])
    policy = baseline.policy(waivers={"kms.key": "key rotation handled by INC-7"})
    with RequestRecorder(services=AWS_SERVICES) as recorder:
        decisions = preflight.verify(
            clients(), "CreateTrainingJob", request(baseline, key=key), policy
        )
    [waived] = [d for d in decisions if d.control == "kms.key"]
    assert (waived.outcome, waived.value, waived.reason) == (
        "waived",
        key,
        "key rotation handled by INC-7",
    )
    assert not [r for r in recorder.requests if r.service == "kms"]


def test_waiver_in_code_covers_preflight(
    aws: Any, baseline: Baseline, policy: safeai.Policy
) -> None:
    role = new_role(aws.client("iam"), inline=allow("*"))
    with safeai.waive("role.least_privilege", reason="break-glass INC-9"):
        decisions = preflight.verify(
            clients(), "CreateTrainingJob", request(baseline, role=role), policy
        )
    outcomes = {(d.control, d.outcome) for d in decisions}
    assert ("role.least_privilege", "waived") in outcomes
    assert ("role.trust", "compliant") in outcomes
    refused(policy, request(baseline, role=role))


# -- cost: cache, TTL, single-flight -----------------------------------------------------------


def test_second_check_makes_no_calls(baseline: Baseline, policy: safeai.Policy) -> None:
    with RequestRecorder(services=AWS_SERVICES) as recorder:
        first = preflight.verify(clients(), "CreateTrainingJob", request(baseline), policy)
    assert calls(recorder) == COLD_CALLS
    with RequestRecorder(services=AWS_SERVICES) as recorder:
        second = preflight.verify(clients(), "CreateTrainingJob", request(baseline), policy)
    assert recorder.requests == []
    assert second == first


def test_answers_expire_after_the_ttl_and_on_clear(baseline: Baseline) -> None:
    uncached = baseline.policy(preflight_ttl_seconds=0)
    for _ in range(2):
        with RequestRecorder(services=AWS_SERVICES) as recorder:
            preflight.verify(clients(), "CreateTrainingJob", request(baseline), uncached)
        assert calls(recorder) == COLD_CALLS

    policy = baseline.policy()
    preflight.verify(clients(), "CreateTrainingJob", request(baseline), policy)
    preflight.clear_caches()
    with RequestRecorder(services=AWS_SERVICES) as recorder:
        preflight.verify(clients(), "CreateTrainingJob", request(baseline), policy)
    assert calls(recorder) == COLD_CALLS


def test_concurrent_checks_of_the_same_things_run_once(
    baseline: Baseline, policy: safeai.Policy
) -> None:
    barrier = threading.Barrier(4)
    results: list[list[safeai.Decision]] = []

    def check() -> None:
        factory = clients()  # a session and clients per thread, as in a real program
        factory("iam"), factory("kms"), factory("ec2")
        barrier.wait()
        results.append(preflight.verify(factory, "CreateTrainingJob", request(baseline), policy))

    with RequestRecorder(services=AWS_SERVICES) as recorder:
        threads = [threading.Thread(target=check) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert calls(recorder) == COLD_CALLS
    assert len(results) == 4
    assert all(result == results[0] for result in results)


# -- AWS errors refuse -------------------------------------------------------------------------


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def answer_with(status: int, body: bytes, content_type: str) -> Callable[..., AWSResponse]:
    def handler(request: Any, **_: Any) -> AWSResponse:
        headers = HTTPHeaders.from_dict(
            {"content-type": content_type, "content-length": str(len(body))}
        )
        return AWSResponse(request.url, status, headers, _Body(body))

    return handler


def test_access_denied_refuses_with_the_cause(baseline: Baseline, policy: safeai.Policy) -> None:
    denied = json.dumps({"__type": "AccessDeniedException", "message": "not for you"}).encode()
    factory = clients()
    factory("kms").meta.events.register(
        "before-send.kms", answer_with(400, denied, "application/x-amz-json-1.1")
    )
    with pytest.raises(safeai.PreflightError) as raised:
        preflight.verify(factory, "CreateTrainingJob", request(baseline), policy)
    error = raised.value
    assert error.control == "kms.key"
    assert error.resource == baseline.kms_key_arn
    assert isinstance(error.__cause__, ClientError)
    assert "AccessDeniedException" in str(error)
    assert "kms:DescribeKey" in str(error)


def test_throttling_refuses_after_botocore_retries(
    baseline: Baseline, policy: safeai.Policy
) -> None:
    throttled = (
        b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
        b"<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
        b"<RequestId>1</RequestId></ErrorResponse>"
    )
    attempts: list[str] = []
    reply = answer_with(400, throttled, "text/xml")

    def throttle(request: Any, **kwargs: Any) -> AWSResponse:
        attempts.append(request.url)
        return reply(request, **kwargs)

    session = boto3.Session(region_name=REGION)
    iam: Any = session.client(
        "iam", config=Config(retries={"mode": "standard", "total_max_attempts": 2})
    )
    iam.meta.events.register("before-send.iam", throttle)
    factory = clients(session)
    with pytest.raises(safeai.PreflightError) as raised:
        preflight.verify(
            lambda service: iam if service == "iam" else factory(service),
            "CreateTrainingJob",
            request(baseline),
            policy,
        )
    assert len(attempts) == 2, "botocore retried once before preflight refused"
    assert raised.value.control == "role.trust"
    assert "Throttling" in str(raised.value.__cause__)


def test_unreachable_endpoint_refuses(baseline: Baseline, policy: safeai.Policy) -> None:
    session = boto3.Session(region_name=REGION)
    ec2 = session.client(
        "ec2",
        endpoint_url="http://127.0.0.1:9",
        config=Config(connect_timeout=1, retries={"total_max_attempts": 1}),
    )
    factory = clients(session)
    with pytest.raises(safeai.PreflightError) as raised:
        preflight.verify(
            lambda service: ec2 if service == "ec2" else factory(service),
            "CreateTrainingJob",
            request(baseline),
            policy,
        )
    assert raised.value.control == "network.private_subnets"
    assert isinstance(raised.value.__cause__, EndpointConnectionError)


def test_a_failure_is_not_cached(baseline: Baseline, policy: safeai.Policy) -> None:
    denied = json.dumps({"__type": "AccessDeniedException", "message": "not yet"}).encode()
    deny = answer_with(400, denied, "application/x-amz-json-1.1")
    failures = [1]

    def once(request: Any, **kwargs: Any) -> AWSResponse | None:
        if failures:
            failures.pop()
            return deny(request, **kwargs)
        return None

    factory = clients()
    factory("kms").meta.events.register("before-send.kms", once)
    with pytest.raises(safeai.PreflightError):
        preflight.verify(factory, "CreateTrainingJob", request(baseline), policy)
    with RequestRecorder(services=AWS_SERVICES) as recorder:
        preflight.verify(factory, "CreateTrainingJob", request(baseline), policy)
    assert [r.operation for r in recorder.requests if r.service == "kms"] == [
        "DescribeKey",
        "GetKeyRotationStatus",
        "GetKeyPolicy",
    ]
    assert not [r for r in recorder.requests if r.service != "kms"], "the rest was cached"


# -- safeai network check | provision ----------------------------------------------------------


def network_cli(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="safeai")
    _network.register(parser.add_subparsers())
    args = parser.parse_args(["network", *argv])
    out = io.StringIO()
    status: int = args.run(args, out)
    return status, out.getvalue()


@pytest.fixture
def config(tmp_path: Path, baseline: Baseline) -> str:
    path = tmp_path / "safeai.toml"
    path.write_text(
        f'execution_role_arn = "{baseline.execution_role_arn}"\n'
        f'kms_key_id = "{baseline.kms_key_arn}"\n'
        f"subnets = {json.dumps(list(baseline.subnet_ids))}\n"
        f'security_group_ids = ["{baseline.security_group_id}"]\n'
        f'region = "{REGION}"\n',
        encoding="utf-8",
    )
    return str(path)


def test_network_check_reports_each_piece(aws: Any, baseline: Baseline, config: str) -> None:
    status, out = network_cli(["check", "--config", config])
    assert status == 0, out
    for piece in (*baseline.subnet_ids, baseline.security_group_id, f"{REGION}.kms"):
        assert any(line.startswith("ok") and piece in line for line in out.splitlines()), piece
    assert "no findings" in out

    ec2 = aws.client("ec2")
    group = ec2.create_security_group(
        GroupName=unique("open"), Description="open", VpcId=baseline.vpc_id
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
    )
    status, out = network_cli(["check", "--config", config, "--security-group", group])
    assert status == 1
    assert f"FINDING  network.security_groups  {group}: ingress all traffic from ::/0" in out


def test_network_provision_creates_the_missing_endpoints(aws: Any, config: str) -> None:
    ec2 = aws.client("ec2")
    vpc = new_vpc(ec2)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    subnets = [new_subnet(ec2, vpc, zone=zone, route_table=table) for zone in ("a", "b", "a")]
    group = ec2.create_security_group(GroupName=unique("ml"), Description="ml", VpcId=vpc)[
        "GroupId"
    ]
    targets = [arg for subnet in subnets for arg in ("--subnet", subnet)]
    targets += ["--security-group", group]

    status, out = network_cli(["check", "--config", config, *targets])
    assert status == 1
    assert out.count("FINDING  network.privatelink") == 8

    status, out = network_cli(["provision", "--config", config, *targets, "--dry-run"])
    assert status == 0
    plan = json.loads(out)
    assert plan["created"] == []
    gateway, *interfaces = plan["planned"]
    assert gateway == {
        "VpcId": vpc,
        "VpcEndpointType": "Gateway",
        "ServiceName": f"com.amazonaws.{REGION}.s3",
        "RouteTableIds": [table],
    }
    assert [i["ServiceName"].split(f"{REGION}.")[1] for i in interfaces] == list(
        safeai.Policy().required_vpc_endpoints
    )
    assert all(len(i["SubnetIds"]) == 2 and i["PrivateDnsEnabled"] for i in interfaces)
    assert not ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "VpcEndpoints"
    ]

    status, out = network_cli(["provision", "--config", config, *targets, "--apply"])
    assert status == 0
    assert len(json.loads(out)["created"]) == 8
    status, out = network_cli(["check", "--config", config, *targets])
    assert status == 0, out
