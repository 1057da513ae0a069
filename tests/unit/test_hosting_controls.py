"""Endpoint configurations: no SSM shell into inference containers, and a configuration for
inference components (variants that name no model) secured like any other hosting resource.

Pure engine: ``safeai.enforce`` on the request, ``safeai._engine.evaluate`` on a stored
configuration (what the audit and the reference checks of ``CreateEndpoint`` do).
"""

from __future__ import annotations

from typing import Any

import pytest

import safeai
from safeai._engine import evaluate
from safeai.controls import by_slug
from safeai.controls._constraints import broken_constraints

ROLE = "arn:aws:iam::111122223333:role/SafeAIExecution"
ADMIN = "arn:aws:iam::111122223333:role/Admin"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = ["subnet-0a1", "subnet-0b2"]
GROUPS = ["sg-0c3"]
POLICY = safeai.Policy(
    execution_role_arn=ROLE,
    kms_key_id=KEY,
    subnets=SUBNETS,
    security_group_ids=GROUPS,
)
VPC = {"SecurityGroupIds": GROUPS, "Subnets": SUBNETS}
HOSTING = ("ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation")
HOSTING_CONTROLS = {
    "endpoint_config.role",
    "endpoint_config.vpc",
    "endpoint_config.network_isolation",
}


def _variant(**members: Any) -> dict[str, Any]:
    return {
        "VariantName": "v",
        "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1,
        **members,
    }


def _config(*variants: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A CreateEndpointConfig request; without variants, one for inference components."""
    return {
        "EndpointConfigName": "c",
        "ProductionVariants": list(variants) or [_variant()],
        **members,
    }


def _refused(request: dict[str, Any], policy: safeai.Policy = POLICY) -> set[tuple[str, str]]:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateEndpointConfig", request, policy)
    return {(v.control, v.path) for v in (refused.value, *refused.value.additional)}


# -- endpoint_config.ssm_access --------------------------------------------------------------


@pytest.mark.parametrize("variants", ["ProductionVariants", "ShadowProductionVariants"])
def test_ssm_access_to_the_containers_is_refused_in_every_variant(variants: str) -> None:
    request = _config(_variant(ModelName="m"))
    request[variants] = [_variant(ModelName="m"), _variant(ModelName="m", EnableSSMAccess=True)]
    assert _refused(request) == {("endpoint_config.ssm_access", f"{variants}[1].EnableSSMAccess")}


def test_the_ssm_refusal_says_what_to_do() -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateEndpointConfig", _config(_variant(EnableSSMAccess=True)), POLICY)
    assert refused.value.found is True
    assert refused.value.expected == "False"
    assert "omit EnableSSMAccess or set it to False" in refused.value.remedy


def test_ssm_access_off_is_compliant_and_absent_is_left_absent() -> None:
    request = _config(_variant(ModelName="m", EnableSSMAccess=False), _variant(ModelName="n"))
    secured, decisions = safeai.enforce("CreateEndpointConfig", request, POLICY)
    assert secured["ProductionVariants"][0]["EnableSSMAccess"] is False
    assert "EnableSSMAccess" not in secured["ProductionVariants"][1]
    assert [
        (d.path, d.outcome) for d in decisions if d.control == "endpoint_config.ssm_access"
    ] == [("ProductionVariants[0].EnableSSMAccess", "compliant")]


def test_ssm_access_can_be_waived_with_a_reason() -> None:
    reason = "debugging a container crash on the dev endpoint; INC-42"
    request = _config(_variant(ModelName="m", EnableSSMAccess=True))
    with safeai.waive("endpoint_config.ssm_access", reason=reason):
        secured, decisions = safeai.enforce("CreateEndpointConfig", request, POLICY)
    assert secured["ProductionVariants"][0]["EnableSSMAccess"] is True
    assert ("endpoint_config.ssm_access", "waived", reason) in {
        (d.control, d.outcome, d.reason) for d in decisions
    }


def test_a_stored_configuration_with_ssm_access_is_a_finding() -> None:
    stored = _config(_variant(ModelName="m", EnableSSMAccess=True), KmsKeyId=KEY)
    found = [(v.control, v.path) for v in evaluate("CreateEndpointConfig", stored, POLICY)]
    assert found == [("endpoint_config.ssm_access", "ProductionVariants[0].EnableSSMAccess")]


def test_ssm_access_is_the_inference_twin_of_remote_debug() -> None:
    ssm, debug = by_slug("endpoint_config.ssm_access"), by_slug("training.remote_debug")
    assert ssm is not None
    assert debug is not None
    assert ssm.requirement == debug.requirement
    assert all(not target.inject for target in ssm.targets)


# -- endpoint configurations for inference components ---------------------------------------


def test_an_inference_component_configuration_gets_the_policys_role_vpc_and_isolation() -> None:
    secured, decisions = safeai.enforce("CreateEndpointConfig", _config(), POLICY)
    assert secured["ExecutionRoleArn"] == ROLE
    assert secured["VpcConfig"] == VPC
    assert secured["EnableNetworkIsolation"] is True
    assert {d.control for d in decisions if d.outcome == "injected"} == {
        *HOSTING_CONTROLS,
        "endpoint_config.storage_kms",
    }
    assert broken_constraints([("CreateEndpointConfig", secured)]) == []


def test_a_null_model_name_names_no_model() -> None:
    # Sent as such only with botocore's parameter validation off; it hosts no model either.
    secured, _ = safeai.enforce("CreateEndpointConfig", _config(_variant(ModelName=None)), POLICY)
    assert set(HOSTING) <= set(secured)


@pytest.mark.parametrize(
    ("member", "value", "control", "path"),
    [
        ("ExecutionRoleArn", ADMIN, "endpoint_config.role", "ExecutionRoleArn"),
        (
            "VpcConfig",
            {"Subnets": ["subnet-public"], "SecurityGroupIds": GROUPS},
            "endpoint_config.vpc",
            "VpcConfig.Subnets",
        ),
        (
            "EnableNetworkIsolation",
            False,
            "endpoint_config.network_isolation",
            "EnableNetworkIsolation",
        ),
    ],
)
def test_an_inference_component_configuration_asking_for_less_is_refused(
    member: str, value: object, control: str, path: str
) -> None:
    assert _refused(_config(**{member: value})) == {(control, path)}


def test_compliant_values_the_caller_gives_are_kept() -> None:
    other = "arn:aws:iam::111122223333:role/SafeAIPipelines"
    policy = safeai.Policy(
        execution_role_arn=ROLE,
        kms_key_id=KEY,
        subnets=SUBNETS,
        security_group_ids=GROUPS,
        allowed_role_arns=(other,),
    )
    narrower = {"Subnets": SUBNETS[:1], "SecurityGroupIds": GROUPS}
    request = _config(ExecutionRoleArn=other, VpcConfig=narrower)
    secured, _ = safeai.enforce("CreateEndpointConfig", request, policy)
    assert (secured["ExecutionRoleArn"], secured["VpcConfig"]) == (other, narrower)


def test_a_policy_without_subnets_refuses_an_inference_component_configuration() -> None:
    # As for a model: what would run outside a VPC is refused, never sent without one.
    policy = safeai.Policy(execution_role_arn=ROLE, kms_key_id=KEY)
    assert ("endpoint_config.vpc", "VpcConfig") in _refused(_config(), policy)


def test_isolation_switched_off_in_the_policy_is_not_filled_in() -> None:
    policy = safeai.Policy(
        execution_role_arn=ROLE,
        kms_key_id=KEY,
        subnets=SUBNETS,
        security_group_ids=GROUPS,
        network_isolation=False,
    )
    secured, decisions = safeai.enforce("CreateEndpointConfig", _config(), policy)
    assert "EnableNetworkIsolation" not in secured
    assert ("endpoint_config.network_isolation", "disabled") in {
        (d.control, d.outcome) for d in decisions
    }


# -- configurations that host models: the fields belong to the models ------------------------


@pytest.mark.parametrize(
    "request_",
    [
        _config(_variant(ModelName="m")),
        _config(_variant(ModelName="m"), _variant(VariantName="w", ModelName="n")),
        _config(_variant(), ShadowProductionVariants=[_variant(ModelName="shadow")]),
    ],
    ids=["one model", "two models", "a shadow model"],
)
def test_a_configuration_that_names_a_model_gets_none_of_them(request_: dict[str, Any]) -> None:
    secured, decisions = safeai.enforce("CreateEndpointConfig", request_, POLICY)
    assert not set(HOSTING) & set(secured)
    assert {d.control for d in decisions} & HOSTING_CONTROLS == set()
    assert broken_constraints([("CreateEndpointConfig", secured)]) == []


def test_a_configuration_that_names_a_model_is_still_checked() -> None:
    request = _config(_variant(ModelName="m"), ExecutionRoleArn=ADMIN, EnableNetworkIsolation=False)
    assert _refused(request) == {
        ("endpoint_config.role", "ExecutionRoleArn"),
        ("endpoint_config.network_isolation", "EnableNetworkIsolation"),
    }


# -- the audit: a stored configuration is judged as the request that created it -------------


def test_a_stored_inference_component_configuration_without_them_is_a_finding() -> None:
    stored = _config(KmsKeyId=KEY)
    found = {(v.control, v.path) for v in evaluate("CreateEndpointConfig", stored, POLICY)}
    assert found == {
        ("endpoint_config.role", "ExecutionRoleArn"),
        ("endpoint_config.vpc", "VpcConfig"),
        ("endpoint_config.network_isolation", "EnableNetworkIsolation"),
    }


def test_a_stored_configuration_that_names_models_is_not_a_finding_without_them() -> None:
    stored = _config(_variant(ModelName="m"), KmsKeyId=KEY)
    assert evaluate("CreateEndpointConfig", stored, POLICY) == []


def test_a_stored_secured_inference_component_configuration_is_clean() -> None:
    secured, _ = safeai.enforce("CreateEndpointConfig", _config(), POLICY)
    assert evaluate("CreateEndpointConfig", secured, POLICY) == []
