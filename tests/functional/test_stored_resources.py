"""Calls that start, open or name a stored resource: the guard reads the resource and checks it
as the request that would create it (issue #13).

Each stored resource here is made without a guard (by a colleague, before the guard) or through
one, on the session's sandbox; the calls that start, open or name it go through a guarded
client, and the assertions are on what left that client.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from tests.conftest import TRAINING_REQUEST

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder, Sandbox

ADMIN_ROLE = "arn:aws:iam::123456789012:role/admin"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/monitor:1"
DATA = "s3://safeai-sandbox-ml-data"


def _unguarded() -> Any:
    return boto3.Session(region_name="us-east-1").client("sagemaker")


def _records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.safeai for r in caplog.records if r.name == "safeai.audit"]  # type: ignore[attr-defined]


def _controls(refused: safeai.SecurityViolation) -> set[str]:
    return {refused.control, *(extra.control for extra in refused.additional)}


# -- pipelines --------------------------------------------------------------------------------


def _secure_training(policy: safeai.Policy, **overrides: Any) -> dict[str, Any]:
    """A training step's arguments with every control the policy asks for, then ``overrides``."""
    arguments = {key: value for key, value in TRAINING_REQUEST.items() if key != "TrainingJobName"}
    arguments.update(
        RoleArn=policy.execution_role_arn,
        VpcConfig={
            "Subnets": list(policy.subnets),
            "SecurityGroupIds": list(policy.security_group_ids),
        },
        EnableNetworkIsolation=True,
        EnableInterContainerTrafficEncryption=True,
        OutputDataConfig={**arguments["OutputDataConfig"], "KmsKeyId": policy.kms_key_id},
        ResourceConfig={**arguments["ResourceConfig"], "VolumeKmsKeyId": policy.kms_key_id},
    )
    arguments.update(overrides)
    return arguments


def _definition(arguments: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [],
            "Steps": [{"Name": "Train", "Type": "Training", "Arguments": arguments}],
        }
    )


def _stored_pipeline(name: str, policy: safeai.Policy, arguments: dict[str, Any]) -> None:
    """A pipeline made without a guard (by a colleague, or before the guard)."""
    _unguarded().create_pipeline(
        PipelineName=name,
        PipelineDefinition=_definition(arguments),
        RoleArn=policy.execution_role_arn,
        ClientRequestToken=name.ljust(32, "-"),
    )


def _admin_step(policy: safeai.Policy) -> dict[str, Any]:
    """Runs as an admin role with network isolation off (and nothing else the policy asks)."""
    arguments = {key: value for key, value in TRAINING_REQUEST.items() if key != "TrainingJobName"}
    return {**arguments, "RoleArn": ADMIN_ROLE, "EnableNetworkIsolation": False}


def test_starting_a_stored_pipeline_is_refused_with_every_step_violation_and_nothing_sent(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    _stored_pipeline("stored-admin", policy, _admin_step(policy))
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.start_pipeline_execution(PipelineName="stored-admin", ClientRequestToken="s" * 32)
    assert recorder.sent("StartPipelineExecution") == []
    assert {
        "training.role",
        "training.network_isolation",
        "training.vpc",
        "training.inter_container_encryption",
        "training.output_kms",
        "training.volume_kms",
    } <= _controls(refused.value)
    paths = {v.path for v in (refused.value, *refused.value.additional)}
    step = "PipelineName='stored-admin' -> PipelineDefinition:Steps[Train].Arguments"
    assert f"{step}.RoleArn" in paths
    assert f"{step}.EnableNetworkIsolation" in paths
    assert refused.value.operation == "StartPipelineExecution"
    assert "UpdatePipeline" in refused.value.remedy


def test_retrying_an_execution_of_a_stored_pipeline_is_refused_and_nothing_sent(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    _stored_pipeline("stored-admin-retried", policy, _admin_step(policy))
    arn = _unguarded().start_pipeline_execution(
        PipelineName="stored-admin-retried", ClientRequestToken="r" * 32
    )["PipelineExecutionArn"]
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="t" * 32)
    assert recorder.sent("RetryPipelineExecution") == []
    assert {"training.role", "training.network_isolation"} <= _controls(refused.value)
    assert refused.value.path.startswith(f"PipelineExecutionArn={arn!r} -> PipelineDefinition")


def test_a_pipeline_secured_by_the_guard_is_started_and_retried(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_pipeline(
            PipelineName="stored-secured",
            PipelineDefinition=_definition(
                {k: v for k, v in TRAINING_REQUEST.items() if k != "TrainingJobName"}
            ),
            ClientRequestToken="c" * 32,
        )
        arn = sagemaker.start_pipeline_execution(
            PipelineName="stored-secured", ClientRequestToken="d" * 32
        )["PipelineExecutionArn"]
        sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="e" * 32)
    assert recorder.last("StartPipelineExecution").json()["PipelineName"] == "stored-secured"
    assert recorder.last("RetryPipelineExecution").json()["PipelineExecutionArn"] == arn


def test_a_waived_step_control_lets_the_start_through_and_is_recorded(
    sandbox: Sandbox,
    sagemaker: Any,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _stored_pipeline("stored-open", policy, _secure_training(policy, EnableNetworkIsolation=False))
    with safeai.guarded(policy, client=sagemaker), pytest.raises(safeai.SecurityViolation):
        sagemaker.start_pipeline_execution(PipelineName="stored-open", ClientRequestToken="f" * 32)
    with (
        safeai.guarded(policy, client=sagemaker),
        safeai.waive("training.network_isolation", reason="pip install at start-up; INC-8"),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        sagemaker.start_pipeline_execution(PipelineName="stored-open", ClientRequestToken="g" * 32)
    assert len(recorder.sent("StartPipelineExecution")) == 1
    (record,) = [r for r in _records(caplog) if r.get("event") == "request"]
    assert record["outcome"] == "waived"
    assert record["waivers"] == [
        {"control": "training.network_isolation", "reason": "pip install at start-up; INC-8"}
    ]
    (decision,) = [d for d in record["decisions"] if d["outcome"] == "waived"]
    assert decision["path"] == (
        "PipelineName='stored-open' -> PipelineDefinition:Steps[Train].Arguments"
        ".EnableNetworkIsolation"
    )


def test_waiving_the_steps_control_skips_the_stored_steps_as_it_does_on_create(
    sandbox: Sandbox,
    sagemaker: Any,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _stored_pipeline("stored-admin-waived", policy, _admin_step(policy))
    with (
        safeai.guarded(policy, client=sagemaker),
        safeai.waive("pipeline.steps", reason="legacy pipeline, rebuilt in ML-77"),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        sagemaker.start_pipeline_execution(
            PipelineName="stored-admin-waived", ClientRequestToken="h" * 32
        )
    assert len(recorder.sent("StartPipelineExecution")) == 1
    (record,) = [r for r in _records(caplog) if r.get("event") == "request"]
    (decision,) = [d for d in record["decisions"] if d["outcome"] == "waived"]
    assert decision["control"] == "pipeline.steps"
    assert decision["path"] == "PipelineName='stored-admin-waived' -> PipelineDefinition"


def test_in_report_mode_a_stored_pipeline_is_started_and_its_violations_recorded(
    sandbox: Sandbox,
    sagemaker: Any,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _stored_pipeline("stored-admin-reported", policy, _admin_step(policy))
    reporting = dataclasses.replace(policy, mode="report")
    with (
        safeai.guarded(reporting, client=sagemaker),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        sagemaker.start_pipeline_execution(
            PipelineName="stored-admin-reported", ClientRequestToken="i" * 32
        )
    assert len(recorder.sent("StartPipelineExecution")) == 1
    (record,) = [r for r in _records(caplog) if r.get("event") == "request"]
    assert record["outcome"] == "reported"
    reported = {(d["control"], d["outcome"]) for d in record["decisions"]}
    assert ("training.role", "would_refuse") in reported
    assert ("training.network_isolation", "would_refuse") in reported


def test_a_pipeline_or_execution_that_cannot_be_read_refuses(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    missing = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/none/execution/x1"
    with safeai.guarded(policy, client=sagemaker):
        with pytest.raises(safeai.PreflightError, match="cannot read pipeline 'no-such'") as error:
            sagemaker.start_pipeline_execution(PipelineName="no-such", ClientRequestToken="j" * 32)
        assert error.value.control == "pipeline.steps"
        with pytest.raises(safeai.PreflightError, match="pipeline definition for execution"):
            sagemaker.retry_pipeline_execution(
                PipelineExecutionArn=missing, ClientRequestToken="k" * 32
            )
    assert recorder.sent("StartPipelineExecution") == []
    assert recorder.sent("RetryPipelineExecution") == []


# -- a RegisterModel step's validation jobs ----------------------------------------------------


def _register_step(policy: safeai.Policy, role: str, **transform: Any) -> dict[str, Any]:
    """A RegisterModel step whose validation runs one batch transform job as ``role``."""
    definition: dict[str, Any] = {
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{DATA}/val/"}}
        },
        "TransformOutput": {"S3OutputPath": f"{DATA}/validation/"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    for member, extra in transform.items():
        definition[member] = {**definition[member], **extra}
    return {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "churn",
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ValidationSpecification": {
                "ValidationRole": role,
                "ValidationProfiles": [
                    {"ProfileName": "smoke", "TransformJobDefinition": definition}
                ],
            },
        },
    }


def _registering(step: dict[str, Any]) -> str:
    return json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": [step]})


def test_a_register_model_steps_validation_jobs_are_checked_and_nothing_sent(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_pipeline(
            PipelineName="register-open",
            PipelineDefinition=_registering(_register_step(policy, ADMIN_ROLE)),
            ClientRequestToken="l" * 32,
        )
    assert recorder.sent("CreatePipeline") == []
    found = {(v.control, v.path) for v in (refused.value, *refused.value.additional)}
    validation = "PipelineDefinition:Steps[Register].Arguments.ValidationSpecification"
    assert found == {("model_package.validation_role", f"{validation}.ValidationRole")}


def test_a_register_model_step_is_sent_with_its_package_and_validation_keys_filled_in(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    step = _register_step(policy, str(policy.execution_role_arn))
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_pipeline(
            PipelineName="register-secured",
            PipelineDefinition=_registering(step),
            ClientRequestToken="m" * 32,
        )
    (sent,) = json.loads(recorder.last("CreatePipeline").json()["PipelineDefinition"])["Steps"]
    arguments = sent["Arguments"]
    assert arguments["SecurityConfig"] == {"KmsKeyId": policy.kms_key_id}
    (profile,) = arguments["ValidationSpecification"]["ValidationProfiles"]
    job = profile["TransformJobDefinition"]
    assert job["TransformOutput"]["KmsKeyId"] == policy.kms_key_id
    assert job["TransformResources"]["VolumeKmsKeyId"] == policy.kms_key_id


def test_starting_a_stored_pipeline_checks_its_register_model_validation(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    _unguarded().create_pipeline(
        PipelineName="stored-register-open",
        PipelineDefinition=_registering(_register_step(policy, ADMIN_ROLE)),
        RoleArn=policy.execution_role_arn,
        ClientRequestToken="n" * 32,
    )
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.start_pipeline_execution(
            PipelineName="stored-register-open", ClientRequestToken="o" * 32
        )
    assert recorder.sent("StartPipelineExecution") == []
    assert {
        "model_package.kms",
        "model_package.validation_role",
        "model_package.validation_kms",
    } == _controls(refused.value)


# -- notebook instances ---------------------------------------------------------------------


def _notebook(name: str, **fields: Any) -> dict[str, Any]:
    return {"NotebookInstanceName": name, "InstanceType": "ml.t3.medium", **fields}


def test_starting_or_opening_an_open_notebook_is_refused_and_nothing_sent(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    _unguarded().create_notebook_instance(
        **_notebook(
            "open-notebook",
            RoleArn=ADMIN_ROLE,
            DirectInternetAccess="Enabled",
            RootAccess="Enabled",
        )
    )
    with safeai.guarded(policy, client=sagemaker):
        with pytest.raises(safeai.SecurityViolation) as started:
            sagemaker.start_notebook_instance(NotebookInstanceName="open-notebook")
        with pytest.raises(safeai.SecurityViolation) as opened:
            sagemaker.create_presigned_notebook_instance_url(NotebookInstanceName="open-notebook")
    assert recorder.sent("StartNotebookInstance") == []
    assert recorder.sent("CreatePresignedNotebookInstanceUrl") == []
    for refused in (started.value, opened.value):
        assert {
            "notebook.role",
            "notebook.direct_internet",
            "notebook.root_access",
            "notebook.storage_kms",
            "notebook.vpc",
        } <= _controls(refused)
    paths = {v.path for v in (started.value, *started.value.additional)}
    assert "NotebookInstanceName='open-notebook' -> DirectInternetAccess" in paths
    assert opened.value.operation == "CreatePresignedNotebookInstanceUrl"


def test_a_notebook_secured_by_the_guard_is_started_and_opened(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_notebook_instance(**_notebook("secured-notebook"))
        sagemaker.start_notebook_instance(NotebookInstanceName="secured-notebook")
        url = sagemaker.create_presigned_notebook_instance_url(
            NotebookInstanceName="secured-notebook"
        )["AuthorizedUrl"]
    # The security groups the notebook was described with were checked as SecurityGroupIds.
    assert recorder.last("CreateNotebookInstance").json()["SecurityGroupIds"]
    assert len(recorder.sent("StartNotebookInstance")) == 1
    assert url.startswith("https://")


def test_a_waived_notebook_control_lets_it_start_and_is_recorded(
    sandbox: Sandbox,
    sagemaker: Any,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reason = "instructor notebook, apt-get needed; EDU-3"
    with (
        safeai.guarded(policy, client=sagemaker),
        safeai.waive("notebook.root_access", reason=reason),
    ):
        sagemaker.create_notebook_instance(**_notebook("rooted-notebook", RootAccess="Enabled"))
    with safeai.guarded(policy, client=sagemaker), pytest.raises(safeai.SecurityViolation) as no:
        sagemaker.start_notebook_instance(NotebookInstanceName="rooted-notebook")
    assert _controls(no.value) == {"notebook.root_access"}
    with (
        safeai.guarded(policy, client=sagemaker),
        safeai.waive("notebook.root_access", reason=reason),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        sagemaker.start_notebook_instance(NotebookInstanceName="rooted-notebook")
    assert len(recorder.sent("StartNotebookInstance")) == 1
    (record,) = [r for r in _records(caplog) if r.get("event") == "request"]
    assert record["waivers"] == [{"control": "notebook.root_access", "reason": reason}]
    (decision,) = [d for d in record["decisions"] if d["outcome"] == "waived"]
    assert decision["path"] == "NotebookInstanceName='rooted-notebook' -> RootAccess"


def test_in_report_mode_an_open_notebook_is_started(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    _unguarded().create_notebook_instance(
        **_notebook("reported-notebook", RoleArn=ADMIN_ROLE, DirectInternetAccess="Enabled")
    )
    with safeai.guarded(dataclasses.replace(policy, mode="report"), client=sagemaker):
        sagemaker.start_notebook_instance(NotebookInstanceName="reported-notebook")
    assert len(recorder.sent("StartNotebookInstance")) == 1


def test_a_notebook_that_cannot_be_read_refuses(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.PreflightError, match="cannot read notebook instance 'no-such'"),
    ):
        sagemaker.create_presigned_notebook_instance_url(NotebookInstanceName="no-such")
    assert recorder.sent("CreatePresignedNotebookInstanceUrl") == []


# -- monitoring schedules that name a job definition ----------------------------------------

#: Each kind of job definition a schedule can name (its MonitoringType), and what its request
#: needs besides the security fields.
_KINDS: dict[str, dict[str, Any]] = {
    "DataQuality": {},
    "ModelQuality": {"JobInput": {"GroundTruthS3Input": {"S3Uri": f"{DATA}/truth/"}}},
    "ModelBias": {
        "AppSpecification": {"ConfigUri": f"{DATA}/bias.json"},
        "JobInput": {"GroundTruthS3Input": {"S3Uri": f"{DATA}/truth/"}},
    },
    "ModelExplainability": {"AppSpecification": {"ConfigUri": f"{DATA}/shap.json"}},
}


def _job_definition(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    """A ``Create<kind>JobDefinition`` request with no security fields, then ``fields``."""
    extra = _KINDS[kind]
    return {
        "JobDefinitionName": name,
        f"{kind}AppSpecification": {"ImageUri": IMAGE, **extra.get("AppSpecification", {})},
        f"{kind}JobInput": {
            "EndpointInput": {"EndpointName": "e", "LocalPath": "/opt/ml/processing/in"},
            **extra.get("JobInput", {}),
        },
        f"{kind}JobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": f"{DATA}/monitor/", "LocalPath": "/opt/ml/processing/o"}}
            ]
        },
        "JobResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 10,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        **fields,
    }


def _create_definition(client: Any, kind: str, request: dict[str, Any]) -> None:
    from botocore import xform_name

    getattr(client, xform_name(f"Create{kind}JobDefinition"))(**request)


def _schedule(name: str, definition: str, kind: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinitionName": definition,
    }
    if kind is not None:
        config["MonitoringType"] = kind
    return {"MonitoringScheduleName": name, "MonitoringScheduleConfig": config}


@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_a_schedule_naming_an_open_job_definition_is_refused_and_nothing_sent(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder, kind: str
) -> None:
    name = f"open-{kind.lower()}"
    request = _job_definition(
        kind, name, RoleArn=ADMIN_ROLE, NetworkConfig={"EnableNetworkIsolation": False}
    )
    _create_definition(_unguarded(), kind, request)
    with safeai.guarded(policy, client=sagemaker):
        with pytest.raises(safeai.SecurityViolation) as created:
            sagemaker.create_monitoring_schedule(**_schedule(f"{name}-schedule", name, kind))
        with pytest.raises(safeai.SecurityViolation) as updated:
            sagemaker.update_monitoring_schedule(**_schedule(f"{name}-schedule", name, kind))
    assert recorder.sent("CreateMonitoringSchedule") == []
    assert recorder.sent("UpdateMonitoringSchedule") == []
    for refused in (created.value, updated.value):
        assert {
            "monitoring.role",
            "monitoring.network_isolation",
            "monitoring.vpc",
            "monitoring.output_kms",
            "monitoring.volume_kms",
        } <= _controls(refused)
    field = "MonitoringScheduleConfig.MonitoringJobDefinitionName"
    assert f"{field}={name!r} -> RoleArn" in {
        v.path for v in (created.value, *created.value.additional)
    }


def test_a_schedule_naming_a_job_definition_secured_by_the_guard_is_sent(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        _create_definition(sagemaker, "DataQuality", _job_definition("DataQuality", "dq-secured"))
        sagemaker.create_monitoring_schedule(
            **_schedule("dq-secured-schedule", "dq-secured", "DataQuality")
        )
    sent = recorder.last("CreateMonitoringSchedule").json()
    assert sent["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == "dq-secured"


def test_in_report_mode_a_schedule_naming_an_open_job_definition_is_sent(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    _create_definition(
        _unguarded(),
        "DataQuality",
        _job_definition("DataQuality", "dq-reported", RoleArn=ADMIN_ROLE),
    )
    with safeai.guarded(dataclasses.replace(policy, mode="report"), client=sagemaker):
        sagemaker.create_monitoring_schedule(
            **_schedule("dq-reported-schedule", "dq-reported", "DataQuality")
        )
    assert len(recorder.sent("CreateMonitoringSchedule")) == 1


def test_a_job_definition_that_cannot_be_read_or_told_apart_refuses(
    sandbox: Sandbox, sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        with pytest.raises(safeai.PreflightError, match="cannot read data quality job definition"):
            sagemaker.create_monitoring_schedule(
                **_schedule("missing-schedule", "no-such", "DataQuality")
            )
        with pytest.raises(
            safeai.PreflightError, match=r"give MonitoringScheduleConfig\.MonitoringType"
        ):
            sagemaker.create_monitoring_schedule(**_schedule("untyped-schedule", "no-such", None))
    assert recorder.sent("CreateMonitoringSchedule") == []
