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

from .notebooks import USER_SETTINGS

__all__ = ["OUT_OF_SCOPE", "OutOfScope"]


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """``path`` of ``operation`` (``"*"``: every field of it) is deliberately not enforced.

    ``security=False``: the walk's name match found it, but it is not a security setting (an
    attribution mode, the kind of a network interface); the coverage figure leaves it out.
    """

    operation: str
    path: str
    reason: str
    service: str = "sagemaker"
    security: bool = True


_DEFERRED = "not enforced in this release: it is listed so that the gap is visible"


def _whole(operations: tuple[str, ...], what: str) -> tuple[OutOfScope, ...]:
    """Operations safeai does not secure at all: ``what`` they are, and that they are deferred."""
    return tuple(OutOfScope(op, "*", f"{what}; {_DEFERRED}") for op in operations)


_SAGEMAKER: tuple[OutOfScope, ...] = (
    # -- whole operations ---------------------------------------------------------------------
    *_whole(
        ("CreateProject",),
        "a project provisioned from templates: CfnTemplateProvider.RoleARN is the role "
        "CloudFormation assumes to create the stack, and the resources it creates are made by "
        "CloudFormation, out of reach of a client-side guard",
    ),
    # Operations newer than some supported botocore releases (the tests skip what the
    # installed botocore does not know).
    *_whole(
        ("CreateJob",),
        "a model customization job whose compute, network and encryption settings live inside "
        "JobConfigDocument, a schema-versioned JSON document safeai does not parse yet (a "
        "pipeline Job step is refused for the same reason)",
    ),
    # -- CreateProcessingJob ----------------------------------------------------------------
    OutOfScope(
        "CreateProcessingJob",
        "ProcessingInputs[].DatasetDefinition.RedshiftDatasetDefinition.ClusterRoleArn",
        "the IAM role attached to the customer's Redshift cluster, which SageMaker uses to "
        "unload the dataset; it belongs to the cluster, not to the job (the job's role is "
        "processing.role), so the policy's execution role does not apply",
    ),
    # -- HyperPod ---------------------------------------------------------------------------
    *(
        OutOfScope(
            op,
            "InstanceGroups[].NetworkInterface",
            "not a network placement: the kind of network interface the nodes get (efa or "
            "efa-only, for fast node-to-node traffic); where they are placed is the instance "
            "group's VpcConfig (cluster.vpc)",
            security=False,
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
    # -- CreateDomain / UpdateDomain / user profiles: settings that grant nothing -------------
    *(
        OutOfScope(
            op,
            f"{settings}.ExecutionRoleIdentityConfig",
            "not a role: whether the user profile name is attached to the execution role's "
            "sessions as sts:SourceIdentity; an attribution setting that grants nothing",
            security=False,
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
            security=False,
        )
        for op in ("CreateDomain", "UpdateDomain")
    ),
    *(
        OutOfScope(
            op,
            f"{settings}.StudioWebPortalSettings.ExecutionRoleSessionNameMode",
            "not a role: whether the execution role's session is named after the user's "
            "identity ('USER_IDENTITY') or 'SageMaker' ('STATIC'); an audit-trail setting that "
            "grants nothing",
            security=False,
        )
        for op, settings in USER_SETTINGS
    ),
    OutOfScope(
        "CreateGlobalInferenceGateway",
        "ExecutionRoleArn",
        f"the role the gateway assumes to reach HyperPod clusters' in-cluster gateways; a "
        f"routing service role, not a workload execution role; {_DEFERRED}",
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
