"""Bucket-policy evaluation for the sandbox's S3, with the request's context.

moto evaluates a bucket policy without the request (its ``FakeBucket.get_permission`` gets an
action and a resource only) and treats every condition it cannot check as failed, so a
TLS-only Deny (``aws:SecureTransport`` false) denies every request. This module evaluates the
statements that name the public principal the way IAM does, with the condition keys the
sandbox can know: the transport, and the encryption headers of the request. moto's S3 request
handler records them per thread before its permission check runs. Statements, principals and
conditions are read by the one policy analyser, :mod:`safeai.kinds.policy_documents`; only
the evaluation is the sandbox's.
"""

from __future__ import annotations

import json
import threading
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from ..kinds.policy_documents import as_list, clauses, is_public, statements

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["apply", "decide"]

_current = threading.local()
#: moto names an object request's action after its HTTP method; IAM names these otherwise.
_ACTIONS = {"s3:postobject": "s3:putobject", "s3:headobject": "s3:getobject"}
_HEADER_KEYS = (
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-acl",
)
_applied = False


def apply() -> None:
    """Install the evaluation once per process (server mode and ``mock_aws`` alike)."""
    global _applied
    if _applied:
        return
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    setup_class = S3Response.setup_class

    def setup_class_recording_context(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        setup_class(self, request, *args, **kwargs)
        url = str(getattr(request, "url", "") or getattr(request, "raw_url", ""))
        headers = {str(k).lower(): str(v) for k, v in dict(request.headers).items()}
        context = {"aws:securetransport": "true" if url.startswith("https://") else "false"}
        for key in _HEADER_KEYS:
            header = key.removeprefix("s3:")
            if header in headers:
                context[key] = headers[header]
        _current.context = context

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        verdict = decide(
            json.loads(self.policy), action, resource, getattr(_current, "context", {})
        )
        return {
            "deny": PermissionResult.DENIED,
            "allow": PermissionResult.PERMITTED,
        }.get(verdict, PermissionResult.NEUTRAL)

    S3Response.setup_class = setup_class_recording_context  # type: ignore[method-assign]
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    _applied = True


def decide(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> str:
    """``"deny"``, ``"allow"`` or ``"neutral"``: what the policy's statements for the public
    principal say about ``action`` on ``resource`` in ``context`` (condition keys in lower
    case). An explicit deny wins."""
    action = _ACTIONS.get(action.lower(), action.lower())
    allowed = False
    for statement in statements(policy):
        if not _names_everyone(statement):
            continue  # the sandbox has no identities to match a named principal against
        if not _matches(statement, "Action", action) or not _matches(
            statement, "Resource", resource
        ):
            continue
        deny = statement.get("Effect") == "Deny"
        if not _conditions_hold(statement.get("Condition"), context, deny=deny):
            continue
        if deny:
            return "deny"
        allowed = True
    return "allow" if allowed else "neutral"


def _names_everyone(statement: Mapping[str, Any]) -> bool:
    # A principal "*" only: NotPrincipal also counts as public to the analyser, but it names
    # identities the sandbox cannot tell apart, so such a statement is not evaluated here.
    return "NotPrincipal" not in statement and is_public(statement)


def _matches(statement: Mapping[str, Any], element: str, value: str) -> bool:
    if element in statement:
        patterns = [str(p) for p in as_list(statement[element])]
        return any(fnmatchcase(value.lower(), p.lower()) for p in patterns)
    negated = statement.get(f"Not{element}")
    if negated is None:
        return False
    return not any(fnmatchcase(value.lower(), str(p).lower()) for p in as_list(negated))


def _conditions_hold(condition: object, context: dict[str, str], *, deny: bool) -> bool:
    for clause in clauses(condition):
        found = context.get(clause.name)
        wanted = list(clause.values)
        operator = clause.operator
        if operator == "Null":
            holds = (found is None) == (wanted[0].lower() == "true")
        elif found is None:
            # IAM: an absent key makes a negated operator true, ...IfExists true, and any
            # other operator false.
            holds = clause.if_exists or "Not" in operator
        elif operator == "Bool":
            holds = found.lower() in [w.lower() for w in wanted]
        elif operator in ("StringEquals", "ArnEquals"):
            holds = found in wanted
        elif operator in ("StringNotEquals", "ArnNotEquals"):
            holds = found not in wanted
        elif operator == "StringEqualsIgnoreCase":
            holds = found.lower() in [w.lower() for w in wanted]
        elif operator == "StringNotEqualsIgnoreCase":
            holds = found.lower() not in [w.lower() for w in wanted]
        elif operator in ("StringLike", "ArnLike"):
            holds = any(fnmatchcase(found, w) for w in wanted)
        elif operator in ("StringNotLike", "ArnNotLike"):
            holds = not any(fnmatchcase(found, w) for w in wanted)
        else:
            # An operator the sandbox does not evaluate: a deny applies, an allow does not
            # (never more permissive than AWS).
            holds = deny
        if not holds:
            return False
    return True
