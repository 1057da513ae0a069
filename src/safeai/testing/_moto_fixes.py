"""Corrections to moto's SageMaker emulation where its answers are lossy or missing.

moto's ``CreateModel`` handler never reads ``EnableNetworkIsolation`` (``DescribeModel`` always
answers False), ``CreateProcessingJob`` drops ``ProcessingResources`` and
``CreateEndpointConfig`` drops ``ShadowProductionVariants``. moto implements no monitoring
schedules at all: ``ListMonitoringSchedules`` answers HTTP 500, which the detective audit would
retry and record as an error; since none can be created, the truthful answer is an empty list.
safeai checks a transform job's or an endpoint's model through ``DescribeModel``, so the sandbox
must answer what was sent. The patches wrap moto's response handlers at class level; they reach a
``ThreadedMotoServer`` running in this process and ``mock_aws`` alike.
"""

from __future__ import annotations

from typing import Any

__all__ = ["apply"]

_applied = False


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

    def create_processing_job_keeping_resources(self: Any) -> Any:
        result = create_processing_job(self)
        job = self.sagemaker_backend.processing_jobs[self._get_param("ProcessingJobName")]
        job.processing_resources = self._get_param("ProcessingResources")
        return result

    create_endpoint_config = SageMakerResponse.create_endpoint_config
    describe_endpoint_config = SageMakerModelBackend.describe_endpoint_config

    def create_endpoint_config_keeping_shadows(self: Any) -> Any:
        result = create_endpoint_config(self)
        config = self.sagemaker_backend.endpoint_configs[self._get_param("EndpointConfigName")]
        config.shadow_production_variants = self._get_param("ShadowProductionVariants")
        return result

    def describe_endpoint_config_with_shadows(
        self: Any, endpoint_config_name: str
    ) -> dict[str, Any]:
        answer = dict(describe_endpoint_config(self, endpoint_config_name))
        config = self.endpoint_configs[endpoint_config_name]
        shadows = getattr(config, "shadow_production_variants", None)
        if shadows:
            answer["ShadowProductionVariants"] = shadows
        return answer

    SageMakerResponse.create_endpoint_config = (  # type: ignore[method-assign]
        create_endpoint_config_keeping_shadows
    )
    SageMakerModelBackend.describe_endpoint_config = (  # type: ignore[method-assign]
        describe_endpoint_config_with_shadows
    )

    def list_monitoring_schedules(self: Any) -> Any:
        from moto.core.responses import ActionResult

        return ActionResult({"MonitoringScheduleSummaries": []})

    if not hasattr(SageMakerResponse, "list_monitoring_schedules"):
        SageMakerResponse.list_monitoring_schedules = list_monitoring_schedules  # type: ignore[attr-defined]
    SageMakerResponse.create_model = create_model_keeping_isolation  # type: ignore[method-assign]
    SageMakerResponse.create_processing_job = (  # type: ignore[method-assign]
        create_processing_job_keeping_resources
    )
    _applied = True
