"""The command-line door, run in-process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

import safeai
from safeai.cli import main


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
