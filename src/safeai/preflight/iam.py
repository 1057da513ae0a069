"""The execution role: who may assume it (``role.trust``) and what it may do
(``role.least_privilege``).

The rules are pure functions of policy documents, read by the one policy analyser
(:mod:`safeai.kinds.policy_documents`) as bucket, resource and key policies are, so they are
tested without AWS and judge conditions alike; the I/O reads the role, its inline policies and
the default version of each attached managed policy, and caches what it read.

The permissions boundary is not read: a boundary only limits what the identity policies grant,
it grants nothing itself, and whether it would cut a wildcard grant down depends on conditions
and evaluation order no client-side check can settle. So a wildcard grant is refused whatever
the boundary says, and a boundary such as AdministratorAccess (common, and harmless) is not a
finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .._decisions import Decision
from .._exceptions import PreflightError
from ..kinds.policy_documents import (
    arn_account,
    as_strings,
    clauses,
    confining,
    principals,
    statements,
)
from ._cache import CACHE, error_code, fail_closed, judged, scope, violation
from .data import ADMIN_GRADE_MANAGED_POLICIES, STAR_RESOURCE_ACTIONS

if TYPE_CHECKING:
    from collections.abc import Collection

    from ._cache import Results

__all__ = [
    "LEAST_PRIVILEGE",
    "TRUST",
    "admin_grade",
    "as_strings",
    "check_role",
    "permission_findings",
    "policy_document",
    "principals",
    "statements",
    "trust_findings",
]

TRUST = "role.trust"
LEAST_PRIVILEGE = "role.least_privilege"
SAGEMAKER = "sagemaker.amazonaws.com"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[^/]+/)*([^/]+)$")
_AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.+)$")
_DEPUTY_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn"})
_STAR_OK = frozenset(action.lower() for action in STAR_RESOURCE_ACTIONS)
_PERMISSIONS = {
    TRUST: "iam:GetRole",
    LEAST_PRIVILEGE: "iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, "
    "iam:ListAttachedRolePolicies, iam:GetPolicy and iam:GetPolicyVersion",
}

# -- the rules: pure functions of documents ------------------------------------------------


def policy_document(value: object) -> dict[str, Any]:
    """A policy document as a dict: boto3 decodes IAM documents itself, but the raw API answer
    (and some proxies) hand them over URL-encoded JSON text."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        text = value if value.lstrip().startswith("{") else unquote(value)
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            return parsed
    raise ValueError(f"not a policy document: {value!r:.80}")


def _deputy_problem(condition: object, account: str | None) -> str | None:
    """Why a statement's conditions do not pin SageMaker to the role's account, or None.

    An ``aws:SourceAccount`` or ``aws:SourceArn`` clause counts when it confines, as the one
    policy analyser judges it (:func:`safeai.kinds.policy_documents.confining`: not negated,
    not ``Null`` or ``...IfExists``, no wildcard but in an ARN's region or resource); when the
    role's account is known, every value must name it.
    """
    for clause in clauses(condition):
        if clause.name not in _DEPUTY_KEYS or not confining(clause):
            continue
        if account is None:
            return None
        if clause.name == "aws:sourceaccount" and all(v == account for v in clause.values):
            return None
        if clause.name == "aws:sourcearn" and all(
            arn_account(value) == account for value in clause.values
        ):
            return None
        return f"{clause.key} {list(clause.values)} does not name account {account}"
    return "no aws:SourceAccount or aws:SourceArn condition"


def trust_findings(document: Mapping[str, Any], account: str | None = None) -> list[str]:
    """What is wrong with a trust policy: every Allow must name only the SageMaker service
    principal and carry a confused-deputy condition for ``account`` (when known)."""
    findings: list[str] = []
    for index, statement in enumerate(statements(document), 1):
        if statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in statement:
            findings.append(f"statement {index}: Allow with NotPrincipal trusts every other one")
            continue
        others = [
            f"{kind} {value}"
            for kind, value in principals(statement.get("Principal"))
            if (kind, value) != ("Service", SAGEMAKER)
        ]
        if others:
            findings.append(f"statement {index}: trusts {', '.join(others)}")
            continue
        problem = _deputy_problem(statement.get("Condition"), account)
        if problem:
            findings.append(f"statement {index}: {problem}")
    return findings


def permission_findings(document: Mapping[str, Any]) -> list[str]:
    """The Allow statements of an identity policy that reach every resource with anything but
    the few actions that need it (:data:`STAR_RESOURCE_ACTIONS`).

    ``NotResource`` counts as every resource and ``NotAction`` as every action; wildcard
    actions (``*``, ``s3:*``, ``ec2:Describe*``) are never among the few. Conditions do not
    excuse a statement: they narrow it in ways a client cannot evaluate.
    """
    findings: list[str] = []
    for index, statement in enumerate(statements(document), 1):
        if statement.get("Effect") != "Allow":
            continue
        if "NotResource" not in statement and "*" not in as_strings(statement.get("Resource")):
            continue
        if "NotAction" in statement:
            excluded = as_strings(statement.get("NotAction"))
            findings.append(f"statement {index}: Allow every action but {excluded} on *")
            continue
        broad = [a for a in as_strings(statement.get("Action")) if a.lower() not in _STAR_OK]
        if broad:
            findings.append(f"statement {index}: Allow {broad} on *")
    return findings


def admin_grade(policy_arn: str) -> str | None:
    """The name of an admin-grade AWS managed policy (:data:`ADMIN_GRADE_MANAGED_POLICIES`),
    or None. A customer-managed policy of the same name is judged by its document instead."""
    match = _AWS_MANAGED.match(policy_arn)
    if match and match.group(1) in ADMIN_GRADE_MANAGED_POLICIES:
        return match.group(1)
    return None


# -- the I/O: read the role, cached --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Permissions:
    inline: tuple[tuple[str, dict[str, Any]], ...]
    attached: tuple[str, ...]


def _get_role(iam: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        role: dict[str, Any] = iam.get_role(RoleName=name)["Role"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise
    return role


def _read_permissions(iam: Any, name: str) -> _Permissions:
    inline: list[tuple[str, dict[str, Any]]] = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page["PolicyNames"]:
            answer = iam.get_role_policy(RoleName=name, PolicyName=policy_name)
            inline.append((policy_name, policy_document(answer["PolicyDocument"])))
    attached = [
        policy["PolicyArn"]
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
        for policy in page["AttachedPolicies"]
    ]
    return _Permissions(tuple(inline), tuple(attached))


def _read_managed(iam: Any, arn: str) -> tuple[str, dict[str, Any]]:
    """The default version of a managed policy (not v1, not the newest): what IAM enforces."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    answer = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    return str(version), policy_document(answer["Document"])


def check_role(
    iam: Any, role_arn: str, *, operation: str, slugs: Collection[str], ttl: float
) -> Results:
    """Check one execution role for the active ``slugs`` (``role.trust``,
    ``role.least_privilege``): a Decision per check passed, a SecurityViolation per finding.

    Raises :class:`safeai.PreflightError` when IAM cannot answer, or when the role is in an
    account these credentials do not read (the same name there is another role).
    """
    control = TRUST if TRUST in slugs else LEAST_PRIVILEGE
    match = _ROLE_ARN.match(role_arn)
    if match is None:  # the engine lets only role ARNs through; refuse rather than guess
        return [violation(control, operation, "RoleArn", role_arn, "an IAM role ARN")]
    account, name = match.groups()
    where = scope(iam)
    with fail_closed(control, role_arn, "the role", _PERMISSIONS[control]):
        role = CACHE.get(("iam.role", where, name), ttl, lambda: _get_role(iam, name))
    if role is None:
        return [violation(control, operation, "RoleArn", f"{role_arn}: no such role", "a role")]
    if role.get("Arn") != role_arn:
        read = str(role.get("Arn"))
        why = (
            f"name the role by its ARN, {read}"
            if f":{account}:" in read
            else "the role is in another account: use credentials of that account"
        )
        raise PreflightError(
            f"IAM answers {read} for the role name of {role_arn}, so the role the request names "
            f"cannot be checked; the request was refused. To fix, {why}",
            control=control,
            resource=role_arn,
        )
    results: Results = []
    if TRUST in slugs:
        findings = trust_findings(policy_document(role["AssumeRolePolicyDocument"]), account)
        results += judged(
            TRUST,
            operation,
            "RoleArn -> trust policy",
            role_arn,
            findings,
            f"only {SAGEMAKER} may assume it, with an aws:SourceAccount or aws:SourceArn "
            f"condition naming account {account}",
        )
    if LEAST_PRIVILEGE in slugs:
        results += _check_permissions(iam, where, role_arn, name, operation, ttl)
    return results


def _check_permissions(
    iam: Any, where: tuple[str, str, str], role_arn: str, name: str, operation: str, ttl: float
) -> Results:
    expected = (
        'no admin-grade managed policy, and Resource "*" only for the CloudWatch metrics, logs, '
        "ECR login and VPC network-interface actions SageMaker needs (docs/preflight.md)"
    )
    with fail_closed(
        LEAST_PRIVILEGE, role_arn, "the role's policies", _PERMISSIONS[LEAST_PRIVILEGE]
    ):
        permissions = CACHE.get(
            ("iam.permissions", where, name), ttl, lambda: _read_permissions(iam, name)
        )
        documents: list[tuple[str, dict[str, Any]]] = [
            (f"RoleArn -> inline policy {policy_name}", document)
            for policy_name, document in permissions.inline
        ]
        results: Results = []
        for arn in permissions.attached:
            admin = admin_grade(arn)
            if admin is not None:
                results.append(
                    violation(
                        LEAST_PRIVILEGE,
                        operation,
                        f"RoleArn -> attached policy {arn}",
                        f"{role_arn}: admin-grade AWS managed policy {admin}",
                        expected,
                    )
                )
                continue
            version, document = CACHE.get(
                ("iam.policy", where, arn), ttl, partial(_read_managed, iam, arn)
            )
            documents.append((f"RoleArn -> attached policy {arn} ({version})", document))
    for path, document in documents:
        results += judged(
            LEAST_PRIVILEGE, operation, path, role_arn, permission_findings(document), expected
        )
    if not permissions.inline and not permissions.attached:
        results.append(
            Decision(LEAST_PRIVILEGE, "RoleArn -> policies (none)", "compliant", role_arn)
        )
    return results
