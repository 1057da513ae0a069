"""Security-relevant request fields that no control covers, each with the reason.

The coverage test walks botocore's SageMaker and S3 models: a role, KMS, VPC, isolation,
in-transit, direct-internet, root-access or IMDS field (in S3: an encryption, ACL, grant, policy,
public-access or ownership field) that is neither covered by a control nor listed here fails
CI, so a botocore release that adds such a field is noticed. An entry's ``path`` is the field's
path, a structure above several fields, or ``"*"`` for an operation safeai does not secure at
all; paths use ``[]`` for list elements, as the catalogue does.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OUT_OF_SCOPE", "OutOfScope"]


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """``path`` of ``operation`` (``"*"``: every field of it) is deliberately not enforced."""

    operation: str
    path: str
    reason: str
    service: str = "sagemaker"


_DEFERRED = "not enforced in this release: it is listed so that the gap is visible"


def _whole(operations: tuple[str, ...], what: str) -> tuple[OutOfScope, ...]:
    """Operations safeai does not secure at all: ``what`` they are, and that they are deferred."""
    return tuple(OutOfScope(op, "*", f"{what}; {_DEFERRED}") for op in operations)


#: Where the settings of Studio users live: the domain's defaults and each user profile.
_USER_SETTINGS = (
    ("CreateDomain", "DefaultUserSettings"),
    ("UpdateDomain", "DefaultUserSettings"),
    ("CreateUserProfile", "UserSettings"),
    ("UpdateUserProfile", "UserSettings"),
)
#: Where the settings of Studio spaces live (only the domain's defaults carry EMR settings).
_SPACE_SETTINGS = (
    ("CreateDomain", "DefaultSpaceSettings"),
    ("UpdateDomain", "DefaultSpaceSettings"),
)


def _settings(where: tuple[tuple[str, str], ...], path: str, reason: str) -> tuple[OutOfScope, ...]:
    """The same settings field, below each (operation, settings member) pair."""
    return tuple(OutOfScope(op, f"{settings}.{path}", reason) for op, settings in where)


_CANVAS = "CanvasAppSettings"
_EMR = "JupyterLabAppSettings.EmrSettings"
_EMR_ASSUMABLE = (
    "roles the Studio execution role may assume to list, connect to or terminate Amazon EMR "
    "clusters and EMR Serverless applications, typically in another account; the EMR resources "
    "run outside SageMaker, and the execution role itself is checked by domain.role"
)
_EMR_EXECUTION = (
    "roles that EMR cluster instances or EMR Serverless job runtimes use to reach S3, CloudWatch "
    "and other services; they are EMR's runtime roles, not a SageMaker execution role, and the "
    "workloads run outside SageMaker"
)

_SAGEMAKER: tuple[OutOfScope, ...] = (
    # -- whole operations: nothing here runs a customer's container on training data ----------
    *_whole(
        ("CreateAIBenchmarkJob",),
        "a benchmark job that measures latency, throughput and cost of generative AI inference "
        "endpoints; its RoleArn and NetworkConfig.VpcConfig are the benchmark's",
    ),
    *_whole(
        ("CreateAIRecommendationJob",),
        "a job that recommends instance types, optimization techniques and deployment "
        "configurations for generative AI inference; its RoleArn is the recommender's",
    ),
    *_whole(
        ("CreateAlgorithm",),
        "registers an algorithm (optionally for AWS Marketplace); its ValidationSpecification "
        "makes SageMaker run validation training and transform jobs as ValidationRole, which "
        "safeai does not yet secure as it secures CreateTrainingJob and CreateTransformJob",
    ),
    *_whole(
        ("CreateModelPackage",),
        "registers a model package (a model registry version or a Marketplace listing); its "
        "ValidationSpecification runs validation transform jobs as ValidationRole and "
        "SecurityConfig.KmsKeyId encrypts the package's metadata. Deploying a package goes "
        "through CreateModel, which safeai secures",
    ),
    *_whole(
        ("CreateDeviceFleet", "UpdateDeviceFleet"),
        "a SageMaker Edge Manager fleet of edge devices: RoleArn gives the devices access to AWS "
        "IoT and OutputConfig.KmsKeyId encrypts the sample data the fleet collects; the devices "
        "run outside SageMaker",
    ),
    *_whole(
        ("CreateEdgePackagingJob",),
        "a SageMaker Edge Manager job that packages a compiled model for edge devices: RoleArn "
        "reads and writes the model in S3 and calls SageMaker Neo, OutputConfig.KmsKeyId "
        "encrypts the package",
    ),
    *_whole(
        ("CreateFlowDefinition",),
        "a human review workflow (Amazon Augmented AI): RoleArn calls other services on the "
        "workflow's behalf and OutputConfig.KmsKeyId encrypts the reviewers' results; it runs "
        "no container",
    ),
    *_whole(
        ("CreateImage", "UpdateImage"),
        "registers a SageMaker AI image, a set of container image versions in Amazon ECR for "
        "Studio apps; RoleArn lets SageMaker manage the image, and the apps that run it are "
        "governed by the domain controls",
    ),
    *_whole(
        ("CreateInferenceExperiment", "UpdateInferenceExperiment"),
        "a shadow test that routes endpoint traffic to model variants: RoleArn manages the "
        "endpoints, KmsKey encrypts their storage volumes and DataStorageConfig.KmsKey the "
        "captured data",
    ),
    *_whole(
        ("CreateInferenceRecommendationsJob",),
        "an Inference Recommender job that provisions endpoints to load-test a model: RoleArn, "
        "InputConfig.VpcConfig and InputConfig.VolumeKmsKeyId apply to those endpoints, "
        "OutputConfig.KmsKeyId to the output artifacts it writes to S3",
    ),
    *_whole(
        ("CreateMlflowTrackingServer", "CreateMlflowApp"),
        "a managed MLflow tracking server or MLflow App; RoleArn is the role it uses to reach "
        "its S3 artifact store, and it runs no customer container",
    ),
    *_whole(
        ("CreateModelCard",),
        "a model card, a documentation record; SecurityConfig.KmsKeyId encrypts the card",
    ),
    *_whole(
        ("CreatePartnerApp",),
        "a SageMaker Partner AI App, a third-party application: ExecutionRoleArn is the role "
        "the partner application uses, KmsKeyId encrypts its data at rest",
    ),
    *_whole(
        ("CreateProject",),
        "a project provisioned from templates: CfnTemplateProvider.RoleARN is the role "
        "CloudFormation assumes to create the stack, and the resources it creates are made by "
        "CloudFormation, out of reach of a client-side guard",
    ),
    *_whole(
        ("CreateWorkforce", "UpdateWorkforce"),
        "a private workforce of human labelers: WorkforceVpcConfig connects the worker portal "
        "to a VPC; the workers are people, not containers",
    ),
    # -- CreateProcessingJob ----------------------------------------------------------------
    OutOfScope(
        "CreateProcessingJob",
        "ProcessingInputs[].DatasetDefinition.RedshiftDatasetDefinition.ClusterRoleArn",
        "the IAM role attached to the customer's Redshift cluster, which SageMaker uses to "
        "unload the dataset; it belongs to the cluster, not to the job (the job's role is "
        "processing.role), so the policy's execution role does not apply",
    ),
    # -- CreateAutoMLJobV2 ------------------------------------------------------------------
    OutOfScope(
        "CreateAutoMLJobV2",
        "AutoMLComputeConfig.EmrServerlessComputeConfig.ExecutionRoleARN",
        "the role AutoML uses to start and manage remote EMR Serverless jobs for large "
        f"datasets; it needs EMR Serverless permissions, not those of the policy's execution "
        f"role (the job's RoleArn is automl.role); {_DEFERRED}",
    ),
    # -- CreateCluster / UpdateCluster (HyperPod) -------------------------------------------
    *(
        OutOfScope(
            op,
            "ClusterRole",
            "the role HyperPod assumes to add and remove nodes when it autoscales the cluster "
            "(sagemaker:BatchAddClusterNodes, sagemaker:BatchDeleteClusterNodes); no code of "
            "the customer runs as it (the instance groups' ExecutionRole is cluster.role)",
        )
        for op in ("CreateCluster", "UpdateCluster")
    ),
    *(
        OutOfScope(
            op,
            "InstanceGroups[].NetworkInterface",
            "the kind of network interface the nodes get (efa or efa-only, for fast node-to-node "
            "traffic); where they are placed is the instance group's VpcConfig (cluster.vpc)",
        )
        for op in ("CreateCluster", "UpdateCluster")
    ),
    OutOfScope(
        "AttachClusterNodeNetworkInterface",
        "NetworkInterfaceId",
        "attaches an existing elastic network interface to a HyperPod node; its subnet and "
        "security groups were chosen when it was created with EC2, outside SageMaker, and are "
        "not checked in this release: it is listed so that the gap is visible",
    ),
    # -- CreateDomain / UpdateDomain: domain-wide settings -----------------------------------
    OutOfScope(
        "CreateDomain",
        "DomainSettings.RStudioServerProDomainSettings.DomainExecutionRoleArn",
        f"the execution role of the RStudioServerPro domain-level app; {_DEFERRED}",
    ),
    OutOfScope(
        "UpdateDomain",
        "DomainSettingsForUpdate.RStudioServerProDomainSettingsForUpdate.DomainExecutionRoleArn",
        f"the execution role of the RStudioServerPro domain-level app; {_DEFERRED}",
    ),
    *(
        OutOfScope(
            op,
            f"{settings}.ExecutionRoleIdentityConfig",
            "not a role: whether the user profile name is attached to the execution role's "
            "sessions as sts:SourceIdentity; an attribution setting that grants nothing",
        )
        for op, settings in (
            ("CreateDomain", "DomainSettings"),
            ("UpdateDomain", "DomainSettingsForUpdate"),
        )
    ),
    *(
        OutOfScope(
            op,
            "AppSecurityGroupManagement",
            "not a security group: says whether SageMaker ('Service') or the customer "
            "('Customer') creates the security groups for traffic between apps in VpcOnly mode "
            "(RStudio requires 'Service'); the request names no group to check, and the groups "
            "users' apps run in are checked by domain.security_groups",
        )
        for op in ("CreateDomain", "UpdateDomain")
    ),
    # -- Studio user and space settings (CreateDomain, UpdateDomain, Create/UpdateUserProfile)
    *_settings(
        _USER_SETTINGS,
        f"{_CANVAS}.TimeSeriesForecastingSettings.AmazonForecastRoleArn",
        "the role Canvas passes to Amazon Forecast, which must trust forecast.amazonaws.com; a "
        "Forecast service role, not a SageMaker execution role (without it Canvas uses the "
        "user's execution role, which domain.role checks)",
    ),
    *_settings(
        _USER_SETTINGS,
        f"{_CANVAS}.GenerativeAiSettings.AmazonBedrockRoleArn",
        "the role Canvas passes to Amazon Bedrock to fine-tune large language models, which "
        "must trust bedrock.amazonaws.com; a Bedrock service role, not a SageMaker execution "
        "role",
    ),
    *_settings(
        _USER_SETTINGS,
        f"{_CANVAS}.EmrServerlessSettings.ExecutionRoleArn",
        "the role EMR Serverless jobs started from Canvas run as, which must trust EMR "
        "Serverless; EMR's runtime role, not a SageMaker execution role",
    ),
    *_settings(
        _USER_SETTINGS,
        f"{_CANVAS}.ModelRegisterSettings.CrossAccountModelRegisterRoleArn",
        "names the SageMaker model registry account to which Canvas registers model versions "
        "when the registry is in another AWS account; no Canvas workload runs as it",
    ),
    *_settings(
        _USER_SETTINGS,
        f"{_CANVAS}.WorkspaceSettings.S3KmsKeyId",
        f"the key for the artifacts Canvas writes to its S3 workspace bucket; {_DEFERRED}",
    ),
    *_settings(_USER_SETTINGS + _SPACE_SETTINGS, f"{_EMR}.AssumableRoleArns", _EMR_ASSUMABLE),
    *_settings(_USER_SETTINGS + _SPACE_SETTINGS, f"{_EMR}.ExecutionRoleArns", _EMR_EXECUTION),
    *_settings(
        _USER_SETTINGS,
        "StudioWebPortalSettings.ExecutionRoleSessionNameMode",
        "not a role: whether the execution role's session is named after the user's identity "
        "('USER_IDENTITY') or 'SageMaker' ('STATIC'); an audit-trail setting that grants "
        "nothing",
    ),
    # Operations newer than some supported botocore releases (the tests skip what the
    # installed botocore does not know).
    *_whole(
        ("CreateJob",),
        "a model customization job whose compute, network and encryption settings live inside "
        "JobConfigDocument, a schema-versioned JSON document safeai does not parse yet (a "
        "pipeline Job step is refused for the same reason)",
    ),
    OutOfScope(
        "CreateGlobalInferenceGateway",
        "ExecutionRoleArn",
        "the role the gateway assumes to reach HyperPod clusters' in-cluster gateways; a "
        "routing service role, not a workload execution role",
    ),
    *(
        OutOfScope(
            operation,
            "RoutingTargets[].AsyncInferenceConfig.OutputConfig.KmsKeyId",
            f"the key for an inference router's asynchronous outputs; {_DEFERRED}",
        )
        for operation in ("CreateInferenceRouter", "UpdateInferenceRouter")
    ),
)


_SSE_C_FOLLOW_UP = (
    "the SSE-C key that reads or continues an object encrypted with SSE-C; no such object can be "
    "written through the guard (s3.sse_kms refuses SSE-C on PutObject, CopyObject and "
    "CreateMultipartUpload)"
)
_SSE_C_MEMBERS = ("SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5")


def _s3(operation: str, path: str, reason: str) -> OutOfScope:
    return OutOfScope(operation, path, reason, service="s3")


#: S3 fields the coverage walk finds that no control covers.
_S3: tuple[OutOfScope, ...] = (
    *(
        _s3(operation, member, _SSE_C_FOLLOW_UP)
        for operation in (
            "CompleteMultipartUpload",
            "UploadPart",
            "UploadPartCopy",
        )
        for member in _SSE_C_MEMBERS
    ),
    _s3(
        "CreateSession",
        "*",
        f"S3 Express One Zone directory-bucket sessions; {_DEFERRED}",
    ),
    _s3(
        "CreateBucketMetadataConfiguration",
        "MetadataConfiguration",
        f"the key of the S3 Metadata tables (AWS-managed table buckets); {_DEFERRED}",
    ),
    _s3(
        "UpdateBucketMetadataAnnotationTableConfiguration",
        "AnnotationTableConfiguration",
        f"the key of an S3 Metadata table; {_DEFERRED}",
    ),
    _s3(
        "UpdateBucketMetadataInventoryTableConfiguration",
        "InventoryTableConfiguration",
        f"the key of an S3 Metadata table; {_DEFERRED}",
    ),
    _s3(
        "PutBucketInventoryConfiguration",
        "InventoryConfiguration.Destination.S3BucketDestination.Encryption",
        f"the encryption of inventory reports (object listings, not data); {_DEFERRED}",
    ),
    _s3(
        "PutBucketLogging",
        "BucketLoggingStatus.LoggingEnabled.TargetGrants",
        "grants on server access log objects; a log bucket with ACLs disabled (the baseline) "
        "refuses them",
    ),
    _s3(
        "PutBucketReplication",
        "ReplicationConfiguration",
        f"replication to another bucket, whose posture is that bucket's own; {_DEFERRED}",
    ),
    _s3(
        "RestoreObject",
        "RestoreRequest.OutputLocation",
        "the output of an S3 Select restore, a feature AWS closed to new customers; accounts "
        "that still use it can write the output with its own Encryption and ACL, which are not "
        "checked in this release: it is listed so that the gap is visible",
    ),
    _s3(
        "WriteGetObjectResponse",
        "*",
        "an S3 Object Lambda response: the encryption headers describe the object returned, "
        "nothing is stored",
    ),
)

OUT_OF_SCOPE: tuple[OutOfScope, ...] = _SAGEMAKER + _S3
