"""Bucket settings: ``bucket_encryption`` (the default encryption), ``acl`` (no grant to
everyone) and ``baseline`` (a new bucket is brought to the secure baseline by the guard)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from .. import _paths
from .._run import Problem
from ._kind import Kind
from .keys import describe_keys, key_allowed
from .s3_objects import KMS_ALGORITHMS, SSE_EXPECTED

if TYPE_CHECKING:
    from .._policy import Policy
    from .._run import Compiled, Run
    from ..controls import Control, Requirement

__all__ = ["ACL", "BASELINE", "BUCKET_ENCRYPTION"]

# -- bucket_encryption -----------------------------------------------------------------------

_DEFAULT = "ApplyServerSideEncryptionByDefault"


def _apply_encryption(
    item: Compiled, container: MutableMapping[str, Any], where: str, run: Run
) -> None:
    """``PutBucketEncryption``: every rule's default is SSE-KMS under the policy's key."""
    control, policy = item.control, run.policy
    path = item.path_in(where)
    config = container.get(item.relative_path)
    rules = config.get("Rules") if isinstance(config, Mapping) else None
    if not isinstance(rules, list) or not rules:
        run.problem(Problem(control, f"{path}.Rules", rules, "at least one encryption rule"))
        return
    for index, rule in enumerate(rules):
        rule_path = f"{path}.Rules[{index}]"
        if not isinstance(rule, MutableMapping):
            run.problem(Problem(control, rule_path, rule, "an encryption rule"))
            continue
        default_path = f"{rule_path}.{_DEFAULT}"
        default = rule.get(_DEFAULT)
        if default is None and run.inject:
            # In report mode a scratch structure: what would be filled in is recorded only.
            default = {} if run.reporting(control) else rule.setdefault(_DEFAULT, {})
        if not isinstance(default, MutableMapping):
            run.problem(Problem(control, default_path, default, "an encryption default"))
            continue
        algorithm = default.get("SSEAlgorithm", _paths.MISSING)
        key = default.get("KMSMasterKeyID", _paths.MISSING)
        if algorithm is not _paths.MISSING and algorithm not in KMS_ALGORITHMS:
            run.problem(Problem(control, f"{default_path}.SSEAlgorithm", algorithm, SSE_EXPECTED))
            continue
        if (key is not _paths.MISSING and not key_allowed(key, policy)) or (
            key is _paths.MISSING and policy.kms_key_id is None
        ):
            run.problem(
                Problem(control, f"{default_path}.KMSMasterKeyID", key, describe_keys(policy))
            )
            continue
        fill: dict[str, Any] = {}
        if algorithm is _paths.MISSING:
            fill["SSEAlgorithm"] = "aws:kms"
        if key is _paths.MISSING:
            fill["KMSMasterKeyID"] = policy.kms_key_id
        if fill:
            run.fill(control, default, default_path, fill)
        if run.inject and "BucketKeyEnabled" not in rule and algorithm != "aws:kms:dsse":
            # A cost setting, not a security one: filled in, never a finding on its own.
            run.fill(control, rule, f"{rule_path}.BucketKeyEnabled", {"BucketKeyEnabled": True})
        if not fill:
            run.decide(control, default_path, "compliant", value=dict(default))


def _describe_encryption(control: Control, policy: Policy) -> str:
    return f"every rule's default SSEAlgorithm {SSE_EXPECTED} under {describe_keys(policy)}"


def _document_encryption(requirement: Requirement) -> str:
    return (
        "at least one rule, every rule's `ApplyServerSideEncryptionByDefault` `aws:kms` "
        "(or `aws:kms:dsse`) with `KMSMasterKeyID` `Policy.kms_key_id` or an allowed key "
        "(filled in when absent, with `BucketKeyEnabled`)"
    )


# -- acl -------------------------------------------------------------------------------------

_PUBLIC_GROUPS = (
    "acs.amazonaws.com/groups/global/allusers",
    "acs.amazonaws.com/groups/global/authenticatedusers",
)
_PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
_GRANT_HEADERS = ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")
_PRIVATE_ACL = "a canned ACL or grant that opens nothing to AllUsers or AuthenticatedUsers"


def _check_acl(item: Compiled, container: MutableMapping[str, Any], where: str, run: Run) -> None:
    """Canned ACLs, grant headers and ACL documents: none may name everyone."""
    control = item.control
    clean = True
    acl = container.get("ACL")
    if acl is not None and (not isinstance(acl, str) or acl in _PUBLIC_CANNED_ACLS):
        run.problem(Problem(control, _paths.join(where, "ACL"), acl, _PRIVATE_ACL))
        clean = False
    for header in _GRANT_HEADERS:
        grant = container.get(header)
        if isinstance(grant, str) and any(group in grant.lower() for group in _PUBLIC_GROUPS):
            run.problem(Problem(control, _paths.join(where, header), grant, _PRIVATE_ACL))
            clean = False
    document = container.get("AccessControlPolicy")
    grants = document.get("Grants") if isinstance(document, Mapping) else None
    for index, grant in enumerate(grants if isinstance(grants, list) else []):
        grantee = grant.get("Grantee") if isinstance(grant, Mapping) else None
        uri = grantee.get("URI") if isinstance(grantee, Mapping) else None
        if isinstance(uri, str) and any(group in uri.lower() for group in _PUBLIC_GROUPS):
            path = _paths.join(where, f"AccessControlPolicy.Grants[{index}].Grantee.URI")
            run.problem(Problem(control, path, uri, _PRIVATE_ACL))
            clean = False
    if clean and run.decisions is not None and ("ACL" in container or document is not None):
        run.decide(control, _paths.join(where, "ACL"), "compliant", value=acl)


def _describe_acl(control: Control, policy: Policy) -> str:
    return _PRIVATE_ACL


def _document_acl(requirement: Requirement) -> str:
    return (
        "no canned ACL `public-read`, `public-read-write` or `authenticated-read`, and no "
        "`Grant*` header or `AccessControlPolicy` grant to the `AllUsers` or "
        "`AuthenticatedUsers` groups"
    )


# -- baseline: applied by the guard once the bucket exists -----------------------------------


def _describe_baseline(control: Control, policy: Policy) -> str:
    return "the secure bucket baseline (safeai.s3.secure_bucket)"


def _document_baseline(requirement: Requirement) -> str:
    return (
        "once the bucket exists, the guard brings it to the secure baseline with "
        "`safeai.s3.secure_bucket` (see [S3](s3.md#the-secure-baseline)); in report mode it "
        "records what it would change"
    )


BUCKET_ENCRYPTION = Kind(
    describe=_describe_encryption, document=_document_encryption, handle=_apply_encryption
)
ACL = Kind(describe=_describe_acl, document=_document_acl, handle=_check_acl)
#: No handler: the engine leaves the request alone; the guard acts after the call.
BASELINE = Kind(describe=_describe_baseline, document=_document_baseline)
