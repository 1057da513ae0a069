"""The sandbox's corrections to moto (``safeai.testing._moto_fixes``), seen as AWS answers them:
through a real boto3 client, over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

if TYPE_CHECKING:
    from safeai.testing import Sandbox

#: A region of its own: moto keeps one account for the whole test session.
REGION = "eu-central-1"


@pytest.mark.parametrize(
    ("name", "given", "answered"),
    [
        ("sandbox-imds-v2", {"MinimumInstanceMetadataServiceVersion": "2"}, "2"),
        ("sandbox-imds-v1", {"MinimumInstanceMetadataServiceVersion": "1"}, "1"),
        # AWS: with no value in CreateNotebookInstance, the notebook accepts IMDSv1.
        ("sandbox-imds-default", None, "1"),
    ],
)
def test_a_notebook_answers_its_metadata_service_setting(
    sandbox: Sandbox, name: str, given: dict[str, str] | None, answered: str
) -> None:
    sm: Any = boto3.Session(region_name=REGION).client("sagemaker")
    request: dict[str, Any] = {
        "NotebookInstanceName": name,
        "InstanceType": "ml.t3.medium",
        "RoleArn": sandbox.policy.execution_role_arn,
    }
    if given is not None:
        request["InstanceMetadataServiceConfiguration"] = given
    sm.create_notebook_instance(**request)
    described = sm.describe_notebook_instance(NotebookInstanceName=name)
    assert described["InstanceMetadataServiceConfiguration"] == {
        "MinimumInstanceMetadataServiceVersion": answered
    }


#: A variant of an endpoint configuration for inference components: it names no model.
IC_VARIANT = {"VariantName": "main", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}


def test_an_inference_component_configuration_answers_role_vpc_and_isolation(
    sandbox: Sandbox,
) -> None:
    policy = sandbox.policy
    sm: Any = boto3.Session(region_name=REGION).client("sagemaker")
    vpc = {"SecurityGroupIds": list(policy.security_group_ids), "Subnets": list(policy.subnets)}
    sm.create_endpoint_config(
        EndpointConfigName="sandbox-ic-secured",
        ProductionVariants=[IC_VARIANT],
        ExecutionRoleArn=policy.execution_role_arn,
        VpcConfig=vpc,
        EnableNetworkIsolation=True,
    )
    described = sm.describe_endpoint_config(EndpointConfigName="sandbox-ic-secured")
    assert described["ExecutionRoleArn"] == policy.execution_role_arn
    assert described["VpcConfig"] == vpc
    assert described["EnableNetworkIsolation"] is True
    assert described["ProductionVariants"] == [IC_VARIANT]
    sm.create_endpoint(EndpointName="sandbox-ic", EndpointConfigName="sandbox-ic-secured")
    endpoint = sm.describe_endpoint(EndpointName="sandbox-ic")
    assert endpoint["EndpointConfigName"] == "sandbox-ic-secured"


def test_an_inference_component_configuration_without_them_answers_none(
    sandbox: Sandbox,
) -> None:
    sm: Any = boto3.Session(region_name=REGION).client("sagemaker")
    sm.create_endpoint_config(EndpointConfigName="sandbox-ic-bare", ProductionVariants=[IC_VARIANT])
    described = sm.describe_endpoint_config(EndpointConfigName="sandbox-ic-bare")
    assert not {"ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation"} & set(described)
    assert described["ProductionVariants"] == [IC_VARIANT]


def test_a_configuration_naming_a_model_keeps_what_was_sent(sandbox: Sandbox) -> None:
    sm: Any = boto3.Session(region_name=REGION).client("sagemaker")
    sm.create_model(
        ModelName="sandbox-hosted",
        PrimaryContainer={"Image": "img:1"},
        ExecutionRoleArn=sandbox.policy.execution_role_arn,
    )
    sm.create_endpoint_config(
        EndpointConfigName="sandbox-model-config",
        ProductionVariants=[{**IC_VARIANT, "ModelName": "sandbox-hosted"}],
        EnableNetworkIsolation=False,
    )
    described = sm.describe_endpoint_config(EndpointConfigName="sandbox-model-config")
    assert described["EnableNetworkIsolation"] is False
    assert "ExecutionRoleArn" not in described
    with pytest.raises(sm.exceptions.ClientError, match="Could not find model"):
        sm.create_endpoint_config(
            EndpointConfigName="sandbox-missing-model",
            ProductionVariants=[{**IC_VARIANT, "ModelName": "sandbox-no-such-model"}],
        )
