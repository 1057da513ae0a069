"""Presigned POST forms: a browser upload is an object write, secured like ``PutObject``.

``generate_presigned_post`` signs a policy document (its ``conditions``) and returns the form
fields the uploader sends. No request parameters pass through ``before-parameter-build`` for it,
so the guard reads the fields and conditions where botocore keeps them while signing, maps them
to the ``PutObject`` members they stand for, runs the engine on those, and writes what the
engine fills in back as both a field and an exact-match condition: S3 then refuses an upload
that changes or drops it. A condition that lets the uploader choose a public ACL is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from . import _paths
from ._engine import secure_in_place
from ._exceptions import SecurityViolation

if TYPE_CHECKING:
    from ._engine import Decision
    from ._policy import Policy

__all__ = ["secure_post_form"]

#: Form field -> the ``PutObject`` member it stands for.
_MEMBERS = {
    "acl": "ACL",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
    "x-amz-server-side-encryption-bucket-key-enabled": "BucketKeyEnabled",
    "x-amz-server-side-encryption-customer-algorithm": "SSECustomerAlgorithm",
    "x-amz-server-side-encryption-customer-key": "SSECustomerKey",
}
_FIELDS = {member: field for field, member in _MEMBERS.items()}
_PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


def secure_post_form(
    fields: MutableMapping[str, Any],
    conditions: list[Any],
    policy: Policy,
    *,
    decisions: list[Decision] | None = None,
) -> list[SecurityViolation]:
    """Secure a POST form in place (its ``fields`` and its policy's ``conditions``); raises
    :class:`safeai.SecurityViolation` for a weaker one, and returns what warn mode let through."""
    request: dict[str, Any] = {"Bucket": "", "Key": str(fields.get("key", ""))}
    for field, member in _MEMBERS.items():
        value = _pinned(field, fields, conditions)
        if value is not _paths.MISSING:
            request[member] = _as_member(member, value)
    _refuse_open_acl(conditions)
    let_through = secure_in_place("PutObject", request, policy, decisions=decisions)
    for member, field in _FIELDS.items():
        if member in request and _pinned(field, fields, conditions) is _paths.MISSING:
            value = _as_field(request[member])
            fields[field] = value
            conditions.append({field: value})
    return let_through


def _pinned(field: str, fields: Mapping[str, Any], conditions: list[Any]) -> object:
    """The value the form holds for ``field``: the field itself, else an exact condition. S3
    reads form field names in any case, so they are compared lower-cased."""
    for name, value in fields.items():
        if str(name).lower() == field:
            return value
    for condition in conditions:
        if isinstance(condition, Mapping):
            for name, value in condition.items():
                if str(name).lower() == field:
                    return value
        elif (
            isinstance(condition, list)
            and len(condition) == 3
            and str(condition[0]).lower() == "eq"
            and str(condition[1]).lower() == f"${field}"
        ):
            return condition[2]
    return _paths.MISSING


def _refuse_open_acl(conditions: list[Any]) -> None:
    """``["starts-with", "$acl", prefix]`` lets the uploader pick any ACL with that prefix."""
    for index, condition in enumerate(conditions):
        if (
            isinstance(condition, list)
            and len(condition) == 3
            and str(condition[0]).lower() == "starts-with"
            and str(condition[1]).lower() == "$acl"
            and any(acl.startswith(str(condition[2])) for acl in _PUBLIC_ACLS)
        ):
            raise SecurityViolation(
                control="s3.acl",
                operation="PutObject",
                path=f"presigned POST conditions[{index}]",
                found=condition,
                expected="no condition that lets the uploader choose a public ACL",
                remedy="pin the ACL with an exact condition ({'acl': 'private'}) or leave it "
                "out; ACLs are disabled on buckets at the safeai baseline anyway.",
            )


def _as_member(member: str, value: object) -> object:
    if member == "BucketKeyEnabled" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _as_field(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
