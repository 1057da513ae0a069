"""Recipes: the SageMaker Python SDK v3 and sagemaker-core under safeai (``ModelTrainer.train``
and ``TrainingJob.create`` are in test_sdk.py).

Each recipe is the code a user writes; docs/sagemaker-sdk.md shows it from here. Each test runs
it through both doors (the ``door`` fixture: an explicit ``SecureSession(policy)`` session, and
the process-wide guard with no session), and asserts on the requests that were sent.
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
    expect_nothing_created,
    expect_pipeline_secured,
    expect_sent_secured,
    moto_data_capture_answer,
    telemetry_opted_out,
)

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder
    from tests.integration.conftest import Audit, Door

if MAJOR != 3:
    pytest.skip(f"SageMaker SDK v3 recipes; {INSTALLED}", allow_module_level=True)
pytestmark = pytest.mark.sdk

OTHER_SUBNET = {
    "subnets": ["subnet-0123456789abcdef0"],
    "security_group_ids": ["sg-0123456789abcdef0"],
}


# -- the recipes: user code, shown in the docs -----------------------------------------------------


def processing_io() -> tuple[list[Any], list[Any]]:
    # --8<-- [start:processing-io]
    from sagemaker.core.shapes import (
        ProcessingInput,
        ProcessingOutput,
        ProcessingS3Input,
        ProcessingS3Output,
    )

    inputs = [
        ProcessingInput(
            input_name="raw",
            s3_input=ProcessingS3Input(
                s3_uri=f"{DATA}/raw/",
                local_path="/opt/ml/processing/input",
                s3_data_type="S3Prefix",
                s3_input_mode="File",
            ),
        )
    ]
    outputs = [
        ProcessingOutput(
            output_name="prepared",
            s3_output=ProcessingS3Output(
                s3_uri=f"{DATA}/prepared/",
                local_path="/opt/ml/processing/output",
                s3_upload_mode="EndOfJob",
            ),
        )
    ]
    # --8<-- [end:processing-io]
    return inputs, outputs


def run_processor(role: str, session: Any) -> None:
    # --8<-- [start:processing]
    from sagemaker.core.processing import Processor

    processor = Processor(
        role=role,
        image_uri=IMAGE,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session,  # None under safeai.guard(): the SDK builds its own
    )
    inputs, outputs = processing_io()
    processor.run(inputs=inputs, outputs=outputs, wait=False, logs=False)
    # --8<-- [end:processing]


def build_and_deploy(role: str, session: Any, name: str, **options: Any) -> None:
    # --8<-- [start:model-builder]
    from sagemaker.serve import ModelBuilder

    builder = ModelBuilder(
        image_uri=IMAGE,
        s3_model_data_url=f"{DATA}/models/model.tar.gz",
        role_arn=role,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session,
        **options,
    )
    builder.build(model_name=name)  # CreateModel
    # CreateEndpointConfig, CreateEndpoint
    builder.deploy(endpoint_name=name, initial_instance_count=1, wait=False)
    # --8<-- [end:model-builder]


def transform(role: str, session: Any, name: str) -> None:
    # --8<-- [start:transform]
    from sagemaker.core.transformer import Transformer
    from sagemaker.serve import ModelBuilder

    model = ModelBuilder(
        image_uri=IMAGE,
        s3_model_data_url=f"{DATA}/models/model.tar.gz",
        role_arn=role,
        sagemaker_session=session,
    ).build(model_name=name)  # CreateModel
    transformer = Transformer(
        model_name=model.model_name,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        output_path=f"{DATA}/predictions/",
        sagemaker_session=session,
    )
    transformer.transform(f"{DATA}/batch/", content_type="text/csv", wait=False, logs=False)
    # --8<-- [end:transform]


def tune(role: str, session: Any, name: str) -> None:
    # --8<-- [start:tuning]
    from sagemaker.core.parameter import ContinuousParameter
    from sagemaker.core.training.configs import Compute, OutputDataConfig
    from sagemaker.train import ModelTrainer
    from sagemaker.train.tuner import HyperparameterTuner

    trainer = ModelTrainer(
        training_image=IMAGE,
        role=role,
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"{DATA}/models/"),
        sagemaker_session=session,
    )
    tuner = HyperparameterTuner(
        trainer,
        objective_metric_name="validation:auc",
        hyperparameter_ranges={"eta": ContinuousParameter(0.1, 0.5)},
        metric_definitions=[{"Name": "validation:auc", "Regex": "auc=([0-9.]+)"}],
        max_jobs=4,
        max_parallel_jobs=2,
    )
    tuner.tune(inputs={"train": f"{DATA}/train/"}, job_name=name, wait=False)
    # --8<-- [end:tuning]


def core_model_and_config(role: str, boto_session: Any, name: str) -> None:
    # --8<-- [start:core-hosting]
    from sagemaker.core.resources import EndpointConfig, Model
    from sagemaker.core.shapes import ContainerDefinition, ProductionVariant

    # session=None under safeai.guard(): sagemaker-core builds a boto3 session and caches
    # its clients; with a SecureSession, pass its boto_session.
    Model.create(
        model_name=name,
        primary_container=ContainerDefinition(
            image=IMAGE, model_data_url=f"{DATA}/models/model.tar.gz"
        ),
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
    # --8<-- [end:core-hosting]


def core_endpoint(boto_session: Any, name: str) -> None:
    # --8<-- [start:core-endpoint]
    from sagemaker.core.resources import Endpoint

    Endpoint.create(endpoint_name=name, endpoint_config_name=name, session=boto_session)
    # --8<-- [end:core-endpoint]


def pipeline_session(session: Any) -> Any:
    # --8<-- [start:pipeline-session]
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    if session is None:  # under safeai.guard(): the clients it makes are guarded
        return PipelineSession()
    # On a SecureSession: its guarded boto3 session, and the configuration of
    # secure.sagemaker_session() (the SDK's telemetry switched off).
    return PipelineSession(
        boto_session=session.boto_session, sagemaker_config=session.sagemaker_config
    )
    # --8<-- [end:pipeline-session]


def upsert_pipeline(role: str, session: Any, name: str, **processing: Any) -> None:
    # --8<-- [start:pipeline]
    from sagemaker.core.processing import Processor
    from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig
    from sagemaker.mlops.workflow import Pipeline, ProcessingStep, TrainingStep
    from sagemaker.train import ModelTrainer

    steps_session = pipeline_session(session)  # job calls become step arguments
    processor = Processor(
        role=role,
        image_uri=IMAGE,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=steps_session,
        **processing,
    )
    inputs, outputs = processing_io()
    prepare = ProcessingStep(
        name="prepare", step_args=processor.run(inputs=inputs, outputs=outputs)
    )
    trainer = ModelTrainer(
        training_image=IMAGE,
        role=role,
        compute=Compute(instance_type="ml.m5.xlarge", instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"{DATA}/models/"),
        sagemaker_session=steps_session,
    )
    prepared = prepare.properties.ProcessingOutputConfig.Outputs["prepared"].S3Output.S3Uri
    train = TrainingStep(
        name="train",
        step_args=trainer.train(
            input_data_config=[InputData(channel_name="train", data_source=prepared)]
        ),
    )
    pipeline = Pipeline(name=name, steps=[prepare, train], sagemaker_session=steps_session)
    pipeline.upsert(role_arn=role)  # CreatePipeline (UpdatePipeline when it exists)
    # --8<-- [end:pipeline]


# -- the tests -------------------------------------------------------------------------------------


def test_processor_run_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    run_processor(role, door.session)
    expect_sent_secured(recorder, audit, policy, "CreateProcessingJob")


def test_model_builder_build_and_deploy_are_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    with moto_data_capture_answer():  # deploy() reads the endpoint back last
        build_and_deploy(role, door.session, name=f"builder-{door.name}")
    sent = expect_sent_secured(
        recorder, audit, policy, "CreateModel", "CreateEndpointConfig", "CreateEndpoint"
    )
    (variant,) = sent["CreateEndpointConfig"]["ProductionVariants"]
    assert variant["ModelName"] == sent["CreateModel"]["ModelName"]
    config = sent["CreateEndpointConfig"]["EndpointConfigName"]
    assert sent["CreateEndpoint"]["EndpointConfigName"] == config


def test_transformer_transform_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    transform(role, door.session, name=f"transform-{door.name}")
    sent = expect_sent_secured(recorder, audit, policy, "CreateModel", "CreateTransformJob")
    assert sent["CreateTransformJob"]["ModelName"] == sent["CreateModel"]["ModelName"]


def test_hyperparameter_tuner_tune_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    tune(role, door.session, name=f"tune-{door.name}")
    expect_sent_secured(recorder, audit, policy, "CreateHyperParameterTuningJob")


def test_core_model_endpoint_config_and_endpoint_are_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    name = f"core-{door.name}"
    with moto_data_capture_answer():  # EndpointConfig.create() reads the configuration back
        core_model_and_config(role, door.boto_session, name)
    with moto_data_capture_answer():  # Endpoint.create() reads the endpoint back
        core_endpoint(door.boto_session, name)
    sent = expect_sent_secured(
        recorder, audit, policy, "CreateModel", "CreateEndpointConfig", "CreateEndpoint"
    )
    assert sent["CreateEndpoint"]["EndpointConfigName"] == name


def test_pipeline_upsert_secures_every_step(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    steps = {"prepare": "Processing", "train": "Training"}
    if door.session is not None:
        assert telemetry_opted_out(pipeline_session(door.session))
    upsert_pipeline(role, door.session, name=f"pipeline-{door.name}")
    (created,) = recorder.sent("CreatePipeline")
    expect_pipeline_secured(created.json(), policy, steps)
    # Again: CreatePipeline is answered "already exists" (a ValidationException that
    # upsert() catches), and upsert() sends UpdatePipeline.
    upsert_pipeline(role, door.session, name=f"pipeline-{door.name}")
    expect_pipeline_secured(recorder.last("UpdatePipeline").json(), policy, steps)
    assert audit.outcomes("CreatePipeline") == ["secured", "secured"]
    assert audit.outcomes("UpdatePipeline") == ["secured"]
    # A pipeline's jobs are started by SageMaker when it runs, never by the SDK.
    assert not [r.operation for r in recorder.requests if r.operation.endswith("Job")]


def test_model_builder_in_another_subnet_is_refused_and_nothing_is_sent(
    door: Door, role: str, recorder: RequestRecorder
) -> None:
    from sagemaker.core.training.configs import Networking

    with pytest.raises(safeai.SecurityViolation) as refused:
        build_and_deploy(
            role,
            door.session,
            name=f"refused-{door.name}",
            network=Networking(**OTHER_SUBNET),
        )
    assert refused.value.control == "model.vpc"
    expect_nothing_created(recorder)


def test_pipeline_step_with_another_key_is_refused_and_nothing_is_sent(
    door: Door, role: str, recorder: RequestRecorder
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        upsert_pipeline(
            role,
            door.session,
            name=f"refused-{door.name}",
            volume_kms_key="alias/aws/ebs",
        )
    assert refused.value.control == "processing.volume_kms"
    expect_nothing_created(recorder)
