"""The detective audit of a whole AWS Organization (issue #17), on the sandbox.

moto keeps one backend per account and lets ``AssumeRole`` switch between them; its
``CreateAccount`` puts ``OrganizationAccountAccessRole`` in each new account, as AWS does, and
the sandbox refuses to assume a role that does not exist in a member account, as AWS does
(:mod:`safeai.testing._moto_accounts`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from safeai.testing import RequestRecorder
from tests.conftest import audit_cli, policy_file

if TYPE_CHECKING:
    from safeai import AuditReport
    from safeai.testing import Sandbox

REGIONS = ("me-south-1", "af-south-1")
READER = "safeai-audit-reader"
MEMBERS = ("insecure", "clean", "no-reader-role")


def _session(credentials: Any) -> Any:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGIONS[0],
    )


def _enter(account: str, role: str = "OrganizationAccountAccessRole") -> Any:
    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="setup"
    )["Credentials"]
    return _session(credentials)


@pytest.fixture(scope="module")
def organization(sandbox: Sandbox) -> dict[str, str]:
    """Member name -> account id. The management account is the sandbox's own; ``insecure``
    holds a model outside the VPC, ``clean`` nothing, and ``no-reader-role`` has no audit role."""
    organizations: Any = boto3.client("organizations")
    try:
        organizations.describe_organization()
    except organizations.exceptions.AWSOrganizationsNotInUseException:
        organizations.create_organization(FeatureSet="ALL")
    members: dict[str, str] = {}
    for name in MEMBERS:
        status = organizations.create_account(
            AccountName=f"ml-{name}", Email=f"ml-{name}@example.com"
        )["CreateAccountStatus"]
        members[name] = status["AccountId"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    for name in ("insecure", "clean"):
        _enter(members[name]).client("iam").create_role(
            RoleName=READER, AssumeRolePolicyDocument=trust
        )
    _enter(members["insecure"]).client("sagemaker", region_name=REGIONS[1]).create_model(
        ModelName="open-model",
        ExecutionRoleArn=sandbox.policy.execution_role_arn,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
    )
    return members


@pytest.fixture(scope="module")
def report(sandbox: Sandbox, organization: dict[str, str]) -> AuditReport:
    return safeai.audit(
        boto3.Session(),
        sandbox.policy,
        regions=REGIONS,
        accounts="organization",
        role_name=READER,
        resource_types=["model", "iam-user"],
    )


def test_the_insecure_resource_is_found_with_its_account(
    report: AuditReport, organization: dict[str, str]
) -> None:
    insecure = organization["insecure"]
    found = [f for f in report.findings if f.resource_type == "model"]
    assert found, report.to_table()
    assert {f.account for f in found} == {insecure}
    assert {f.region for f in found} == {REGIONS[1]}
    assert all(f":{insecure}:model/open-model" in f.resource_arn for f in found)
    assert "model.vpc" in {f.control for f in found}


def test_nothing_is_attributed_to_the_other_accounts(
    report: AuditReport, organization: dict[str, str]
) -> None:
    clean = organization["clean"]
    assert not [f for f in report.findings if f.account == clean]
    for finding in report.findings:
        if finding.resource_type == "model":
            assert f":{finding.account}:" in finding.resource_arn
    for resource in report.resources:
        if resource.resource_type == "model":
            assert f":{resource.account}:" in resource.arn


def test_every_account_is_named_and_the_unreadable_one_makes_the_report_incomplete(
    report: AuditReport, organization: dict[str, str]
) -> None:
    assert set(report.accounts) == {"123456789012", *organization.values()}
    assert report.unread_accounts == (organization["no-reader-role"],)
    [error] = [e for e in report.errors if e.resource_type == "account"]
    assert (error.account, error.operation, error.code) == (
        organization["no-reader-role"],
        "AssumeRole",
        "AccessDenied",
    )
    assert report.exit_code == 2
    assert "NOT a complete audit: 1 account(s) could not be read" in report.summary


def test_every_format_shows_the_account(report: AuditReport, organization: dict[str, str]) -> None:
    insecure = organization["insecure"]
    document = json.loads(report.to_json())
    assert document["accounts"]["unread"] == [organization["no-reader-role"]]
    assert insecure in document["accounts"]["audited"]
    assert {f["account"] for f in document["findings"] if f["resource_type"] == "model"} == {
        insecure
    }
    sarif = json.loads(report.to_sarif())
    [run] = sarif["runs"]
    results = [r for r in run["results"] if r["properties"]["resourceType"] == "model"]
    assert {r["properties"]["account"] for r in results} == {insecure}
    assert run["properties"]["unreadAccounts"] == [organization["no-reader-role"]]
    html = report.to_html()
    assert f"<h3>Account {insecure}</h3>" in html
    assert "Accounts not read" in html
    table = report.to_table()
    assert table.splitlines()[0].startswith("ACCOUNT")


def test_the_same_finding_in_two_accounts_has_two_fingerprints() -> None:
    from safeai._audit_model import Finding
    from safeai._report_formats import _fingerprint
    from safeai.controls import Anchors

    def finding(account: str) -> Finding:
        return Finding(
            "s3.versioning", "t", "s3-bucket", "arn:aws:s3:::data", "us-east-1", "Status", None,
            "Enabled", "r", Anchors(), account,
        )  # fmt: skip

    assert _fingerprint(finding("111111111111")) != _fingerprint(finding("222222222222"))


def test_a_list_of_accounts_audits_those_only(
    sandbox: Sandbox, organization: dict[str, str]
) -> None:
    with RequestRecorder(services=frozenset({"sts", "organizations", "sagemaker"})) as recorder:
        report = safeai.audit(
            boto3.Session(),
            sandbox.policy,
            regions=[REGIONS[1]],
            accounts=[organization["insecure"], organization["clean"]],
            role_name=READER,
            resource_types=["model"],
            buckets=False,
        )
    assert report.accounts == (organization["insecure"], organization["clean"])
    assert report.unread_accounts == ()
    assert report.exit_code == 1
    assert not recorder.sent("ListAccounts")
    assert len(recorder.sent("AssumeRole")) == 2


def test_progress_counts_accounts_times_regions(
    sandbox: Sandbox, organization: dict[str, str]
) -> None:
    calls: list[tuple[int, int]] = []
    safeai.audit(
        boto3.Session(),
        sandbox.policy,
        regions=REGIONS,
        accounts=[organization["clean"], organization["no-reader-role"]],
        role_name=READER,
        resource_types=["model"],
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (0, 4)
    assert calls[-1] == (4, 4)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"accounts": "organization"}, "needs role_name"),
        ({"role_name": READER}, "for auditing other accounts"),
        ({"accounts": ["12345"], "role_name": READER}, "12-digit account ids"),
        ({"accounts": "123456789012", "role_name": READER}, "a list of account ids"),
    ],
)
def test_wrong_arguments_are_refused_before_anything_is_read(
    sandbox: Sandbox, arguments: dict[str, Any], message: str
) -> None:
    with (
        RequestRecorder(services=frozenset({"sts", "organizations"})) as recorder,
        pytest.raises(safeai.SafeAIError, match=message),
    ):
        safeai.audit(boto3.Session(), sandbox.policy, regions=[REGIONS[0]], **arguments)
    assert recorder.requests == []


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Any) -> str:
    return policy_file(sandbox.policy, tmp_path)


def test_the_cli_audits_the_organization(config: str, organization: dict[str, str]) -> None:
    argv = ["--config", config, "--organization", "--role-name", READER, "--type", "model"]
    status, out = audit_cli(*argv, "--region", *REGIONS, "--format", "json")
    assert status == 2, "one account has no reader role"
    document = json.loads(out)
    assert document["accounts"]["unread"] == [organization["no-reader-role"]]
    assert organization["insecure"] in {f["account"] for f in document["findings"]}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--organization"], "need --role-name"),
        (["--role-name", READER], "go with --organization or --account"),
        (["--organization", "--account", "111122223333", "--role-name", READER], "choose one"),
    ],
)
def test_the_cli_says_what_is_wrong_before_reading(
    config: str, argv: list[str], message: str, capsys: Any
) -> None:
    status, out = audit_cli("--config", config, *argv)
    assert (status, out) == (2, "")
    assert message in capsys.readouterr().err
