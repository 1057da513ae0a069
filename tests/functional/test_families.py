"""Every resource family that holds data or runs code, through the guard on the sandbox and
found by the audit on it: the model registry, model cards, MLflow, the inference recommender and
experiments, AI benchmark and recommendation jobs, A2I flow definitions, Edge Manager, images,
Partner AI Apps, feature groups and hubs.

Each case is one Create request of a family, as a user writes it (no security field): sent
through a guarded client, the request that reached AWS holds the policy's values; with one
field weakened, nothing is sent and the refusal names the control. The weakened request created
without the guard is what the audit must find, listed and described through the sandbox's
emulation of what moto lacks.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from safeai._detective import AuditReport, audit

from .test_feature_store import FEATURE_GROUP

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder, Sandbox

DATA = "s3://safeai-sandbox-ml-data"
ADMIN = "arn:aws:iam::123456789012:role/Admin"
FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/ffffffff-12ab-34cd-56ef-1234567890ab"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"
TRANSFORM_JOB = {
    "TransformInput": {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{DATA}/val/"}}
    },
    "TransformOutput": {"S3OutputPath": f"{DATA}/validation/"},
    "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
}
TRAINING_JOB = {
    "TrainingInputMode": "File",
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{DATA}/train/"}},
        }
    ],
    "OutputDataConfig": {"S3OutputPath": f"{DATA}/out/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}


@dataclass(frozen=True)
class Case:
    """One family's Create request. ``filled``: paths the guard fills in, each with the policy
    attribute whose value it must hold. ``weakened``: a path, the weaker value put there, and
    the control that refuses it. ``audited``: the audit type that lists it; created without the
    guard, the weakened request is reported with the same control (where that control judges
    a field: a bucket's posture is preflight's, and ``hub`` is only listed)."""

    operation: str
    name: str
    request: dict[str, Any]
    filled: dict[str, str]
    weakened: tuple[str, object, str]
    audited: str


def _named(case: Case, name: str) -> dict[str, Any]:
    request = copy.deepcopy(case.request)
    request[case.name] = name
    return request


CASES = (
    Case(
        "CreateModelPackage",
        "ModelPackageName",
        {
            "ModelPackageName": "pkg",
            "InferenceSpecification": {
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"{DATA}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ValidationSpecification": {
                "ValidationProfiles": [
                    {"ProfileName": "smoke", "TransformJobDefinition": TRANSFORM_JOB}
                ]
            },
        },
        {
            "SecurityConfig.KmsKeyId": "kms_key_id",
            "ValidationSpecification.ValidationRole": "execution_role_arn",
            "ValidationSpecification.ValidationProfiles[0].TransformJobDefinition"
            ".TransformOutput.KmsKeyId": "kms_key_id",
            "ValidationSpecification.ValidationProfiles[0].TransformJobDefinition"
            ".TransformResources.VolumeKmsKeyId": "kms_key_id",
        },
        ("ValidationSpecification.ValidationRole", ADMIN, "model_package.validation_role"),
        "model-package",
    ),
    Case(
        "CreateAlgorithm",
        "AlgorithmName",
        {
            "AlgorithmName": "algo",
            "TrainingSpecification": {
                "TrainingImage": IMAGE,
                "SupportedTrainingInstanceTypes": ["ml.m5.xlarge"],
                "TrainingChannels": [
                    {
                        "Name": "train",
                        "SupportedContentTypes": ["text/csv"],
                        "SupportedInputModes": ["File"],
                    }
                ],
            },
            "ValidationSpecification": {
                "ValidationProfiles": [
                    {"ProfileName": "smoke", "TrainingJobDefinition": TRAINING_JOB}
                ]
            },
        },
        {
            "ValidationSpecification.ValidationRole": "execution_role_arn",
            "ValidationSpecification.ValidationProfiles[0].TrainingJobDefinition"
            ".OutputDataConfig.KmsKeyId": "kms_key_id",
            "ValidationSpecification.ValidationProfiles[0].TrainingJobDefinition"
            ".ResourceConfig.VolumeKmsKeyId": "kms_key_id",
        },
        (
            "ValidationSpecification.ValidationProfiles[0].TrainingJobDefinition"
            ".OutputDataConfig.KmsKeyId",
            FOREIGN_KEY,
            "algorithm.validation_kms",
        ),
        "algorithm",
    ),
    Case(
        "CreateModelCard",
        "ModelCardName",
        {"ModelCardName": "card", "Content": "{}", "ModelCardStatus": "Draft"},
        {"SecurityConfig.KmsKeyId": "kms_key_id"},
        ("SecurityConfig.KmsKeyId", FOREIGN_KEY, "model_card.kms"),
        "model-card",
    ),
    Case(
        "CreateMlflowTrackingServer",
        "TrackingServerName",
        {"TrackingServerName": "tracking", "ArtifactStoreUri": f"{DATA}/mlflow/"},
        {"RoleArn": "execution_role_arn"},
        ("RoleArn", ADMIN, "mlflow.role"),
        "mlflow-tracking-server",
    ),
    Case(
        "CreateMlflowApp",
        "Name",
        {"Name": "app", "ArtifactStoreUri": f"{DATA}/mlflow-app/"},
        {"RoleArn": "execution_role_arn", "KmsKeyId": "kms_key_id"},
        ("KmsKeyId", FOREIGN_KEY, "mlflow.kms"),
        "mlflow-app",
    ),
    Case(
        "CreateInferenceRecommendationsJob",
        "JobName",
        {"JobName": "recommend", "JobType": "Default", "InputConfig": {"ModelName": "m"}},
        {
            "RoleArn": "execution_role_arn",
            "InputConfig.VolumeKmsKeyId": "kms_key_id",
            "OutputConfig.KmsKeyId": "kms_key_id",
        },
        ("InputConfig.VolumeKmsKeyId", FOREIGN_KEY, "inference_recommender.volume_kms"),
        "inference-recommendations-job",
    ),
    Case(
        "CreateInferenceExperiment",
        "Name",
        {
            "Name": "shadow",
            "Type": "ShadowMode",
            "EndpointName": "prod",
            "ModelVariants": [
                {
                    "ModelName": name,
                    "VariantName": name,
                    "InfrastructureConfig": {
                        "InfrastructureType": "RealTimeInference",
                        "RealTimeInferenceConfig": {
                            "InstanceType": "ml.m5.xlarge",
                            "InstanceCount": 1,
                        },
                    },
                }
                for name in ("current", "candidate")
            ],
            "ShadowModeConfig": {
                "SourceModelVariantName": "current",
                "ShadowModelVariants": [
                    {"ShadowModelVariantName": "candidate", "SamplingPercentage": 10}
                ],
            },
            "DataStorageConfig": {"Destination": f"{DATA}/shadow/"},
        },
        {
            "RoleArn": "execution_role_arn",
            "KmsKey": "kms_key_id",
            "DataStorageConfig.KmsKey": "kms_key_id",
        },
        ("KmsKey", FOREIGN_KEY, "inference_experiment.storage_kms"),
        "inference-experiment",
    ),
    Case(
        "CreateAIBenchmarkJob",
        "AIBenchmarkJobName",
        {
            "AIBenchmarkJobName": "bench",
            "BenchmarkTarget": {"Endpoint": {"Identifier": "prod"}},
            "OutputConfig": {"S3OutputLocation": f"{DATA}/bench/"},
            "AIWorkloadConfigIdentifier": "chat",
        },
        {"RoleArn": "execution_role_arn", "NetworkConfig.VpcConfig.Subnets": "subnets"},
        ("RoleArn", ADMIN, "ai_benchmark.role"),
        "ai-benchmark-job",
    ),
    Case(
        "CreateAIRecommendationJob",
        "AIRecommendationJobName",
        {
            "AIRecommendationJobName": "deploy-advice",
            "ModelSource": {"S3": {"S3Uri": f"{DATA}/llm/"}},
            "OutputConfig": {"S3OutputLocation": f"{DATA}/advice/"},
            "AIWorkloadConfigIdentifier": "chat",
            "PerformanceTarget": {"Constraints": [{"Metric": "ttft-ms"}]},
        },
        {"RoleArn": "execution_role_arn"},
        ("RoleArn", ADMIN, "ai_recommendation.role"),
        "ai-recommendation-job",
    ),
    Case(
        "CreateFlowDefinition",
        "FlowDefinitionName",
        {
            "FlowDefinitionName": "review",
            "HumanLoopConfig": {
                "WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/t",
                "HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/ui",
                "TaskTitle": "Review",
                "TaskDescription": "Review the prediction",
                "TaskCount": 1,
            },
            "OutputConfig": {"S3OutputPath": f"{DATA}/reviews/"},
        },
        {"RoleArn": "execution_role_arn", "OutputConfig.KmsKeyId": "kms_key_id"},
        ("OutputConfig.KmsKeyId", FOREIGN_KEY, "flow_definition.output_kms"),
        "flow-definition",
    ),
    Case(
        "CreateEdgePackagingJob",
        "EdgePackagingJobName",
        {
            "EdgePackagingJobName": "package",
            "CompilationJobName": "compiled",
            "ModelName": "m",
            "ModelVersion": "1.0",
            "OutputConfig": {"S3OutputLocation": f"{DATA}/edge/"},
        },
        {"RoleArn": "execution_role_arn", "OutputConfig.KmsKeyId": "kms_key_id"},
        ("RoleArn", ADMIN, "edge.role"),
        "edge-packaging-job",
    ),
    Case(
        "CreateDeviceFleet",
        "DeviceFleetName",
        {"DeviceFleetName": "fleet", "OutputConfig": {"S3OutputLocation": f"{DATA}/fleet/"}},
        {"OutputConfig.KmsKeyId": "kms_key_id"},
        ("RoleArn", ADMIN, "edge.device_role"),
        "device-fleet",
    ),
    Case(
        "CreateImage",
        "ImageName",
        {"ImageName": "studio-image"},
        {"RoleArn": "execution_role_arn"},
        ("RoleArn", ADMIN, "image.role"),
        "image",
    ),
    Case(
        "CreatePartnerApp",
        "Name",
        {"Name": "guard", "Type": "lakera-guard", "Tier": "small", "AuthType": "IAM"},
        {"ExecutionRoleArn": "execution_role_arn", "KmsKeyId": "kms_key_id"},
        ("ExecutionRoleArn", ADMIN, "partner_app.role"),
        "partner-app",
    ),
    Case(
        "CreateFeatureGroup",
        "FeatureGroupName",
        FEATURE_GROUP,
        {
            "RoleArn": "execution_role_arn",
            "OnlineStoreConfig.SecurityConfig.KmsKeyId": "kms_key_id",
            "OfflineStoreConfig.S3StorageConfig.KmsKeyId": "kms_key_id",
        },
        (
            "OnlineStoreConfig.SecurityConfig.KmsKeyId",
            FOREIGN_KEY,
            "feature_group.online_store_kms",
        ),
        "feature-group",
    ),
    Case(
        "CreateHub",
        "HubName",
        {
            "HubName": "models",
            "HubDescription": "The team's models",
            "S3StorageConfig": {"S3OutputPath": f"{DATA}/hub/"},
        },
        {},
        ("S3StorageConfig.S3OutputPath", "s3://{loose}/hub/", "s3.posture"),
        "hub",
    ),
)
IDS = [case.operation for case in CASES]


def _call(client: Any, operation: str, request: dict[str, Any]) -> Any:
    from botocore import xform_name

    return getattr(client, xform_name(operation))(**request)


def _steps(path: str) -> list[str | int]:
    """``A.B[0].C`` as the keys and indexes that reach it."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        steps.append(name)
        if index:
            steps.append(int(index.rstrip("]")))
    return steps


def _at(request: Any, path: str) -> object:
    for step in _steps(path):
        request = request[step]
    return request


def _put(request: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    changed = copy.deepcopy(request)
    *parents, last = _steps(path)
    container: Any = changed
    for step in parents:
        container = container.setdefault(step, {}) if isinstance(step, str) else container[step]
    container[last] = value
    return changed


def _weaker(value: object, loose_bucket: str) -> object:
    """A case's weaker value, with the name of the bucket below the baseline filled in."""
    return value.format(loose=loose_bucket) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def loose_bucket(sandbox: Sandbox) -> str:
    """A bucket below the baseline: no default encryption, Block Public Access off."""
    name = f"loose-{uuid.uuid4().hex[:10]}"
    sandbox.boto_session().client("s3").create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_bare_request_is_sent_with_the_policys_values(
    case: Case, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    request = _named(case, f"bare-{uuid.uuid4().hex[:8]}")
    with safeai.guarded(policy, client=sagemaker):
        _call(sagemaker, case.operation, request)
    sent = recorder.last(case.operation).json()
    for path, attribute in case.filled.items():
        expected = getattr(policy, attribute)
        found = _at(sent, path)
        assert found == (list(expected) if isinstance(expected, tuple) else expected), path


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_weakened_request_is_refused_and_nothing_sent(
    case: Case, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder, loose_bucket: str
) -> None:
    path, weaker, control = case.weakened
    request = _put(
        _named(case, f"weak-{uuid.uuid4().hex[:8]}"), path, _weaker(weaker, loose_bucket)
    )
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        _call(sagemaker, case.operation, request)
    assert refused.value.control == control
    assert recorder.sent(case.operation) == []


AUDIT_REGION = "eu-west-3"


@pytest.fixture(scope="module")
def audited(sandbox: Sandbox, loose_bucket: str) -> tuple[dict[str, str], AuditReport]:
    """Each case's weakened request created without the guard in AUDIT_REGION (with the
    policy's role where the API requires one and the case does not weaken it), then one audit
    of every type the cases name; the ARN of each created resource, by operation, and the
    report."""
    policy = sandbox.policy
    client = boto3.Session(region_name=AUDIT_REGION).client("sagemaker")
    arns: dict[str, str] = {}
    for case in CASES:
        request = _named(case, f"seeded-{uuid.uuid4().hex[:8]}")
        for required in ("RoleArn", "ExecutionRoleArn"):
            if required in _required(case.operation):
                request[required] = policy.execution_role_arn
        if "ValidationSpecification" in request:
            request["ValidationSpecification"]["ValidationRole"] = policy.execution_role_arn
        path, weaker, _ = case.weakened
        request = _put(request, path, _weaker(weaker, loose_bucket))
        answer = _call(client, case.operation, request)
        if not any(member.endswith("Arn") for member in answer):  # CreateDeviceFleet
            noun = case.operation.removeprefix("Create")
            answer = _call(client, f"Describe{noun}", {case.name: request[case.name]})
        # Partner and MLflow Apps are named by an id in their ARN, not by their name.
        arns[case.operation] = next(v for k, v in answer.items() if k.endswith("Arn"))
    report = audit(
        boto3.Session(region_name=AUDIT_REGION),
        policy,
        regions=[AUDIT_REGION],
        resource_types=[case.audited for case in CASES],
        buckets=False,
    )
    return arns, report


def _required(operation: str) -> frozenset[str]:
    model = boto3.Session(region_name=AUDIT_REGION).client("sagemaker").meta.service_model
    shape = model.operation_model(operation).input_shape
    return frozenset(shape.required_members) if shape is not None else frozenset()


def test_the_audit_reads_every_new_family_without_error(
    audited: tuple[dict[str, str], AuditReport],
) -> None:
    arns, report = audited
    assert not report.errors
    listed = {(resource.resource_type, resource.arn) for resource in report.resources}
    assert {(case.audited, arns[case.operation]) for case in CASES} <= listed


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if case.weakened[2] != "s3.posture"],
    ids=lambda case: case.operation,
)
def test_the_audit_finds_what_the_guard_refuses(
    case: Case, audited: tuple[dict[str, str], AuditReport]
) -> None:
    arns, report = audited
    found = {
        finding.control
        for finding in report.findings
        if (finding.resource_type, finding.resource_arn) == (case.audited, arns[case.operation])
    }
    assert case.weakened[2] in found, found
