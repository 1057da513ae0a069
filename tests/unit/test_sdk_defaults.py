"""The SageMaker SDK configuration SecureSession.sagemaker_session() hands the SDK: the policy's
switches as the SDK's own defaults, on top of what the SDK loaded, never below it."""

from __future__ import annotations

import dataclasses

import safeai
from safeai._session import _with_policy_defaults

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/SafeAIExecution",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
)


def test_the_policys_switches_become_the_sdks_defaults() -> None:
    loaded = {"SageMaker": {"TrainingJob": {"Tags": [{"Key": "team", "Value": "ml"}]}}}
    config = _with_policy_defaults(loaded, POLICY)
    training = config["SageMaker"]["TrainingJob"]
    assert training["EnableNetworkIsolation"] is True
    assert training["EnableInterContainerTrafficEncryption"] is True
    assert training["Tags"] == [{"Key": "team", "Value": "ml"}]  # what the SDK loaded stays
    network = config["SageMaker"]["ProcessingJob"]["NetworkConfig"]
    assert network == {
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    assert (
        "TrainingJob" not in loaded["SageMaker"]
        or "EnableNetworkIsolation" not in (loaded["SageMaker"]["TrainingJob"])
    ), "the caller's configuration was changed"


def test_a_switch_the_policy_turns_off_is_not_a_default() -> None:
    policy = dataclasses.replace(POLICY, network_isolation=False)
    training = _with_policy_defaults(None, policy)["SageMaker"]["TrainingJob"]
    assert training == {"EnableInterContainerTrafficEncryption": True}


def test_keys_and_networks_are_left_to_the_guard() -> None:
    # A key default could land on instance storage, a VPC default on a serverless endpoint:
    # the guard decides those request by request.
    config = _with_policy_defaults({}, POLICY)["SageMaker"]
    assert set(config) == {"TrainingJob", "ProcessingJob"}
    assert "VpcConfig" not in config["TrainingJob"]


def test_report_mode_and_waivers_leave_the_sdks_defaults_alone() -> None:
    # The guard sends a request as written in report mode, and not at all filled in for a
    # waived control: the SDK must not fill it in behind the policy's back either.
    report = _with_policy_defaults({}, dataclasses.replace(POLICY, mode="report"))
    assert report["SageMaker"] == {}
    waived = dataclasses.replace(
        POLICY, waivers={"training.network_isolation": "pip install at start-up; INC-1"}
    )
    training = _with_policy_defaults({}, waived)["SageMaker"]["TrainingJob"]
    assert training == {"EnableInterContainerTrafficEncryption": True}
    reporting = dataclasses.replace(POLICY, modes={"processing.network_isolation": "report"})
    network = _with_policy_defaults({}, reporting)["SageMaker"]["ProcessingJob"]["NetworkConfig"]
    assert network == {"EnableInterContainerTrafficEncryption": True}
