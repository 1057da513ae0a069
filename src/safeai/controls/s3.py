"""Controls for Amazon S3: every object written is encrypted under the policy's key, and no
bucket the program touches can be opened to the public, unencrypted or stripped of its TLS-only
policy.

S3 answers most weakenings with a *delete* (``DeleteBucketEncryption``,
``DeletePublicAccessBlock``): those are ``forbidden`` targets, refused whole unless waived.
"""

from __future__ import annotations

from ._builders import KMS, at, equals
from ._schema import Anchors, Control, Requirement, Target

__all__ = ["CONTROLS", "OBJECT_WRITES", "PUBLIC_ACCESS_SETTINGS"]

#: The requests that store an object's bytes; boto3's transfer manager (``upload_file``,
#: ``upload_fileobj``, managed ``copy``) and ``boto3.resource("s3")`` come down to these.
OBJECT_WRITES = ("PutObject", "CopyObject", "CreateMultipartUpload")
PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
_ACL_REQUESTS = (*OBJECT_WRITES, "CreateBucket", "PutBucketAcl", "PutObjectAcl")


def _forbidden(operation: str) -> Target:
    return Target(operation=operation, path="Bucket", forbidden=True)


CONTROLS: tuple[Control, ...] = (
    Control(
        slug="s3.sse_kms",
        title="Objects are written with SSE-KMS under the policy's key",
        requirement=Requirement("sse"),
        targets=at(OBJECT_WRITES, "ServerSideEncryption"),
        remedy="omit ServerSideEncryption and SSEKMSKeyId (safeai fills in aws:kms, the "
        "policy's key and BucketKeyEnabled) or use the policy's or an allowed key; SSE-C and "
        "AES256 are refused.",
        # No IAM condition keys here: the SCP generator would deny every multipart part upload
        # (parts carry no encryption headers); the bucket policy of the baseline does this job.
        anchors=Anchors(
            prowler=("s3_bucket_kms_encryption",),
            checkov=("CKV_AWS_186", "CKV_AWS_181"),
        ),
        service="s3",
    ),
    Control(
        slug="s3.reencryption_kms",
        title="Objects are re-encrypted only under the policy's key",
        requirement=KMS,
        targets=at(
            ("UpdateObjectEncryption",),
            "ObjectEncryption.SSEKMS.KMSKeyArn",
            within="ObjectEncryption.SSEKMS",
        ),
        remedy="re-encrypt objects under the policy's or an allowed key.",
        anchors=Anchors(prowler=("s3_bucket_kms_encryption",)),
        service="s3",
    ),
    Control(
        slug="s3.default_encryption",
        title="Buckets encrypt by default with SSE-KMS under the policy's key",
        requirement=Requirement("bucket_encryption"),
        targets=(
            *at(("PutBucketEncryption",), "ServerSideEncryptionConfiguration"),
            _forbidden("DeleteBucketEncryption"),
        ),
        remedy="give every rule ApplyServerSideEncryptionByDefault with SSEAlgorithm aws:kms "
        "and the policy's KMSMasterKeyID (`safeai bucket secure NAME` does it); never delete a "
        "bucket's encryption configuration.",
        anchors=Anchors(
            security_hub=("S3.17",),
            prowler=("s3_bucket_default_encryption",),
            checkov=("CKV_AWS_145", "CKV_AWS_19"),
        ),
        service="s3",
    ),
    Control(
        slug="s3.public_access",
        title="Buckets keep all four Block Public Access settings on",
        requirement=equals(True),
        targets=(
            *(
                # Not ``within`` the configuration: an empty one turns every setting off, and
                # the engine passes over an empty container.
                Target(
                    operation="PutPublicAccessBlock",
                    path=f"PublicAccessBlockConfiguration.{setting}",
                )
                for setting in PUBLIC_ACCESS_SETTINGS
            ),
            _forbidden("DeletePublicAccessBlock"),
        ),
        remedy="set BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and "
        "RestrictPublicBuckets to True (or omit them: safeai fills them in); never delete a "
        "bucket's public access block.",
        anchors=Anchors(
            security_hub=("S3.1", "S3.8"),
            prowler=("s3_bucket_level_public_access_block",),
            checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
        ),
        service="s3",
    ),
    Control(
        slug="s3.acl",
        title="No ACL grants access to everyone or to every AWS account",
        requirement=Requirement("acl"),
        targets=at(_ACL_REQUESTS, "ACL"),
        remedy="use the private canned ACL or none, and grant nothing to the AllUsers or "
        "AuthenticatedUsers groups; share data through a bucket policy naming the principals.",
        anchors=Anchors(
            security_hub=("S3.2", "S3.3"),
            prowler=("s3_bucket_public_access", "s3_bucket_public_write_acl"),
            checkov=("CKV_AWS_20", "CKV_AWS_57", "CKV_AWS_375", "CKV2_AWS_43"),
        ),
        service="s3",
    ),
    Control(
        slug="s3.object_ownership",
        title="Buckets disable ACLs (object ownership BucketOwnerEnforced)",
        requirement=equals("BucketOwnerEnforced"),
        targets=(
            *at(("CreateBucket",), "ObjectOwnership"),
            *at(
                ("PutBucketOwnershipControls",),
                "ObjectOwnership",
                prefix="OwnershipControls.Rules[]",
            ),
            _forbidden("DeleteBucketOwnershipControls"),
        ),
        remedy="use ObjectOwnership BucketOwnerEnforced (safeai fills it in on CreateBucket); "
        "never delete a bucket's ownership controls.",
        anchors=Anchors(
            security_hub=("S3.12",),
            prowler=("s3_bucket_acl_prohibited",),
            checkov=("CKV2_AWS_65",),
        ),
        service="s3",
    ),
    Control(
        slug="s3.bucket_policy",
        title="Bucket policies deny plain-HTTP access and grant nothing to the public",
        requirement=Requirement("bucket_policy"),
        targets=(*at(("PutBucketPolicy",), "Policy"), _forbidden("DeleteBucketPolicy")),
        remedy="keep a Deny of every s3 action when aws:SecureTransport is false, and allow "
        "Principal '*' only under a condition that restricts it (aws:SourceVpce, "
        "aws:PrincipalOrgID, aws:PrincipalAccount, ...); `safeai bucket secure NAME` merges "
        "the TLS statement into an existing policy.",
        anchors=Anchors(
            security_hub=("S3.5", "S3.2", "S3.3"),
            prowler=("s3_bucket_secure_transport_policy", "s3_bucket_policy_public_write_access"),
            checkov=("CKV_AWS_70", "CKV_AWS_379"),
        ),
        service="s3",
    ),
    Control(
        slug="s3.versioning",
        title="Bucket versioning stays enabled",
        requirement=equals("Enabled"),
        targets=at(
            ("PutBucketVersioning",),
            "VersioningConfiguration.Status",
            within="VersioningConfiguration",
            inject=False,
        ),
        remedy="keep VersioningConfiguration Status Enabled; versions are what recovers data "
        "overwritten or deleted by mistake or by an attacker.",
        anchors=Anchors(
            security_hub=("S3.14",),
            prowler=("s3_bucket_object_versioning",),
            checkov=("CKV_AWS_21",),
        ),
        service="s3",
    ),
    Control(
        slug="s3.baseline",
        title="A bucket the program creates is brought to the secure baseline",
        requirement=Requirement("baseline"),
        targets=(Target(operation="CreateBucket", path="Bucket"),),
        remedy="let the guard secure the new bucket (default SSE-KMS, Block Public Access, ACLs "
        "disabled, versioning, a TLS-only policy) or run `safeai bucket secure NAME`; waive "
        "s3.baseline only for a bucket another tool secures.",
        anchors=Anchors(security_hub=("S3.5", "S3.8", "S3.14", "S3.17")),
        service="s3",
    ),
    Control(
        slug="s3.posture",
        title="Buckets a job reads are encrypted, private and TLS-only",
        requirement=Requirement("preflight"),
        targets=(),
        remedy="bring the bucket to the baseline with `safeai bucket secure NAME`, or set "
        'Policy.s3_posture = "warn" while you do.',
        anchors=Anchors(security_hub=("S3.5", "S3.8", "S3.17")),
        service="s3",
    ),
    Control(
        slug="s3.named_bucket",
        title="Buckets that resources name still exist",
        requirement=Requirement("preflight"),
        targets=(),
        remedy="a bucket name is free for any AWS account to claim once its bucket is deleted, "
        "and the resource would then read from or write to that account's bucket: create the "
        "bucket again in this account (`safeai bucket secure NAME`), or delete or change the "
        "resource that names it.",
        anchors=Anchors(),
        service="s3",
    ),
)
