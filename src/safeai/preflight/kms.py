"""The KMS key a request encrypts with (``kms.key``): it exists, is enabled, customer-managed,
symmetric ENCRYPT_DECRYPT and rotated, and its key policy opens it to no one unconditionally.

Aliases (names and ARNs) are resolved by ``kms:DescribeKey``; rotation and the key policy are
read by the key id it answers, because those calls do not accept aliases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..kinds.policy_documents import as_strings, grants_public, statements
from ._cache import CACHE, error_code, fail_closed, judged, scope, violation

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from ._cache import Results

__all__ = ["KEY", "check_key", "key_findings", "key_policy_findings"]

KEY = "kms.key"
_PERMISSIONS = "kms:DescribeKey, kms:GetKeyRotationStatus and kms:GetKeyPolicy"
_EXPECTED = (
    "an enabled customer-managed SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key with automatic "
    "rotation, whose key policy grants nothing to Principal '*' unless a condition confines it "
    "(kms:CallerAccount, aws:PrincipalOrgID, aws:SourceVpce, ...)"
)


# -- the rules: pure functions of KMS answers ------------------------------------------------


def key_findings(metadata: Mapping[str, Any], rotation: bool | None = None) -> list[str]:
    """What is wrong with a key, from its ``DescribeKey`` metadata and rotation status (None:
    not read)."""
    findings: list[str] = []
    state = metadata.get("KeyState", "Enabled" if metadata.get("Enabled") else "Disabled")
    if state != "Enabled" or metadata.get("Enabled") is False:
        findings.append(f"key state {state}")
    if metadata.get("KeyManager") != "CUSTOMER":
        findings.append(f"KeyManager {metadata.get('KeyManager')} (an AWS managed key)")
    spec = metadata.get("KeySpec", metadata.get("CustomerMasterKeySpec"))
    if spec != "SYMMETRIC_DEFAULT":
        findings.append(f"KeySpec {spec}")
    # AWS always reports KeyUsage; ENCRYPT_DECRYPT is its default, which moto leaves out.
    usage = metadata.get("KeyUsage", "ENCRYPT_DECRYPT")
    if usage != "ENCRYPT_DECRYPT":
        findings.append(f"KeyUsage {usage}")
    if rotation is False:
        findings.append("automatic rotation off")
    return findings


def key_policy_findings(document: Mapping[str, Any]) -> list[str]:
    """The Allow statements of a key policy that open the key to everyone (Principal ``*``, or
    ``NotPrincipal``) with no condition that confines them, judged as bucket and resource
    policies are (:func:`safeai.kinds.policy_documents.grants_public`). Any action counts, not
    only ``kms:*``: granting ``kms:Decrypt`` to everyone is as public as granting everything."""
    findings: list[str] = []
    for index, statement in enumerate(statements(document), 1):
        if not grants_public(statement):
            continue
        actions = (
            ["every action but", *as_strings(statement.get("NotAction"))]
            if "NotAction" in statement
            else as_strings(statement.get("Action"))
        )
        how = (
            "under a condition that confines nothing"
            if "Condition" in statement
            else ("unconditionally")
        )
        findings.append(f"key policy statement {index} grants {actions} to '*' {how}")
    return findings


# -- the I/O -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    metadata: dict[str, Any]
    rotation: bool | None
    policy: dict[str, Any] | None


def _read_key(kms: Any, key: str) -> _Key | None:
    """What KMS says about ``key``; None when there is no such key or alias. Rotation and the
    policy are read only for a key that passes the metadata rules (a refused key needs no more
    calls)."""
    from botocore.exceptions import ClientError

    try:
        metadata: dict[str, Any] = kms.describe_key(KeyId=key)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return None
        raise
    if key_findings(metadata):
        return _Key(metadata, None, None)
    key_id = metadata["KeyId"]
    rotation = bool(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"])
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    return _Key(metadata, rotation, policy)


def check_key(kms: Any, key: str, *, operation: str, slugs: Collection[str], ttl: float) -> Results:
    """Check one key (id, ARN, alias name or alias ARN) for ``kms.key`` when it is in ``slugs``.

    Raises :class:`safeai.PreflightError` when KMS cannot answer.
    """
    if KEY not in slugs:
        return []
    with fail_closed(KEY, key, "the KMS key", _PERMISSIONS):
        found = CACHE.get(("kms.key", scope(kms), key), ttl, lambda: _read_key(kms, key))
    path = "KmsKeyId -> key"
    if found is None:
        return [violation(KEY, operation, path, f"{key}: no such key or alias", _EXPECTED)]
    findings = key_findings(found.metadata, found.rotation)
    if found.policy is not None:
        findings += key_policy_findings(found.policy)
    resource = key if key == found.metadata.get("Arn") else f"{key} ({found.metadata.get('Arn')})"
    return judged(KEY, operation, path, resource, findings, _EXPECTED)
