"""Corrections to moto's SageMaker emulation where its answers are lossy or missing.

moto's ``CreateModel`` handler never reads ``EnableNetworkIsolation`` (``DescribeModel`` always
answers False), and ``DescribeModel`` answers an empty ``VpcConfig`` for a model created
without one (AWS leaves it out; sagemaker-core refuses the empty one). ``CreateProcessingJob``
drops ``ProcessingResources``. ``CreateEndpointConfig`` drops ``ShadowProductionVariants``,
``ExecutionRoleArn``, ``VpcConfig`` and ``EnableNetworkIsolation`` (the sandbox keeps them and
``DescribeEndpointConfig`` answers them as sent, absent when not), and it answers HTTP 500 for a
configuration for inference components, whose variants name no model: moto checks the model of
every variant, the sandbox only of those that name one, so such a configuration is stored and
``CreateEndpoint`` can name it, as on AWS.
``CreateNotebookInstance`` drops ``InstanceMetadataServiceConfiguration``, which AWS answers in
``DescribeNotebookInstance`` (IMDSv1 when the request named none); without it every notebook
would fail the audit's ``notebook.imdsv2`` check.
moto implements no monitoring schedules at all (``ListMonitoringSchedules`` answers HTTP 500),
so the sandbox keeps them itself, per account and region, as the request gave them: SDK v2's
model monitors create a job definition and then a schedule that names it. safeai checks a
transform job's or an endpoint's model through ``DescribeModel``, so the sandbox must answer
what was sent. The patches wrap moto's response and backend handlers at class level; they reach a
``ThreadedMotoServer`` running in this process and ``mock_aws`` alike.
"""

from __future__ import annotations

from typing import Any

__all__ = ["apply"]

_applied = False

#: What moto's CreateEndpointConfig drops, by the attribute the sandbox keeps it in.
_ENDPOINT_CONFIG_KEPT = {
    "shadow_production_variants": "ShadowProductionVariants",
    "execution_role_arn": "ExecutionRoleArn",
    "vpc_config": "VpcConfig",
    "enable_network_isolation": "EnableNetworkIsolation",
}


def apply() -> None:
    """Install the corrections once per process."""
    global _applied
    if _applied:
        return
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    create_model = SageMakerResponse.create_model
    create_processing_job = SageMakerResponse.create_processing_job

    def create_model_keeping_isolation(self: Any) -> Any:
        result = create_model(self)
        model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
        model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
        return result

    describe_model = SageMakerResponse.describe_model

    def describe_model_without_empty_vpc(self: Any) -> Any:
        # AWS leaves VpcConfig out for a model created without one (a serverless model);
        # moto answers {}, which sagemaker-core's Model refuses when it reads the model back.
        result = describe_model(self)
        answer = getattr(result, "result", None)
        if isinstance(answer, dict) and not answer.get("VpcConfig"):
            answer.pop("VpcConfig", None)
        return result

    def create_processing_job_keeping_resources(self: Any) -> Any:
        result = create_processing_job(self)
        job = self.sagemaker_backend.processing_jobs[self._get_param("ProcessingJobName")]
        job.processing_resources = self._get_param("ProcessingResources")
        return result

    create_endpoint_config = SageMakerResponse.create_endpoint_config
    describe_endpoint_config = SageMakerModelBackend.describe_endpoint_config

    validate_production_variants = SageMakerModelBackend.validate_production_variants

    def validate_named_models(self: Any, production_variants: list[dict[str, Any]]) -> None:
        # A variant of an endpoint configuration for inference components names no model (the
        # components do); moto reads ModelName of every variant and answers HTTP 500.
        validate_production_variants(
            self, [variant for variant in production_variants or () if "ModelName" in variant]
        )

    def create_endpoint_config_keeping_given(self: Any) -> Any:
        result = create_endpoint_config(self)
        config = self.sagemaker_backend.endpoint_configs[self._get_param("EndpointConfigName")]
        for attribute, field in _ENDPOINT_CONFIG_KEPT.items():
            # None when not sent: moto's answer leaves None out, and so does the one below.
            setattr(config, attribute, self._get_param(field))
        return result

    def describe_endpoint_config_with_given(self: Any, endpoint_config_name: str) -> dict[str, Any]:
        answer = dict(describe_endpoint_config(self, endpoint_config_name))
        config = self.endpoint_configs[endpoint_config_name]
        for attribute, field in _ENDPOINT_CONFIG_KEPT.items():
            given = getattr(config, attribute, None)
            if given is None:
                answer.pop(field, None)
            else:
                answer[field] = given
        return answer

    create_notebook_instance = SageMakerResponse.create_notebook_instance
    describe_notebook_instance = SageMakerResponse.describe_notebook_instance

    def create_notebook_instance_keeping_imds(self: Any) -> Any:
        result = create_notebook_instance(self)
        notebook = self.sagemaker_backend.get_notebook_instance(
            self._get_param("NotebookInstanceName")
        )
        notebook.instance_metadata_service_configuration = self._get_param(
            "InstanceMetadataServiceConfiguration"
        )
        return result

    def describe_notebook_instance_with_imds(self: Any) -> Any:
        result = describe_notebook_instance(self)
        answer = getattr(result, "result", None)
        if isinstance(answer, dict):
            notebook = self.sagemaker_backend.get_notebook_instance(
                self._get_param("NotebookInstanceName")
            )
            given = getattr(notebook, "instance_metadata_service_configuration", None)
            # AWS: "When passed as part of CreateNotebookInstance, if no value is selected,
            # then it defaults to IMDSv1."
            answer["InstanceMetadataServiceConfiguration"] = given or {
                "MinimumInstanceMetadataServiceVersion": "1"
            }
        return result

    SageMakerResponse.create_notebook_instance = (  # type: ignore[method-assign]
        create_notebook_instance_keeping_imds
    )
    SageMakerResponse.describe_notebook_instance = (  # type: ignore[method-assign]
        describe_notebook_instance_with_imds
    )
    SageMakerModelBackend.validate_production_variants = (  # type: ignore[method-assign]
        validate_named_models
    )
    SageMakerResponse.create_endpoint_config = (  # type: ignore[method-assign]
        create_endpoint_config_keeping_given
    )
    SageMakerModelBackend.describe_endpoint_config = (  # type: ignore[method-assign]
        describe_endpoint_config_with_given
    )

    if not hasattr(SageMakerResponse, "create_monitoring_schedule"):
        for name, handler in _MONITORING_SCHEDULES.items():
            setattr(SageMakerResponse, name, handler)
    SageMakerResponse.create_model = create_model_keeping_isolation  # type: ignore[method-assign]
    SageMakerResponse.describe_model = describe_model_without_empty_vpc  # type: ignore[method-assign]
    SageMakerResponse.create_processing_job = (  # type: ignore[method-assign]
        create_processing_job_keeping_resources
    )
    _applied = True


# -- monitoring schedules ----------------------------------------------------------------------


def _schedules(response: Any) -> dict[str, dict[str, Any]]:
    backend = response.sagemaker_backend
    found: dict[str, dict[str, Any]] | None = getattr(backend, "safeai_monitoring_schedules", None)
    if found is None:
        found = {}
        backend.safeai_monitoring_schedules = found
    return found


def _schedule(response: Any) -> dict[str, Any]:
    from moto.sagemaker.exceptions import ValidationError

    name = response._get_param("MonitoringScheduleName")
    schedule = _schedules(response).get(name)
    if schedule is None:
        raise ValidationError(message=f"Monitoring schedule {name!r} does not exist.")
    return schedule


def _create_monitoring_schedule(self: Any) -> Any:
    from datetime import datetime, timezone

    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ResourceInUseException
    from moto.sagemaker.utils import arn_formatter

    name = self._get_param("MonitoringScheduleName")
    if name in _schedules(self):
        raise ResourceInUseException(message=f"Monitoring schedule {name!r} already exists.")
    backend = self.sagemaker_backend
    now = datetime.now(timezone.utc)
    arn = arn_formatter("monitoring-schedule", name, backend.account_id, backend.region_name)
    _schedules(self)[name] = {
        "MonitoringScheduleName": name,
        "MonitoringScheduleArn": arn,
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringScheduleConfig": self._get_param("MonitoringScheduleConfig"),
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    return ActionResult({"MonitoringScheduleArn": arn})


def _update_monitoring_schedule(self: Any) -> Any:
    from datetime import datetime, timezone

    from moto.core.responses import ActionResult

    schedule = _schedule(self)
    schedule["MonitoringScheduleConfig"] = self._get_param("MonitoringScheduleConfig")
    schedule["LastModifiedTime"] = datetime.now(timezone.utc)
    return ActionResult({"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]})


def _describe_monitoring_schedule(self: Any) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(_schedule(self))


def _delete_monitoring_schedule(self: Any) -> Any:
    from moto.core.responses import ActionResult

    del _schedules(self)[_schedule(self)["MonitoringScheduleName"]]
    return ActionResult({})


def _list_monitoring_schedules(self: Any) -> Any:
    from moto.core.responses import ActionResult

    summaries = [{key: schedule[key] for key in _SUMMARY} for schedule in _schedules(self).values()]
    return ActionResult({"MonitoringScheduleSummaries": summaries})


_SUMMARY = (
    "MonitoringScheduleName",
    "MonitoringScheduleArn",
    "MonitoringScheduleStatus",
    "CreationTime",
    "LastModifiedTime",
)
_MONITORING_SCHEDULES = {
    "create_monitoring_schedule": _create_monitoring_schedule,
    "update_monitoring_schedule": _update_monitoring_schedule,
    "describe_monitoring_schedule": _describe_monitoring_schedule,
    "delete_monitoring_schedule": _delete_monitoring_schedule,
    "list_monitoring_schedules": _list_monitoring_schedules,
}
