"""The command-line door, run in-process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from safeai.cli import main
from tests.conftest import policy_file

if TYPE_CHECKING:
    from pathlib import Path

    from safeai.testing import Sandbox


def test_demo_secures_refuses_and_waives() -> None:
    # A process of its own: the demo opens a sandbox, and moto keeps one account per process.
    demo = subprocess.run(
        [sys.executable, "-m", "safeai", "demo"], capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout
    assert "injected  training.network_isolation" in out
    assert (
        "training.network_isolation: CreateTrainingJob refused: EnableNetworkIsolation=False" in out
    )
    assert "requests sent to AWS for it: 0" in out
    assert "waived    training.network_isolation  installs packages at start-up" in out
    assert "refused: endpoint_config.storage_kms" in out
    assert re.search(r"report   sent .* 4 would_inject, 1 would_refuse", out)
    assert re.search(r"warn     sent .* 4 injected, 1 warned", out)
    assert "enforce  refused, nothing sent" in out
    assert "the baseline passes: kms.key, network.private_subnets" in out
    assert "refused: network.security_groups: VpcConfig.SecurityGroupIds -> sg-" in out
    assert "SecurityWarning: training.network_isolation: CreateTrainingJob sent in warn mode" in out
    assert "x-amz-server-side-encryption: aws:kms" in out
    assert 'ServerSideEncryption="AES256"): refused by s3.sse_kms' in out
    assert "refused by s3.public_access" in out
    assert re.search(r"clean/\s+launched\s+Macie jobs run: 1", out)
    assert re.search(r"raw/\s+refused by training.pii\s+Macie jobs run: 1", out)
    assert re.search(r"clean/\s+launched\s+Macie jobs run: 0", out)
    assert "USA_SOCIAL_SECURITY_NUMBER x2" in out
    assert "512-38-4471" not in out
    assert re.search(r"step Train\s+\d+ fields filled in", out)
    assert re.search(r"model\.network_isolation\s+arn:aws:sagemaker:\S+:model/legacy-model", out)
    assert re.search(r"\d+ finding\(s\) on \d+ of \d+ resource\(s\) in us-east-1; 0 error", out)
    assert "\033[" not in out, "no colour codes when the output is not a terminal"


def test_controls_lists_the_catalogue(capsys: Any) -> None:
    assert main(["controls"]) == 0
    out = capsys.readouterr().out
    assert "training.network_isolation" in out
    assert "notebook.imdsv2" in out


def test_controls_of_one_operation(capsys: Any) -> None:
    assert main(["controls", "--operation", "CreateModel"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines if line.startswith("model.")] == [
        "model.role",
        "model.vpc",
        "model.network_isolation",
        "model.code_location",
        "model.private_registry",
        "model.tags",
    ]
    assert main(["controls", "--operation", "ListModels"]) == 1


def test_version(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"safeai {safeai.__version__}"


def test_policy_show_and_check(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    config = tmp_path / "safeai.toml"
    config.write_text(
        'execution_role_arn = "arn:aws:iam::111122223333:role/ml"\nmode = "warn"\n'
        '[profiles.prod]\nmode = "enforce"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["--profile", "prod", "policy", "show", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["mode"] == {"value": "enforce", "source": f"{config} [profiles.prod]"}
    assert shown["network_isolation"] == {"value": True, "source": "default"}
    assert main(["policy", "check"]) == 0
    assert "configuration is valid" in capsys.readouterr().out
    config.write_text('subnets = ["sg-1"]\nmodes = { "training.vpc" = "dryrun" }\n')
    assert main(["policy", "check", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"{config}: subnets: 'sg-1' is not a subnet id" in out
    assert f"{config}: modes: 'training.vpc': expected one of enforce, warn, report" in out
    assert "2 problem(s)" in out


def test_policy_check_lists_every_problem_with_a_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    config = tmp_path / "safeai.toml"
    config.write_text(
        'subnetz = ["subnet-0a1"]\nmode = "enforc"\nkms_key_id = "alias/aws/s3"\n'
        '[profiles.ci]\npii_scaner = "local"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["policy", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{config}: subnetz: unknown key; did you mean 'subnets'?" in out
    assert f"{config}: mode: expected one of enforce, warn, report, found 'enforc'; did you " in out
    assert f"{config}: kms_key_id: 'alias/aws/s3' is an AWS managed key" in out
    assert f"{config} [profiles.ci]: pii_scaner: unknown key; did you mean 'pii_scanner'?" in out
    assert "4 problem(s)" in out


@pytest.mark.parametrize("command", [["controls"], ["scp"], ["policy", "show"]])
def test_an_unknown_profile_is_an_error_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, command: list[str]
) -> None:
    monkeypatch.delenv("SAFEAI_PROFILE", raising=False)
    monkeypatch.delenv("SAFEAI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    # No configuration file at all: an explicit profile has nothing to come from.
    assert main(["--profile", "nope", *command]) == 2
    err = capsys.readouterr().err
    assert "safeai --profile nope: profile 'nope' given, but no configuration file" in err
    assert f"from {tmp_path} upward" in err
    config = tmp_path / "safeai.toml"
    config.write_text(
        'execution_role_arn = "arn:aws:iam::111122223333:role/ml"\n'
        '[profiles.prod]\nmode = "enforce"\n[profiles.staging]\nmode = "warn"\n'
    )
    assert main(["--profile", "prd", *command]) == 2
    err = capsys.readouterr().err
    assert (
        f"safeai --profile prd: {config}: no profile 'prd' (profiles: prod, staging); "
        "did you mean 'prod'?"
    ) in err
    monkeypatch.setenv("SAFEAI_PROFILE", "nope")
    assert main(command) == 2
    assert "safeai (SAFEAI_PROFILE=nope): " in capsys.readouterr().err


def test_a_known_profile_and_no_profile_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.delenv("SAFEAI_PROFILE", raising=False)
    monkeypatch.delenv("SAFEAI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["controls"]) == 0, "no file and no profile: commands that need none still run"
    (tmp_path / "safeai.toml").write_text('[profiles.prod]\nmode = "enforce"\n')
    assert main(["--profile", "prod", "controls"]) == 0
    capsys.readouterr()
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('mode = "warn"\n')
    # The profile is looked for in the file the command reads.
    assert main(["--profile", "prod", "policy", "check", str(elsewhere)]) == 2
    assert f"{elsewhere}: no profile 'prod' (profiles: none)" in capsys.readouterr().err


# -- safeai audit ---------------------------------------------------------------------------------

AUDIT_REGION = "ap-northeast-1"


@pytest.fixture(scope="module")
def audit_config(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A configuration for the sandbox's baseline, and a model in AUDIT_REGION outside the VPC
    that reads its artefact from the sandbox's data bucket."""
    policy = sandbox.policy
    path = policy_file(policy, tmp_path_factory.mktemp("audit"))
    sagemaker: Any = boto3.Session(region_name=AUDIT_REGION).client("sagemaker")
    sagemaker.create_model(
        ModelName="outside-the-vpc",
        ExecutionRoleArn=policy.execution_role_arn,
        PrimaryContainer={
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1",
            "ModelDataUrl": "s3://safeai-sandbox-ml-data/model.tar.gz",  # the baseline's bucket
        },
        EnableNetworkIsolation=True,
    )
    return path


def _audit_json(capsys: Any, *argv: str) -> tuple[int, dict[str, Any]]:
    status = main(["audit", "--region", AUDIT_REGION, "--format", "json", *argv])
    return status, json.loads(capsys.readouterr().out)


def test_audit_accepts_every_type_the_report_can_hold(audit_config: str, capsys: Any) -> None:
    status, report = _audit_json(capsys, "--config", audit_config, "--type", "s3-bucket")
    assert status == 0, report
    assert list(report["resource_types"]) == ["s3-bucket"]
    assert {r["resource_type"] for r in report["resources"]} == {"s3-bucket"}
    assert report["findings"] == []
    status, report = _audit_json(capsys, "--config", audit_config, "--type", "model", "s3-bucket")
    assert status == 1
    assert list(report["resource_types"]) == ["model", "s3-bucket"]
    assert {f["control"] for f in report["findings"]} == {"model.vpc"}


def test_audit_type_choices_are_the_report_types() -> None:
    from safeai._detective import BUCKETS, IAM_USERS, RESOURCE_TYPES, S3_ACCESS_POINTS, S3_ACCOUNT
    from safeai.cli._audit import TYPES

    listed = (kind.name for kind in RESOURCE_TYPES)
    assert (*listed, S3_ACCESS_POINTS, S3_ACCOUNT, IAM_USERS, BUCKETS) == TYPES


def test_audit_without_credentials_says_once_what_is_missing(
    audit_config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["audit", "--config", audit_config, "--region", AUDIT_REGION]) == 2
    captured = capsys.readouterr()
    assert captured.out == "", "nothing was read, so there is no report"
    assert captured.err.count("safeai audit: no AWS credentials found") == 1
    assert "NoCredentialsError" not in captured.err
    assert "aws configure" in captured.err
    assert "safeai sandbox audit" in captured.err
    # A bad policy is said too, in the same run: both are fixed before anything is read.
    bad = tmp_path / "bad.toml"
    bad.write_text('subnets = ["sg-1"]\n', encoding="utf-8")
    assert main(["audit", "--config", str(bad), "--region", AUDIT_REGION]) == 2
    err = capsys.readouterr().err
    assert "subnets: 'sg-1' is not a subnet id" in err
    assert "no AWS credentials found" in err
