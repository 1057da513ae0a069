"""Controls for jobs that run containers on data: training, processing, transform, tuning,
AutoML, compilation, optimization, labeling, and HyperPod clusters."""

from __future__ import annotations

from ._builders import (
    ISOLATION,
    KMS,
    KMS_REMEDY,
    PASSED_ROLE,
    PASSED_ROLE_REMEDY,
    ROLE,
    ROLE_REMEDY,
    TRANSIT,
    VPC,
    VPC_REMEDY,
    at,
    equals,
)
from ._schema import Anchors, Control, Requirement

__all__ = ["CONTROLS"]

TRAIN = ("CreateTrainingJob",)
#: LoRA fine-tuning sessions (botocore 1.44 and later): the same role, network and output key.
SESSION = ("CreateTrainingSession",)
PROCESS = ("CreateProcessingJob",)
TRANSFORM = ("CreateTransformJob",)
TUNE = ("CreateHyperParameterTuningJob",)
AUTOML_V1 = ("CreateAutoMLJob",)
AUTOML_V2 = ("CreateAutoMLJobV2",)
COMPILE = ("CreateCompilationJob",)
OPTIMIZE = ("CreateOptimizationJob",)
LABEL = ("CreateLabelingJob",)
CLUSTER = ("CreateCluster", "UpdateCluster")

CODE_CHANNEL = Requirement("code_channel")
_TUNING_DEFINITIONS = ("TrainingJobDefinition", "TrainingJobDefinitions[]")
#: Where a cluster configuration names its instance types: one type, or one per instance group
#: of a heterogeneous cluster (one volume key covers every group).
_CLUSTER_TYPES = {
    "ResourceConfig": ("InstanceType", "InstanceGroups[].InstanceType"),
    "HyperParameterTuningResourceConfig": ("InstanceType", "InstanceConfigs[].InstanceType"),
}

_TRAINING_JOB_ANCHORS_VPC = Anchors(
    prowler=("sagemaker_training_jobs_vpc_settings_configured",),
    iam_condition_keys=("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds"),
)
_TRAINING_JOB_ANCHORS_ISOLATION = Anchors(
    prowler=("sagemaker_training_jobs_network_isolation_enabled",),
    iam_condition_keys=("sagemaker:NetworkIsolation",),
)
_TRAINING_JOB_ANCHORS_TRANSIT = Anchors(
    prowler=("sagemaker_training_jobs_intercontainer_encryption_enabled",),
    iam_condition_keys=("sagemaker:InterContainerTrafficEncryption",),
)
_TRAINING_JOB_ANCHORS_VOLUME = Anchors(
    prowler=("sagemaker_training_jobs_volume_and_output_encryption_enabled",),
    iam_condition_keys=("sagemaker:VolumeKmsKeyArn",),
)
_TRAINING_JOB_ANCHORS_OUTPUT = Anchors(
    iam_condition_keys=("sagemaker:OutputKmsKeyArn",),
)
_ROLE_ANCHORS = Anchors(iam_condition_keys=("iam:PassedToService",))
_VPC_KEYS = Anchors(iam_condition_keys=("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds"))
_VOLUME_KEY = Anchors(iam_condition_keys=("sagemaker:VolumeKmsKeyArn",))
_OUTPUT_KEY = Anchors(iam_condition_keys=("sagemaker:OutputKmsKeyArn",))

_ISOLATION_REMEDY = (
    "omit {field} or set it to True; containers then make no outbound network calls "
    "(pass data through S3 and the VPC endpoints instead)."
)
_TRANSIT_REMEDY = "omit {field} or set it to True, so traffic between instances is encrypted."
_CODE_CHANNEL_REMEDY = (
    "build the estimator with enable_network_isolation=True (the SDK then ships the code as a "
    "'code' input channel itself), or upload the code as one .tar.gz archive and drop any "
    "other input channel named 'code'."
)

CONTROLS: tuple[Control, ...] = (
    # -- training ---------------------------------------------------------------------------
    Control(
        slug="training.role",
        title="Training jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(TRAIN + SESSION, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="training.vpc",
        title="Training jobs run in the policy's private subnets",
        requirement=VPC,
        targets=at(TRAIN + SESSION, "VpcConfig"),
        remedy=VPC_REMEDY.format(field="VpcConfig"),
        anchors=_TRAINING_JOB_ANCHORS_VPC,
    ),
    Control(
        slug="training.network_isolation",
        title="Training containers have no network access",
        requirement=ISOLATION,
        targets=at(TRAIN, "EnableNetworkIsolation"),
        remedy=_ISOLATION_REMEDY.format(field="EnableNetworkIsolation"),
        anchors=_TRAINING_JOB_ANCHORS_ISOLATION,
    ),
    Control(
        slug="training.code_channel",
        title="A network-isolated training job gets its script-mode code as an input channel",
        requirement=CODE_CHANNEL,
        targets=at(TRAIN, "HyperParameters"),
        remedy=_CODE_CHANNEL_REMEDY,
    ),
    Control(
        slug="training.inter_container_encryption",
        title="Traffic between training instances is encrypted",
        requirement=TRANSIT,
        targets=at(TRAIN, "EnableInterContainerTrafficEncryption"),
        remedy=_TRANSIT_REMEDY.format(field="EnableInterContainerTrafficEncryption"),
        anchors=_TRAINING_JOB_ANCHORS_TRANSIT,
    ),
    Control(
        slug="training.remote_debug",
        title="Training containers take no interactive remote-debug sessions",
        requirement=equals(False),
        targets=at(
            ("CreateTrainingJob", "UpdateTrainingJob"),
            "RemoteDebugConfig.EnableRemoteDebug",
            within="RemoteDebugConfig",
            inject=False,
        ),
        remedy="omit RemoteDebugConfig or set EnableRemoteDebug to False: remote debugging "
        "opens a shell into the running container.",
    ),
    Control(
        slug="training.volume_kms",
        title="Training storage volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            TRAIN,
            "ResourceConfig.VolumeKmsKeyId",
            within="ResourceConfig",
            instance_types=_CLUSTER_TYPES["ResourceConfig"],
        ),
        remedy=KMS_REMEDY.format(field="ResourceConfig.VolumeKmsKeyId"),
        anchors=_TRAINING_JOB_ANCHORS_VOLUME,
    ),
    Control(
        slug="training.output_kms",
        title="Training outputs (model artifacts) are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(TRAIN, "OutputDataConfig.KmsKeyId", within="OutputDataConfig")
        + at(SESSION, "OutputConfig.S3Location.KmsKeyArn", within="OutputConfig.S3Location"),
        remedy=KMS_REMEDY.format(field="OutputDataConfig.KmsKeyId"),
        anchors=_TRAINING_JOB_ANCHORS_OUTPUT,
    ),
    # -- processing -------------------------------------------------------------------------
    Control(
        slug="processing.role",
        title="Processing jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(PROCESS, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="processing.vpc",
        title="Processing jobs run in the policy's private subnets",
        requirement=VPC,
        targets=at(PROCESS, "NetworkConfig.VpcConfig"),
        remedy=VPC_REMEDY.format(field="NetworkConfig.VpcConfig"),
        anchors=_VPC_KEYS,
    ),
    Control(
        slug="processing.network_isolation",
        title="Processing containers have no network access",
        requirement=ISOLATION,
        targets=at(PROCESS, "NetworkConfig.EnableNetworkIsolation"),
        remedy=_ISOLATION_REMEDY.format(field="NetworkConfig.EnableNetworkIsolation"),
        anchors=Anchors(iam_condition_keys=("sagemaker:NetworkIsolation",)),
    ),
    Control(
        slug="processing.inter_container_encryption",
        title="Traffic between processing instances is encrypted",
        requirement=TRANSIT,
        targets=at(PROCESS, "NetworkConfig.EnableInterContainerTrafficEncryption"),
        remedy=_TRANSIT_REMEDY.format(field="NetworkConfig.EnableInterContainerTrafficEncryption"),
        anchors=Anchors(iam_condition_keys=("sagemaker:InterContainerTrafficEncryption",)),
    ),
    Control(
        slug="processing.volume_kms",
        title="Processing storage volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            PROCESS,
            "ProcessingResources.ClusterConfig.VolumeKmsKeyId",
            within="ProcessingResources.ClusterConfig",
            instance_types=("InstanceType",),
        ),
        remedy=KMS_REMEDY.format(field="ProcessingResources.ClusterConfig.VolumeKmsKeyId"),
        anchors=_VOLUME_KEY,
    ),
    Control(
        slug="processing.output_kms",
        title="Processing outputs are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(PROCESS, "ProcessingOutputConfig.KmsKeyId", within="ProcessingOutputConfig"),
        remedy=KMS_REMEDY.format(field="ProcessingOutputConfig.KmsKeyId"),
        anchors=_OUTPUT_KEY,
    ),
    Control(
        slug="processing.dataset_kms",
        title="Athena and Redshift query results staged for processing use the policy's KMS key",
        requirement=KMS,
        targets=at(
            PROCESS,
            "KmsKeyId",
            prefix="ProcessingInputs[].DatasetDefinition.AthenaDatasetDefinition",
        )
        + at(
            PROCESS,
            "KmsKeyId",
            prefix="ProcessingInputs[].DatasetDefinition.RedshiftDatasetDefinition",
        ),
        remedy=KMS_REMEDY.format(field="the dataset definition's KmsKeyId"),
    ),
    # -- transform (VPC and isolation live on the model it names: see the references) ------
    Control(
        slug="transform.volume_kms",
        title="Batch transform storage volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            TRANSFORM,
            "TransformResources.VolumeKmsKeyId",
            within="TransformResources",
            instance_types=("InstanceType",),
        ),
        remedy=KMS_REMEDY.format(field="TransformResources.VolumeKmsKeyId"),
        anchors=_VOLUME_KEY,
    ),
    Control(
        slug="transform.output_kms",
        title="Batch transform outputs are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(TRANSFORM, "TransformOutput.KmsKeyId", within="TransformOutput"),
        remedy=KMS_REMEDY.format(field="TransformOutput.KmsKeyId"),
        anchors=_OUTPUT_KEY,
    ),
    Control(
        slug="transform.data_capture_kms",
        title="Batch transform data capture is encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(TRANSFORM, "DataCaptureConfig.KmsKeyId", within="DataCaptureConfig"),
        remedy=KMS_REMEDY.format(field="DataCaptureConfig.KmsKeyId"),
    ),
    # -- hyperparameter tuning: every training job definition ------------------------------
    Control(
        slug="tuning.role",
        title="Tuning jobs' training jobs run as the policy's execution role",
        requirement=ROLE,
        targets=sum((at(TUNE, "RoleArn", prefix=p) for p in _TUNING_DEFINITIONS), ()),
        remedy=ROLE_REMEDY.format(field="the definition's RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="tuning.vpc",
        title="Tuning jobs' training jobs run in the policy's private subnets",
        requirement=VPC,
        targets=sum((at(TUNE, "VpcConfig", prefix=p) for p in _TUNING_DEFINITIONS), ()),
        remedy=VPC_REMEDY.format(field="the definition's VpcConfig"),
        anchors=_TRAINING_JOB_ANCHORS_VPC,
    ),
    Control(
        slug="tuning.network_isolation",
        title="Tuning jobs' training containers have no network access",
        requirement=ISOLATION,
        targets=sum(
            (at(TUNE, "EnableNetworkIsolation", prefix=p) for p in _TUNING_DEFINITIONS), ()
        ),
        remedy=_ISOLATION_REMEDY.format(field="the definition's EnableNetworkIsolation"),
        anchors=_TRAINING_JOB_ANCHORS_ISOLATION,
    ),
    Control(
        slug="tuning.code_channel",
        title="A network-isolated tuning job's training jobs get their code as an input channel",
        requirement=CODE_CHANNEL,
        targets=sum((at(TUNE, "StaticHyperParameters", prefix=p) for p in _TUNING_DEFINITIONS), ()),
        remedy=_CODE_CHANNEL_REMEDY,
    ),
    Control(
        slug="tuning.inter_container_encryption",
        title="Traffic between tuning jobs' training instances is encrypted",
        requirement=TRANSIT,
        targets=sum(
            (
                at(TUNE, "EnableInterContainerTrafficEncryption", prefix=p)
                for p in _TUNING_DEFINITIONS
            ),
            (),
        ),
        remedy=_TRANSIT_REMEDY.format(
            field="the definition's EnableInterContainerTrafficEncryption"
        ),
        anchors=_TRAINING_JOB_ANCHORS_TRANSIT,
    ),
    Control(
        slug="tuning.volume_kms",
        title="Tuning jobs' storage volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=sum(
            (
                at(
                    TUNE,
                    f"{config}.VolumeKmsKeyId",
                    prefix=p,
                    within=config,
                    instance_types=_CLUSTER_TYPES[config],
                )
                for p in _TUNING_DEFINITIONS
                for config in ("ResourceConfig", "HyperParameterTuningResourceConfig")
            ),
            (),
        ),
        remedy=KMS_REMEDY.format(field="the definition's VolumeKmsKeyId"),
        anchors=_TRAINING_JOB_ANCHORS_VOLUME,
    ),
    Control(
        slug="tuning.output_kms",
        title="Tuning jobs' outputs are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=sum(
            (
                at(TUNE, "OutputDataConfig.KmsKeyId", prefix=p, within="OutputDataConfig")
                for p in _TUNING_DEFINITIONS
            ),
            (),
        ),
        remedy=KMS_REMEDY.format(field="the definition's OutputDataConfig.KmsKeyId"),
        anchors=_TRAINING_JOB_ANCHORS_OUTPUT,
    ),
    # -- AutoML (v1 keeps its security config inside AutoMLJobConfig) ---------------------
    Control(
        slug="automl.role",
        title="AutoML jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(AUTOML_V1 + AUTOML_V2, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="automl.emr_role",
        title="AutoML hands EMR Serverless only a role the policy allows",
        requirement=PASSED_ROLE,
        targets=at(
            AUTOML_V2,
            "AutoMLComputeConfig.EmrServerlessComputeConfig.ExecutionRoleARN",
            inject=False,
        ),
        remedy=PASSED_ROLE_REMEDY.format(
            field="AutoMLComputeConfig.EmrServerlessComputeConfig.ExecutionRoleARN (the role "
            "the EMR Serverless jobs of a large dataset run as)"
        ),
    ),
    Control(
        slug="automl.vpc",
        title="AutoML jobs run in the policy's private subnets",
        requirement=VPC,
        targets=at(AUTOML_V1, "AutoMLJobConfig.SecurityConfig.VpcConfig")
        + at(AUTOML_V2, "SecurityConfig.VpcConfig"),
        remedy=VPC_REMEDY.format(field="SecurityConfig.VpcConfig"),
        anchors=_VPC_KEYS,
    ),
    Control(
        slug="automl.inter_container_encryption",
        title="Traffic between AutoML instances is encrypted",
        requirement=TRANSIT,
        targets=at(
            AUTOML_V1, "AutoMLJobConfig.SecurityConfig.EnableInterContainerTrafficEncryption"
        )
        + at(AUTOML_V2, "SecurityConfig.EnableInterContainerTrafficEncryption"),
        remedy=_TRANSIT_REMEDY.format(field="SecurityConfig.EnableInterContainerTrafficEncryption"),
        anchors=Anchors(iam_condition_keys=("sagemaker:InterContainerTrafficEncryption",)),
    ),
    Control(
        slug="automl.volume_kms",
        title="AutoML storage volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(AUTOML_V1, "AutoMLJobConfig.SecurityConfig.VolumeKmsKeyId")
        + at(AUTOML_V2, "SecurityConfig.VolumeKmsKeyId"),
        remedy=KMS_REMEDY.format(field="SecurityConfig.VolumeKmsKeyId"),
        anchors=_VOLUME_KEY,
    ),
    Control(
        slug="automl.output_kms",
        title="AutoML outputs are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(AUTOML_V1 + AUTOML_V2, "OutputDataConfig.KmsKeyId", within="OutputDataConfig"),
        remedy=KMS_REMEDY.format(field="OutputDataConfig.KmsKeyId"),
        anchors=_OUTPUT_KEY,
    ),
    # -- compilation (Neo) and inference optimization --------------------------------------
    Control(
        slug="compilation.role",
        title="Compilation jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(COMPILE, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="compilation.vpc",
        title="Compilation jobs run in the policy's private subnets",
        requirement=VPC,
        targets=at(COMPILE, "VpcConfig"),
        remedy=VPC_REMEDY.format(field="VpcConfig"),
    ),
    Control(
        slug="compilation.output_kms",
        title="Compiled models are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(COMPILE, "OutputConfig.KmsKeyId", within="OutputConfig"),
        remedy=KMS_REMEDY.format(field="OutputConfig.KmsKeyId"),
    ),
    Control(
        slug="optimization.role",
        title="Inference optimization jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(OPTIMIZE, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="optimization.vpc",
        title="Inference optimization jobs run in the policy's private subnets",
        requirement=VPC,
        targets=at(OPTIMIZE, "VpcConfig"),
        remedy=VPC_REMEDY.format(field="VpcConfig"),
    ),
    Control(
        slug="optimization.output_kms",
        title="Optimized models are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(OPTIMIZE, "OutputConfig.KmsKeyId", within="OutputConfig"),
        remedy=KMS_REMEDY.format(field="OutputConfig.KmsKeyId"),
    ),
    # -- labeling (the VPC and volume apply to automated labeling only) ---------------------
    Control(
        slug="labeling.role",
        title="Labeling jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(LABEL, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="labeling.output_kms",
        title="Labels are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(LABEL, "OutputConfig.KmsKeyId", within="OutputConfig"),
        remedy=KMS_REMEDY.format(field="OutputConfig.KmsKeyId"),
        anchors=_OUTPUT_KEY,
    ),
    Control(
        slug="labeling.volume_kms",
        title="Automated labeling volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            LABEL,
            "LabelingJobResourceConfig.VolumeKmsKeyId",
            prefix="LabelingJobAlgorithmsConfig",
        ),
        remedy=KMS_REMEDY.format(field="LabelingJobResourceConfig.VolumeKmsKeyId"),
        anchors=_VOLUME_KEY,
    ),
    Control(
        slug="labeling.vpc",
        title="Automated labeling runs in the policy's private subnets",
        requirement=VPC,
        targets=at(
            LABEL, "LabelingJobResourceConfig.VpcConfig", prefix="LabelingJobAlgorithmsConfig"
        ),
        remedy=VPC_REMEDY.format(field="LabelingJobResourceConfig.VpcConfig"),
    ),
    # -- HyperPod clusters ------------------------------------------------------------------
    Control(
        slug="cluster.role",
        title="Cluster instance groups run as the policy's execution role",
        requirement=ROLE,
        targets=sum(
            (
                at(CLUSTER, "ExecutionRole", prefix=groups)
                for groups in ("InstanceGroups[]", "RestrictedInstanceGroups[]")
            ),
            (),
        ),
        remedy=ROLE_REMEDY.format(field="the instance group's ExecutionRole"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="cluster.autoscaling_role",
        title="HyperPod autoscales clusters as the policy's execution role or an allowed role",
        requirement=ROLE,
        targets=at(CLUSTER, "ClusterRole", inject=False),
        remedy="omit ClusterRole or pass an allowed role: HyperPod adds and removes the "
        "cluster's nodes as it.",
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="cluster.vpc",
        title="Clusters run in the policy's private subnets",
        requirement=VPC,
        targets=at(("CreateCluster",), "VpcConfig")
        + sum(
            (
                at(CLUSTER, "OverrideVpcConfig", prefix=groups, inject=False)
                for groups in ("InstanceGroups[]", "RestrictedInstanceGroups[]")
            ),
            (),
        ),
        remedy=VPC_REMEDY.format(field="VpcConfig / OverrideVpcConfig"),
        anchors=_VPC_KEYS,
    ),
    Control(
        slug="cluster.volume_kms",
        title="Cluster EBS volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=sum(
            (
                at(
                    CLUSTER,
                    "VolumeKmsKeyId",
                    prefix=f"{groups}.InstanceStorageConfigs[].EbsVolumeConfig",
                )
                for groups in ("InstanceGroups[]", "RestrictedInstanceGroups[]")
            ),
            (),
        ),
        remedy=KMS_REMEDY.format(field="EbsVolumeConfig.VolumeKmsKeyId"),
    ),
)
