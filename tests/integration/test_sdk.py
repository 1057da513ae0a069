"""The SageMaker Python SDK, v2 and v3, under safeai's process-wide guard.

`nox -s sdk` runs this file once in a venv with the newest v2 and once with the newest v3. The
user code creates no session of its own: the SDK builds its sessions and clients (and v3 caches
them), and the guard must reach all of them. Assertions are on the request that was sent.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import pytest

import safeai

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder, Sandbox

pytestmark = pytest.mark.sdk
pytest.importorskip("sagemaker")
MAJOR = int(version("sagemaker").split(".")[0])
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"

v2_only = pytest.mark.skipif(MAJOR != 2, reason="SageMaker SDK v2 API")
v3_only = pytest.mark.skipif(MAJOR != 3, reason="SageMaker SDK v3 API")


def assert_secured(body: dict[str, Any], policy: safeai.Policy) -> None:
    assert body["RoleArn"] == policy.execution_role_arn
    assert body["EnableNetworkIsolation"] is True
    assert body["EnableInterContainerTrafficEncryption"] is True
    assert body["VpcConfig"]["Subnets"] == list(policy.subnets)
    assert body["OutputDataConfig"]["KmsKeyId"] == policy.kms_key_id
    assert body["ResourceConfig"]["VolumeKmsKeyId"] == policy.kms_key_id


def _fit_v2_estimator(sandbox: Sandbox, policy: safeai.Policy, **options: Any) -> None:
    """``Estimator(...).fit(...)`` as a user writes it; the caller decides how it is guarded."""
    from sagemaker.estimator import Estimator

    baseline = sandbox.baseline
    assert baseline is not None
    Estimator(
        image_uri=IMAGE,
        role=policy.execution_role_arn,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        output_path=f"s3://{baseline.bucket}/models/",
        **options,
    ).fit({"train": baseline.training_data_uri}, wait=False)


def _train_v3(sandbox: Sandbox, policy: safeai.Policy, **options: Any) -> None:
    """``ModelTrainer(...).train()`` as a user writes it; the caller decides how it is guarded."""
    from sagemaker.train import ModelTrainer

    try:
        from sagemaker.core.training.configs import Compute, OutputDataConfig
    except ImportError:  # releases before the configs moved into sagemaker-core
        from sagemaker.train.configs import Compute, OutputDataConfig

    baseline = sandbox.baseline
    assert baseline is not None
    ModelTrainer(
        training_image=IMAGE,
        role=policy.execution_role_arn,
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{baseline.bucket}/models/"),
        base_job_name="trainer",
        **options,
    ).train(wait=False)


@v2_only
def test_v2_estimator_fit_is_secured(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy):
        _fit_v2_estimator(sandbox, policy)
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)


@v2_only
def test_v2_estimator_asking_for_another_key_is_refused(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy), pytest.raises(safeai.SecurityViolation) as refused:
        _fit_v2_estimator(sandbox, policy, output_kms_key="alias/aws/s3")
    assert refused.value.control == "training.output_kms"
    assert recorder.sent("CreateTrainingJob") == []


@v3_only
def test_v3_core_training_job_create_without_session_is_secured(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    from sagemaker.core.resources import TrainingJob
    from sagemaker.core.shapes import (
        AlgorithmSpecification,
        OutputDataConfig,
        ResourceConfig,
        StoppingCondition,
    )

    baseline = sandbox.baseline
    assert baseline is not None
    with safeai.guarded(policy):
        TrainingJob.create(
            training_job_name="core-job",
            role_arn=policy.execution_role_arn,
            algorithm_specification=AlgorithmSpecification(
                training_image=IMAGE, training_input_mode="File"
            ),
            output_data_config=OutputDataConfig(s3_output_path=f"s3://{baseline.bucket}/models/"),
            resource_config=ResourceConfig(
                instance_type="ml.m5.xlarge", instance_count=1, volume_size_in_gb=30
            ),
            stopping_condition=StoppingCondition(max_runtime_in_seconds=3600),
        )
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)


@v3_only
def test_v3_core_client_cached_before_the_guard_is_secured(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    """sagemaker-core caches its clients; one made before guard() must not slip past it."""
    from sagemaker.core.resources import Base, Model

    Base.get_sagemaker_client()  # create and cache the client before the guard exists
    with safeai.guarded(policy):
        Model.create(model_name="cached-client-model")
    body = recorder.last("CreateModel").json()
    assert body["EnableNetworkIsolation"] is True
    assert body["ExecutionRoleArn"] == policy.execution_role_arn


@v3_only
def test_v3_model_trainer_train_is_secured(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy):
        _train_v3(sandbox, policy)
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)


def _telemetry_opted_out(session: Any) -> bool:
    modules = session.sagemaker_config["SageMaker"]["PythonSDK"]["Modules"]
    return modules["TelemetryOptOut"] is True


@v2_only
def test_v2_estimator_on_a_secure_session_is_secured_without_telemetry(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.SecureSession(policy) as secure:
        session = secure.sagemaker_session()
        assert _telemetry_opted_out(session)
        _fit_v2_estimator(sandbox, policy, sagemaker_session=session)
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)


@v3_only
def test_v3_model_trainer_on_a_secure_session_is_secured_without_telemetry(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.SecureSession(policy) as secure:
        session = secure.sagemaker_session()
        assert _telemetry_opted_out(session)
        _train_v3(sandbox, policy, sagemaker_session=session)
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)
