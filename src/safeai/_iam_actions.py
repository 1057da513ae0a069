"""Check that the IAM actions a generated policy names exist, and that it fits IAM's limits.

A misspelt action in an IAM policy is not an error: IAM stores it and it silently grants (or
denies) nothing. The generators therefore check every action they emit against botocore's
service models, which ship with boto3: the IAM action name of an API operation is, for the
services we use, the operation name of that service's model (``s3:GetObject`` is the ``GetObject``
operation of botocore's ``s3`` model). The few IAM actions that are not API operations are listed
in :data:`_PERMISSION_ONLY`, each with the reason.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from ._exceptions import PolicyError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "ACCOUNT_ID",
    "INLINE_ROLE_POLICY_LIMIT",
    "MANAGED_POLICY_LIMIT",
    "ROLE_NAME",
    "TRUST_POLICY_LIMIT",
    "actions_in",
    "compact",
    "document",
    "pack_statements",
    "partition",
    "policy_size",
    "role_permissions",
    "validate_actions",
    "validate_size",
]

# IAM and AWS STS quotas (docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
# "Role policy size cannot exceed 10,240 characters" (the sum of a role's inline policies),
# "Each managed policy cannot exceed 6,144 characters", a role trust policy 2,048 characters by
# default (raisable through Service Quotas); "IAM does not count white space when calculating
# the size of a policy against these limits".
INLINE_ROLE_POLICY_LIMIT = 10_240
MANAGED_POLICY_LIMIT = 6_144
TRUST_POLICY_LIMIT = 2_048

#: An AWS account id, and an IAM role (or policy) name: 1 to 64 of ``[\w+=,.@-]``.
ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)

#: IAM actions that are not botocore operations of the same name, with what stands for them.
#: Keep this table small: it is the only place where an action is taken on trust.
_PERMISSION_ONLY: dict[str, str] = {
    # ListObjects / ListObjectsV2 are authorized as s3:ListBucket (Service Authorization
    # Reference, Amazon S3: "ListBucket ... Grants permission to list some or all of the
    # objects in an Amazon S3 bucket (up to 1000)").
    "s3:ListBucket": "s3 ListObjectsV2",
    # PassRole is checked when a service is handed a role (RoleArn in CreateTrainingJob, ...); it
    # has no API of its own.
    "iam:PassRole": "no API: checked when a role ARN is passed to a service",
    # SetSourceIdentity is checked when AssumeRole carries a SourceIdentity (STS API reference,
    # "AssumeRole": "the role's trust policy must also allow sts:SetSourceIdentity").
    "sts:SetSourceIdentity": "no API: checked when AssumeRole sets a source identity",
    # The S3 bucket settings the guard reads, authorized under these names (Service Authorization
    # Reference, Amazon S3: GetBucketEncryption needs s3:GetEncryptionConfiguration,
    # GetPublicAccessBlock s3:GetBucketPublicAccessBlock).
    "s3:GetEncryptionConfiguration": "s3 GetBucketEncryption",
    "s3:GetBucketPublicAccessBlock": "s3 GetPublicAccessBlock",
    # The account's Block Public Access (s3control's GetPublicAccessBlock), authorized under
    # this name (Service Authorization Reference, Amazon S3: "GetAccountPublicAccessBlock").
    "s3:GetAccountPublicAccessBlock": "s3control GetPublicAccessBlock",
}
#: The botocore models of the APIs an IAM prefix authorizes, where there are several: the S3
#: Control API (account settings, access points) signs and is authorized as ``s3``.
_PREFIX_MODELS: dict[str, tuple[str, ...]] = {"s3": ("s3", "s3control")}


@cache
def _operations(prefix: str) -> frozenset[str]:
    # Every prefix the generators emit (s3, kms, ecr, logs, cloudwatch, ec2, iam, sts, sagemaker)
    # is also the name of its botocore model; s3's also covers the S3 Control API's.
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    session = botocore.session.get_session()
    names: set[str] = set()
    for service in _PREFIX_MODELS.get(prefix, (prefix,)):
        try:
            names.update(session.get_service_model(service).operation_names)
        except UnknownServiceError:
            continue
    return frozenset(names)


def validate_actions(actions: Iterable[str]) -> None:
    """Raise :class:`PolicyError` naming every action IAM would not recognise."""
    unknown = []
    for action in actions:
        prefix, _, name = action.partition(":")
        if action in _PERMISSION_ONLY:
            continue
        if not name or name not in _operations(prefix):
            unknown.append(action)
    if unknown:
        raise PolicyError(
            f"unknown IAM action(s) {', '.join(sorted(unknown))}: not an operation of botocore's "
            "service model (a typo, or a botocore too old for this action)"
        )


def partition(region: str) -> str:
    """The ARN partition of ``region`` (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def compact(document: Mapping[str, Any]) -> str:
    """The document as IAM and Organizations measure it: JSON with no whitespace between tokens."""
    return json.dumps(document, separators=(",", ":"))


def policy_size(document: Mapping[str, Any]) -> int:
    """Characters IAM counts for ``document`` (whitespace between tokens excluded)."""
    return len(compact(document).encode("utf-8"))


def validate_size(document: Mapping[str, Any], *, limit: int, what: str, fix: str) -> None:
    """Raise :class:`PolicyError` when ``document`` is over ``limit`` characters."""
    size = policy_size(document)
    if size > limit:
        raise PolicyError(
            f"the {what} has {size:,} characters (whitespace excluded), over the limit of "
            f"{limit:,}: {fix}"
        )


def pack_statements(
    statements: list[dict[str, Any]], *, limit: int, what: str, fix: str
) -> list[dict[str, Any]]:
    """The statements packed, in order, into as few documents of at most ``limit`` characters
    as they fit; a statement too big alone is split by its actions (its condition cannot be
    split: two Deny statements each allowing half the values would together allow none)."""
    documents: list[list[dict[str, Any]]] = []
    for statement in statements:
        for piece in _fitting(statement, limit, what, fix):
            if documents and policy_size(document([*documents[-1], piece])) <= limit:
                documents[-1].append(piece)
            else:
                documents.append([piece])
    return [document(group) for group in documents]


def _fitting(statement: dict[str, Any], limit: int, what: str, fix: str) -> list[dict[str, Any]]:
    if policy_size(document([statement])) <= limit:
        return [statement]
    actions = statement["Action"]
    actions = [actions] if isinstance(actions, str) else actions
    for parts in range(2, len(actions) + 1):
        size = -(-len(actions) // parts)
        pieces = [
            {**statement, "Sid": f"{statement['Sid']}{number}", "Action": actions[start:][:size]}
            for number, start in enumerate(range(0, len(actions), size), start=1)
        ]
        if all(policy_size(document([piece])) <= limit for piece in pieces):
            return pieces
    raise PolicyError(
        f"the {what} statement {statement['Sid']} has {policy_size(document([statement])):,} "
        f"characters even for one action, over the {what} limit of {limit:,}: {fix}"
    )


def document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    """A policy document of ``statements`` (the current policy language version)."""
    return {"Version": "2012-10-17", "Statement": statements}


def actions_in(policy: Mapping[str, Any]) -> list[str]:
    """Every action a policy document's statements name, in order."""
    found: list[str] = []
    for statement in policy["Statement"]:
        action = statement["Action"]
        found.extend([action] if isinstance(action, str) else action)
    return found


def role_permissions(statements: list[dict[str, Any]], *, fix: str) -> tuple[dict[str, Any], ...]:
    """A role's permissions: one inline policy when they fit one, else managed policies within
    the managed limit, the statements grouped by service (a role may have ten attached by
    default, so the groups share documents where they fit)."""
    whole = document(statements)
    if policy_size(whole) <= INLINE_ROLE_POLICY_LIMIT:
        return (whole,)
    ordered = sorted(statements, key=lambda statement: _service(statement["Action"]))
    return tuple(
        pack_statements(ordered, limit=MANAGED_POLICY_LIMIT, what="managed policy", fix=fix)
    )


def _service(action: str | list[str]) -> str:
    return (action if isinstance(action, str) else action[0]).split(":", 1)[0]
