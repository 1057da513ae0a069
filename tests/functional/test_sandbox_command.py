"""``safeai sandbox`` and ``python -m safeai.testing``: a command or a script against a fresh
sandbox.

Each run that starts a sandbox is a process of its own: moto keeps one account per process, and
the test session's sandbox (tests/conftest.py) must not be emptied under the other tests. The
checks made before a sandbox starts (usage, missing files, missing extra) run in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from safeai.cli import main
from safeai.testing.__main__ import main as runner_main

ROOT = Path(__file__).resolve().parents[2]

#: A setup script: a training job created without the guard, network isolation off.
MAKE_JOB = """
import boto3

boto3.client("sagemaker").create_training_job(
    TrainingJobName="unguarded",
    RoleArn="arn:aws:iam::123456789012:role/safeai-ml-execution",
    AlgorithmSpecification={"TrainingImage": "img:1", "TrainingInputMode": "File"},
    OutputDataConfig={"S3OutputPath": "s3://safeai-sandbox-ml-data/out/"},
    ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    StoppingCondition={"MaxRuntimeInSeconds": 60},
    EnableNetworkIsolation=False,
)
"""


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` in a process of its own, in an empty directory, with no SAFEAI_* variables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAFEAI_")}
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=environment,
    )


def test_a_safeai_command_runs_against_the_sandbox_after_its_setup(tmp_path: Path) -> None:
    (tmp_path / "make_job.py").write_text(MAKE_JOB)
    done = _run(
        tmp_path, "-m", "safeai", "sandbox", "--setup", "make_job.py", "audit", "--format", "json"
    )
    assert done.returncode == 1, done.stderr  # findings
    report = json.loads(done.stdout)  # nothing but the report on stdout
    assert report["regions"] == ["us-east-1"]
    found = {(f["control"], f["resource_arn"].rsplit("/", 1)[1]) for f in report["findings"]}
    assert ("training.network_isolation", "unguarded") in found
    assert {name for _, name in found} == {"unguarded"}
    assert "safeai sandbox: an offline account at https://127.0.0.1:" in done.stderr


def test_a_script_runs_against_the_sandbox_with_its_arguments_and_status(tmp_path: Path) -> None:
    (tmp_path / "make_job.py").write_text(MAKE_JOB)
    (tmp_path / "check.py").write_text(
        textwrap.dedent(
            """
            import json, os, sys
            import boto3, safeai

            jobs = boto3.client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
            print(json.dumps({
                "argv": sys.argv,
                "jobs": [job["TrainingJobName"] for job in jobs],
                "key": safeai.Policy.load().kms_key_id,
            }))
            sys.exit(3)
            """
        )
    )
    done = _run(
        tmp_path,
        *("-m", "safeai", "sandbox", "--setup", "make_job.py"),
        *("run", "check.py", "a", "--flag", "--", "b"),
    )
    assert done.returncode == 3, done.stderr
    seen = json.loads(done.stdout)
    assert seen["argv"] == ["check.py", "a", "--flag", "--", "b"]
    assert seen["jobs"] == ["unguarded"], "the setup ran in the same sandbox"
    assert seen["key"].startswith("arn:aws:kms:us-east-1:123456789012:key/")


def test_a_notebook_kernel_talks_over_ipc_not_tcp(tmp_path: Path) -> None:
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    done = _run(tmp_path, "-m", "safeai.testing", str(ROOT / "examples" / "notebook.ipynb"))
    assert done.returncode == 0, done.stderr
    assert "safeai: guarding every SageMaker client in this kernel" in done.stdout
    assert "without encryption" not in done.stderr


# -- checked before any sandbox starts ------------------------------------------------------------


def test_sandbox_usage_errors(tmp_path: Path, capsys: Any) -> None:
    assert main(["sandbox"]) == 2
    assert "name what to run: a safeai command (safeai sandbox audit)" in capsys.readouterr().err
    assert main(["sandbox", "demo"]) == 2
    assert "the demo opens a sandbox of its own" in capsys.readouterr().err
    assert main(["sandbox", "sandbox", "audit"]) == 2
    assert main(["sandbox", "nope"]) == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    assert main(["sandbox", "run"]) == 2
    assert "run needs a script" in capsys.readouterr().err
    missing = str(tmp_path / "missing.py")
    assert main(["sandbox", "run", missing]) == 2
    assert f"safeai sandbox: no such file: {missing!r}" in capsys.readouterr().err
    assert main(["sandbox", "--setup", missing, "audit"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["sandbox", "run", "--help"]) == 0
    assert "usage: safeai sandbox run SCRIPT [ARGS...]" in capsys.readouterr().out
    assert main(["sandbox", "audit", "--help"]) == 0  # the command's own help, no sandbox
    assert "usage: safeai audit" in capsys.readouterr().out


def test_sandbox_without_moto_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # as if it were not installed
    assert main(["sandbox", "audit"]) == 2
    assert "pip install 'safeai[sandbox]'" in capsys.readouterr().err


def test_runner_help_and_a_missing_script(tmp_path: Path, capsys: Any) -> None:
    with pytest.raises(SystemExit) as exited:
        runner_main(["--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(
        "usage: python -m safeai.testing [-h] SCRIPT [ARGS ...]"
    )
    missing = str(tmp_path / "missing.py")
    with pytest.raises(SystemExit) as exited:
        runner_main([missing, "--help"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"error: no such file: {missing!r}" in err
    assert "Traceback" not in err
    with pytest.raises(SystemExit) as exited:
        runner_main([])
    assert exited.value.code == 2
    assert "the following arguments are required: SCRIPT" in capsys.readouterr().err


def test_a_notebook_without_nbclient_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setitem(sys.modules, "nbclient", None)  # as if it were not installed
    notebook = str(ROOT / "examples" / "notebook.ipynb")
    assert main(["sandbox", "run", notebook]) == 2
    assert "pip install 'safeai[notebook]'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        runner_main([notebook])
    assert exited.value.code == 2
    assert "pip install 'safeai[notebook]'" in capsys.readouterr().err
