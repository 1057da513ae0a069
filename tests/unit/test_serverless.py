"""Serverless endpoints: refused unless a reviewer accepts them, and then deployable with one
reason, without the VPC and isolation AWS does not support for Serverless Inference."""

from __future__ import annotations

from typing import Any

import pytest

import safeai

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/SafeAIExecution",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
)
MODEL: dict[str, Any] = {"ModelName": "m", "PrimaryContainer": {"Image": "sklearn:1.2"}}
SERVERLESS: dict[str, Any] = {
    "EndpointConfigName": "c",
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "ModelName": "m",
            "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
        }
    ],
}
REASON = "public demo model, no customer data; PLAT-7"


def test_a_serverless_endpoint_configuration_is_refused_with_the_fix() -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateEndpointConfig", SERVERLESS, POLICY)
    assert refused.value.control == "endpoint_config.serverless"
    assert refused.value.path == "ProductionVariants[0].ServerlessConfig"
    assert "safeai.serverless(reason=...)" in refused.value.remedy


def test_an_instance_endpoint_configuration_is_not_touched_by_it() -> None:
    variant = {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large"}
    request = {"EndpointConfigName": "c", "ProductionVariants": [variant]}
    _, decisions = safeai.enforce("CreateEndpointConfig", request, POLICY)
    assert [d for d in decisions if d.control == "endpoint_config.serverless"] == []


def test_inside_serverless_the_model_and_configuration_are_what_aws_accepts() -> None:
    with safeai.serverless(reason=REASON):
        model, model_decisions = safeai.enforce("CreateModel", MODEL, POLICY)
        config, config_decisions = safeai.enforce("CreateEndpointConfig", SERVERLESS, POLICY)

    assert "VpcConfig" not in model
    assert "EnableNetworkIsolation" not in model
    assert model["ExecutionRoleArn"] == POLICY.execution_role_arn  # the rest still applies
    waived = {(d.control, d.reason) for d in model_decisions + config_decisions}
    assert {
        ("model.vpc", REASON),
        ("model.network_isolation", REASON),
        ("endpoint_config.serverless", REASON),
    } <= waived
    assert config["ProductionVariants"][0]["ServerlessConfig"]["MaxConcurrency"] == 5


def test_outside_the_block_models_are_secured_again() -> None:
    with safeai.serverless(reason=REASON):
        pass
    model, _ = safeai.enforce("CreateModel", MODEL, POLICY)
    assert model["EnableNetworkIsolation"] is True
    assert "VpcConfig" in model


def test_serverless_needs_a_reason() -> None:
    with (
        pytest.raises(safeai.PolicyError, match="needs a written reason"),
        safeai.serverless(reason=" "),
    ):
        pass
