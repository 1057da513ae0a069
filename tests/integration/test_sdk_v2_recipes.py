"""Recipes: the SageMaker Python SDK v2 under safeai (``Estimator.fit`` is in test_sdk.py).

Each recipe is the code a user writes; docs/sagemaker-sdk.md shows it from here. Each test runs
it through both doors (the ``door`` fixture: an explicit ``SecureSession(policy)`` session, and
the process-wide guard with no session), and asserts on the requests that were sent.
"""

from __future__ import annotations

import json
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
    telemetry_opted_out,
)

if TYPE_CHECKING:
    from pathlib import Path

    from safeai.testing import RequestRecorder
    from tests.integration.conftest import Audit, Door

if MAJOR != 2:
    pytest.skip(f"SageMaker SDK v2 recipes; {INSTALLED}", allow_module_level=True)
pytestmark = pytest.mark.sdk


# -- the recipes: user code, shown in the docs -----------------------------------------------------


def run_processor(role: str, session: Any) -> None:
    # --8<-- [start:processing]
    from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor

    processor = Processor(
        role=role,
        image_uri=IMAGE,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session,  # None under safeai.guard(): the SDK builds its own
    )
    processor.run(
        inputs=[ProcessingInput(source=f"{DATA}/raw/", destination="/opt/ml/processing/input")],
        outputs=[
            ProcessingOutput(source="/opt/ml/processing/output", destination=f"{DATA}/prepared/")
        ],
        wait=False,  # the sandbox runs no jobs: stop at the request
        logs=False,
    )
    # --8<-- [end:processing]


def transform(role: str, session: Any, name: str) -> None:
    # --8<-- [start:transform]
    from sagemaker.model import Model

    model = Model(
        image_uri=IMAGE,
        model_data=f"{DATA}/models/model.tar.gz",
        role=role,
        name=name,
        sagemaker_session=session,
    )
    transformer = model.transformer(  # sends CreateModel
        instance_count=1, instance_type="ml.m5.xlarge", output_path=f"{DATA}/predictions/"
    )
    transformer.transform(f"{DATA}/batch/", content_type="text/csv", wait=False, logs=False)
    # --8<-- [end:transform]


def deploy(role: str, session: Any, name: str, **options: Any) -> None:
    # --8<-- [start:deploy]
    from sagemaker.model import Model

    model = Model(
        image_uri=IMAGE,
        model_data=f"{DATA}/models/model.tar.gz",
        role=role,
        name=name,
        sagemaker_session=session,
        **options,
    )
    # CreateModel, CreateEndpointConfig, CreateEndpoint
    model.deploy(
        initial_instance_count=1, instance_type="ml.m5.xlarge", endpoint_name=name, wait=False
    )
    # --8<-- [end:deploy]


def tune(role: str, session: Any, name: str) -> None:
    # --8<-- [start:tuning]
    from sagemaker.estimator import Estimator
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

    estimator = Estimator(
        image_uri=IMAGE,
        role=role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        output_path=f"{DATA}/models/",
        sagemaker_session=session,
    )
    tuner = HyperparameterTuner(
        estimator,
        objective_metric_name="validation:auc",
        hyperparameter_ranges={"eta": ContinuousParameter(0.1, 0.5)},
        metric_definitions=[{"Name": "validation:auc", "Regex": "auc=([0-9.]+)"}],
        max_jobs=4,
        max_parallel_jobs=2,
    )
    tuner.fit({"train": f"{DATA}/train/"}, job_name=name, wait=False)
    # --8<-- [end:tuning]


def pipeline_session(session: Any) -> Any:
    # --8<-- [start:pipeline-session]
    from sagemaker.workflow.pipeline_context import PipelineSession

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
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.steps import ProcessingStep, TrainingStep

    steps_session = pipeline_session(session)  # job calls become step arguments
    processor = Processor(
        role=role,
        image_uri=IMAGE,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=steps_session,
        **processing,
    )
    prepare = ProcessingStep(
        name="prepare",
        step_args=processor.run(
            inputs=[ProcessingInput(source=f"{DATA}/raw/", destination="/opt/ml/processing/input")],
            outputs=[
                ProcessingOutput(
                    output_name="train",
                    source="/opt/ml/processing/output",
                    destination=f"{DATA}/prepared/",
                )
            ],
        ),
    )
    estimator = Estimator(
        image_uri=IMAGE,
        role=role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        output_path=f"{DATA}/models/",
        sagemaker_session=steps_session,
    )
    prepared = prepare.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri
    train = TrainingStep(name="train", step_args=estimator.fit({"train": TrainingInput(prepared)}))
    pipeline = Pipeline(name=name, steps=[prepare, train], sagemaker_session=steps_session)
    pipeline.upsert(role_arn=role)  # CreatePipeline (UpdatePipeline when it exists)
    # --8<-- [end:pipeline]


def fit_script_mode(role: str, session: Any, source_dir: str) -> None:
    # --8<-- [start:script-mode]
    from sagemaker.sklearn import SKLearn

    estimator = SKLearn(
        entry_point="train.py",
        source_dir=source_dir,  # uploaded as sourcedir.tar.gz to the session's default bucket
        framework_version="1.2-1",
        role=role,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session,
    )
    estimator.fit({"train": f"{DATA}/train/"}, wait=False, logs=False)
    # --8<-- [end:script-mode]


# -- the tests -------------------------------------------------------------------------------------


def test_processor_run_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    run_processor(role, door.session)
    expect_sent_secured(recorder, audit, policy, "CreateProcessingJob")


def test_transformer_transform_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    transform(role, door.session, name=f"transform-{door.name}")
    sent = expect_sent_secured(recorder, audit, policy, "CreateModel", "CreateTransformJob")
    assert sent["CreateTransformJob"]["ModelName"] == sent["CreateModel"]["ModelName"]


def test_model_deploy_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    deploy(role, door.session, name=f"deploy-{door.name}")
    sent = expect_sent_secured(
        recorder, audit, policy, "CreateModel", "CreateEndpointConfig", "CreateEndpoint"
    )
    (variant,) = sent["CreateEndpointConfig"]["ProductionVariants"]
    assert variant["ModelName"] == sent["CreateModel"]["ModelName"]
    config = sent["CreateEndpointConfig"]["EndpointConfigName"]
    assert sent["CreateEndpoint"]["EndpointConfigName"] == config


def test_hyperparameter_tuner_fit_is_secured(
    door: Door, role: str, policy: safeai.Policy, recorder: RequestRecorder, audit: Audit
) -> None:
    tune(role, door.session, name=f"tune-{door.name}")
    expect_sent_secured(recorder, audit, policy, "CreateHyperParameterTuningJob")


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


def test_deploy_into_another_subnet_is_refused_and_nothing_is_sent(
    door: Door, role: str, recorder: RequestRecorder
) -> None:
    public = {"Subnets": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}
    with pytest.raises(safeai.SecurityViolation) as refused:
        deploy(role, door.session, name=f"refused-{door.name}", vpc_config=public)
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


def test_script_mode_code_reaches_the_isolated_container_as_a_channel(
    door: Door,
    role: str,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    audit: Audit,
    tmp_path: Path,
) -> None:
    # The estimator says nothing of network isolation: without safeai the SDK would pass the
    # code's S3 URI for the container to download, which isolation forbids.
    (tmp_path / "train.py").write_text("print('training')\n")
    (tmp_path / "requirements.txt").write_text("scikit-learn\n")
    fit_script_mode(role, door.session, str(tmp_path))

    sent = expect_sent_secured(recorder, audit, policy, "CreateTrainingJob")["CreateTrainingJob"]
    channels = {c["ChannelName"]: c for c in sent["InputDataConfig"]}
    code = channels["code"]["DataSource"]["S3DataSource"]["S3Uri"]
    assert code.startswith("s3://sagemaker-us-east-1-")
    assert code.endswith("/sourcedir.tar.gz")
    assert json.loads(sent["HyperParameters"]["sagemaker_submit_directory"]) == (
        "/opt/ml/input/data/code/sourcedir.tar.gz"
    )
    # Steered by SecureSession.sagemaker_session(), the SDK isolates the job and ships the code
    # as a channel itself; under the process guard alone the guard moves it.
    moved = [
        decision["outcome"]
        for record in audit.records
        if record["operation"] == "CreateTrainingJob"
        for decision in record["decisions"]
        if decision["control"] == "training.code_channel"
    ]
    assert moved == ([] if door.session is not None else ["injected"])
    uploads = recorder.sent("PutObject")  # sourcedir.tar.gz, to the session's default bucket
    assert uploads
    assert {r.headers.get("x-amz-server-side-encryption") for r in uploads} == {"aws:kms"}
