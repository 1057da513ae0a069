"""Script-mode code under network isolation: the job's S3 submit directory becomes a ``code``
channel (as the SageMaker SDK does with ``enable_network_isolation=True``), and a model whose
container would fetch its code from S3 is refused with the fix."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

import safeai

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/SafeAIExecution",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
)
SOURCE = "s3://sagemaker-us-east-1-111122223333/sklearn-2026-12-01/source/sourcedir.tar.gz"
IN_CONTAINER = "/opt/ml/input/data/code/sourcedir.tar.gz"


def _script_mode_job(**overrides: Any) -> dict[str, Any]:
    """What SDK v2 sends for SKLearn(entry_point="train.py") without enable_network_isolation."""
    request: dict[str, Any] = {
        "TrainingJobName": "sklearn-2026-12-01",
        "AlgorithmSpecification": {"TrainingImage": "sklearn:1.2", "TrainingInputMode": "File"},
        "HyperParameters": {
            "sagemaker_submit_directory": json.dumps(SOURCE),
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_region": json.dumps("us-east-1"),
        },
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/train/"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://data/out/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    return {**request, **overrides}


def test_an_isolated_jobs_submit_directory_becomes_a_code_channel() -> None:
    secured, decisions = safeai.enforce("CreateTrainingJob", _script_mode_job(), POLICY)

    assert secured["EnableNetworkIsolation"] is True
    assert json.loads(secured["HyperParameters"]["sagemaker_submit_directory"]) == IN_CONTAINER
    code = [c for c in secured["InputDataConfig"] if c["ChannelName"] == "code"]
    assert code == [
        {
            "ChannelName": "code",
            "InputMode": "File",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": SOURCE,
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }
    ]
    assert [c["ChannelName"] for c in secured["InputDataConfig"]] == ["train", "code"]
    (decision,) = [d for d in decisions if d.control == "training.code_channel"]
    assert decision.outcome == "injected"
    assert decision.path == "HyperParameters"


def test_an_unquoted_submit_directory_stays_unquoted() -> None:
    job = _script_mode_job(HyperParameters={"sagemaker_submit_directory": SOURCE})
    secured, _ = safeai.enforce("CreateTrainingJob", job, POLICY)
    assert secured["HyperParameters"]["sagemaker_submit_directory"] == IN_CONTAINER


@pytest.mark.parametrize(
    "setting",
    [
        {"network_isolation": False},
        {"waivers": {"training.network_isolation": "needs pip at start-up; INC-1"}},
        {"waivers": {"training.code_channel": "the image bakes the code in; INC-2"}},
    ],
)
def test_no_rewrite_without_isolation_or_when_waived(setting: dict[str, Any]) -> None:
    policy = dataclasses.replace(POLICY, **setting)
    secured, _ = safeai.enforce("CreateTrainingJob", _script_mode_job(), policy)
    assert json.loads(secured["HyperParameters"]["sagemaker_submit_directory"]) == SOURCE
    assert [c["ChannelName"] for c in secured["InputDataConfig"]] == ["train"]


def test_report_mode_says_what_it_would_move_and_sends_the_request_as_written() -> None:
    policy = dataclasses.replace(POLICY, mode="report")
    job = _script_mode_job(EnableNetworkIsolation=True)
    secured, decisions = safeai.enforce("CreateTrainingJob", job, policy)
    assert secured["HyperParameters"] == job["HyperParameters"]
    outcomes = {d.control: d.outcome for d in decisions}
    assert outcomes["training.code_channel"] == "would_inject"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"HyperParameters": {"sagemaker_submit_directory": json.dumps("s3://b/src/")}},
            "one .tar.gz archive",
        ),
        (
            {
                "InputDataConfig": [
                    {
                        "ChannelName": "code",
                        "DataSource": {
                            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/x/"}
                        },
                    }
                ]
            },
            "no 'code' input channel",
        ),
    ],
)
def test_a_submit_directory_that_cannot_move_is_refused_with_the_fix(
    overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateTrainingJob", _script_mode_job(**overrides), POLICY)
    assert refused.value.control == "training.code_channel"
    assert expected in str(refused.value.expected)
    assert "enable_network_isolation=True" in refused.value.remedy


def test_a_tuning_jobs_definitions_are_rewritten_too() -> None:
    job = _script_mode_job()
    definition = {
        "AlgorithmSpecification": job["AlgorithmSpecification"],
        "StaticHyperParameters": job["HyperParameters"],
        "InputDataConfig": job["InputDataConfig"],
        "OutputDataConfig": job["OutputDataConfig"],
        "ResourceConfig": job["ResourceConfig"],
        "StoppingCondition": job["StoppingCondition"],
    }
    request = {
        "HyperParameterTuningJobName": "tune",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
        },
        "TrainingJobDefinition": definition,
    }
    secured, _ = safeai.enforce("CreateHyperParameterTuningJob", request, POLICY)
    rewritten = secured["TrainingJobDefinition"]
    assert json.loads(rewritten["StaticHyperParameters"]["sagemaker_submit_directory"]) == (
        IN_CONTAINER
    )
    assert [c["ChannelName"] for c in rewritten["InputDataConfig"]] == ["train", "code"]


@pytest.mark.parametrize("where", ["PrimaryContainer", "Containers"])
def test_an_isolated_model_fetching_its_code_from_s3_is_refused(where: str) -> None:
    container = {"Image": "sklearn:1.2", "Environment": {"SAGEMAKER_SUBMIT_DIRECTORY": SOURCE}}
    request = {"ModelName": "m", where: [container] if where == "Containers" else container}
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateModel", request, POLICY)
    assert refused.value.control == "model.code_location"
    suffix = "[0]" if where == "Containers" else ""
    assert refused.value.path == f"{where}{suffix}.Environment.SAGEMAKER_SUBMIT_DIRECTORY"
    assert "source_dir" in refused.value.remedy


def test_a_model_with_its_code_inside_passes() -> None:
    container = {
        "Image": "sklearn:1.2",
        "Environment": {"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
    }
    secured, _ = safeai.enforce(
        "CreateModel", {"ModelName": "m", "PrimaryContainer": container}, POLICY
    )
    assert secured["EnableNetworkIsolation"] is True
