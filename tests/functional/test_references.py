"""Requests whose security lives in another resource: endpoints, transform jobs, pipelines."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from tests.conftest import TRAINING_REQUEST

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder, Sandbox

VARIANT = {"VariantName": "main", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}


def _unguarded(sandbox: Sandbox) -> Any:
    return boto3.Session(region_name="us-east-1").client("sagemaker")


def test_endpoint_on_secured_config_and_model_is_sent(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_model(ModelName="good-model", PrimaryContainer={"Image": "img:1"})
        sagemaker.create_endpoint_config(
            EndpointConfigName="good-config",
            ProductionVariants=[{**VARIANT, "ModelName": "good-model"}],
        )
        sagemaker.create_endpoint(EndpointName="good", EndpointConfigName="good-config")
    model = recorder.last("CreateModel").json()
    assert model["EnableNetworkIsolation"] is True
    assert model["VpcConfig"]["Subnets"] == list(policy.subnets)
    assert recorder.last("CreateEndpointConfig").json()["KmsKeyId"] == policy.kms_key_id
    assert recorder.last("CreateEndpoint").json()["EndpointConfigName"] == "good-config"


def test_endpoint_on_an_unsecured_model_is_refused(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    raw = _unguarded(sandbox)
    raw.create_model(
        ModelName="open-model",
        PrimaryContainer={"Image": "img:1"},
        ExecutionRoleArn=policy.execution_role_arn,
    )
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_endpoint_config(
            EndpointConfigName="config-on-open-model",
            ProductionVariants=[{**VARIANT, "ModelName": "open-model"}],
        )
        with pytest.raises(safeai.SecurityViolation) as refused:
            sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="config-on-open-model")
    assert refused.value.control.startswith("model.")
    assert "ModelName='open-model'" in refused.value.path
    assert recorder.sent("CreateEndpoint") == []


def test_endpoint_on_an_unencrypted_config_is_refused(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy
) -> None:
    raw = _unguarded(sandbox)
    raw.create_model(
        ModelName="model-for-plain-config",
        PrimaryContainer={"Image": "img:1"},
        ExecutionRoleArn=policy.execution_role_arn,
    )
    raw.create_endpoint_config(
        EndpointConfigName="plain-config",
        ProductionVariants=[{**VARIANT, "ModelName": "model-for-plain-config"}],
    )
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="plain-config")
    assert refused.value.control == "endpoint_config.storage_kms"
    assert refused.value.path == "EndpointConfigName='plain-config' -> KmsKeyId"


def test_endpoint_on_a_missing_config_fails_closed(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.PreflightError, match="cannot read endpoint configuration"),
    ):
        sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="no-such-config")


def test_transform_job_checks_the_model_it_names(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    transform = {
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://safeai-sandbox-ml-data/in",
                }
            }
        },
        "TransformOutput": {"S3OutputPath": "s3://safeai-sandbox-ml-data/predictions/"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    _unguarded(sandbox).create_model(
        ModelName="transform-open",
        PrimaryContainer={"Image": "img:1"},
        ExecutionRoleArn=policy.execution_role_arn,
    )
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_model(ModelName="transform-good", PrimaryContainer={"Image": "img:1"})
        sagemaker.create_transform_job(
            TransformJobName="t-good", ModelName="transform-good", **transform
        )
        with pytest.raises(safeai.SecurityViolation) as refused:
            sagemaker.create_transform_job(
                TransformJobName="t-open", ModelName="transform-open", **transform
            )
    sent = recorder.last("CreateTransformJob").json()
    assert sent["TransformJobName"] == "t-good"
    assert sent["TransformOutput"]["KmsKeyId"] == policy.kms_key_id
    assert sent["TransformResources"]["VolumeKmsKeyId"] == policy.kms_key_id
    assert refused.value.control.startswith("model.")


def _definition(**training_overrides: Any) -> str:
    arguments = {key: value for key, value in TRAINING_REQUEST.items() if key != "TrainingJobName"}
    arguments.update(training_overrides)
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [],
            "Steps": [
                {"Name": "Train", "Type": "Training", "Arguments": arguments},
                {
                    "Name": "Check",
                    "Type": "Condition",
                    "Arguments": {
                        "Conditions": [],
                        "IfSteps": [{"Name": "Fail", "Type": "Fail", "Arguments": {}}],
                        "ElseSteps": [
                            {"Name": "TrainAgain", "Type": "Training", "Arguments": arguments}
                        ],
                    },
                },
            ],
        }
    )


def test_pipeline_steps_are_secured_like_direct_calls(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_pipeline(
            PipelineName="p", PipelineDefinition=_definition(), ClientRequestToken="t" * 32
        )
    sent = recorder.last("CreatePipeline").json()
    assert sent["RoleArn"] == policy.execution_role_arn
    definition = json.loads(sent["PipelineDefinition"])
    train = definition["Steps"][0]["Arguments"]
    nested = definition["Steps"][1]["Arguments"]["ElseSteps"][0]["Arguments"]
    for arguments in (train, nested):
        assert arguments["EnableNetworkIsolation"] is True
        assert arguments["VpcConfig"]["Subnets"] == list(policy.subnets)
        assert arguments["OutputDataConfig"]["KmsKeyId"] == policy.kms_key_id


def test_pipeline_step_with_a_parameter_for_a_security_field_is_refused(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    definition = _definition(EnableNetworkIsolation={"Get": "Parameters.Isolate"})
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_pipeline(
            PipelineName="p-param",
            PipelineDefinition=definition,
            RoleArn=policy.execution_role_arn,
            ClientRequestToken="u" * 32,
        )
    assert refused.value.control == "training.network_isolation"
    assert refused.value.path == "PipelineDefinition:Steps[Train].Arguments.EnableNetworkIsolation"
    assert recorder.sent("CreatePipeline") == []


def test_pipeline_definition_in_s3_is_checked_and_sent_inline(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    session = boto3.Session(region_name="us-east-1")
    session.client("s3").put_object(
        Bucket="safeai-sandbox-ml-data", Key="pipelines/p.json", Body=_definition().encode()
    )
    with safeai.guarded(policy, session=session):
        guarded_client: Any = session.client("sagemaker")
        guarded_client.create_pipeline(
            PipelineName="p-s3",
            PipelineDefinitionS3Location={
                "Bucket": "safeai-sandbox-ml-data",
                "ObjectKey": "pipelines/p.json",
            },
            ClientRequestToken="v" * 32,
        )
    sent = recorder.last("CreatePipeline").json()
    assert "PipelineDefinitionS3Location" not in sent
    steps = json.loads(sent["PipelineDefinition"])["Steps"]
    assert steps[0]["Arguments"]["EnableNetworkIsolation"] is True


def test_pipeline_definition_in_s3_that_cannot_be_read_is_refused(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    session = boto3.Session(region_name="us-east-1")
    with safeai.guarded(policy, session=session):
        guarded_client: Any = session.client("sagemaker")
        with pytest.raises(safeai.PreflightError, match="cannot read the pipeline definition"):
            guarded_client.create_pipeline(
                PipelineName="p-missing",
                PipelineDefinitionS3Location={
                    "Bucket": "safeai-sandbox-ml-data",
                    "ObjectKey": "pipelines/missing.json",
                },
                ClientRequestToken="w" * 32,
            )
    assert recorder.sent("CreatePipeline") == []


def test_in_report_mode_a_stored_definitions_model_references_are_recorded_not_refused(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder, caplog: Any
) -> None:
    _unguarded(sandbox).create_model(
        ModelName="stored-legacy", PrimaryContainer={"Image": "img:1"}, ExecutionRoleArn="x" * 20
    )
    transform = {
        "ModelName": "stored-legacy",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://d/in"}}
        },
        "TransformOutput": {"S3OutputPath": "s3://d/out"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    definition = {
        "Version": "2020-12-01",
        "Steps": [{"Name": "Score", "Type": "Transform", "Arguments": transform}],
    }
    session = boto3.Session(region_name="us-east-1")
    session.client("s3").put_object(
        Bucket="safeai-sandbox-ml-data", Key="pipelines/r.json", Body=json.dumps(definition)
    )
    location = {"Bucket": "safeai-sandbox-ml-data", "ObjectKey": "pipelines/r.json"}
    reporting = dataclasses.replace(policy, mode="report", preflight=False)
    with (
        safeai.guarded(reporting, session=session),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        sagemaker: Any = session.client("sagemaker")
        sagemaker.create_pipeline(
            PipelineName="p-report",
            PipelineDefinitionS3Location=location,
            RoleArn=policy.execution_role_arn,
            ClientRequestToken="r" * 32,
        )
    assert recorder.last("CreatePipeline").json()["PipelineDefinitionS3Location"] == location
    (record,) = [r.safeai for r in caplog.records if r.name == "safeai.audit"]
    refused = {(d["control"], d["outcome"]) for d in record["decisions"]}
    assert ("model.role", "would_refuse") in refused


def test_client_guard_reads_a_pipeline_definition_in_s3_with_its_own_credentials(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    boto3.client("s3").put_object(
        Bucket="safeai-sandbox-ml-data", Key="pipelines/client.json", Body=_definition().encode()
    )
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_pipeline(
            PipelineName="p-client",
            PipelineDefinitionS3Location={
                "Bucket": "safeai-sandbox-ml-data",
                "ObjectKey": "pipelines/client.json",
            },
            ClientRequestToken="x" * 32,
        )
    steps = json.loads(recorder.last("CreatePipeline").json()["PipelineDefinition"])["Steps"]
    assert steps[0]["Arguments"]["RoleArn"] == policy.execution_role_arn


def test_shadow_variants_models_are_checked_too(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy
) -> None:
    _unguarded(sandbox).create_model(
        ModelName="shadow-open",
        PrimaryContainer={"Image": "img:1"},
        ExecutionRoleArn=policy.execution_role_arn,
    )
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_model(ModelName="shadow-main", PrimaryContainer={"Image": "img:1"})
        sagemaker.create_endpoint_config(
            EndpointConfigName="with-shadow",
            ProductionVariants=[{**VARIANT, "ModelName": "shadow-main"}],
            ShadowProductionVariants=[{**VARIANT, "VariantName": "s", "ModelName": "shadow-open"}],
        )
        with pytest.raises(safeai.SecurityViolation) as refused:
            sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="with-shadow")
    assert "ShadowProductionVariants[0].ModelName='shadow-open'" in refused.value.path
