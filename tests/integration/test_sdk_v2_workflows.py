"""Everyday SageMaker SDK v2 workflows, written as a data scientist writes them, under the guard.

Each runs to the end on the sandbox with the default policy and no code change, or is refused
at its first refused call with one message naming the fix; the integration conftest checks
that every SageMaker request sent breaks no constraint AWS documents. docs/sagemaker-sdk.md
shows each workflow from here and what safeai changed in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import safeai
from tests.archives import tar_gz
from tests.integration.conftest import (
    DATA,
    IMAGE,
    INSTALLED,
    MAJOR,
    RECORDIO,
    expect_sent_secured,
    put_data,
)

if TYPE_CHECKING:
    from pathlib import Path

    from safeai.testing import RequestRecorder, Sandbox
    from tests.integration.conftest import Audit, Door

if MAJOR != 2:
    pytest.skip(f"SageMaker SDK v2 workflows; {INSTALLED}", allow_module_level=True)
pytestmark = pytest.mark.sdk

# -- the workflows: user code, shown in the docs -------------------------------------------------


def fit_builtin_on_recordio(role: str, session: Any, images: str) -> None:
    # --8<-- [start:builtin-recordio]
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput

    estimator = Estimator(
        image_uri=image_uris.retrieve("image-classification", "us-east-1"),
        role=role,
        instance_count=1,
        instance_type="ml.p3.2xlarge",
        output_path=f"{DATA}/models/",
        sagemaker_session=session,
        hyperparameters={"num_classes": 2, "num_training_samples": 100},
    )
    train = TrainingInput(images, content_type="application/x-recordio")
    estimator.fit({"train": train}, wait=False, logs=False)
    # --8<-- [end:builtin-recordio]


def deploy_serverless(role: str, session: Any, name: str) -> None:
    # --8<-- [start:serverless]
    from sagemaker.model import Model
    from sagemaker.serverless import ServerlessInferenceConfig

    model = Model(
        image_uri=IMAGE,
        model_data=f"{DATA}/models/model.tar.gz",
        role=role,
        name=name,
        sagemaker_session=session,
    )
    model.deploy(
        serverless_inference_config=ServerlessInferenceConfig(memory_size_in_mb=2048),
        endpoint_name=name,
        wait=False,
    )
    # --8<-- [end:serverless]


def deploy_async(role: str, session: Any, name: str) -> None:
    # --8<-- [start:async]
    from sagemaker.async_inference import AsyncInferenceConfig
    from sagemaker.model import Model

    model = Model(
        image_uri=IMAGE,
        model_data=f"{DATA}/models/model.tar.gz",
        role=role,
        name=name,
        sagemaker_session=session,
    )
    model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.xlarge",
        async_inference_config=AsyncInferenceConfig(output_path=f"{DATA}/async-results/"),
        endpoint_name=name,
        wait=False,
    )
    # --8<-- [end:async]


def create_feature_group(role: str, session: Any, name: str) -> None:
    # --8<-- [start:feature-store]
    from sagemaker.feature_store.feature_definition import (
        FractionalFeatureDefinition,
        StringFeatureDefinition,
    )
    from sagemaker.feature_store.feature_group import FeatureGroup
    from sagemaker.session import Session

    group = FeatureGroup(
        name=name,
        sagemaker_session=session or Session(),  # a FeatureGroup builds no session of its own
        feature_definitions=[
            StringFeatureDefinition("customer_id"),
            FractionalFeatureDefinition("churn_score"),
            FractionalFeatureDefinition("event_time"),
        ],
    )
    group.create(
        s3_uri=f"{DATA}/features",
        record_identifier_name="customer_id",
        event_time_feature_name="event_time",
        role_arn=role,
        enable_online_store=True,
    )
    # --8<-- [end:feature-store]


def register_and_deploy(role: str, session: Any, name: str) -> None:
    # --8<-- [start:registry]
    from sagemaker.model import Model
    from sagemaker.session import Session

    session = session or Session()
    session.sagemaker_client.create_model_package_group(ModelPackageGroupName=name)
    model = Model(
        image_uri=IMAGE,
        model_data=f"{DATA}/models/model.tar.gz",
        role=role,
        sagemaker_session=session,
    )
    package = model.register(
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.xlarge"],
        transform_instances=["ml.m5.xlarge"],
        model_package_group_name=name,
        approval_status="Approved",
    )
    package.deploy(
        initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=name, wait=False
    )
    # --8<-- [end:registry]


def run_clarify_bias(role: str, session: Any) -> None:
    # --8<-- [start:clarify]
    from sagemaker import clarify
    from sagemaker.session import Session

    processor = clarify.SageMakerClarifyProcessor(
        role=role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session or Session(),  # Clarify reads the session's region at once
    )
    data = clarify.DataConfig(
        s3_data_input_path=f"{DATA}/train/churn.csv",
        s3_output_path=f"{DATA}/clarify/",
        label="churn",
        headers=["churn", "age", "tenure"],
        dataset_type="text/csv",
    )
    bias = clarify.BiasConfig(label_values_or_threshold=[1], facet_name="age")
    processor.run_pre_training_bias(data, bias, wait=False, logs=False)
    # --8<-- [end:clarify]


def fit_pytorch(role: str, session: Any, source_dir: str) -> Any:
    # --8<-- [start:pytorch-fit]
    from sagemaker.pytorch import PyTorch

    estimator = PyTorch(
        entry_point="train.py",
        source_dir=source_dir,
        framework_version="2.1",
        py_version="py310",
        role=role,
        instance_count=1,
        instance_type="ml.g5.xlarge",
        output_path=f"{DATA}/models/",
        sagemaker_session=session,
    )
    estimator.fit({"train": f"{DATA}/train/"}, wait=False, logs=False)
    # --8<-- [end:pytorch-fit]
    return estimator


def deploy_trained(estimator: Any, name: str) -> None:
    # --8<-- [start:pytorch-deploy]
    estimator.deploy(
        initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=name, wait=False
    )
    # --8<-- [end:pytorch-deploy]


def monitor_endpoint(role: str, session: Any, endpoint: str) -> None:
    # --8<-- [start:model-monitor]
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    monitor = DefaultModelMonitor(
        role=role, instance_count=1, instance_type="ml.m5.xlarge", sagemaker_session=session
    )
    monitor.create_monitoring_schedule(
        endpoint_input=endpoint,
        output_s3_uri=f"{DATA}/monitoring/",
        schedule_cron_expression=CronExpressionGenerator.hourly(),
    )
    # --8<-- [end:model-monitor]


# -- the tests -------------------------------------------------------------------------------------


def test_a_builtin_algorithm_on_recordio_is_refused_with_the_scoped_waiver_as_fix(
    door: Door,
    role: str,
    sandbox: Sandbox,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    audit: Audit,
) -> None:
    images = put_data(sandbox, policy, f"recordio-{door.name}/train.rec", RECORDIO)

    with pytest.raises(safeai.SecurityViolation) as refused:
        fit_builtin_on_recordio(role, door.session, images)
    assert refused.value.control == "training.pii"
    assert "inputs=" in refused.value.remedy  # the fix that works: a waiver for that data only
    assert "remove or mask" not in str(refused.value)
    assert recorder.sent("CreateTrainingJob") == []

    # --8<-- [start:builtin-recordio-waiver]
    with safeai.waive(
        "training.pii", reason="labelled product photos, no text; DS-42", inputs=[images]
    ):
        fit_builtin_on_recordio(role, door.session, images)
    # --8<-- [end:builtin-recordio-waiver]
    sent = recorder.last("CreateTrainingJob").json()
    assert sent["EnableNetworkIsolation"] is True
    assert sent["VpcConfig"]["Subnets"] == list(policy.subnets)
    # ml.p3.2xlarge has no instance storage: the volume key is there (p3dn would get none).
    assert sent["ResourceConfig"]["VolumeKmsKeyId"] == policy.kms_key_id


def test_a_serverless_deploy_is_refused_then_sent_as_aws_accepts_it(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        deploy_serverless(role, door.session, name=f"serverless-refused-{door.name}")
    assert refused.value.control == "endpoint_config.serverless"
    assert "safeai.serverless(reason=...)" in refused.value.remedy
    assert recorder.sent("CreateEndpointConfig") == []

    recorder.requests.clear()
    # --8<-- [start:serverless-block]
    with safeai.serverless(reason="public demo model, no customer data; PLAT-7"):
        deploy_serverless(role, door.session, name=f"serverless-{door.name}")
    # --8<-- [end:serverless-block]
    model = recorder.last("CreateModel").json()
    assert "VpcConfig" not in model
    assert "EnableNetworkIsolation" not in model
    assert model["ExecutionRoleArn"] == role
    config = recorder.last("CreateEndpointConfig").json()
    assert "ServerlessConfig" in config["ProductionVariants"][0]
    assert audit.outcomes("CreateModel")[-1] == "waived"
    assert audit.outcomes("CreateEndpointConfig")[-1] == "waived"


def test_an_async_endpoint_writes_its_results_under_the_policys_key(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    deploy_async(role, door.session, name=f"async-{door.name}")
    sent = expect_sent_secured(recorder, audit, policy, "CreateModel", "CreateEndpointConfig")
    output = sent["CreateEndpointConfig"]["AsyncInferenceConfig"]["OutputConfig"]
    assert output["KmsKeyId"] == policy.kms_key_id


def test_a_feature_group_is_created_with_the_policys_role_and_keys(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    create_feature_group(role, door.session, name=f"customers-{door.name}")
    sent = recorder.last("CreateFeatureGroup").json()
    assert sent["RoleArn"] == role
    assert sent["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == policy.kms_key_id
    assert sent["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] == policy.kms_key_id
    assert audit.outcomes("CreateFeatureGroup") == ["secured"]


def test_a_registered_model_version_deploys_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    register_and_deploy(role, door.session, name=f"churn-{door.name}")
    # The registry entry itself is out of scope (docs/controls.md); what runs is secured.
    sent = expect_sent_secured(recorder, audit, policy, "CreateModel", "CreateEndpointConfig")
    model = sent["CreateModel"]
    containers = model.get("Containers") or [model["PrimaryContainer"]]
    assert ["ModelPackageName" in container for container in containers] == [True]


def test_a_clarify_bias_job_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    run_clarify_bias(role, door.session)
    expect_sent_secured(recorder, audit, policy, "CreateProcessingJob")


def test_a_pytorch_script_mode_model_is_trained_then_deployed_isolated_with_its_code_inside(
    door: Door,
    role: str,
    sandbox: Sandbox,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    audit: Audit,
    tmp_path: Path,
) -> None:
    (tmp_path / "train.py").write_text("import torch\n")
    (tmp_path / "inference.py").write_text("def model_fn(model_dir):\n    return None\n")
    estimator = fit_pytorch(role, door.session, str(tmp_path))
    training = recorder.last("CreateTrainingJob").json()
    assert "code" in {c["ChannelName"] for c in training["InputDataConfig"]}
    # The sandbox runs no job: put the artifact where the job would have written it.
    artifact = estimator.model_data
    put_data(sandbox, policy, artifact.split("/", 3)[3], tar_gz({"model.pth": bytes(16)}))

    deploy_trained(estimator, name=f"pytorch-{door.name}")
    sent = expect_sent_secured(recorder, audit, policy, "CreateModel", "CreateEndpointConfig")
    environment = sent["CreateModel"]["PrimaryContainer"]["Environment"]
    assert environment["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"


def test_a_model_monitor_schedules_a_secured_job_definition(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    monitor_endpoint(role, door.session, endpoint=f"churn-{door.name}")
    definition = recorder.last("CreateDataQualityJobDefinition").json()
    assert definition["RoleArn"] == role
    assert definition["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert definition["NetworkConfig"]["VpcConfig"]["Subnets"] == list(policy.subnets)
    assert definition["DataQualityJobOutputConfig"]["KmsKeyId"] == policy.kms_key_id
    assert definition["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == policy.kms_key_id
    schedule = recorder.last("CreateMonitoringSchedule").json()
    config = schedule["MonitoringScheduleConfig"]
    assert config["MonitoringJobDefinitionName"] == definition["JobDefinitionName"]
    assert audit.outcomes("CreateMonitoringSchedule") == ["secured"]
