"""The pytest plugin users get by installing safeai (entry point ``pytest11``): its fixtures, in
a pytest run of their own (a subprocess, since moto keeps one account per process and this
session's sandbox is open)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

USER_TEST = """
import json

from safeai.testing import RequestRecorder


def test_a_users_pipeline(safeai_sandbox, safeai_session):
    assert safeai_sandbox.endpoint_url.startswith("https://127.0.0.1:")
    with RequestRecorder() as recorder:
        sagemaker = safeai_session.client("sagemaker")
        sagemaker.create_model(ModelName="user-model", PrimaryContainer={"Image": "img:1"})
        safeai_session.client("s3").put_object(
            Bucket=safeai_sandbox.baseline.bucket, Key="user.csv", Body=b"a,b\\n"
        )
    sent = recorder.last("CreateModel").json()
    assert sent["EnableNetworkIsolation"] is True
    assert sent["ExecutionRoleArn"] == safeai_sandbox.policy.execution_role_arn
    headers = recorder.last("PutObject").headers
    assert headers["x-amz-server-side-encryption"] == "aws:kms"
"""


def test_the_fixtures_give_a_sandbox_and_a_guarded_session(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
