"""Shared fixtures: one moto server per test session, a policy for its baseline, and a check
that no test leaves a guard switched on."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from safeai import _hooks, preflight
from safeai.testing import RequestRecorder, Sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TRAINING_REQUEST: dict[str, Any] = {
    "TrainingJobName": "job",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/out/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 60},
}


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as opened:
        yield opened


@pytest.fixture
def policy(sandbox: Sandbox) -> safeai.Policy:
    return sandbox.policy


@pytest.fixture
def recorder() -> Iterator[RequestRecorder]:
    with RequestRecorder() as opened:
        yield opened


@pytest.fixture
def sagemaker(sandbox: Sandbox) -> Any:
    """A fresh, unguarded SageMaker client on the sandbox."""
    return boto3.Session(region_name="us-east-1").client("sagemaker")


@pytest.fixture(autouse=True)
def _no_guard_left_behind() -> Iterator[None]:
    yield
    leftover = _hooks.active_handles()
    for handle in leftover:
        safeai.unguard(handle)
    preflight.clear_caches()
    assert not leftover, f"test left guards switched on: {leftover}"


def job(name: str, **overrides: Any) -> dict[str, Any]:
    """A CreateTrainingJob request with no security fields, named ``name``."""
    return {**TRAINING_REQUEST, "TrainingJobName": name, **overrides}


def policy_file(policy: safeai.Policy, directory: Path) -> str:
    """A ``safeai.toml`` in ``directory`` with ``policy``'s role, key, subnets and security
    groups (what the CLI's ``--config`` reads); its path."""
    path = directory / "safeai.toml"
    path.write_text(
        f'execution_role_arn = "{policy.execution_role_arn}"\n'
        f'kms_key_id = "{policy.kms_key_id}"\n'
        f"subnets = {json.dumps(list(policy.subnets))}\n"
        f"security_group_ids = {json.dumps(list(policy.security_group_ids))}\n",
        encoding="utf-8",
    )
    return str(path)


def audit_cli(*argv: str) -> tuple[int, str]:
    """``safeai audit ARGV`` through the command module's own parser (as safeai.cli does): the
    exit status and what it wrote to stdout."""
    import argparse
    import io

    from safeai.cli import _audit

    parser = argparse.ArgumentParser(prog="safeai")
    _audit.register(parser.add_subparsers())
    args = parser.parse_args(["audit", *argv])
    out = io.StringIO()
    status: int = args.run(args, out)
    return status, out.getvalue()
