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
from functools import cache
from typing import TYPE_CHECKING, Any

from ._exceptions import PolicyError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["compact", "partition", "policy_size", "validate_actions", "validate_size"]

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
}


@cache
def _operations(prefix: str) -> frozenset[str]:
    # Every prefix the generators emit (s3, kms, ecr, logs, cloudwatch, ec2, iam, sts, sagemaker)
    # is also the name of its botocore model.
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(prefix)
    except UnknownServiceError:
        return frozenset()
    return frozenset(model.operation_names)


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
