"""The PII pre-flight and the input-bucket posture through the guard: real boto3 clients on the
sandbox (Macie emulation included), asserting on what was sent and what was refused."""

from __future__ import annotations

import dataclasses
import json
import uuid
import warnings
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from safeai.s3 import secure_bucket
from safeai.testing import RequestRecorder
from tests.archives import tar_gz

from ..conftest import job

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safeai.testing import Sandbox

PEOPLE = b"name,ssn,credit_card\nana,512-38-4471,4539 1488 0343 6467\nben,634-21-9087,none\n"
CLEAN = b"label,f1,f2\n" + b"".join(b"%d,%d,%d\n" % (i, i % 7, i * 37 % 101) for i in range(50))
RECORDIO = b"\x0a\x23\xd7\xce" + bytes(60)
NPY = b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }" + bytes(32)


@pytest.fixture
def data(sandbox: Sandbox, policy: safeai.Policy) -> dict[str, str]:
    """Three secured buckets: clean data, planted personal data, a format no scanner reads."""
    s3 = sandbox.boto_session().client("s3")
    buckets = {}
    for name, body, key in (
        ("clean", CLEAN, "train/data.csv"),
        ("people", PEOPLE, "train/people.csv"),
        ("arrays", NPY, "train/x.npy"),
    ):
        bucket = f"{name}-{uuid.uuid4().hex[:10]}"
        secure_bucket(bucket, client=s3, policy=policy)
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=policy.kms_key_id or "",
        )
        buckets[name] = f"s3://{bucket}/train/"
    return buckets


@pytest.fixture(params=["macie", "local"])
def scanner_policy(request: Any, policy: safeai.Policy) -> safeai.Policy:
    return dataclasses.replace(policy, pii_scanner=request.param)


@pytest.fixture
def sent() -> Iterator[RequestRecorder]:
    with RequestRecorder(services=frozenset({"sagemaker", "s3", "macie2"})) as recorder:
        yield recorder


def _channel(uri: str) -> list[dict[str, Any]]:
    return [
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
        }
    ]


def _launch(policy: safeai.Policy, uri: str, name: str | None = None) -> None:
    sagemaker = boto3.Session(region_name="us-east-1").client("sagemaker")
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_training_job(
            **job(name or f"j-{uuid.uuid4().hex[:8]}", InputDataConfig=_channel(uri))
        )


def test_clean_data_passes_and_planted_pii_is_refused_with_types_and_counts(
    scanner_policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    _launch(scanner_policy, data["clean"])
    assert len(sent.sent("CreateTrainingJob")) == 1
    with pytest.raises(safeai.SecurityViolation) as refused:
        _launch(scanner_policy, data["people"])
    message = str(refused.value)
    assert refused.value.control == "training.pii"
    assert refused.value.path == "InputDataConfig[0].DataSource.S3DataSource.S3Uri"
    assert "people.csv" in message
    assert "USA_SOCIAL_SECURITY_NUMBER x2" in message
    assert "CREDIT_CARD_NUMBER x1" in message
    assert "512-38-4471" not in message  # never the values
    assert len(sent.sent("CreateTrainingJob")) == 1  # the refused job was not sent


def test_inputs_given_as_tuples_and_read_only_mappings_are_checked_too(
    policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    from types import MappingProxyType

    (channel,) = _channel(data["people"])
    channel["DataSource"] = MappingProxyType(channel["DataSource"])
    sagemaker: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
    local = dataclasses.replace(policy, pii_scanner="local")
    with safeai.guarded(local, client=sagemaker), pytest.raises(safeai.SecurityViolation) as found:
        sagemaker.create_training_job(**job("tupled", InputDataConfig=(channel,)))
    assert found.value.control == "training.pii"
    assert sent.sent("CreateTrainingJob") == []


def test_an_allowed_identifier_type_passes(
    policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    allowing = dataclasses.replace(
        policy,
        pii_scanner="local",
        pii_allowed_types=["USA_SOCIAL_SECURITY_NUMBER", "CREDIT_CARD_NUMBER"],
    )
    _launch(allowing, data["people"])
    assert len(sent.sent("CreateTrainingJob")) == 1


def test_an_unclassifiable_object_is_never_clean(
    scanner_policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    with pytest.raises(safeai.SecurityViolation, match=r"could not be classified.*x\.npy"):
        _launch(scanner_policy, data["arrays"])
    lenient = dataclasses.replace(scanner_policy, pii_unknown="warn")
    with pytest.warns(safeai.SecurityWarning, match="could not be classified"):
        _launch(lenient, data["arrays"])
    assert len(sent.sent("CreateTrainingJob")) == 1


def test_warn_off_and_waivers(
    policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    local = dataclasses.replace(policy, pii_scanner="local")
    with pytest.warns(safeai.SecurityWarning, match="training.pii"):
        _launch(dataclasses.replace(local, pii="warn"), data["people"])
    listed = len(sent.sent("ListObjectsV2"))
    _launch(dataclasses.replace(local, pii="off"), data["people"])
    assert len(sent.sent("ListObjectsV2")) == listed  # off: nothing is even listed
    with safeai.waive("training.pii", reason="synthetic data, reviewed by privacy office"):
        _launch(local, data["people"])
    assert len(sent.sent("CreateTrainingJob")) == 3


def test_a_relaunch_on_unchanged_data_creates_no_macie_job(
    policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder, sandbox: Sandbox
) -> None:
    _launch(policy, data["clean"])
    assert len(sent.sent("CreateClassificationJob")) == 1
    _launch(policy, data["clean"])
    assert len(sent.sent("CreateClassificationJob")) == 1  # the verdicts were kept
    bucket = data["clean"].removeprefix("s3://").split("/")[0]
    sandbox.boto_session().client("s3").put_object(
        Bucket=bucket,
        Key="train/more.csv",
        Body=CLEAN,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=policy.kms_key_id or "",
    )
    _launch(policy, data["clean"])
    created = sent.sent("CreateClassificationJob")
    assert len(created) == 2
    scope = json.dumps(created[-1].json()["s3JobDefinition"])
    assert "train/more.csv" in scope
    assert "train/data.csv" not in scope  # the new job is scoped to the changed object


INPUT_BEARING: list[tuple[str, str, dict[str, Any]]] = [
    (
        "create_processing_job",
        "processing.pii",
        {
            "ProcessingJobName": "p",
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": 1,
                    "InstanceType": "ml.m5.xlarge",
                    "VolumeSizeInGB": 10,
                }
            },
            "AppSpecification": {"ImageUri": "img:1"},
            "ProcessingInputs": [
                {
                    "InputName": "raw",
                    "S3Input": {
                        "S3Uri": "{uri}",
                        "LocalPath": "/opt/ml/processing/input",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
        },
    ),
    (
        "create_transform_job",
        "transform.pii",
        {
            "TransformJobName": "t",
            "ModelName": "m",
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "{uri}"}}
            },
            "TransformOutput": {"S3OutputPath": "s3://safeai-sandbox-ml-data/out/"},
            "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        },
    ),
    (
        "create_hyper_parameter_tuning_job",
        "tuning.pii",
        {
            "HyperParameterTuningJobName": "h",
            "HyperParameterTuningJobConfig": {
                "Strategy": "Random",
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
            },
            "TrainingJobDefinition": {
                "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
                "InputDataConfig": _channel("{uri}"),
                "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/out/"},
                "ResourceConfig": {
                    "InstanceType": "ml.m5.xlarge",
                    "InstanceCount": 1,
                    "VolumeSizeInGB": 10,
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": 60},
            },
        },
    ),
    (
        "create_auto_ml_job_v2",
        "automl.pii",
        {
            "AutoMLJobName": "a",
            "AutoMLJobInputDataConfig": [
                {
                    "ChannelType": "training",
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "{uri}"}},
                }
            ],
            "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/out/"},
            "AutoMLProblemTypeConfig": {"TabularJobConfig": {"TargetAttributeName": "label"}},
        },
    ),
]


@pytest.mark.parametrize(
    ("method", "slug", "request_"), INPUT_BEARING, ids=[i[0] for i in INPUT_BEARING]
)
def test_every_input_bearing_operation_is_checked(
    policy: safeai.Policy,
    data: dict[str, str],
    sent: RequestRecorder,
    method: str,
    slug: str,
    request_: dict[str, Any],
) -> None:
    sagemaker = boto3.Session(region_name="us-east-1").client("sagemaker")
    request = json.loads(json.dumps(request_).replace("{uri}", data["people"]))
    local = dataclasses.replace(policy, pii_scanner="local")
    with safeai.guarded(local, client=sagemaker):
        if "ModelName" in request:  # a transform job's model must exist and be secure
            request["ModelName"] = f"m-{uuid.uuid4().hex[:8]}"
            sagemaker.create_model(
                ModelName=request["ModelName"], PrimaryContainer={"Image": "img:1"}
            )
        sent.requests.clear()
        with pytest.raises(safeai.SecurityViolation) as found:
            getattr(sagemaker, method)(**request)
    violations = [found.value, *found.value.additional]
    assert slug in [v.control for v in violations]
    assert not [r for r in sent.requests if r.operation.startswith("Create")]


def _reading_a_parameter(default: str) -> dict[str, Any]:
    """A pipeline whose training step reads the parameter TrainData, ``default`` by default."""
    step_job = job("step")
    step_job["InputDataConfig"] = _channel({"Get": "Parameters.TrainData"})  # type: ignore[arg-type]
    return {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "TrainData", "Type": "String", "DefaultValue": default}],
        "Steps": [{"Name": "Train", "Type": "Training", "Arguments": step_job}],
    }


def _create_reading_pipeline(sagemaker: Any, policy: safeai.Policy, default: str) -> str:
    """Create a pipeline reading TrainData (``default`` by default); its name."""
    name = f"p-{uuid.uuid4().hex[:8]}"
    sagemaker.create_pipeline(
        PipelineName=name,
        PipelineDefinition=json.dumps(_reading_a_parameter(default)),
        RoleArn=policy.execution_role_arn or "",
    )
    return name


def test_a_pipeline_step_reading_a_parameters_default_is_checked(
    policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    definition = _reading_a_parameter(data["people"])
    sagemaker: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
    local = dataclasses.replace(policy, pii_scanner="local")
    with safeai.guarded(local, client=sagemaker), pytest.raises(safeai.SecurityViolation) as found:
        sagemaker.create_pipeline(
            PipelineName="p",
            PipelineDefinition=json.dumps(definition),
            RoleArn=policy.execution_role_arn or "",
        )
    assert found.value.control == "pipeline.pii"
    assert found.value.path == (
        "PipelineDefinition:Steps[Train].Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri"
    )
    assert sent.sent("CreatePipeline") == []


def test_an_input_bucket_below_the_baseline_is_refused_or_warned(
    policy: safeai.Policy, sandbox: Sandbox, sent: RequestRecorder
) -> None:
    s3 = sandbox.boto_session().client("s3")
    bucket = f"loose-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="train/data.csv", Body=CLEAN)
    local = dataclasses.replace(policy, pii_scanner="local")
    with pytest.raises(safeai.SecurityViolation) as refused:
        _launch(local, f"s3://{bucket}/train/")
    assert refused.value.control == "s3.posture"
    assert "no default encryption" in str(refused.value.found)
    assert "Block Public Access off" in str(refused.value.found)
    assert "plain-HTTP" in str(refused.value.found)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _launch(dataclasses.replace(local, s3_posture="warn"), f"s3://{bucket}/train/")
    assert any("s3.posture" in str(w.message) for w in caught)
    assert len(sent.sent("CreateTrainingJob")) == 1


def test_manifests_are_read_and_the_objects_they_name_are_scanned(
    policy: safeai.Policy, data: dict[str, str], sandbox: Sandbox
) -> None:
    s3 = sandbox.boto_session().client("s3")
    people_bucket = data["people"].removeprefix("s3://").split("/")[0]
    clean_bucket = data["clean"].removeprefix("s3://").split("/")[0]
    manifest = json.dumps([{"prefix": f"s3://{people_bucket}/train/"}, "people.csv"])
    augmented = json.dumps({"source-ref": f"s3://{people_bucket}/train/people.csv", "label": 1})
    for key, body in (("m/list.manifest", manifest), ("m/labels.jsonl", augmented)):
        s3.put_object(
            Bucket=clean_bucket,
            Key=key,
            Body=body.encode(),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=policy.kms_key_id or "",
        )
    local = dataclasses.replace(policy, pii_scanner="local")
    sagemaker = boto3.Session(region_name="us-east-1").client("sagemaker")
    for key, data_type in (
        ("m/list.manifest", "ManifestFile"),
        ("m/labels.jsonl", "AugmentedManifestFile"),
    ):
        channel = _channel(f"s3://{clean_bucket}/{key}")
        channel[0]["DataSource"]["S3DataSource"]["S3DataType"] = data_type
        with (
            safeai.guarded(local, client=sagemaker),
            pytest.raises(safeai.SecurityViolation, match=r"people\.csv"),
        ):
            sagemaker.create_training_job(
                **job(f"j-{uuid.uuid4().hex[:8]}", InputDataConfig=channel)
            )


@pytest.mark.parametrize("scanner", ["macie", "local"])
def test_safeai_scan_prints_the_findings_and_exits_by_the_policy(
    sandbox: Sandbox, data: dict[str, str], monkeypatch: Any, capsys: Any, scanner: str
) -> None:
    from safeai.cli import main

    baseline = sandbox.baseline
    assert baseline is not None
    monkeypatch.setenv("SAFEAI_KMS_KEY_ID", baseline.kms_key_arn)
    monkeypatch.setenv("SAFEAI_REGION", "us-east-1")
    assert main(["scan", data["clean"], "--scanner", scanner]) == 0
    assert "0 with personal data, 0 unclassified: passes" in capsys.readouterr().out
    assert main(["scan", data["people"], "--scanner", scanner]) == 1
    printed = capsys.readouterr().out
    assert "people.csv" in printed
    assert "USA_SOCIAL_SECURITY_NUMBER (2)" in printed
    assert "blocked under the policy" in printed
    assert main(["scan", "not-a-uri"]) == 2


def test_an_execution_is_checked_at_the_parameters_it_is_given(
    policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    sagemaker: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
    local = dataclasses.replace(policy, pii_scanner="local")
    with safeai.guarded(local, client=sagemaker):
        name = _create_reading_pipeline(sagemaker, policy, data["clean"])
        sagemaker.start_pipeline_execution(PipelineName=name)  # the clean default
        with pytest.raises(safeai.SecurityViolation) as found:
            sagemaker.start_pipeline_execution(
                PipelineName=name,
                PipelineParameters=[{"Name": "TrainData", "Value": data["people"]}],
            )
    assert found.value.control == "pipeline.pii"
    assert "people.csv" in str(found.value)
    assert len(sent.sent("StartPipelineExecution")) == 1


def test_an_execution_of_a_named_version_is_checked_on_that_versions_definition(
    policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    sagemaker: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
    local = dataclasses.replace(policy, pii_scanner="local")
    with safeai.guarded(local, client=sagemaker):
        name = _create_reading_pipeline(sagemaker, policy, data["clean"])
        sagemaker.start_pipeline_execution(PipelineName=name, PipelineVersionId=1)
    # The sandbox keeps no versions; what matters is which definition the checks asked for (the
    # steps' controls and the PII check each read it).
    looked_up = sent.sent("DescribePipeline")
    assert looked_up
    for request in looked_up:
        assert json.loads(request.body) == {"PipelineName": name, "PipelineVersionId": 1}


def test_a_retry_is_checked_at_the_executions_parameters_on_the_data_as_it_is_now(
    policy: safeai.Policy, data: dict[str, str], sandbox: Sandbox, sent: RequestRecorder
) -> None:
    s3: Any = sandbox.boto_session().client("s3")
    bucket = data["clean"].removeprefix("s3://").split("/")[0]
    encrypted = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": policy.kms_key_id or ""}
    s3.put_object(Bucket=bucket, Key="other/data.csv", Body=CLEAN, **encrypted)
    sagemaker: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
    local = dataclasses.replace(policy, pii_scanner="local")
    with safeai.guarded(local, client=sagemaker):
        name = _create_reading_pipeline(sagemaker, policy, data["clean"])
        arn = sagemaker.start_pipeline_execution(
            PipelineName=name,
            PipelineParameters=[{"Name": "TrainData", "Value": f"s3://{bucket}/other/"}],
        )["PipelineExecutionArn"]
        # Clean as it is: the retry is sent.
        sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn)
        attempts = len(sent.sent("RetryPipelineExecution"))
        assert attempts == 1
        # The execution's own parameter, not the default, now names personal data.
        s3.put_object(Bucket=bucket, Key="other/people.csv", Body=PEOPLE, **encrypted)
        with pytest.raises(safeai.SecurityViolation) as found:
            sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn)
    assert found.value.control == "pipeline.pii"
    assert "other/people.csv" in str(found.value)
    assert len(sent.sent("RetryPipelineExecution")) == attempts


def test_a_manifest_that_is_not_one_is_unclassified_not_a_crash(
    policy: safeai.Policy, data: dict[str, str], sandbox: Sandbox
) -> None:
    clean_bucket = data["clean"].removeprefix("s3://").split("/")[0]
    sandbox.boto_session().client("s3").put_object(
        Bucket=clean_bucket,
        Key="m/broken.manifest",
        Body=b"{not json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=policy.kms_key_id or "",
    )
    channel = _channel(f"s3://{clean_bucket}/m/broken.manifest")
    channel[0]["DataSource"]["S3DataSource"]["S3DataType"] = "ManifestFile"
    sagemaker = boto3.Session(region_name="us-east-1").client("sagemaker")
    local = dataclasses.replace(policy, pii_scanner="local")
    with (
        safeai.guarded(local, client=sagemaker),
        pytest.raises(safeai.SecurityViolation, match="not a valid manifest"),
    ):
        sagemaker.create_training_job(**job(f"j-{uuid.uuid4().hex[:8]}", InputDataConfig=channel))


def _put_secured(sandbox: Sandbox, policy: safeai.Policy, key: str, body: bytes) -> str:
    bucket = f"code-{uuid.uuid4().hex[:10]}"
    secure_bucket(bucket, client=sandbox.boto_session().client("s3"), policy=policy)
    return _put_secured_in(sandbox, policy, bucket, key, body)


def _put_secured_in(
    sandbox: Sandbox, policy: safeai.Policy, bucket: str, key: str, body: bytes
) -> str:
    s3 = sandbox.boto_session().client("s3")
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=policy.kms_key_id or "",
    )
    return f"s3://{bucket}/{key}"


def test_the_sdks_code_channel_passes_when_it_holds_only_code(
    sandbox: Sandbox, scanner_policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    code = {"train.py": b"import sklearn\n", "requirements.txt": b"scikit-learn==1.5.0\n"}
    uri = _put_secured(sandbox, scanner_policy, "job/source/sourcedir.tar.gz", tar_gz(code))
    channels = [
        *_channel(data["clean"]),
        {
            "ChannelName": "code",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
            "InputMode": "File",
        },
    ]
    sagemaker = boto3.Session(region_name="us-east-1").client("sagemaker")
    with safeai.guarded(scanner_policy, client=sagemaker):
        sagemaker.create_training_job(**job(f"j-{uuid.uuid4().hex[:8]}", InputDataConfig=channels))
    assert len(sent.sent("CreateTrainingJob")) == 1

    leaky = tar_gz({**code, "data/people.csv": PEOPLE})
    leaky_uri = _put_secured(sandbox, scanner_policy, "job2/source/sourcedir.tar.gz", leaky)
    with pytest.raises(safeai.SecurityViolation) as refused:
        _launch(scanner_policy, leaky_uri)
    assert "sourcedir.tar.gz (" in str(refused.value)
    assert "CREDIT_CARD_NUMBER x1" in str(refused.value)


def test_recordio_is_refused_with_advice_that_works(
    sandbox: Sandbox, scanner_policy: safeai.Policy, sent: RequestRecorder
) -> None:
    uri = _put_secured(sandbox, scanner_policy, "images/train/train.rec", RECORDIO)

    with pytest.raises(safeai.SecurityViolation) as refused:
        _launch(scanner_policy, uri.rsplit("/", 1)[0] + "/")

    message = str(refused.value)
    assert "train.rec (" in message
    assert "MXNet RecordIO: a format neither Amazon Macie nor the local scanner reads" in message
    assert "remove or mask" not in message  # nothing was found: there is nothing to remove
    assert 'Policy.pii_unknown = "warn"' in refused.value.remedy
    assert "waive the control with that reason" in refused.value.remedy
    assert sent.sent("CreateTrainingJob") == []


def _two_channels(images: str, labels: str) -> list[dict[str, Any]]:
    return [
        {
            "ChannelName": name,
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
        }
        for name, uri in (("train", images), ("labels", labels))
    ]


def test_a_waiver_scoped_to_one_channel_leaves_the_others_checked(
    sandbox: Sandbox, scanner_policy: safeai.Policy, data: dict[str, str], sent: RequestRecorder
) -> None:
    images = _put_secured(sandbox, scanner_policy, "images/train/train.rec", RECORDIO)
    images = images.rsplit("/", 1)[0] + "/"
    sagemaker = boto3.Session(region_name="us-east-1").client("sagemaker")
    waiver = safeai.waive("training.pii", reason="RecordIO images, no text; DS-42", inputs=[images])

    # The waived channel is not scanned; the other one still is, and its personal data refuses.
    with (
        safeai.guarded(scanner_policy, client=sagemaker),
        waiver,
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_training_job(
            **job("scoped-people", InputDataConfig=_two_channels(images, data["people"]))
        )
    assert refused.value.control == "training.pii"
    assert refused.value.path == "InputDataConfig[1].DataSource.S3DataSource.S3Uri"
    assert "train.rec" not in str(refused.value)

    # With a clean second channel the job goes out, the RecordIO channel recorded as waived.
    with (
        safeai.guarded(scanner_policy, client=sagemaker),
        safeai.waive("training.pii", reason="RecordIO images, no text; DS-42", inputs=[images]),
    ):
        sagemaker.create_training_job(
            **job("scoped-clean", InputDataConfig=_two_channels(images, data["clean"]))
        )
    assert len(sent.sent("CreateTrainingJob")) == 1


def test_a_waiver_narrower_than_the_input_covers_only_what_lies_below_it(
    sandbox: Sandbox, policy: safeai.Policy, sent: RequestRecorder
) -> None:
    local = dataclasses.replace(policy, pii_scanner="local")
    rec = _put_secured(sandbox, local, "mixed/images/train.rec", RECORDIO)
    bucket = rec.removeprefix("s3://").split("/", 1)[0]
    _put_secured_in(sandbox, local, bucket, "mixed/tables/people.csv", PEOPLE)
    images = f"s3://{bucket}/mixed/images/"

    with (
        safeai.waive("training.pii", reason="RecordIO images, no text; DS-42", inputs=[images]),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        _launch(local, f"s3://{bucket}/mixed/")
    assert "people.csv" in str(refused.value)
    assert "train.rec" not in str(refused.value)
    assert sent.sent("CreateTrainingJob") == []


@pytest.mark.parametrize(
    ("slug", "inputs", "message"),
    [
        ("training.vpc", ["s3://b/p/"], "is not checked on S3 inputs"),
        ("training.pii", "s3://b/p/", "takes a list of s3:// locations"),
        ("training.pii", [], "takes a list of s3:// locations"),
        ("training.pii", ["b/p/"], "is not an s3://bucket/prefix location"),
        ("s3.posture", ["s3://b/p/"], "name it as s3://bucket"),
    ],
)
def test_a_scoped_waiver_must_name_s3_locations_of_an_input_control(
    slug: str, inputs: Any, message: str
) -> None:
    with (
        pytest.raises(safeai.PolicyError, match=message),
        safeai.waive(slug, reason="x", inputs=inputs),
    ):
        pass
