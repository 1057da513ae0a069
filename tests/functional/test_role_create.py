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
