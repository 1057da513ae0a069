"""Stored resources a call starts, opens or names, judged without AWS (botocore's Stubber
answers the reads): which row reads what, renames, waivers of the steps control, what the
reader keeps; and a RegisterModel step, secured as the CreateModelPackage request it is."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

import safeai
from safeai import _readers
from safeai._references import check_references
from safeai.controls._resources import stored_resources
from tests.stubs import stubbed_client

if TYPE_CHECKING:
    from collections.abc import Iterator

    from botocore.stub import Stubber

ROLE = "arn:aws:iam::111122223333:role/ml"
ADMIN = "arn:aws:iam::111122223333:role/admin"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = safeai.Policy(
    execution_role_arn=ROLE,
    kms_key_id=KEY,
    subnets=["subnet-0a1", "subnet-0b2"],
    security_group_ids=["sg-0c3"],
    region="us-east-1",
)
NOTEBOOK = {
    "NotebookInstanceName": "nb",
    "RoleArn": ROLE,
    "KmsKeyId": KEY,
    "SubnetId": "subnet-0a1",
    "SecurityGroups": ["sg-0c3"],
    "DirectInternetAccess": "Disabled",
    "RootAccess": "Disabled",
    "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
}


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("sagemaker") as stubbed:
        yield stubbed
    _readers.clear_caches()


def _all(found: list[safeai.SecurityViolation]) -> set[tuple[str, str]]:
    return {(v.control, v.path) for v in found}


def test_a_notebooks_answer_is_checked_as_its_create_request_after_the_audits_renames(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    params = {"NotebookInstanceName": "nb"}
    stubber.add_response("describe_notebook_instance", NOTEBOOK, params)
    assert check_references(client, "StartNotebookInstance", params, POLICY) == []
    other_group = {**NOTEBOOK, "SecurityGroups": ["sg-0ff"], "RootAccess": "Enabled"}
    stubber.add_response("describe_notebook_instance", other_group, params)
    found = check_references(client, "CreatePresignedNotebookInstanceUrl", params, POLICY)
    assert _all(found) == {
        ("notebook.security_groups", "NotebookInstanceName='nb' -> SecurityGroupIds"),
        ("notebook.root_access", "NotebookInstanceName='nb' -> RootAccess"),
    }
    assert all(v.operation == "CreatePresignedNotebookInstanceUrl" for v in found)
    assert "UpdateNotebookInstance" in found[0].remedy


def test_stored_violations_are_returned_unwaived_for_the_router_to_record(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    params = {"NotebookInstanceName": "nb"}
    stubber.add_response(
        "describe_notebook_instance", {**NOTEBOOK, "RootAccess": "Enabled"}, params
    )
    found = check_references(
        client, "StartNotebookInstance", params, POLICY, waivers={"notebook.root_access": "why"}
    )
    assert [v.control for v in found] == ["notebook.root_access"]


def test_a_schedule_reads_the_job_definition_of_its_monitoring_type(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    answer = {
        "JobDefinitionArn": "arn:aws:sagemaker:us-east-1:111122223333:model-bias-job-definition/b",
        "JobDefinitionName": "b",
        "CreationTime": "2026-01-01T00:00:00Z",
        "ModelBiasAppSpecification": {"ImageUri": "img", "ConfigUri": "s3://b/c.json"},
        "ModelBiasJobInput": {"GroundTruthS3Input": {"S3Uri": "s3://b/t"}},
        "ModelBiasJobOutputConfig": {
            "MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/m", "LocalPath": "/opt/o"}}],
            "KmsKeyId": KEY,
        },
        "JobResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 10,
                "VolumeKmsKeyId": KEY,
            }
        },
        "NetworkConfig": {
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": {"Subnets": ["subnet-0a1", "subnet-0b2"], "SecurityGroupIds": ["sg-0c3"]},
        },
        "RoleArn": ADMIN,
    }
    stubber.add_response("describe_model_bias_job_definition", answer, {"JobDefinitionName": "b"})
    schedule = {
        "MonitoringScheduleName": "s",
        "MonitoringScheduleConfig": {
            "MonitoringJobDefinitionName": "b",
            "MonitoringType": "ModelBias",
        },
    }
    (found,) = check_references(client, "CreateMonitoringSchedule", schedule, POLICY)
    assert found.control == "monitoring.role"
    assert found.path == "MonitoringScheduleConfig.MonitoringJobDefinitionName='b' -> RoleArn"
    # The job definition cannot change: it is read once.
    (again,) = check_references(client, "UpdateMonitoringSchedule", schedule, POLICY)
    assert again.operation == "UpdateMonitoringSchedule"


def test_an_inline_schedule_reads_nothing_and_an_untyped_name_cannot_be_read() -> None:
    inline = {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {}}
    assert check_references(None, "CreateMonitoringSchedule", inline, POLICY) == []
    untyped = {
        "MonitoringScheduleName": "s",
        "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "b", "MonitoringType": "X"},
    }
    with pytest.raises(safeai.PreflightError, match="'DataQuality', 'ModelQuality'"):
        check_references(None, "CreateMonitoringSchedule", untyped, POLICY)


def _pipeline(step: dict[str, Any]) -> str:
    return json.dumps({"Version": "2020-12-01", "Steps": [step]})


OPEN_STEP = {
    "Name": "Train",
    "Type": "Training",
    "Arguments": {"RoleArn": ADMIN, "EnableNetworkIsolation": False},
}


def test_a_waived_steps_control_holds_every_stored_step_violation_as_one(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    params = {"PipelineName": "p"}
    answer = {"PipelineDefinition": _pipeline(OPEN_STEP), "RoleArn": ROLE}
    stubber.add_response("describe_pipeline", answer, params)
    found = check_references(client, "StartPipelineExecution", params, POLICY)
    assert {"training.role", "training.network_isolation", "training.vpc"} <= {
        v.control for v in found
    }
    stubber.add_response("describe_pipeline", answer, params)
    (held,) = check_references(
        client, "StartPipelineExecution", params, POLICY, waivers={"pipeline.steps": "ML-77"}
    )
    assert held.control == "pipeline.steps"
    assert held.path == "PipelineName='p' -> PipelineDefinition"
    assert "training.role at PipelineDefinition:Steps[Train].Arguments.RoleArn" in str(held.found)


def test_a_version_is_read_as_named_and_a_retry_checks_only_the_definition(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "describe_pipeline",
        {"PipelineDefinition": _pipeline(OPEN_STEP)},
        {"PipelineName": "p", "PipelineVersionId": 3},
    )
    started = check_references(
        client, "StartPipelineExecution", {"PipelineName": "p", "PipelineVersionId": 3}, POLICY
    )
    # The pipeline answered no role: pipeline.role finds it missing.
    assert "pipeline.role" in {v.control for v in started}
    arn = "arn:aws:sagemaker:us-east-1:111122223333:pipeline/p/execution/e1"
    stubber.add_response(
        "describe_pipeline_definition_for_execution",
        {"PipelineDefinition": _pipeline(OPEN_STEP)},
        {"PipelineExecutionArn": arn},
    )
    retried = check_references(
        client, "RetryPipelineExecution", {"PipelineExecutionArn": arn}, POLICY
    )
    assert "pipeline.role" not in {v.control for v in retried}
    assert all(
        v.path.startswith(f"PipelineExecutionArn={arn!r} -> PipelineDefinition:") for v in retried
    )


def test_what_can_change_in_place_is_read_every_time_and_what_cannot_is_kept(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    rows = stored_resources()
    (start,) = rows["StartNotebookInstance"]
    (retry,) = rows["RetryPipelineExecution"]
    assert not start.cached
    assert retry.cached
    params = {"NotebookInstanceName": "nb"}
    stubber.add_response("describe_notebook_instance", NOTEBOOK, params)
    stubber.add_response("describe_notebook_instance", NOTEBOOK, params)
    _readers.read_stored(client, start, params)
    _readers.read_stored(client, start, params)
    arn = {
        "PipelineExecutionArn": "arn:aws:sagemaker:us-east-1:111122223333:pipeline/p/execution/e"
    }
    stubber.add_response(
        "describe_pipeline_definition_for_execution", {"PipelineDefinition": "{}"}, arn
    )
    _readers.read_stored(client, retry, arn)
    _readers.read_stored(client, retry, arn)


def test_a_failed_read_refuses_under_the_rows_control(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "describe_pipeline", "ValidationException", "Could not find pipeline", 400
    )
    with pytest.raises(safeai.PreflightError, match="cannot read pipeline 'p'") as error:
        check_references(client, "StartPipelineExecution", {"PipelineName": "p"}, POLICY)
    assert error.value.control == "pipeline.steps"


# -- a RegisterModel step's validation jobs -----------------------------------------------------


def _register(role: object, **transform: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/v"}}
        },
        "TransformOutput": {"S3OutputPath": "s3://b/o"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        **transform,
    }
    return {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "g",
            "ValidationSpecification": {
                "ValidationRole": role,
                "ValidationProfiles": [{"ProfileName": "p", "TransformJobDefinition": definition}],
            },
        },
    }


VALIDATION = "PipelineDefinition:Steps[Register].Arguments.ValidationSpecification"
JOB = f"{VALIDATION}.ValidationProfiles[0].TransformJobDefinition"


def _create_pipeline(step: dict[str, Any]) -> dict[str, Any]:
    return {"PipelineName": "p", "RoleArn": ROLE, "PipelineDefinition": _pipeline(step)}


def _refusals(step: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreatePipeline", _create_pipeline(step), POLICY)
    return _all([refused.value, *refused.value.additional])


def test_a_register_model_step_is_secured_as_the_create_model_package_request_it_is() -> None:
    """The step's arguments are a CreateModelPackage request: its validation jobs' role and
    keys, and the package's own key, are checked and filled in like any step's."""
    assert _refusals(_register(ADMIN)) == {
        ("model_package.validation_role", f"{VALIDATION}.ValidationRole"),
    }
    assert _refusals(_register({"Get": "Parameters.ValidationRole"})) == {
        ("model_package.validation_role", f"{VALIDATION}.ValidationRole"),
    }
    secured, _ = safeai.enforce("CreatePipeline", _create_pipeline(_register(ROLE)), POLICY)
    (step,) = json.loads(secured["PipelineDefinition"])["Steps"]
    job = step["Arguments"]["ValidationSpecification"]["ValidationProfiles"][0]
    definition = job["TransformJobDefinition"]
    assert definition["TransformOutput"]["KmsKeyId"] == KEY
    assert definition["TransformResources"]["VolumeKmsKeyId"] == KEY
    assert step["Arguments"]["SecurityConfig"] == {"KmsKeyId": KEY}


def test_waivers_apply_to_the_validation_jobs_as_to_any_step() -> None:
    foreign = "arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    step = _register(ROLE, TransformOutput={"S3OutputPath": "s3://b/o", "KmsKeyId": foreign})
    assert _refusals(step) == {
        ("model_package.validation_kms", f"{JOB}.TransformOutput.KmsKeyId"),
    }
    secured, _ = safeai.enforce(
        "CreatePipeline",
        _create_pipeline(step),
        POLICY,
        waivers={"model_package.validation_kms": "INC-1"},
    )
    assert foreign in secured["PipelineDefinition"]
