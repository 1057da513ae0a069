"""The SageMaker Python SDK, v2 and v3, under safeai: training.

`nox -s sdk` runs tests/integration once in a venv with the newest v2 and once with the newest
v3. Each test runs through both doors (the ``door`` fixture): an explicit
``SecureSession(policy).sagemaker_session()``, and the process-wide guard with no session of the
user's own (the SDK builds its sessions and clients, and v3 caches them; the guard must reach all
of them). Assertions are on the request that was sent. The other recipes (processing, transform,
hosting, tuning, pipelines) are in test_sdk_v2_recipes.py and test_sdk_v3_recipes.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import safeai
from tests.integration.conftest import DATA, IMAGE, expect_sent_secured, v2_only, v3_only

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder, Sandbox
    from tests.integration.conftest import Audit, Door

pytestmark = pytest.mark.sdk
pytest.importorskip("sagemaker")


def fit_v2_estimator(role: str, session: Any, **options: Any) -> None:
    # --8<-- [start:v2-estimator]
    from sagemaker.estimator import Estimator

    estimator = Estimator(
        image_uri=IMAGE,
        role=role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        output_path=f"{DATA}/models/",
        sagemaker_session=session,  # None under safeai.guard(): the SDK builds its own
        **options,
    )
    estimator.fit({"train": f"{DATA}/train/"}, wait=False)
    # --8<-- [end:v2-estimator]


def train_v3(role: str, session: Any, **options: Any) -> None:
    # --8<-- [start:v3-model-trainer]
    from sagemaker.train import ModelTrainer

    try:
        from sagemaker.core.training.configs import Compute, OutputDataConfig
    except ImportError:  # releases before the configs moved into sagemaker-core
        from sagemaker.train.configs import Compute, OutputDataConfig

    trainer = ModelTrainer(
        training_image=IMAGE,
        role=role,
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"{DATA}/models/"),
        base_job_name="trainer",
        sagemaker_session=session,  # None under safeai.guard(): the SDK builds its own
        **options,
    )
    trainer.train(wait=False)
    # --8<-- [end:v3-model-trainer]


def create_core_training_job(role: str, boto_session: Any, name: str) -> None:
    # --8<-- [start:v3-core-training-job]
    from sagemaker.core.resources import TrainingJob
    from sagemaker.core.shapes import (
        AlgorithmSpecification,
        OutputDataConfig,
        ResourceConfig,
        StoppingCondition,
    )

    TrainingJob.create(
        training_job_name=name,
        role_arn=role,
        algorithm_specification=AlgorithmSpecification(
            training_image=IMAGE, training_input_mode="File"
        ),
        output_data_config=OutputDataConfig(s3_output_path=f"{DATA}/models/"),
        resource_config=ResourceConfig(
            instance_type="ml.m5.xlarge", instance_count=1, volume_size_in_gb=30
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=3600),
        session=boto_session,  # None under safeai.guard(): sagemaker-core builds its own
    )
    # --8<-- [end:v3-core-training-job]


@v2_only
def test_v2_estimator_fit_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    fit_v2_estimator(role, door.session)
    expect_sent_secured(recorder, audit, policy, "CreateTrainingJob")


@v2_only
def test_v2_estimator_asking_for_another_key_is_refused(
    role: str, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy), pytest.raises(safeai.SecurityViolation) as refused:
        fit_v2_estimator(role, None, output_kms_key="alias/aws/s3")
    assert refused.value.control == "training.output_kms"
    assert recorder.sent("CreateTrainingJob") == []


@v3_only
def test_v3_model_trainer_train_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    train_v3(role, door.session)
    expect_sent_secured(recorder, audit, policy, "CreateTrainingJob")


@v3_only
def test_v3_core_training_job_create_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    create_core_training_job(role, door.boto_session, f"core-{door.name}")
    expect_sent_secured(recorder, audit, policy, "CreateTrainingJob")


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
