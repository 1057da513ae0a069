"""Shared fixtures: one moto server per test session, a policy for its baseline, and a check
that no test leaves a guard switched on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from safeai import _hooks, preflight
from safeai.testing import RequestRecorder, Sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator

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
