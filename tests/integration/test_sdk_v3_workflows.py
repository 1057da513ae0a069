"""Everyday SageMaker SDK v3 workflows, written as a data scientist writes them, under the guard.

The v3 counterpart of test_sdk_v2_workflows.py: ``ModelTrainer``, ``ModelBuilder`` and the
sagemaker-core resources instead of estimators and models. Each runs to the end on the sandbox
with the default policy and no code change, or is refused at its first refused call with one
message naming the fix; the integration conftest checks that every SageMaker request sent
breaks no constraint AWS documents. docs/sagemaker-sdk.md shows each workflow from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import safeai
from tests.integration.conftest import (
    DATA,
    IMAGE,
    INSTALLED,
    MAJOR,
    RECORDIO,
    expect_sent_secured,
    moto_data_capture_answer,
    put_data,
)

if TYPE_CHECKING:
    from pathlib import Path

    from safeai.testing import RequestRecorder, Sandbox
    from tests.integration.conftest import Audit, Door

if MAJOR != 3:
    pytest.skip(f"SageMaker SDK v3 workflows; {INSTALLED}", allow_module_level=True)
pytestmark = pytest.mark.sdk

# -- the workflows: user code, shown in the docs -------------------------------------------------


def train_script_mode(role: str, session: Any, source_dir: str) -> None:
    # --8<-- [start:script-mode]
    from sagemaker.core import image_uris
    from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig, SourceCode
    from sagemaker.train import ModelTrainer

    trainer = ModelTrainer(
        training_image=image_uris.retrieve(
            framework="pytorch",
            region="us-east-1",
            version="2.1",
            py_version="py310",
            instance_type="ml.g5.xlarge",
            image_scope="training",
        ),
        # source_dir is uploaded to the session's default bucket as the "code" channel
        source_code=SourceCode(source_dir=source_dir, entry_script="train.py"),
        role=role,
        compute=Compute(instance_type="ml.g5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"{DATA}/models/"),
        base_job_name="script-mode",
        sagemaker_session=session,
    )
    trainer.train(
        input_data_config=[InputData(channel_name="train", data_source=f"{DATA}/train/")],
        wait=False,
        logs=False,
    )
    # --8<-- [end:script-mode]


def train_builtin_on_recordio(role: str, session: Any, images: str) -> None:
    # --8<-- [start:builtin-recordio]
    from sagemaker.core import image_uris
    from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig
    from sagemaker.train import ModelTrainer

    trainer = ModelTrainer(
        training_image=image_uris.retrieve("image-classification", "us-east-1"),
        role=role,
        compute=Compute(instance_type="ml.p3.2xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"{DATA}/models/"),
        hyperparameters={"num_classes": 2, "num_training_samples": 100},
        base_job_name="image-classification",
        sagemaker_session=session,
    )
    train = InputData(
        channel_name="train", data_source=images, content_type="application/x-recordio"
    )
    trainer.train(input_data_config=[train], wait=False, logs=False)
    # --8<-- [end:builtin-recordio]


def build_model(role: str, session: Any, name: str) -> Any:
    # --8<-- [start:build]
    from sagemaker.serve import ModelBuilder

    builder = ModelBuilder(
        image_uri=IMAGE,
        s3_model_data_url=f"{DATA}/models/model.tar.gz",
        role_arn=role,
        sagemaker_session=session,
    )
    builder.build(model_name=name)  # CreateModel
    # --8<-- [end:build]
    return builder


def deploy_serverless(builder: Any, name: str) -> None:
    # --8<-- [start:serverless]
    from sagemaker.serve.serverless import ServerlessInferenceConfig

    builder.deploy(
        endpoint_name=name,
        inference_config=ServerlessInferenceConfig(memory_size_in_mb=2048),
        wait=False,
    )  # CreateEndpointConfig, CreateEndpoint
    # --8<-- [end:serverless]


def deploy_async(role: str, session: Any, name: str) -> None:
    # --8<-- [start:async]
    from sagemaker.serve import ModelBuilder
    from sagemaker.serve.async_inference import AsyncInferenceConfig

    builder = ModelBuilder(
        image_uri=IMAGE,
        s3_model_data_url=f"{DATA}/models/model.tar.gz",
        role_arn=role,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session,
    )
    builder.build(model_name=name)
    builder.deploy(
        endpoint_name=name,
        initial_instance_count=1,
        inference_config=AsyncInferenceConfig(output_path=f"{DATA}/async-results/"),
        wait=False,
    )
    # --8<-- [end:async]


def create_feature_group(role: str, boto_session: Any, name: str) -> None:
    # --8<-- [start:feature-store]
    from sagemaker.mlops.feature_store import (
        FeatureGroup,
        FractionalFeatureDefinition,
        OfflineStoreConfig,
        OnlineStoreConfig,
        S3StorageConfig,
        StringFeatureDefinition,
    )

    FeatureGroup.create(
        feature_group_name=name,
        record_identifier_feature_name="customer_id",
        event_time_feature_name="event_time",
        feature_definitions=[
            StringFeatureDefinition("customer_id"),
            FractionalFeatureDefinition("churn_score"),
            FractionalFeatureDefinition("event_time"),
        ],
        online_store_config=OnlineStoreConfig(enable_online_store=True),
        offline_store_config=OfflineStoreConfig(
            s3_storage_config=S3StorageConfig(s3_uri=f"{DATA}/features")
        ),
        role_arn=role,
        session=boto_session,  # None under safeai.guard(): sagemaker-core builds its own
    )
    # --8<-- [end:feature-store]


def run_clarify_bias(role: str, session: Any) -> None:
    # --8<-- [start:clarify]
    from sagemaker.core import clarify
    from sagemaker.core.helper.session_helper import Session

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


def monitor_endpoint(role: str, session: Any, endpoint: str) -> None:
    # --8<-- [start:model-monitor]
    from sagemaker.core.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    monitor = DefaultModelMonitor(
        role=role, instance_count=1, instance_type="ml.m5.xlarge", sagemaker_session=session
    )
    monitor.create_monitoring_schedule(
        endpoint_input=endpoint,
        output_s3_uri=f"{DATA}/monitoring/",
        schedule_cron_expression=CronExpressionGenerator.hourly(),
    )
    # --8<-- [end:model-monitor]


def register_and_deploy(role: str, session: Any, boto_session: Any, name: str) -> None:
    # --8<-- [start:registry]
    from sagemaker.core.resources import EndpointConfig, Model, ModelPackageGroup
    from sagemaker.core.shapes import ContainerDefinition, ProductionVariant
    from sagemaker.serve import ModelBuilder

    ModelPackageGroup.create(model_package_group_name=name, session=boto_session)
    builder = ModelBuilder(
        image_uri=IMAGE,
        s3_model_data_url=f"{DATA}/models/model.tar.gz",
        role_arn=role,
        sagemaker_session=session,
    )
    package_arn = builder.register(
        model_package_group_name=name,
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.xlarge"],
        transform_instances=["ml.m5.xlarge"],
        approval_status="Approved",
    )
    # deploy the approved version: a model made from the package, and its configuration
    Model.create(
        model_name=name,
        containers=[ContainerDefinition(model_package_name=package_arn)],
        execution_role_arn=role,
        session=boto_session,
    )
    EndpointConfig.create(
        endpoint_config_name=name,
        production_variants=[
            ProductionVariant(
                variant_name="AllTraffic",
                model_name=name,
                initial_instance_count=1,
                instance_type="ml.m5.xlarge",
            )
        ],
        session=boto_session,
    )
    # --8<-- [end:registry]


def create_endpoint(boto_session: Any, name: str) -> None:
    # --8<-- [start:registry-endpoint]
    from sagemaker.core.resources import Endpoint

    Endpoint.create(endpoint_name=name, endpoint_config_name=name, session=boto_session)
    # --8<-- [end:registry-endpoint]


# -- the tests -------------------------------------------------------------------------------------


def test_a_script_mode_job_is_isolated_with_its_code_as_an_input_channel(
    door: Door,
    role: str,
    sandbox: Sandbox,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    audit: Audit,
    tmp_path: Path,
) -> None:
    (tmp_path / "train.py").write_text("print('training')\n")
    train_script_mode(role, door.session, str(tmp_path))
    sent = recorder.last("CreateTrainingJob").json()
    assert sent["RoleArn"] == role
    assert sent["EnableNetworkIsolation"] is True
    assert sent["EnableInterContainerTrafficEncryption"] is True
    assert sent["VpcConfig"]["Subnets"] == list(policy.subnets)
    assert sent["OutputDataConfig"]["KmsKeyId"] == policy.kms_key_id
    # ml.g5.xlarge has NVMe instance storage: AWS refuses a volume key there.
    assert "VolumeKmsKeyId" not in sent["ResourceConfig"]
    assert audit.outcomes("CreateTrainingJob") == ["secured"]

    # v3 uploads source_dir as it is (no sourcedir.tar.gz) and mounts it as the "code" channel,
    # next to its own driver scripts ("sm_drivers"), which the container's entry point runs:
    # an isolated container downloads nothing, so both must travel as input channels.
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"] for c in sent["InputDataConfig"]}
    assert set(channels) == {"train", "code", "sm_drivers"}
    assert (
        "/opt/ml/input/data/sm_drivers/sm_train.sh"
        in sent["AlgorithmSpecification"]["ContainerArguments"][-1]
    )
    s3 = sandbox.boto_session().client("s3")
    uploaded = {}
    for channel, name in (("code", "train.py"), ("sm_drivers", "sm_train.sh")):
        assert channels[channel]["S3DataType"] == "S3Prefix"
        bucket, prefix = channels[channel]["S3Uri"].removeprefix("s3://").split("/", 1)
        uploaded[channel] = s3.get_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{name}")
        assert uploaded[channel]["ServerSideEncryption"] == "aws:kms"
        assert uploaded[channel]["SSEKMSKeyId"] == policy.kms_key_id
    assert uploaded["code"]["Body"].read() == b"print('training')\n"


def test_a_builtin_algorithm_on_recordio_is_refused_with_the_scoped_waiver_as_fix(
    door: Door,
    role: str,
    sandbox: Sandbox,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    audit: Audit,
) -> None:
    images = put_data(sandbox, policy, f"recordio-v3-{door.name}/train.rec", RECORDIO)

    with pytest.raises(safeai.SecurityViolation) as refused:
        train_builtin_on_recordio(role, door.session, images)
    assert refused.value.control == "training.pii"
    assert "inputs=" in refused.value.remedy  # the fix that works: a waiver for that data only
    assert "remove or mask" not in str(refused.value)
    assert recorder.sent("CreateTrainingJob") == []

    # --8<-- [start:builtin-recordio-waiver]
    with safeai.waive(
        "training.pii", reason="labelled product photos, no text; DS-42", inputs=[images]
    ):
        train_builtin_on_recordio(role, door.session, images)
    # --8<-- [end:builtin-recordio-waiver]
    sent = recorder.last("CreateTrainingJob").json()
    assert sent["EnableNetworkIsolation"] is True
    assert sent["VpcConfig"]["Subnets"] == list(policy.subnets)
    assert sent["ResourceConfig"]["VolumeKmsKeyId"] == policy.kms_key_id
    (channel,) = sent["InputDataConfig"]
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == images
    assert channel["ContentType"] == "application/x-recordio"


def test_a_serverless_deploy_is_refused_with_the_serverless_block_as_fix(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    name = f"serverless-refused-{door.name}"
    builder = build_model(role, door.session, name)
    with pytest.raises(safeai.SecurityViolation) as refused:
        deploy_serverless(builder, name)
    assert refused.value.control == "endpoint_config.serverless"
    assert "safeai.serverless(reason=...)" in refused.value.remedy
    assert recorder.sent("CreateEndpointConfig") == []
    assert audit.outcomes("CreateModel") == ["secured"]  # the model was built as usual

    recorder.requests.clear()
    # The fix, as the remedy names it: the model and the endpoint inside the serverless block.
    name = f"serverless-{door.name}"
    # --8<-- [start:serverless-block]
    with safeai.serverless(reason="public demo model, no customer data; PLAT-7"):
        builder = build_model(role, door.session, name)
        with moto_data_capture_answer():  # deploy() reads the endpoint back last
            deploy_serverless(builder, name)
    # --8<-- [end:serverless-block]
    model = recorder.last("CreateModel").json()
    assert "VpcConfig" not in model
    assert "EnableNetworkIsolation" not in model
    assert model["ExecutionRoleArn"] == role
    config = recorder.last("CreateEndpointConfig").json()
    assert config["ProductionVariants"][0]["ServerlessConfig"]["MemorySizeInMB"] == 2048
    assert audit.outcomes("CreateModel")[-1] == "waived"
    assert audit.outcomes("CreateEndpointConfig")[-1] == "waived"


def test_an_async_endpoint_writes_its_results_under_the_policys_key(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    with moto_data_capture_answer():  # deploy() reads the endpoint back last
        deploy_async(role, door.session, name=f"async-{door.name}")
    sent = expect_sent_secured(
        recorder, audit, policy, "CreateModel", "CreateEndpointConfig", "CreateEndpoint"
    )
    output = sent["CreateEndpointConfig"]["AsyncInferenceConfig"]["OutputConfig"]
    assert output["S3OutputPath"] == f"{DATA}/async-results/"
    assert output["KmsKeyId"] == policy.kms_key_id


def test_a_feature_group_is_created_with_the_policys_role_and_keys(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    create_feature_group(role, door.boto_session, name=f"customers-{door.name}")
    sent = recorder.last("CreateFeatureGroup").json()
    assert sent["RoleArn"] == role
    assert sent["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == policy.kms_key_id
    assert sent["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] == policy.kms_key_id
    assert audit.outcomes("CreateFeatureGroup") == ["secured"]


def test_a_clarify_bias_job_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    run_clarify_bias(role, door.session)
    expect_sent_secured(recorder, audit, policy, "CreateProcessingJob")


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


def test_a_registered_model_version_deploys_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    name = f"churn-{door.name}"
    with moto_data_capture_answer():  # EndpointConfig.create() reads the configuration back
        register_and_deploy(role, door.session, door.boto_session, name)
    with moto_data_capture_answer():  # Endpoint.create() reads the endpoint back
        create_endpoint(door.boto_session, name)
    # The registry entry itself is out of scope (docs/controls.md); what runs is secured.
    package = recorder.last("CreateModelPackage").json()
    assert package["ModelPackageGroupName"] == name
    assert package["ModelApprovalStatus"] == "Approved"
    sent = expect_sent_secured(
        recorder, audit, policy, "CreateModel", "CreateEndpointConfig", "CreateEndpoint"
    )
    (container,) = sent["CreateModel"]["Containers"]
    assert container["ModelPackageName"].endswith(f":model-package/{name}/1")
    assert sent["CreateEndpoint"]["EndpointConfigName"] == name
