"""Endpoint configurations through the guard on the sandbox: no SSM shell into inference
containers, and a configuration for inference components sent with the policy's role, VPC and
network isolation, as every other hosting resource is; the audit reads them back.

Assertions are on the request that left the client (recorded at ``before-send``) and on what
the sandbox stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder, Sandbox

VARIANT = {"VariantName": "main", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
#: The audit's own region: moto keeps one account for the whole session (see test_detective).
AUDIT_REGION = "ap-east-1"


def test_an_inference_component_configuration_is_sent_with_role_vpc_and_isolation(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    vpc = {"SecurityGroupIds": list(policy.security_group_ids), "Subnets": list(policy.subnets)}
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_endpoint_config(
            EndpointConfigName="ic-config",
            ProductionVariants=[{**VARIANT, "ManagedInstanceScaling": {"Status": "ENABLED"}}],
        )
        # The stored configuration is read back and checked, and it passes.
        sagemaker.create_endpoint(EndpointName="ic-endpoint", EndpointConfigName="ic-config")
    sent = recorder.last("CreateEndpointConfig").json()
    assert sent["ExecutionRoleArn"] == policy.execution_role_arn
    assert sent["VpcConfig"] == vpc
    assert sent["EnableNetworkIsolation"] is True
    assert sent["KmsKeyId"] == policy.kms_key_id
    assert "ModelName" not in sent["ProductionVariants"][0]
    stored = sagemaker.describe_endpoint_config(EndpointConfigName="ic-config")
    assert stored["ExecutionRoleArn"] == policy.execution_role_arn
    assert stored["VpcConfig"] == vpc
    assert stored["EnableNetworkIsolation"] is True
    assert recorder.last("CreateEndpoint").json()["EndpointConfigName"] == "ic-config"
    endpoint = sagemaker.describe_endpoint(EndpointName="ic-endpoint")
    assert endpoint["EndpointConfigName"] == "ic-config"


def test_an_inference_component_configuration_with_an_admin_role_is_never_sent(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    admin = "arn:aws:iam::123456789012:role/admin"
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_endpoint_config(
            EndpointConfigName="ic-admin", ProductionVariants=[VARIANT], ExecutionRoleArn=admin
        )
    assert (refused.value.control, refused.value.path) == (
        "endpoint_config.role",
        "ExecutionRoleArn",
    )
    assert recorder.sent("CreateEndpointConfig") == []


def test_a_configuration_that_names_a_model_is_sent_without_them(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_model(ModelName="hosted-model", PrimaryContainer={"Image": "img:1"})
        sagemaker.create_endpoint_config(
            EndpointConfigName="model-config",
            ProductionVariants=[{**VARIANT, "ModelName": "hosted-model"}],
        )
    sent = recorder.last("CreateEndpointConfig").json()
    assert sent["KmsKeyId"] == policy.kms_key_id
    assert not {"ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation"} & set(sent)
    model = recorder.last("CreateModel").json()  # they are the model's
    assert model["ExecutionRoleArn"] == policy.execution_role_arn
    assert model["EnableNetworkIsolation"] is True


def test_ssm_access_to_inference_containers_is_refused_and_nothing_is_sent(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_endpoint_config(
            EndpointConfigName="ssm-config",
            ProductionVariants=[{**VARIANT, "ModelName": "m", "EnableSSMAccess": True}],
        )
    assert refused.value.control == "endpoint_config.ssm_access"
    assert refused.value.path == "ProductionVariants[0].EnableSSMAccess"
    assert recorder.sent("CreateEndpointConfig") == []


def test_an_endpoint_on_a_stored_configuration_with_ssm_access_is_refused(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    raw: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
    with safeai.guarded(policy, client=raw):  # a compliant model, made the secure way
        raw.create_model(ModelName="ssm-model", PrimaryContainer={"Image": "img:1"})
    raw.create_endpoint_config(  # made before the guard, or by a colleague
        EndpointConfigName="stored-ssm-config",
        ProductionVariants=[{**VARIANT, "ModelName": "ssm-model", "EnableSSMAccess": True}],
        KmsKeyId=policy.kms_key_id,
    )
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_endpoint(EndpointName="ssm", EndpointConfigName="stored-ssm-config")
    assert refused.value.control == "endpoint_config.ssm_access"
    assert refused.value.path == (
        "EndpointConfigName='stored-ssm-config' -> ProductionVariants[0].EnableSSMAccess"
    )
    assert recorder.sent("CreateEndpoint") == []


def test_the_audit_finds_ssm_access_on_a_stored_configuration(sandbox: Sandbox) -> None:
    policy = sandbox.policy
    sm: Any = boto3.Session(region_name=AUDIT_REGION).client("sagemaker")
    sm.create_model(
        ModelName="audited-model",
        PrimaryContainer={"Image": "img:1"},
        ExecutionRoleArn=policy.execution_role_arn,
        VpcConfig={
            "Subnets": list(policy.subnets),
            "SecurityGroupIds": list(policy.security_group_ids),
        },
        EnableNetworkIsolation=True,
    )
    for name, ssm in (("ssm-on", True), ("ssm-off", False)):
        sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[{**VARIANT, "ModelName": "audited-model", "EnableSSMAccess": ssm}],
            KmsKeyId=policy.kms_key_id,
        )
    sm.create_endpoint(EndpointName="on-ssm", EndpointConfigName="ssm-on")
    report = safeai.audit(
        boto3.Session(region_name=AUDIT_REGION),
        policy,
        regions=[AUDIT_REGION],
        resource_types=["endpoint-config", "endpoint"],
        buckets=False,
    )
    found = {(f.resource_arn.rsplit(":", 1)[1], f.control, f.path) for f in report.findings}
    assert found == {
        (
            "endpoint-config/ssm-on",
            "endpoint_config.ssm_access",
            "ProductionVariants[0].EnableSSMAccess",
        ),
        (
            "endpoint/on-ssm",
            "endpoint_config.ssm_access",
            "EndpointConfigName='ssm-on' -> ProductionVariants[0].EnableSSMAccess",
        ),
    }
    assert not report.errors


def test_the_audit_judges_a_stored_inference_component_configuration(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy
) -> None:
    # The guard refuses clients of other regions than the policy's, so these are in the
    # sandbox's own region, shared with other tests: only these configurations' findings count.
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_endpoint_config(
            EndpointConfigName="ic-audit-secured", ProductionVariants=[VARIANT]
        )
    raw: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
    raw.create_endpoint_config(  # made before the guard, or by a colleague
        EndpointConfigName="ic-audit-bare", ProductionVariants=[VARIANT], KmsKeyId=policy.kms_key_id
    )
    report = safeai.audit(
        boto3.Session(region_name="us-east-1"),
        policy,
        regions=["us-east-1"],
        resource_types=["endpoint-config"],
        buckets=False,
    )
    ours = ("endpoint-config/ic-audit-secured", "endpoint-config/ic-audit-bare")
    found = {
        (f.resource_arn.rsplit(":", 1)[1], f.control, f.path)
        for f in report.findings
        if f.resource_arn.endswith(ours)
    }
    assert found == {
        ("endpoint-config/ic-audit-bare", "endpoint_config.role", "ExecutionRoleArn"),
        ("endpoint-config/ic-audit-bare", "endpoint_config.vpc", "VpcConfig"),
        (
            "endpoint-config/ic-audit-bare",
            "endpoint_config.network_isolation",
            "EnableNetworkIsolation",
        ),
    }
    assert not report.errors
