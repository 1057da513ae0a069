"""The detective audit over real boto3 clients talking HTTP to moto in server mode.

Resources are seeded with raw (unguarded) boto3 clients. moto keeps one account for the whole
test session, so each test seeds and audits a region of its own (the sandbox's baseline lives in
us-east-1; its key, role, subnet and security group ids are plain strings to SageMaker in moto,
so resources elsewhere may name them).

moto implements no monitoring schedules; the sandbox keeps them itself
(``safeai.testing._moto_fixes``), so the audit lists them like the rest. moto's lossy answers
(``DescribeModel``, ``DescribeProcessingJob``, ``DescribeNotebookInstance``'s metadata service
setting) are corrected by the sandbox too.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

import safeai
from safeai._detective import RESOURCE_TYPES, AuditReport, audit
from safeai.cli import _progress as progress_module
from safeai.controls import AuditListing, for_operation
from safeai.s3 import secure_bucket
from safeai.testing import RequestRecorder
from tests.conftest import audit_cli, policy_file

if TYPE_CHECKING:
    from safeai.testing import Sandbox

#: Every type moto can list (see the module docstring).
TYPES = tuple(kind.name for kind in RESOURCE_TYPES)
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-0000000000ff"
ADMIN_ROLE = "arn:aws:iam::123456789012:role/admin"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1"
VARIANT = {"VariantName": "main", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}


def _client(region: str) -> Any:
    return boto3.Session(region_name=region).client("sagemaker")


def _arn(region: str, kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:123456789012:{kind}/{name}"


def _vpc(policy: safeai.Policy) -> dict[str, Any]:
    return {"Subnets": list(policy.subnets), "SecurityGroupIds": list(policy.security_group_ids)}


def _training(policy: safeai.Policy, name: str, **overrides: Any) -> dict[str, Any]:
    """A CreateTrainingJob request with every control set to the policy's value."""
    key = policy.kms_key_id
    request = {
        "TrainingJobName": name,
        "RoleArn": policy.execution_role_arn,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/out/", "KmsKeyId": key},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 10,
            "VolumeKmsKeyId": key,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        "VpcConfig": _vpc(policy),
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    return {**request, **overrides}


def _model(policy: safeai.Policy, name: str, **overrides: Any) -> dict[str, Any]:
    request = {
        "ModelName": name,
        "PrimaryContainer": {"Image": IMAGE},
        "ExecutionRoleArn": policy.execution_role_arn,
        "VpcConfig": _vpc(policy),
        "EnableNetworkIsolation": True,
    }
    return {**request, **overrides}


def _notebook(policy: safeai.Policy, name: str, **overrides: Any) -> dict[str, Any]:
    request = {
        "NotebookInstanceName": name,
        "InstanceType": "ml.t3.medium",
        "RoleArn": policy.execution_role_arn,
        "SubnetId": policy.subnets[0],
        "SecurityGroupIds": list(policy.security_group_ids),
        "KmsKeyId": policy.kms_key_id,
        "DirectInternetAccess": "Disabled",
        "RootAccess": "Disabled",
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    }
    return {**request, **overrides}


def _pipeline(policy: safeai.Policy, name: str, step: dict[str, Any]) -> dict[str, Any]:
    definition = {
        "Version": "2020-12-01",
        "Steps": [{"Name": "train", "Type": "Training", "Arguments": step}],
    }
    return {
        "PipelineName": name,
        "PipelineDefinition": json.dumps(definition),
        "RoleArn": policy.execution_role_arn,
    }


def _audit(region: str, policy: safeai.Policy, **options: Any) -> AuditReport:
    options.setdefault("resource_types", TYPES)
    options.setdefault("buckets", False)  # the buckets' own test turns them on
    return audit(boto3.Session(region_name=region), policy, regions=[region], **options)


def _found(report: AuditReport, arn: str) -> set[tuple[str, str]]:
    return {(f.control, f.path) for f in report.findings if f.resource_arn == arn}


# -- what the audit finds ------------------------------------------------------------------------

FINDINGS_REGION = "us-west-2"


@pytest.fixture(scope="module")
def seeded(sandbox: Sandbox) -> tuple[safeai.Policy, AuditReport]:
    """One compliant and several non-compliant resources in FINDINGS_REGION, audited once."""
    policy = sandbox.policy
    sm = _client(FINDINGS_REGION)
    sm.create_training_job(**_training(policy, "clean"))
    public = {"Subnets": ["subnet-public"], "SecurityGroupIds": ["sg-open"]}
    sm.create_training_job(
        **_training(policy, "open", EnableNetworkIsolation=False, VpcConfig=public)
    )
    sm.create_model(**_model(policy, "open-model", EnableNetworkIsolation=False))
    sm.create_endpoint_config(
        EndpointConfigName="plain-config",
        ProductionVariants=[{**VARIANT, "ModelName": "open-model"}],
    )
    sm.create_endpoint(EndpointName="on-plain", EndpointConfigName="plain-config")
    sm.create_notebook_instance(**_notebook(policy, "internet", DirectInternetAccess="Enabled"))
    step = _training(policy, "step", RoleArn=ADMIN_ROLE)
    del step["TrainingJobName"]
    sm.create_pipeline(**_pipeline(policy, "admin-step", step))
    return policy, _audit(FINDINGS_REGION, policy)


def test_a_compliant_resource_has_no_finding(seeded: tuple[safeai.Policy, AuditReport]) -> None:
    _, report = seeded
    clean = _arn(FINDINGS_REGION, "training-job", "clean")
    assert clean in {r.arn for r in report.resources}
    assert _found(report, clean) == set()


def test_findings_name_the_control_resource_and_field(
    seeded: tuple[safeai.Policy, AuditReport],
) -> None:
    _, report = seeded
    region = FINDINGS_REGION
    assert _found(report, _arn(region, "training-job", "open")) == {
        ("training.network_isolation", "EnableNetworkIsolation"),
        ("training.vpc", "VpcConfig.Subnets"),
    }
    assert _found(report, _arn(region, "model", "open-model")) == {
        ("model.network_isolation", "EnableNetworkIsolation"),
    }
    assert _found(report, _arn(region, "endpoint-config", "plain-config")) == {
        ("endpoint_config.storage_kms", "KmsKeyId"),
    }
    assert _found(report, _arn(region, "notebook-instance", "internet")) == {
        ("notebook.direct_internet", "DirectInternetAccess"),
    }
    assert _found(report, _arn(region, "pipeline", "admin-step")) == {
        ("training.role", "PipelineDefinition:Steps[train].Arguments.RoleArn"),
    }


def test_a_waive_block_around_the_audit_reaches_its_worker_threads(
    seeded: tuple[safeai.Policy, AuditReport],
) -> None:
    """The audit reads the waivers active when it starts and applies them in every thread, to
    resources, the configurations and models an endpoint names, and buckets alike."""
    policy, _ = seeded
    with (
        safeai.waive("training.network_isolation", reason="INC-7 legacy trainer"),
        safeai.waive("model.network_isolation", reason="INC-7 legacy model"),
    ):
        report = _audit(FINDINGS_REGION, policy, resource_types=["training-job", "endpoint"])
    assert _found(report, _arn(FINDINGS_REGION, "training-job", "open")) == {
        ("training.vpc", "VpcConfig.Subnets"),
    }
    assert _found(report, _arn(FINDINGS_REGION, "endpoint", "on-plain")) == {
        ("endpoint_config.storage_kms", "EndpointConfigName='plain-config' -> KmsKeyId"),
    }


def test_an_endpoint_is_checked_through_its_config_and_models(
    seeded: tuple[safeai.Policy, AuditReport],
) -> None:
    _, report = seeded
    assert _found(report, _arn(FINDINGS_REGION, "endpoint", "on-plain")) == {
        ("endpoint_config.storage_kms", "EndpointConfigName='plain-config' -> KmsKeyId"),
        (
            "model.network_isolation",
            "EndpointConfigName='plain-config' ProductionVariants[0].ModelName='open-model' "
            "-> EnableNetworkIsolation",
        ),
    }


def test_a_finding_carries_value_remedy_and_anchors(
    seeded: tuple[safeai.Policy, AuditReport],
) -> None:
    policy, report = seeded
    (isolation,) = [
        f for f in report.findings if f.resource_arn == _arn(FINDINGS_REGION, "model", "open-model")
    ]
    assert isolation.found is False
    assert isolation.expected == "True"
    assert isolation.remedy == "omit EnableNetworkIsolation or set it to True."
    assert isolation.anchors.security_hub == ("SageMaker.5",)
    assert isolation.anchors.checkov == ("CKV_AWS_370",)
    assert isolation.anchors.prowler == ("sagemaker_models_network_isolation_enabled",)
    (vpc,) = [f for f in report.findings if f.control == "training.vpc"]
    assert vpc.found == ["subnet-public"]
    assert str(policy.subnets[0]) in vpc.expected


def test_the_report_counts_resources_calls_and_time(
    seeded: tuple[safeai.Policy, AuditReport],
) -> None:
    _, report = seeded
    counts = report.resource_counts
    assert list(counts) == list(TYPES)
    assert counts["training-job"] == 2
    assert counts["endpoint"] == 1
    assert counts["processing-job"] == 0
    assert report.errors == ()
    assert report.exit_code == 1
    # The account's id, one list call per type, one describe per resource, and the endpoint's
    # two references.
    assert report.api_calls == 1 + len(TYPES) + len(report.resources) + 2
    assert report.accounts == ("123456789012",)
    assert {f.account for f in report.findings} == {"123456789012"}
    assert report.duration_seconds > 0
    assert report.regions == (FINDINGS_REGION,)


def test_the_audit_only_reads(sandbox: Sandbox) -> None:
    with RequestRecorder(services=frozenset({"sagemaker", "s3", "sts"})) as recorder:
        report = _audit(FINDINGS_REGION, sandbox.policy, buckets=True)
    operations = {request.operation for request in recorder.requests}
    assert "GetBucketPolicy" in operations
    assert all(op.startswith(("List", "Describe", "Get")) for op in operations), operations
    assert len(recorder.requests) == report.api_calls


def test_a_process_wide_guard_does_not_block_the_audit(sandbox: Sandbox) -> None:
    with safeai.guarded(sandbox.policy):
        report = _audit(FINDINGS_REGION, sandbox.policy)
    assert report.errors == ()
    assert report.findings


# -- an audit and the guard agree ----------------------------------------------------------------

AGREEMENT_REGION = "ap-southeast-2"


def _cases(policy: safeai.Policy) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Per resource type: (create operation, ARN resource name, a request that sets every
    control explicitly, some of them weaker than the policy).

    Every control is set, because the guard fills in a missing one where the audit reports it.
    """
    key, vpc = policy.kms_key_id, _vpc(policy)
    step = _training(policy, "step", EnableInterContainerTrafficEncryption=False)
    del step["TrainingJobName"]
    definition = _training(policy, "definition", VpcConfig={**vpc, "Subnets": ["subnet-public"]})
    del definition["TrainingJobName"]
    monitoring_network = {
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": False,
        "VpcConfig": vpc,
    }
    return {
        "training-job": (
            "CreateTrainingJob",
            "agree-training",
            _training(
                policy,
                "agree-training",
                EnableNetworkIsolation=False,
                OutputDataConfig={"S3OutputPath": "s3://b/out/", "KmsKeyId": OTHER_KEY},
            ),
        ),
        "processing-job": (
            "CreateProcessingJob",
            "agree-processing",
            {
                "ProcessingJobName": "agree-processing",
                "RoleArn": ADMIN_ROLE,
                "AppSpecification": {"ImageUri": IMAGE},
                "ProcessingResources": {
                    "ClusterConfig": {
                        "InstanceCount": 2,
                        "InstanceType": "ml.m5.xlarge",
                        "VolumeSizeInGB": 10,
                        "VolumeKmsKeyId": key,
                    }
                },
                "ProcessingOutputConfig": {
                    "Outputs": [
                        {
                            "OutputName": "out",
                            "S3Output": {
                                "S3Uri": "s3://b/processed/",
                                "LocalPath": "/opt/ml/processing/out",
                                "S3UploadMode": "EndOfJob",
                            },
                        }
                    ],
                    "KmsKeyId": key,
                },
                "NetworkConfig": {
                    "EnableInterContainerTrafficEncryption": False,
                    "EnableNetworkIsolation": True,
                    "VpcConfig": vpc,
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": 60},
            },
        ),
        # A transform job's own controls; the model it names is compliant (seeded below).
        "transform-job": (
            "CreateTransformJob",
            "agree-transform",
            {
                "TransformJobName": "agree-transform",
                "ModelName": "agree-good-model",
                "TransformInput": {
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}}
                },
                "TransformOutput": {"S3OutputPath": "s3://b/predictions/", "KmsKeyId": key},
                "TransformResources": {
                    "InstanceType": "ml.m5.large",
                    "InstanceCount": 1,
                    "VolumeKmsKeyId": OTHER_KEY,
                },
            },
        ),
        "hyper-parameter-tuning-job": (
            "CreateHyperParameterTuningJob",
            "agree-tuning",
            {
                "HyperParameterTuningJobName": "agree-tuning",
                "HyperParameterTuningJobConfig": {
                    "Strategy": "Bayesian",
                    "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
                    "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
                },
                "TrainingJobDefinition": definition,
            },
        ),
        "model": (
            "CreateModel",
            "agree-model",
            _model(
                policy, "agree-model", EnableNetworkIsolation=False, ExecutionRoleArn=ADMIN_ROLE
            ),
        ),
        "endpoint-config": (
            "CreateEndpointConfig",
            "agree-config",
            {
                "EndpointConfigName": "agree-config",
                "ProductionVariants": [{**VARIANT, "ModelName": "agree-good-model"}],
                "KmsKeyId": OTHER_KEY,
                "DataCaptureConfig": {
                    "InitialSamplingPercentage": 10,
                    "DestinationS3Uri": "s3://b/capture/",
                    "KmsKeyId": key,
                    "CaptureOptions": [{"CaptureMode": "Input"}],
                },
            },
        ),
        # IMDSv1 allowed: refused by the guard, reported by the audit under the same control.
        "notebook-instance": (
            "CreateNotebookInstance",
            "agree-notebook",
            _notebook(
                policy,
                "agree-notebook",
                RootAccess="Enabled",
                InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "1"},
            ),
        ),
        "data-quality-job-definition": (
            "CreateDataQualityJobDefinition",
            "agree-data-quality",
            {
                "JobDefinitionName": "agree-data-quality",
                "RoleArn": policy.execution_role_arn,
                "DataQualityAppSpecification": {"ImageUri": IMAGE},
                "DataQualityJobInput": {
                    "EndpointInput": {"EndpointName": "e", "LocalPath": "/opt/ml/processing/in"}
                },
                "DataQualityJobOutputConfig": {
                    "MonitoringOutputs": [
                        {"S3Output": {"S3Uri": "s3://b/m/", "LocalPath": "/opt/ml/processing/o"}}
                    ],
                    "KmsKeyId": OTHER_KEY,
                },
                "JobResources": {
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": "ml.m5.large",
                        "VolumeSizeInGB": 10,
                        "VolumeKmsKeyId": key,
                    }
                },
                "NetworkConfig": monitoring_network,
                "StoppingCondition": {"MaxRuntimeInSeconds": 60},
            },
        ),
        "pipeline": (
            "CreatePipeline",
            "agree-pipeline",
            _pipeline(policy, "agree-pipeline", step),
        ),
        "monitoring-schedule": (
            "CreateMonitoringSchedule",
            "agree-schedule",
            {
                "MonitoringScheduleName": "agree-schedule",
                "MonitoringScheduleConfig": {
                    "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                    "MonitoringJobDefinition": {
                        "MonitoringInputs": [
                            {
                                "EndpointInput": {
                                    "EndpointName": "e",
                                    "LocalPath": "/opt/ml/processing/in",
                                }
                            }
                        ],
                        "MonitoringOutputConfig": {
                            "MonitoringOutputs": [
                                {
                                    "S3Output": {
                                        "S3Uri": "s3://b/m/",
                                        "LocalPath": "/opt/ml/processing/o",
                                    }
                                }
                            ],
                            "KmsKeyId": OTHER_KEY,
                        },
                        "MonitoringResources": {
                            "ClusterConfig": {
                                "InstanceCount": 1,
                                "InstanceType": "ml.m5.large",
                                "VolumeSizeInGB": 10,
                                "VolumeKmsKeyId": key,
                            }
                        },
                        "MonitoringAppSpecification": {"ImageUri": IMAGE},
                        "RoleArn": ADMIN_ROLE,
                        "NetworkConfig": monitoring_network,
                        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
                    },
                },
            },
        ),
        # Audited through one row of the resource registry (Resource.audit): no audit code.
        "compilation-job": (
            "CreateCompilationJob",
            "agree-compilation",
            {
                "CompilationJobName": "agree-compilation",
                "RoleArn": ADMIN_ROLE,
                "InputConfig": {
                    "S3Uri": "s3://safeai-sandbox-ml-data/model.tar.gz",
                    "Framework": "XGBOOST",
                },
                "OutputConfig": {
                    "S3OutputLocation": "s3://safeai-sandbox-ml-data/compiled/",
                    "TargetDevice": "ml_c5",
                    "KmsKeyId": OTHER_KEY,
                },
                "VpcConfig": {"Subnets": ["subnet-public"], "SecurityGroupIds": ["sg-open"]},
                "StoppingCondition": {"MaxRuntimeInSeconds": 60},
            },
        ),
    }


def _refused(
    operation: str, request: dict[str, Any], policy: safeai.Policy
) -> set[tuple[str, str]]:
    """(control, field) of every violation the guard's engine refuses ``request`` for."""
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(operation, request, policy)
    return {(v.control, v.path) for v in [refused.value, *refused.value.additional]}


@pytest.fixture(scope="module")
def agreement(sandbox: Sandbox) -> tuple[safeai.Policy, AuditReport]:
    policy = sandbox.policy
    sm = _client(AGREEMENT_REGION)
    sm.create_model(**_model(policy, "agree-good-model"))
    for operation, _name, request in _cases(policy).values():
        getattr(sm, xform_name(operation))(**request)
    return policy, _audit(AGREEMENT_REGION, policy)


@pytest.mark.parametrize(
    "kind",
    [
        "training-job",
        "processing-job",
        "transform-job",
        "hyper-parameter-tuning-job",
        "model",
        "endpoint-config",
        "notebook-instance",
        "data-quality-job-definition",
        "pipeline",
        "compilation-job",
        "monitoring-schedule",
    ],
)
def test_audit_findings_equal_the_guards_refusal(
    agreement: tuple[safeai.Policy, AuditReport], kind: str
) -> None:
    policy, report = agreement
    operation, name, request = _cases(policy)[kind]
    arn = _arn(AGREEMENT_REGION, kind, name)
    assert _found(report, arn) == _refused(operation, request, policy)


def test_endpoint_findings_equal_the_guards_refusal(sandbox: Sandbox) -> None:
    # The guard refuses clients of other regions than the policy's, so this one is in the
    # sandbox's own region, shared with other tests: only this endpoint's findings count.
    assert sandbox.baseline is not None
    policy = sandbox.baseline.policy(preflight=False)
    raw = _client("us-east-1")
    raw.create_model(**_model(policy, "detective-open-model", ExecutionRoleArn=ADMIN_ROLE))
    raw.create_endpoint_config(
        EndpointConfigName="detective-plain-config",
        ProductionVariants=[{**VARIANT, "ModelName": "detective-open-model"}],
    )
    guarded = _client("us-east-1")
    with (
        safeai.guarded(policy, client=guarded),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        guarded.create_endpoint(
            EndpointName="detective-endpoint", EndpointConfigName="detective-plain-config"
        )
    raw.create_endpoint(
        EndpointName="detective-endpoint", EndpointConfigName="detective-plain-config"
    )
    report = _audit("us-east-1", policy, resource_types=["endpoint"])
    arn = _arn("us-east-1", "endpoint", "detective-endpoint")
    violations = [refused.value, *refused.value.additional]
    assert _found(report, arn) == {(v.control, v.path) for v in violations}
    assert {v.control for v in violations} == {"endpoint_config.storage_kms", "model.role"}


# -- what the audit could not read ---------------------------------------------------------------

ERRORS_REGION = "ca-central-1"


def _deny(operation: str) -> Any:
    """A ``before-call`` handler answering ``operation`` with AccessDenied, as IAM would (moto
    does not enforce IAM): botocore raises the ClientError from it as from a real answer."""

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != operation:
            return None
        error = {"Code": "AccessDeniedException", "Message": f"not authorized: {operation}"}
        return AWSResponse("https://sagemaker", 400, HTTPHeaders(), None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    return answer


def test_a_denied_list_is_reported_and_hides_nothing_else(sandbox: Sandbox) -> None:
    policy = sandbox.policy
    _client(ERRORS_REGION).create_training_job(**_training(policy, "seen"))
    session = boto3.Session(region_name=ERRORS_REGION)
    session.events.register("before-call.sagemaker", _deny("ListModels"))
    report = audit(
        session,
        policy,
        regions=[ERRORS_REGION],
        resource_types=["model", "training-job"],
        buckets=False,
    )
    (error,) = report.errors
    assert (error.region, error.resource_type, error.operation, error.resource, error.code) == (
        ERRORS_REGION,
        "model",
        "ListModels",
        None,
        "AccessDeniedException",
    )
    assert "not authorized: ListModels" in error.message
    assert [r.arn for r in report.resources] == [_arn(ERRORS_REGION, "training-job", "seen")]
    assert report.findings == ()
    assert report.exit_code == 2, "an audit that could not look is not clean"


def test_an_endpoint_whose_config_is_gone_is_an_error(sandbox: Sandbox) -> None:
    sm = _client(ERRORS_REGION)
    sm.create_model(**_model(sandbox.policy, "orphan-model"))
    sm.create_endpoint_config(
        EndpointConfigName="deleted-config",
        ProductionVariants=[{**VARIANT, "ModelName": "orphan-model"}],
        KmsKeyId=sandbox.policy.kms_key_id,
    )
    sm.create_endpoint(EndpointName="orphan", EndpointConfigName="deleted-config")
    sm.delete_endpoint_config(EndpointConfigName="deleted-config")
    report = _audit(ERRORS_REGION, sandbox.policy, resource_types=["endpoint"])
    (error,) = report.errors
    assert error.resource == _arn(ERRORS_REGION, "endpoint", "orphan")
    assert error.operation == "DescribeEndpointConfig"
    assert "'deleted-config'" in error.message
    assert report.exit_code == 2


def test_progress_is_reported_to_the_end(sandbox: Sandbox) -> None:
    seen: list[tuple[int, int]] = []
    report = _audit(FINDINGS_REGION, sandbox.policy, progress=lambda d, t: seen.append((d, t)))
    total = len(report.resources)
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_unknown_types_and_missing_regions_are_refused(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(safeai.SafeAIError, match="unknown resource type"):
        _audit(FINDINGS_REGION, sandbox.policy, resource_types=["bucket"])
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    with pytest.raises(safeai.SafeAIError, match="no region"):
        audit(boto3.Session(), safeai.Policy())


# -- the Describe answers have the Create requests' shape ----------------------------------------


@pytest.mark.parametrize("kind", RESOURCE_TYPES, ids=lambda kind: kind.name)
def test_every_checked_field_is_in_the_describe_answer(kind: AuditListing) -> None:
    # Shapes are typed Any: botocore's Shape subclasses are told apart at run time.
    model = boto3.Session(region_name="us-east-1").client("sagemaker").meta.service_model
    answer: Any = model.operation_model(kind.describe_operation).output_shape
    request: Any = model.operation_model(kind.describe_operation).input_shape
    assert {kind.describe_parameter, *kind.keys} <= set(request.members)
    listing: Any = model.operation_model(kind.list_operation).output_shape
    listed = listing.members[kind.list_key]
    assert {kind.name_key, *kind.keys} <= set(listed.member.members)
    assert kind.arn_key in (listed.member.members if kind.arn_listed else answer.members)
    renamed = {created: described for described, created in kind.renames}
    if kind.references:
        assert "EndpointConfigName" in answer.members
        return
    for control, target in for_operation(kind.create_operation):
        if control.requirement.kind == "tags":  # never evaluated: Describe answers hold no tags
            continue
        if control.slug in kind.unseen:
            # Not judged: the listing says the answer never holds it. It must be truly absent.
            assert target.path.split(".", 1)[0] not in answer.members
            continue
        shape: Any = answer
        for segment in target.path.split("."):
            name = renamed.get(segment.removesuffix("[]"), segment.removesuffix("[]"))
            assert name in shape.members, f"{kind.describe_operation} lacks {target.path}"
            shape = shape.members[name]
            if segment.endswith("[]"):
                shape = shape.member


# -- the command ---------------------------------------------------------------------------------

CLI_REGION = "eu-north-1"
CLEAN_REGION = "sa-east-1"
BROKEN_REGION = "ap-south-1"


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Any) -> str:
    return policy_file(sandbox.policy, tmp_path)


@pytest.fixture(scope="module")
def cli_resources(sandbox: Sandbox) -> None:
    policy = sandbox.policy
    sm = _client(CLI_REGION)
    open_model = _model(policy, "cli-open")
    del open_model["VpcConfig"]
    sm.create_model(**open_model)
    sm.create_training_job(**_training(policy, "cli-clean"))


def _types(*names: str) -> list[str]:
    return ["--type", *names]


@pytest.mark.usefixtures("cli_resources")
def test_cli_exit_status_is_1_on_findings_and_0_when_clean(config: str) -> None:
    status, out = audit_cli("--config", config, "--region", CLI_REGION, *_types(*TYPES))
    assert status == 1
    assert "model.vpc" in out
    assert "arn:aws:sagemaker:eu-north-1:123456789012:model/cli-open" in out
    # The two resources, and the sandbox's data bucket they name (at the baseline: no finding).
    assert "1 finding(s) on 1 of 3 resource(s) in eu-north-1" in out
    status, out = audit_cli("--config", config, "--region", CLEAN_REGION, *_types(*TYPES))
    assert status == 0, out
    assert "0 finding(s) on 0 of 0 resource(s) in sa-east-1; 0 error(s)" in out


def test_cli_exit_status_is_2_when_something_could_not_be_read(
    sandbox: Sandbox, config: str
) -> None:
    sm = _client(BROKEN_REGION)
    sm.create_model(**_model(sandbox.policy, "cli-model"))
    sm.create_endpoint_config(
        EndpointConfigName="cli-gone", ProductionVariants=[{**VARIANT, "ModelName": "cli-model"}]
    )
    sm.create_endpoint(EndpointName="cli-orphan", EndpointConfigName="cli-gone")
    sm.delete_endpoint_config(EndpointConfigName="cli-gone")
    status, out = audit_cli("--config", config, "--region", BROKEN_REGION, *_types(*TYPES))
    assert status == 2
    assert "NOT a complete audit" in out
    assert "DescribeEndpointConfig" in out


def test_cli_exit_status_is_2_on_a_bad_policy(tmp_path: Any, capsys: Any) -> None:
    bad = tmp_path / "safeai.toml"
    bad.write_text('subnets = ["sg-1"]\n', encoding="utf-8")
    status, _ = audit_cli("--config", str(bad), "--region", CLEAN_REGION)
    assert status == 2
    assert "safeai audit:" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_resources")
@pytest.mark.parametrize("form", ["json", "sarif", "html", "table"])
def test_cli_writes_each_format_to_a_file(config: str, tmp_path: Any, form: str) -> None:
    output = tmp_path / f"audit.{form}"
    status, out = audit_cli(
        "--config",
        config,
        "--region",
        CLI_REGION,
        "--format",
        form,
        "--output",
        str(output),
        *_types("model", "training-job"),
    )
    assert status == 1
    assert f"{form} report written to {output}" in out
    assert "1 finding(s) on 1 of 3 resource(s)" in out
    text = output.read_text(encoding="utf-8")
    if form == "json":
        assert json.loads(text)["findings"][0]["control"] == "model.vpc"
    elif form == "sarif":
        log = json.loads(text)
        (result,) = log["runs"][0]["results"]
        assert result["ruleId"] == "model.vpc"
        location = result["locations"][0]
        assert location["logicalLocations"][0]["fullyQualifiedName"].endswith(":model/cli-open")
        assert location["physicalLocation"]["artifactLocation"]["uri"] == (
            "aws/sagemaker/eu-north-1/123456789012/model/cli-open"
        )
    elif form == "html":
        assert text.startswith("<!DOCTYPE html>")
        assert "model/cli-open" in text
    else:
        assert text.splitlines()[0].split() == ["CONTROL", "RESOURCE", "PATH", "FOUND"]


def test_cli_progress_line_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    line = progress_module._ProgressLine(stream, "auditing", "resources")
    line(0, 3)
    line(3, 3)
    line.clear()
    text = stream.getvalue()
    assert "\rauditing: 0/3 resources" in text
    assert "\rauditing: 3/3 resources" in text
    assert text.endswith("\r")


def test_cli_progress_only_on_a_terminal() -> None:
    with progress_module.progress_bar(io.StringIO(), "auditing", "resources") as progress:
        assert progress is None, "no progress bar in CI logs"


# -- the S3 buckets resources name -----------------------------------------------------------


def test_the_buckets_resources_name_are_checked_with_the_s3_controls(sandbox: Sandbox) -> None:
    region = "eu-west-1"
    policy = sandbox.policy
    s3: Any = sandbox.boto_session().client("s3", region_name=region)
    loose = f"loose-audit-{region}"
    s3.create_bucket(Bucket=loose, CreateBucketConfiguration={"LocationConstraint": region})
    secure = f"secure-audit-{region}"
    secure_bucket(secure, client=s3, policy=policy)
    sm = _client(region)
    gone = f"deleted-since-{region}"  # old jobs name buckets deleted long ago
    for name, bucket in (("reads-loose", loose), ("reads-secure", secure), ("reads-gone", gone)):
        job = _training(policy, name)
        job["InputDataConfig"] = [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train/"}
                },
            }
        ]
        sm.create_training_job(**job)
    report = _audit(region, policy, buckets=True)
    audited = {r.arn for r in report.resources if r.resource_type == "s3-bucket"}
    assert {f"arn:aws:s3:::{loose}", f"arn:aws:s3:::{secure}"} <= audited
    assert _found(report, f"arn:aws:s3:::{secure}") == set()
    loose_controls = {control for control, _ in _found(report, f"arn:aws:s3:::{loose}")}
    assert loose_controls == {
        "s3.default_encryption",
        "s3.object_ownership",  # moto answers "not set" where AWS now sets BucketOwnerEnforced
        "s3.public_access",
        "s3.bucket_policy",
        "s3.versioning",
    }
    assert report.resource_counts["s3-bucket"] >= 3
    # Its name is free for any account to claim, and the job's definition still names it.
    assert _found(report, f"arn:aws:s3:::{gone}") == {("s3.named_bucket", "Bucket")}
    assert report.errors == ()
    # s3.named_bucket applies to no request; SARIF once had no rule for it (issue #12).
    (run,) = json.loads(report.to_sarif())["runs"]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert {rule_ids[result["ruleIndex"]] for result in run["results"]} == {
        finding.control for finding in report.findings
    }


# -- notebooks' metadata service setting (the sandbox answers it, issue #16) ---------------------

IMDS_REGION = "eu-west-3"


@pytest.mark.parametrize(("version", "found"), [("2", False), ("1", True)])
def test_a_notebooks_metadata_service_version_is_audited_as_created(
    sandbox: Sandbox, version: str, found: bool
) -> None:
    name = f"imds-v{version}"
    _client(IMDS_REGION).create_notebook_instance(
        **_notebook(
            sandbox.policy,
            name,
            InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": version},
        )
    )
    report = _audit(IMDS_REGION, sandbox.policy, resource_types=["notebook-instance"])
    arn = _arn(IMDS_REGION, "notebook-instance", name)
    assert arn in {r.arn for r in report.resources}
    imdsv2 = [
        f for f in report.findings if f.resource_arn == arn and f.control == "notebook.imdsv2"
    ]
    assert [f.found for f in imdsv2] == (["1"] if found else [])
    assert report.errors == ()
