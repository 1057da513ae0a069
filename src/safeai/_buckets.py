"""A bucket's settings as the guard sees them: read with S3's ``Get*`` calls and checked as the
``Put*`` requests that would set them, with the catalogue's S3 controls. The detective audit
and the input-bucket preflight both judge buckets here, so a finding on an existing bucket and
a refusal of the request that would set it always agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._engine import evaluate

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._exceptions import SecurityViolation
    from ._policy import Policy

__all__ = ["NOT_CONFIGURED", "POSTURE", "SETTINGS", "read_settings", "violations"]

#: The error codes with which S3 answers "this setting is not configured".
NOT_CONFIGURED = frozenset(
    {
        "ServerSideEncryptionConfigurationNotFoundError",
        "NoSuchPublicAccessBlockConfiguration",
        "OwnershipControlsNotFoundError",
        "NoSuchBucketPolicy",
    }
)


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: the ``Get*`` operation and the member of its answer, the ``Put*`` request
    that sets it and the member the value goes into, and what "not configured" stands for."""

    get: str
    member: str
    put: str
    put_member: str
    absent: object


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "GetBucketEncryption",
        "ServerSideEncryptionConfiguration",
        "PutBucketEncryption",
        "ServerSideEncryptionConfiguration",
        {"Rules": []},
    ),
    Setting(
        "GetPublicAccessBlock",
        "PublicAccessBlockConfiguration",
        "PutPublicAccessBlock",
        "PublicAccessBlockConfiguration",
        {},
    ),
    Setting(
        "GetBucketOwnershipControls",
        "OwnershipControls",
        "PutBucketOwnershipControls",
        "OwnershipControls",
        {"Rules": [{"ObjectOwnership": "(not set: ACLs enabled)"}]},
    ),
    Setting("GetBucketPolicy", "Policy", "PutBucketPolicy", "Policy", '{"Statement": []}'),
    Setting(
        "GetBucketVersioning",
        "Status",
        "PutBucketVersioning",
        "VersioningConfiguration",
        "(never enabled)",
    ),
)
#: What a job's input bucket must have (``s3.posture``): default encryption, Block Public
#: Access, a TLS-only policy.
POSTURE = ("PutBucketEncryption", "PutPublicAccessBlock", "PutBucketPolicy")


def read_settings(s3: Any, bucket: str, puts: Iterable[str] | None = None) -> dict[str, object]:
    """``Put*`` operation -> the value of the setting it sets (its stand-in when S3 answers "not
    configured"), for every setting or those of ``puts``. Any other AWS error propagates."""
    from botocore import xform_name
    from botocore.exceptions import ClientError

    wanted = set(puts) if puts is not None else None
    found: dict[str, object] = {}
    for setting in SETTINGS:
        if wanted is not None and setting.put not in wanted:
            continue
        try:
            answer = getattr(s3, xform_name(setting.get))(Bucket=bucket)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) not in NOT_CONFIGURED:
                raise
            found[setting.put] = setting.absent
        else:
            found[setting.put] = answer.get(setting.member, setting.absent)
    return found


def violations(bucket: str, settings: dict[str, object], policy: Policy) -> list[SecurityViolation]:
    """The S3 controls the settings fall short of, as refusals of the ``Put*`` requests."""
    members = {setting.put: setting.put_member for setting in SETTINGS}
    found: list[SecurityViolation] = []
    for put, value in settings.items():
        request = {"Status": value} if put == "PutBucketVersioning" else value
        found += evaluate(put, {"Bucket": bucket, members[put]: request}, policy)
    return found
