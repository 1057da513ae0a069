"""``sse``: an S3 object write is encrypted with SSE-KMS under the policy's key, with an S3
Bucket Key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _paths
from .._run import Problem
from ._kind import Kind
from .keys import describe_keys, key_allowed

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from .._policy import Policy
    from .._run import Compiled, Run
    from ..controls import Control, Requirement

__all__ = ["KMS_ALGORITHMS", "SSE", "SSE_EXPECTED"]

#: The ``ServerSideEncryption`` values that encrypt under a KMS key.
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
SSE_EXPECTED = "'aws:kms' (SSE-KMS; 'aws:kms:dsse' is accepted too)"
_SSE_C = (
    "no SSE-C: a key the caller holds is one AWS cannot audit, rotate or revoke; use SSE-KMS "
    "under the policy's key"
)


def _apply(item: Compiled, container: MutableMapping[str, Any], where: str, run: Run) -> None:
    control, policy = item.control, run.policy
    for member in ("SSECustomerAlgorithm", "SSECustomerKey"):
        if member in container:
            found = container[member] if member == "SSECustomerAlgorithm" else "<SSE-C key>"
            run.problem(Problem(control, _paths.join(where, member), found, _SSE_C))
            return
    algorithm = container.get("ServerSideEncryption", _paths.MISSING)
    if algorithm is not _paths.MISSING and algorithm not in KMS_ALGORITHMS:
        path = _paths.join(where, "ServerSideEncryption")
        run.problem(Problem(control, path, algorithm, SSE_EXPECTED))
        return
    key = container.get("SSEKMSKeyId", _paths.MISSING)
    if key is not _paths.MISSING and not key_allowed(key, policy):
        key_path = _paths.join(where, "SSEKMSKeyId")
        run.problem(Problem(control, key_path, key, describe_keys(policy)))
        return
    fill: dict[str, Any] = {}
    if algorithm is _paths.MISSING:
        fill["ServerSideEncryption"] = "aws:kms"
    if key is _paths.MISSING:
        if policy.kms_key_id is None:
            key_path = _paths.join(where, "SSEKMSKeyId")
            run.problem(Problem(control, key_path, key, describe_keys(policy)))
            return
        # aws:kms without a key id would use the AWS managed aws/s3 key, which no key policy of
        # the organisation governs.
        fill["SSEKMSKeyId"] = policy.kms_key_id
    if "BucketKeyEnabled" not in container and algorithm != "aws:kms:dsse":
        # DSSE-KMS takes no Bucket Key; with SSE-KMS it cuts the KMS requests by orders of
        # magnitude. An explicit False is the caller's cost decision and is left alone.
        fill["BucketKeyEnabled"] = True
    path = _paths.join(where, "ServerSideEncryption")
    if fill:
        run.fill(control, container, path, fill)
    else:
        run.decide(control, path, "compliant", value=algorithm)


def _describe(control: Control, policy: Policy) -> str:
    return f"ServerSideEncryption {SSE_EXPECTED} with SSEKMSKeyId {describe_keys(policy)}"


def _document(requirement: Requirement) -> str:
    return (
        "`ServerSideEncryption` `aws:kms` (or `aws:kms:dsse`) with `SSEKMSKeyId` "
        "`Policy.kms_key_id` or an allowed key, filled in with `BucketKeyEnabled` when "
        "absent; `AES256`, another key and SSE-C (`SSECustomerAlgorithm`) are refused"
    )


SSE = Kind(describe=_describe, document=_document, handle=_apply)
