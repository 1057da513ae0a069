"""The knowledge base of what AWS rejects: each constraint is broken by the request it
describes, and the engine's output breaks none of them."""

from __future__ import annotations

import json
from typing import Any

import safeai
from safeai.controls._constraints import CONSTRAINTS, broken_constraints

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/SafeAIExecution",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
)
VPC = {"Subnets": ["subnet-0a1"], "SecurityGroupIds": ["sg-0c3"]}


def _training(instance_type: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": "j",
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/out/"},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    }
    return {**request, **overrides}


def _names(broken: list[str]) -> set[str]:
    return {entry.split(": ")[1] for entry in broken}


def test_every_constraint_names_its_source() -> None:
    assert len({c.name for c in CONSTRAINTS}) == len(CONSTRAINTS)
    assert all(c.rule and c.source for c in CONSTRAINTS)


def test_a_volume_key_on_instance_storage_breaks_one_and_the_engine_sends_none() -> None:
    keyed = _training("ml.p4d.24xlarge")
    keyed["ResourceConfig"]["VolumeKmsKeyId"] = POLICY.kms_key_id
    assert _names(broken_constraints([("CreateTrainingJob", keyed)])) == {
        "instance_storage_volume_key"
    }

    secured, _ = safeai.enforce("CreateTrainingJob", _training("ml.p4d.24xlarge"), POLICY)
    assert broken_constraints([("CreateTrainingJob", secured)]) == []


def test_an_isolated_job_downloading_its_code_breaks_one_and_the_engine_moves_it() -> None:
    source = json.dumps("s3://b/job/source/sourcedir.tar.gz")
    job = _training(
        "ml.m5.xlarge",
        EnableNetworkIsolation=True,
        HyperParameters={"sagemaker_submit_directory": source},
    )
    assert _names(broken_constraints([("CreateTrainingJob", job)])) == {"isolated_code_download"}

    secured, _ = safeai.enforce("CreateTrainingJob", job, POLICY)
    assert broken_constraints([("CreateTrainingJob", secured)]) == []


def test_a_serverless_endpoint_on_a_vpc_model_breaks_one_and_serverless_sends_none() -> None:
    model = {"ModelName": "m", "PrimaryContainer": {"Image": "img:1"}}
    config = {
        "EndpointConfigName": "c",
        "ProductionVariants": [
            {"VariantName": "v", "ModelName": "m", "ServerlessConfig": {"MemorySizeInMB": 1024}}
        ],
    }
    vpc_model = {**model, "VpcConfig": VPC, "EnableNetworkIsolation": True}
    broken = broken_constraints([("CreateModel", vpc_model), ("CreateEndpointConfig", config)])
    assert _names(broken) == {"serverless_model"}
    assert len(broken) == 2  # the VPC, and the isolation

    with safeai.serverless(reason="demo model; PLAT-7"):
        sent_model, _ = safeai.enforce("CreateModel", model, POLICY)
        sent_config, _ = safeai.enforce("CreateEndpointConfig", config, POLICY)
    assert (
        broken_constraints([("CreateModel", sent_model), ("CreateEndpointConfig", sent_config)])
        == []
    )


def test_a_serverless_endpoint_with_data_capture_breaks_one() -> None:
    config = {
        "EndpointConfigName": "c",
        "ProductionVariants": [
            {"VariantName": "v", "ModelName": "m", "ServerlessConfig": {"MemorySizeInMB": 1024}}
        ],
        "DataCaptureConfig": {"InitialSamplingPercentage": 100},
    }
    assert _names(broken_constraints([("CreateEndpointConfig", config)])) == {"serverless_endpoint"}


def test_pipeline_steps_are_checked_as_their_requests() -> None:
    keyed = _training("ml.p4d.24xlarge")
    keyed["ResourceConfig"]["VolumeKmsKeyId"] = POLICY.kms_key_id
    del keyed["TrainingJobName"]
    definition = {
        "Version": "2020-12-01",
        "Steps": [{"Name": "t", "Type": "Training", "Arguments": keyed}],
    }
    pipeline = {"PipelineName": "p", "PipelineDefinition": json.dumps(definition)}
    assert _names(broken_constraints([("CreatePipeline", pipeline)])) == {
        "instance_storage_volume_key"
    }


def test_an_inference_component_configuration_without_a_role_breaks_one() -> None:
    variant = {"VariantName": "v", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}
    config = {"EndpointConfigName": "c", "ProductionVariants": [variant]}
    assert _names(broken_constraints([("CreateEndpointConfig", config)])) == {
        "inference_component_role"
    }

    secured, _ = safeai.enforce("CreateEndpointConfig", config, POLICY)
    assert broken_constraints([("CreateEndpointConfig", secured)]) == []


def test_isolation_on_a_configuration_that_names_models_breaks_one() -> None:
    variant = {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large"}
    config = {"EndpointConfigName": "c", "ProductionVariants": [variant]}
    isolated = {**config, "EnableNetworkIsolation": True}
    assert _names(broken_constraints([("CreateEndpointConfig", isolated)])) == {
        "model_endpoint_isolation"
    }

    secured, _ = safeai.enforce("CreateEndpointConfig", config, POLICY)
    assert broken_constraints([("CreateEndpointConfig", secured)]) == []
