"""A bucket's settings as the guard sees them: read with S3's ``Get*`` calls (by
:mod:`safeai._readers`) and checked as the ``Put*`` requests that would set them, with the
catalogue's S3 controls. The detective audit and the input-bucket preflight both judge buckets
here, so a finding on an existing bucket and a refusal of the request that would set it always
agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._engine import evaluate
from ._readers import NOT_CONFIGURED, read_bucket_settings

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ._exceptions import SecurityViolation
    from ._policy import Policy

# NOT_CONFIGURED (S3's "not configured" answers) is the readers'; it is re-exported for the
# modules that judge those answers with the settings' stand-ins (safeai.s3).
__all__ = ["NOT_CONFIGURED", "POSTURE", "SETTINGS", "read_settings", "violations"]


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
    wanted = set(puts) if puts is not None else None
    return read_bucket_settings(
        s3, bucket, (s for s in SETTINGS if wanted is None or s.put in wanted)
    )


def violations(
    bucket: str,
    settings: dict[str, object],
    policy: Policy,
    *,
    waivers: Mapping[str, str] | None = None,
) -> list[SecurityViolation]:
    """The S3 controls the settings fall short of, as refusals of the ``Put*`` requests
    (``waivers``: as for :func:`safeai.evaluate`; None: those active now)."""
    members = {setting.put: setting.put_member for setting in SETTINGS}
    found: list[SecurityViolation] = []
    for put, value in settings.items():
        request = {"Status": value} if put == "PutBucketVersioning" else value
        found += evaluate(put, {"Bucket": bucket, members[put]: request}, policy, waivers=waivers)
    return found
