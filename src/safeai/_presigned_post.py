"""Presigned POST forms: a browser upload is an object write, secured like ``PutObject``.

``generate_presigned_post`` signs a policy document (its ``conditions``) and returns the form
fields the uploader sends. S3 enforces the conditions only: a field no condition covers is
refused as an extra input, so the uploader drops it. No request parameters pass through
``before-parameter-build`` for a form, so the guard reads the fields and conditions where
botocore keeps them while signing, maps them to the ``PutObject`` members they stand for (a
value pinned by an exact condition first, else the field's), runs the engine on those, and
writes the result back as both a field and an exact condition, which S3 then enforces.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from . import _paths
from ._engine import secure_in_place
from ._exceptions import SecurityViolation

if TYPE_CHECKING:
    from ._decide import DecisionRouter

__all__ = ["open_conditions", "secure_post_form"]

#: Form field -> the ``PutObject`` member it stands for, and the control that governs it.
_MEMBERS = {
    "acl": ("ACL", "s3.acl"),
    "x-amz-server-side-encryption": ("ServerSideEncryption", "s3.sse_kms"),
    "x-amz-server-side-encryption-aws-kms-key-id": ("SSEKMSKeyId", "s3.sse_kms"),
    "x-amz-server-side-encryption-bucket-key-enabled": ("BucketKeyEnabled", "s3.sse_kms"),
    "x-amz-server-side-encryption-customer-algorithm": ("SSECustomerAlgorithm", "s3.sse_kms"),
    "x-amz-server-side-encryption-customer-key": ("SSECustomerKey", "s3.sse_kms"),
}
_PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
_SSE_C_FIELDS = frozenset(field for field in _MEMBERS if "customer" in field)


def open_conditions(conditions: list[Any]) -> list[SecurityViolation]:
    """Conditions that let the uploader choose a value: ``["starts-with", "$acl", prefix]``
    with a prefix of a public ACL, or any ``starts-with`` on an SSE-C field."""
    found: list[SecurityViolation] = []
    for index, condition in enumerate(conditions):
        operator, field, prefix = _starts_with(condition)
        if operator is None:
            continue
        if field == "acl" and any(acl.startswith(prefix) for acl in _PUBLIC_ACLS):
            control, expected = "s3.acl", "no condition that lets the uploader choose a public ACL"
        elif field in _SSE_C_FIELDS:
            control, expected = "s3.sse_kms", "no condition that lets the uploader use SSE-C"
        else:
            continue
        found.append(
            SecurityViolation(
                control=control,
                operation="PutObject",
                path=f"presigned POST conditions[{index}]",
                found=condition,
                expected=expected,
                remedy="pin the field with an exact condition, or leave it out: safeai pins "
                "SSE-KMS under the policy's key itself.",
            )
        )
    return found


def secure_post_form(
    fields: MutableMapping[str, Any], conditions: list[Any], router: DecisionRouter
) -> list[SecurityViolation]:
    """Secure a POST form in place (its ``fields`` and its policy's ``conditions``); raises
    :class:`safeai.SecurityViolation` for a weaker one or for a condition that lets the uploader
    choose a weaker value, and returns what warn mode let through. In report mode the form is
    left as written."""
    let_through = router.route(open_conditions(conditions))
    request: dict[str, Any] = {"Bucket": "", "Key": str(fields.get("key", ""))}
    pinned: set[str] = set()
    for field, (member, _) in _MEMBERS.items():
        value = _condition_value(field, conditions)
        if value is not _paths.MISSING:
            pinned.add(field)
        else:
            value = _field_value(field, fields)
        if value is not _paths.MISSING:
            request[member] = _as_member(member, value)
    let_through += secure_in_place(
        "PutObject", request, router.policy, decisions=router.decisions, waivers=router.waivers
    )
    for field, (member, control) in _MEMBERS.items():
        if member not in request or field in pinned or router.mode(control) == "report":
            continue
        value = _as_field(request[member])
        for name in [name for name in fields if str(name).lower() == field]:
            del fields[name]
        fields[field] = value
        conditions.append({field: value})
    return let_through


def _condition_value(field: str, conditions: list[Any]) -> object:
    """The value an exact condition pins ``field`` to. S3 reads form field names in any
    case, so they are compared lower-cased; botocore signs a tuple as a list."""
    for condition in conditions:
        if isinstance(condition, Mapping):
            for name, value in condition.items():
                if str(name).lower() == field:
                    return value
        elif (
            isinstance(condition, list | tuple)
            and len(condition) == 3
            and str(condition[0]).lower() == "eq"
            and str(condition[1]).lower() == f"${field}"
        ):
            return condition[2]
    return _paths.MISSING


def _field_value(field: str, fields: Mapping[str, Any]) -> object:
    for name, value in fields.items():
        if str(name).lower() == field:
            return value
    return _paths.MISSING


def _starts_with(condition: object) -> tuple[str | None, str, str]:
    if (
        isinstance(condition, list | tuple)
        and len(condition) == 3
        and str(condition[0]).lower() == "starts-with"
        and str(condition[1]).startswith("$")
    ):
        return "starts-with", str(condition[1])[1:].lower(), str(condition[2])
    return None, "", ""


def _as_member(member: str, value: object) -> object:
    if member == "BucketKeyEnabled" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _as_field(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
