"""Bring an S3 bucket to safeai's secure baseline, and say what changed.

The baseline: default encryption SSE-KMS under the policy's key with an S3 Bucket Key; all four
Block Public Access settings; ACLs disabled (object ownership ``BucketOwnerEnforced``);
versioning; and a bucket policy that denies plain-HTTP access and object writes encrypted any
other way. An existing bucket policy is merged with, never replaced: only the statements safeai
owns (their ``Sid`` starts with ``SafeAI``) are added or brought up to date.

>>> from safeai.s3 import secure_bucket
>>> report = secure_bucket("ml-data", policy=policy)
>>> print(report)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._buckets import NOT_CONFIGURED
from ._exceptions import PolicyError, PreflightError, SecurityViolation
from ._policy import Policy
from ._waivers import waive
from .controls.s3 import PUBLIC_ACCESS_SETTINGS

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_s3 import S3Client

__all__ = ["BucketChange", "BucketReport", "baseline_policy_statements", "secure_bucket"]

_TLS_SID = "SafeAIDenyInsecureTransport"
_SSE_SID = "SafeAIDenyOtherEncryption"
_KEY_SID = "SafeAIDenyOtherKmsKeys"
_NO_KEY_SID = "SafeAIDenyAwsManagedKey"
_SSE_HEADER = "s3:x-amz-server-side-encryption"
_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"
#: "Not configured", and "no such bucket" (HeadBucket answers a bare 404).
_MISSING_ANSWERS = NOT_CONFIGURED | {"NoSuchBucket", "404"}


@dataclass(frozen=True, slots=True)
class BucketChange:
    """One setting :func:`secure_bucket` changed (or would change, in a dry run)."""

    setting: str
    before: object
    after: object


@dataclass(frozen=True)
class BucketReport:
    """What :func:`secure_bucket` found and did. ``changes`` is empty when the bucket already
    met the baseline."""

    bucket: str
    created: bool
    dry_run: bool
    changes: tuple[BucketChange, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Whether anything was (or, in a dry run, would be) changed."""
        return self.created or bool(self.changes)

    def __str__(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        if not self.changed:
            return f"s3://{self.bucket}: already at the secure baseline; nothing {verb}"
        lines = [f"s3://{self.bucket}: {verb}" + (" (created)" if self.created else "")]
        lines += [
            f"  {change.setting}: {_short(change.before)} -> {_short(change.after)}"
            for change in self.changes
        ]
        return "\n".join(lines)


def _short(value: object) -> str:
    if isinstance(value, str):
        return value
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def secure_bucket(
    name: str,
    *,
    session: boto3.Session | None = None,
    policy: Policy | None = None,
    client: S3Client | None = None,
    dry_run: bool = False,
) -> BucketReport:
    """Create bucket ``name`` or bring it to the secure baseline; idempotent.

    ``policy`` defaults to :meth:`Policy.load`; it must name a KMS key. The S3 client is
    ``client``, else one from ``session`` (else a new boto3 session) in the policy's region.
    With ``dry_run`` nothing is created or changed and the report says what would be.

    Raises :class:`safeai.SecurityViolation` when the bucket's existing policy grants public
    access (safeai never deletes another's statement: remove it, then run again), and
    :class:`safeai.PreflightError` when AWS refuses a read or a change.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    policy = policy if policy is not None else Policy.load()
    if policy.kms_key_id is None:
        raise PolicyError(
            "secure_bucket needs the key the bucket encrypts with", field="kms_key_id"
        )
    if client is None:
        import boto3

        client = (session or boto3.Session()).client("s3", region_name=policy.region)
    steps = _Steps(client, name, policy, dry_run)
    try:
        created = steps.ensure_bucket()
        steps.encryption()
        steps.public_access_block()
        steps.ownership()
        steps.versioning()
        steps.bucket_policy()
    except ClientError as error:
        raise _refused(name, steps, error) from error
    except BotoCoreError as error:
        raise _refused(name, steps, error) from error
    return BucketReport(name, created, dry_run, tuple(steps.changes))


def _refused(name: str, steps: _Steps, error: Exception) -> PreflightError:
    done = ", ".join(change.setting for change in steps.changes) or "nothing"
    return PreflightError(
        f"s3://{name} could not be brought to the secure baseline at step "
        f"{steps.current!r}: {error}. Already changed: {done}. Fix the permission or the "
        f"bucket and run `safeai bucket secure {name}` again (it is idempotent).",
        control="s3.baseline",
    )


def baseline_policy_statements(bucket: str, key_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    """The statements safeai owns in a bucket policy: deny plain HTTP, and deny object writes
    whose headers ask for anything but SSE-KMS under one of ``key_ids``.

    A write without encryption headers is not denied: it gets the bucket's default (the
    policy's key), and the parts of a multipart upload carry no such headers. IAM makes a
    negated operator true for an absent key, hence the ``Null`` ``false`` beside each
    ``StringNotEquals``; ``aws:kms`` without a key id would get the AWS managed key, hence the
    last statement.
    """
    bucket_arn = f"arn:aws:s3:::{bucket}"
    objects = f"{bucket_arn}/*"

    def deny_put(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": condition,
        }

    return [
        {
            "Sid": _TLS_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        deny_put(
            _SSE_SID,
            {
                "StringNotEquals": {_SSE_HEADER: ["aws:kms", "aws:kms:dsse"]},
                "Null": {_SSE_HEADER: "false"},
            },
        ),
        deny_put(
            _KEY_SID,
            {
                "StringNotEquals": {_KEY_HEADER: list(key_ids)},
                "Null": {_KEY_HEADER: "false"},
            },
        ),
        deny_put(
            _NO_KEY_SID,
            {"StringEquals": {_SSE_HEADER: "aws:kms"}, "Null": {_KEY_HEADER: "true"}},
        ),
    ]


class _Steps:
    """The baseline, one setting at a time: read it, compare, change it when it falls short."""

    def __init__(self, client: S3Client, bucket: str, policy: Policy, dry_run: bool) -> None:
        self.client = client
        self.bucket = bucket
        self.policy = policy
        self.dry_run = dry_run
        self.changes: list[BucketChange] = []
        self.current = "start"
        self.exists = True
        #: A bucket of that name in another account must not be "secured" and reported fine.
        self.owner: dict[str, Any] = (
            {"ExpectedBucketOwner": policy.account_id} if policy.account_id else {}
        )

    def _read(self, call: Any, **kwargs: Any) -> Any:
        """An answer, or None where S3 answers "not configured"."""
        from botocore.exceptions import ClientError

        if not self.exists:
            return None
        try:
            return call(Bucket=self.bucket, **self.owner, **kwargs)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in _MISSING_ANSWERS:
                return None
            raise

    def _change(self, setting: str, before: object, after: object, apply: Any) -> None:
        self.changes.append(BucketChange(setting, before, after))
        if not self.dry_run:
            apply()

    def ensure_bucket(self) -> bool:
        self.current = "create bucket"
        if self._read(self.client.head_bucket) is not None:
            return False
        self.exists = False
        if self.dry_run:
            return True
        create: dict[str, Any] = {"Bucket": self.bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        region = self.client.meta.region_name
        if region and region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        # The guard would secure the new bucket after the call: this function does it here.
        with waive("s3.baseline", reason="safeai.s3.secure_bucket secures the bucket it creates"):
            self.client.create_bucket(**create)
        self.exists = True
        return True

    def encryption(self) -> None:
        self.current = "default encryption"
        answer = self._read(self.client.get_bucket_encryption)
        rules = (answer or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        key = self.policy.kms_key_id
        if rules and all(_rule_ok(rule, self.policy) for rule in rules):
            return
        wanted: Any = {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        }
        self._change(
            "default encryption",
            _encryption_summary(rules),
            f"aws:kms {key}",
            lambda: self.client.put_bucket_encryption(
                Bucket=self.bucket, **self.owner, ServerSideEncryptionConfiguration=wanted
            ),
        )

    def public_access_block(self) -> None:
        self.current = "public access block"
        answer = self._read(self.client.get_public_access_block)
        found = (answer or {}).get("PublicAccessBlockConfiguration", {})
        if all(found.get(setting) is True for setting in PUBLIC_ACCESS_SETTINGS):
            return
        wanted: Any = dict.fromkeys(PUBLIC_ACCESS_SETTINGS, True)
        self._change(
            "public access block",
            {setting: bool(found.get(setting)) for setting in PUBLIC_ACCESS_SETTINGS},
            "all four on",
            lambda: self.client.put_public_access_block(
                Bucket=self.bucket,
                **self.owner,
                PublicAccessBlockConfiguration=wanted,
            ),
        )

    def ownership(self) -> None:
        self.current = "object ownership"
        answer = self._read(self.client.get_bucket_ownership_controls)
        rules = (answer or {}).get("OwnershipControls", {}).get("Rules", [])
        found = [rule.get("ObjectOwnership") for rule in rules]
        if found and all(value == "BucketOwnerEnforced" for value in found):
            return
        self._change(
            "object ownership",
            ", ".join(str(value) for value in found) or "not set (ACLs enabled)",
            "BucketOwnerEnforced (ACLs disabled)",
            lambda: self.client.put_bucket_ownership_controls(
                Bucket=self.bucket,
                **self.owner,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            ),
        )

    def versioning(self) -> None:
        self.current = "versioning"
        answer = self._read(self.client.get_bucket_versioning)
        status = (answer or {}).get("Status")
        if status == "Enabled":
            return
        self._change(
            "versioning",
            status or "never enabled",
            "Enabled",
            lambda: self.client.put_bucket_versioning(
                Bucket=self.bucket, **self.owner, VersioningConfiguration={"Status": "Enabled"}
            ),
        )

    def bucket_policy(self) -> None:
        from ._engine import evaluate
        from .kinds.policy_documents import is_tls_deny

        self.current = "bucket policy"
        answer = self._read(self.client.get_bucket_policy)
        existing: dict[str, Any] = (
            json.loads(answer["Policy"]) if answer else {"Version": "2012-10-17", "Statement": []}
        )
        statements = existing.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        ours = baseline_policy_statements(self.bucket, self._key_ids())
        if any(is_tls_deny(s, self.bucket) and s.get("Sid") != _TLS_SID for s in statements):
            ours = ours[1:]  # the bucket's own TLS deny stays; a second one adds nothing
        merged = [s for s in statements if s.get("Sid") not in {o["Sid"] for o in ours}]
        kept = [s for s in statements if s in ours]
        if len(kept) == len(ours):
            self._refuse_public(existing, evaluate)
            return
        document = {**existing, "Version": "2012-10-17", "Statement": [*merged, *ours]}
        self._refuse_public(document, evaluate)
        added = sorted({o["Sid"] for o in ours} - {s.get("Sid") for s in kept})
        self._change(
            "bucket policy",
            f"{len(statements)} statement(s)" if answer else "none",
            f"{len(merged)} kept, added {', '.join(added)}",
            lambda: self.client.put_bucket_policy(
                Bucket=self.bucket, Policy=json.dumps(document), **self.owner
            ),
        )

    def _refuse_public(self, document: dict[str, Any], evaluate: Any) -> None:
        found: list[SecurityViolation] = evaluate(
            "PutBucketPolicy", {"Bucket": self.bucket, "Policy": json.dumps(document)}, self.policy
        )
        if found:
            raise SecurityViolation.combined(found)

    def _key_ids(self) -> tuple[str, ...]:
        """The allowed keys as the policy spells them: what a guarded client sends."""
        return tuple(self.policy.kms_key_ids)


def _rule_ok(rule: Any, policy: Policy) -> bool:
    from ._engine import evaluate

    request = {"ServerSideEncryptionConfiguration": {"Rules": [rule]}}
    return not evaluate("PutBucketEncryption", request, policy)


def _encryption_summary(rules: list[Any]) -> str:
    if not rules:
        return "none"
    defaults = [rule.get("ApplyServerSideEncryptionByDefault", {}) for rule in rules]
    return ", ".join(
        f"{d.get('SSEAlgorithm', '?')} {d.get('KMSMasterKeyID', '')}".strip() for d in defaults
    )
