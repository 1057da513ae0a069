"""Controls for model monitoring: schedules with inline job definitions, and the four job
definition kinds a schedule can name instead."""

from __future__ import annotations

from ._builders import ISOLATION, KMS, ROLE, TRANSIT, VPC, at
from ._schema import Anchors, Control, Target

__all__ = ["CONTROLS"]

SCHEDULES = ("CreateMonitoringSchedule", "UpdateMonitoringSchedule")
_INLINE = "MonitoringScheduleConfig.MonitoringJobDefinition"
#: Each job definition operation and the name of its output configuration.
DEFINITIONS = {
    "CreateDataQualityJobDefinition": "DataQualityJobOutputConfig",
    "CreateModelQualityJobDefinition": "ModelQualityJobOutputConfig",
    "CreateModelBiasJobDefinition": "ModelBiasJobOutputConfig",
    "CreateModelExplainabilityJobDefinition": "ModelExplainabilityJobOutputConfig",
}
_DEFINITION_OPS = tuple(DEFINITIONS)


def _everywhere(path: str) -> tuple[Target, ...]:
    """``path`` in an inline schedule definition and in each job definition operation."""
    return at(SCHEDULES, path, prefix=_INLINE) + at(_DEFINITION_OPS, path)


CONTROLS: tuple[Control, ...] = (
    Control(
        slug="monitoring.role",
        title="Monitoring jobs run as the policy's execution role",
        requirement=ROLE,
        targets=_everywhere("RoleArn"),
        remedy="omit RoleArn (safeai fills in the policy's role) or pass an allowed role.",
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="monitoring.vpc",
        title="Monitoring jobs run in the policy's private subnets",
        requirement=VPC,
        targets=_everywhere("NetworkConfig.VpcConfig"),
        remedy="omit NetworkConfig.VpcConfig (safeai fills it in) or use only subnets and "
        "security groups the policy lists.",
        anchors=Anchors(
            iam_condition_keys=("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds")
        ),
    ),
    Control(
        slug="monitoring.network_isolation",
        title="Monitoring containers have no network access",
        requirement=ISOLATION,
        targets=_everywhere("NetworkConfig.EnableNetworkIsolation"),
        remedy="omit NetworkConfig.EnableNetworkIsolation or set it to True.",
        anchors=Anchors(
            security_hub=(
                "SageMaker.11",
                "SageMaker.12",
                "SageMaker.14",
                "SageMaker.20",
                "SageMaker.25",
            ),
            iam_condition_keys=("sagemaker:NetworkIsolation",),
        ),
    ),
    Control(
        slug="monitoring.inter_container_encryption",
        title="Traffic between monitoring instances is encrypted",
        requirement=TRANSIT,
        targets=_everywhere("NetworkConfig.EnableInterContainerTrafficEncryption"),
        remedy="omit NetworkConfig.EnableInterContainerTrafficEncryption or set it to True.",
        anchors=Anchors(
            security_hub=(
                "SageMaker.9",
                "SageMaker.10",
                "SageMaker.13",
                "SageMaker.15",
                "SageMaker.22",
            ),
            checkov=("CKV_AWS_369",),
            iam_condition_keys=("sagemaker:InterContainerTrafficEncryption",),
        ),
    ),
    Control(
        slug="monitoring.output_kms",
        title="Monitoring results are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(SCHEDULES, "MonitoringOutputConfig.KmsKeyId", prefix=_INLINE)
        + tuple(
            Target(op, f"{output}.KmsKeyId", within=output) for op, output in DEFINITIONS.items()
        ),
        remedy="omit the output configuration's KmsKeyId or use the policy's or an allowed key.",
        anchors=Anchors(
            checkov=("CKV_AWS_367",), iam_condition_keys=("sagemaker:OutputKmsKeyArn",)
        ),
    ),
    Control(
        slug="monitoring.volume_kms",
        title="Monitoring storage volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            SCHEDULES,
            "MonitoringResources.ClusterConfig.VolumeKmsKeyId",
            prefix=_INLINE,
            within="MonitoringResources.ClusterConfig",
            instance_types=("InstanceType",),
        )
        + at(
            _DEFINITION_OPS,
            "JobResources.ClusterConfig.VolumeKmsKeyId",
            within="JobResources.ClusterConfig",
            instance_types=("InstanceType",),
        ),
        remedy="omit ClusterConfig.VolumeKmsKeyId or use the policy's or an allowed key.",
        anchors=Anchors(
            checkov=("CKV_AWS_368",), iam_condition_keys=("sagemaker:VolumeKmsKeyArn",)
        ),
    ),
)
