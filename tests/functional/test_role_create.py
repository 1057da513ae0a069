"""``safeai role`` and ``safeai scp`` on the command line; ``role create`` against the sandbox."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from safeai import Policy, iam
from safeai.cli import _role, _scp

if TYPE_CHECKING:
    from safeai.testing import Sandbox

ACCOUNT = "123456789012"
REGION = "us-east-1"


def cli(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    """Run one command through its own ``register``, as ``safeai.cli.main`` does."""
    parser = argparse.ArgumentParser(prog="safeai")
    commands = parser.add_subparsers(dest="command")
    _role.register(commands)
    _scp.register(commands)
    args = parser.parse_args(argv)
    status = args.run(args, sys.stdout)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def no_policy(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No safeai.toml, no [tool.safeai], no SAFEAI_* variables."""
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("SAFEAI_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def sandbox_policy(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, no_policy: None) -> None:
    """The sandbox baseline's policy, as ``python -m safeai.testing`` provides it."""
    policy = sandbox.policy
    monkeypatch.setenv("SAFEAI_EXECUTION_ROLE_ARN", policy.execution_role_arn or "")
    monkeypatch.setenv("SAFEAI_KMS_KEY_ID", policy.kms_key_id or "")
    monkeypatch.setenv("SAFEAI_SUBNETS", ",".join(policy.subnets))
    monkeypatch.setenv("SAFEAI_SECURITY_GROUP_IDS", ",".join(policy.security_group_ids))
    monkeypatch.setenv("SAFEAI_REGION", REGION)


def workload(name: str) -> list[str]:
    return [
        "role",
        "create",
        name,
        "--input",
        "s3://safeai-sandbox-ml-data/train/",
        "--output",
        "s3://safeai-sandbox-ml-data/models/",
    ]


def test_role_create_is_idempotent_and_reads_back(
    sandbox: Sandbox, sandbox_policy: None, capsys: Any
) -> None:
    client = boto3.Session(region_name=REGION).client("iam")
    boundary = client.create_policy(
        PolicyName="ml-boundary",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    argv = [*workload("churn-exec"), "--permissions-boundary", boundary, "--tag", "team=ml"]

    status, out, err = cli(argv, capsys)
    assert (status, err) == (0, "")
    assert out == "role churn-exec: created the role; added the inline policy safeai-execution\n"

    policy = sandbox.policy
    assert policy.kms_key_id
    expected_policy = iam.execution_role_policy(
        inputs=["s3://safeai-sandbox-ml-data/train/"],
        outputs=["s3://safeai-sandbox-ml-data/models/"],
        kms_key_arn=policy.kms_key_id,
        region=REGION,
        account=ACCOUNT,
        subnets=policy.subnets,
        security_group_ids=policy.security_group_ids,
    )
    role = client.get_role(RoleName="churn-exec")["Role"]
    assert role["AssumeRolePolicyDocument"] == iam.trust_policy(ACCOUNT, REGION)
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    inline = client.get_role_policy(RoleName="churn-exec", PolicyName="safeai-execution")
    assert inline["PolicyDocument"] == expected_policy
    assert client.list_role_tags(RoleName="churn-exec")["Tags"] == [{"Key": "team", "Value": "ml"}]

    assert cli(argv, capsys) == (0, "role churn-exec is up to date: nothing changed\n", "")


def test_role_create_puts_back_drifted_documents(
    sandbox: Sandbox, sandbox_policy: None, capsys: Any
) -> None:
    client = boto3.Session(region_name=REGION).client("iam")
    assert cli(workload("drifting-exec"), capsys)[0] == 0
    open_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    client.update_assume_role_policy(
        RoleName="drifting-exec", PolicyDocument=json.dumps(open_trust)
    )
    client.put_role_policy(
        RoleName="drifting-exec",
        PolicyName="safeai-execution",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )

    status, out, _ = cli([*workload("drifting-exec"), "--tag", "owner=platform"], capsys)
    assert status == 0
    assert out == (
        "role drifting-exec: replaced the trust policy; set tags owner; "
        "replaced the inline policy safeai-execution\n"
    )
    role = client.get_role(RoleName="drifting-exec")["Role"]
    assert role["AssumeRolePolicyDocument"] == iam.trust_policy(ACCOUNT, REGION)
    document = client.get_role_policy(RoleName="drifting-exec", PolicyName="safeai-execution")
    assert "s3:*" not in json.dumps(document["PolicyDocument"])


def test_role_policy_and_trust_print_json(no_policy: None, capsys: Any) -> None:
    place = ["--account", ACCOUNT, "--region", REGION]
    status, out, _ = cli(
        ["role", "policy", "--input", "s3://ml-data/train/", "--no-vpc", *place], capsys
    )
    assert status == 0
    assert json.loads(out) == iam.execution_role_policy(
        inputs=["s3://ml-data/train/"],
        outputs=[],
        kms_key_arn=None,
        region=REGION,
        account=ACCOUNT,
        vpc=False,
    )
    status, out, _ = cli(["role", "trust", *place, "--job-type", "training-job"], capsys)
    assert status == 0
    assert json.loads(out) == iam.trust_policy(ACCOUNT, REGION, ["training-job"])


def test_role_commands_say_what_is_missing_or_wrong(no_policy: None, capsys: Any) -> None:
    status, out, err = cli(["role", "trust", "--region", REGION], capsys)
    assert (status, out) == (2, "")
    assert "--account is required: no policy (no configuration found" in err
    status, _, err = cli(
        ["role", "policy", "--input", "ml-data", "--account", ACCOUNT, "--region", REGION],
        capsys,
    )
    assert status == 1
    assert "'ml-data' is not an s3://bucket/prefix URI" in err


def test_scp_prints_the_policys_documents(sandbox_policy: None, capsys: Any) -> None:
    status, out, err = cli(["scp"], capsys)
    assert (status, err) == (0, "")
    documents = json.loads(out)
    assert isinstance(documents, list)
    assert documents
    assert all(document["Version"] == "2012-10-17" for document in documents)


def test_scp_without_a_policy_fails_with_the_reason(no_policy: None, capsys: Any) -> None:
    status, out, err = cli(["scp", "--format", "json"], capsys)
    assert (status, out) == (1, "")
    assert err.startswith("safeai scp: no configuration found")


# -- the caller role (issue #15) ------------------------------------------------------------------

ADA = f"arn:aws:iam::{ACCOUNT}:user/ada"
CI = f"arn:aws:iam::{ACCOUNT}:role/ci-runner"


def test_role_caller_prints_both_documents(sandbox_policy: None, capsys: Any) -> None:
    status, out, err = cli(
        ["role", "caller", "--principal", ADA, "--principal", CI, "--data-bucket", "ml-data"],
        capsys,
    )
    assert (status, err) == (0, "")
    printed = json.loads(out)
    assert set(printed) == {"trust_policy", "permissions_policy"}
    trust = {s["Sid"]: s for s in printed["trust_policy"]["Statement"]}
    assert trust["PeopleWithMFA"]["Principal"] == {"AWS": [ADA]}
    documents = printed["permissions_policy"]
    documents = documents if isinstance(documents, list) else [documents]
    assert any(
        s["Sid"] == "PassTheExecutionRoleToSageMakerOnly" for d in documents for s in d["Statement"]
    )


def test_role_caller_without_a_principal_or_a_policy_says_what_is_missing(
    no_policy: None, capsys: Any
) -> None:
    with pytest.raises(SystemExit):
        cli(["role", "caller"], capsys)
    assert "--principal" in capsys.readouterr().err
    status, _, err = cli(["role", "caller", "--principal", ADA], capsys)
    assert status == 2
    assert "made from the policy" in err


def test_role_create_caller_creates_the_role_and_is_idempotent(
    sandbox_policy: None, capsys: Any
) -> None:
    argv = ["role", "create", "ml-caller", "--caller", "--principal", ADA, "--principal", CI]
    argv += ["--data-bucket", "safeai-sandbox-ml-data"]
    status, out, err = cli(argv, capsys)
    assert (status, err) == (0, ""), err
    assert "created the role" in out
    client: Any = boto3.client("iam")
    role = client.get_role(RoleName="ml-caller")["Role"]
    expected = iam.caller_role(Policy.load(), [ADA, CI], data_buckets=["safeai-sandbox-ml-data"])
    assert role["AssumeRolePolicyDocument"] == expected.trust_policy
    attached = client.list_attached_role_policies(RoleName="ml-caller")["AttachedPolicies"]
    inline = client.list_role_policies(RoleName="ml-caller")["PolicyNames"]
    stored: list[dict[str, Any]] = []
    for entry in sorted(attached, key=lambda e: e["PolicyName"]):
        version = client.get_policy(PolicyArn=entry["PolicyArn"])["Policy"]["DefaultVersionId"]
        stored.append(
            client.get_policy_version(PolicyArn=entry["PolicyArn"], VersionId=version)[
                "PolicyVersion"
            ]["Document"]
        )
    for name in inline:
        stored.append(
            client.get_role_policy(RoleName="ml-caller", PolicyName=name)["PolicyDocument"]
        )
    assert stored == list(expected.permissions_policies)
    assert cli(argv, capsys)[1] == "role ml-caller is up to date: nothing changed\n"


def test_ensure_role_brings_a_drifted_managed_policy_back(sandbox: Sandbox) -> None:
    client: Any = boto3.client("iam")
    trust: dict[str, Any] = {"Version": "2012-10-17", "Statement": []}

    def allowing(sid: str) -> dict[str, Any]:
        statement = {"Sid": sid, "Effect": "Allow", "Action": ["sagemaker:DescribeModel"]}
        return {"Version": "2012-10-17", "Statement": [{**statement, "Resource": "*"}]}

    assert iam.ensure_role(
        "drifting-caller", trust=trust, policy=None, managed_policies=[allowing("A")], client=client
    ) == [
        "created the role",
        "created the managed policy drifting-caller-1",
        "attached drifting-caller-1",
    ]
    for sid in ("B", "C", "D", "E", "F", "G"):  # past IAM's five versions: the oldest goes
        changes = iam.ensure_role(
            "drifting-caller",
            trust=trust,
            policy=None,
            managed_policies=[allowing(sid)],
            client=client,
        )
        assert changes == ["replaced the managed policy drifting-caller-1"]
    arn = f"arn:aws:iam::{ACCOUNT}:policy/safeai/drifting-caller-1"
    assert len(client.list_policy_versions(PolicyArn=arn)["Versions"]) == 5
    assert (
        iam.ensure_role(
            "drifting-caller",
            trust=trust,
            policy=None,
            managed_policies=[allowing("G")],
            client=client,
        )
        == []
    )


# -- the audit-reader role (issue #17) ------------------------------------------------------------

AUDITOR = "111122223333"


def test_role_audit_reader_prints_the_documents_or_the_template(
    no_policy: None, capsys: Any
) -> None:
    argv = ["role", "audit-reader", "--trusted-account", AUDITOR, "--external-id", "org-audit"]
    status, out, err = cli(argv, capsys)
    assert (status, err) == (0, "")
    assert json.loads(out) == iam.audit_reader_role(AUDITOR, external_id="org-audit").as_json()
    status, out, err = cli([*argv, "--format", "stackset", "--role-name", "auditor"], capsys)
    assert (status, err) == (0, "")
    assert json.loads(out) == iam.audit_reader_stackset_template(
        AUDITOR, external_id="org-audit", role_name="auditor"
    )


def test_role_audit_reader_says_what_is_missing_or_wrong(no_policy: None, capsys: Any) -> None:
    with pytest.raises(SystemExit):
        cli(["role", "audit-reader"], capsys)
    assert "--trusted-account" in capsys.readouterr().err
    status, out, err = cli(["role", "audit-reader", "--trusted-account", "1234"], capsys)
    assert (status, out) == (1, "")
    assert "'1234' is not an AWS account id: expected 12 digits, like 111122223333" in err
    status, out, err = cli(["role", "create", "auditor", "--audit-reader"], capsys)
    assert (status, out) == (2, "")
    assert "--trusted-account is required" in err
    with pytest.raises(SystemExit):
        cli(["role", "create", "both", "--audit-reader", "--caller"], capsys)
    assert "not allowed with argument" in capsys.readouterr().err


def test_role_create_audit_reader_creates_the_role_and_is_idempotent(
    sandbox: Sandbox, no_policy: None, capsys: Any
) -> None:
    argv = ["role", "create", "org-auditor", "--audit-reader", "--trusted-account", AUDITOR]
    argv += ["--external-id", "org-audit", "--tag", "team=platform"]
    status, out, err = cli(argv, capsys)
    assert (status, err) == (0, ""), err
    assert out == (
        "role org-auditor: created the role; added the inline policy safeai-audit-reader\n"
    )
    client: Any = boto3.Session(region_name=REGION).client("iam")
    expected = iam.audit_reader_role(AUDITOR, external_id="org-audit")
    role = client.get_role(RoleName="org-auditor")["Role"]
    assert role["AssumeRolePolicyDocument"] == expected.trust_policy
    inline = client.get_role_policy(RoleName="org-auditor", PolicyName="safeai-audit-reader")
    assert [inline["PolicyDocument"]] == list(expected.permissions_policies)
    assert client.list_attached_role_policies(RoleName="org-auditor")["AttachedPolicies"] == []
    assert cli(argv, capsys) == (0, "role org-auditor is up to date: nothing changed\n", "")
    # Another auditing account: the trust is put back to name it, the permissions stay.
    argv[argv.index(AUDITOR)] = "444455556666"
    assert cli(argv, capsys) == (0, "role org-auditor: replaced the trust policy\n", "")


def test_the_stackset_template_creates_the_same_role_on_moto(sandbox: Sandbox) -> None:
    template = iam.audit_reader_stackset_template(AUDITOR, role_name="stack-auditor")
    cloudformation: Any = boto3.Session(region_name=REGION).client("cloudformation")
    cloudformation.create_stack(
        StackName="safeai-audit-reader",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "ExternalId", "ParameterValue": "org-audit"}],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    [stack] = cloudformation.describe_stacks(StackName="safeai-audit-reader")["Stacks"]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    assert outputs["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/stack-auditor"
    client: Any = boto3.Session(region_name=REGION).client("iam")
    expected = iam.audit_reader_role(AUDITOR, external_id="org-audit")
    role = client.get_role(RoleName="stack-auditor")["Role"]
    assert role["AssumeRolePolicyDocument"] == expected.trust_policy
    document = client.get_role_policy(RoleName="stack-auditor", PolicyName="safeai-audit-reader")[
        "PolicyDocument"
    ]
    if isinstance(document, str):  # moto's CloudFormation stores an inline policy's Python repr
        import ast

        document = ast.literal_eval(document)
    assert [document] == list(expected.permissions_policies)


def test_an_audit_sends_only_what_the_audit_reader_role_allows(sandbox: Sandbox) -> None:
    """At run time too: every request of an audit (an endpoint through its configuration and
    model, the buckets they name, the IAM users) is one the role grants."""
    from safeai import audit
    from safeai._caller_role import S3_ACTIONS
    from safeai.testing import RequestRecorder

    region = "ap-northeast-2"
    policy = sandbox.policy
    sm: Any = boto3.Session(region_name=region).client("sagemaker")
    sm.create_model(
        ModelName="reader-model",
        ExecutionRoleArn=policy.execution_role_arn,
        PrimaryContainer={
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1",
            "ModelDataUrl": "s3://safeai-sandbox-ml-data/models/model.tar.gz",
        },
        VpcConfig={
            "Subnets": list(policy.subnets),
            "SecurityGroupIds": list(policy.security_group_ids),
        },
        EnableNetworkIsolation=True,
    )
    sm.create_endpoint_config(
        EndpointConfigName="reader-config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": "reader-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName="reader-endpoint", EndpointConfigName="reader-config")

    with RequestRecorder(services=frozenset({"sagemaker", "s3", "iam", "sts"})) as recorder:
        report = audit(boto3.Session(region_name=region), policy, regions=[region])
    sent = {(request.service, request.operation) for request in recorder.requests}
    assert {
        ("sagemaker", "DescribeEndpoint"),
        ("sagemaker", "DescribeEndpointConfig"),
        ("sagemaker", "DescribeModel"),
        ("s3", "GetBucketEncryption"),
        ("iam", "GetAccountAuthorizationDetails"),
    } <= sent, sent
    assert not report.errors, report.errors
    granted = {
        action
        for document in iam.audit_reader_role(AUDITOR).permissions_policies
        for statement in document["Statement"]
        for action in statement["Action"]
    }
    # STS answers GetCallerIdentity whatever the caller's permissions.
    granted.add("sts:GetCallerIdentity")
    assert (
        sorted(
            f"{service}:{operation}"
            for service, operation in sent
            if S3_ACTIONS.get(operation, f"{service}:{operation}") not in granted
        )
        == []
    )
