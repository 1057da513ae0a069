"""The audit-reader role: what each member account of an organization holds so that the
detective audit, run from one auditing account, can read it (issue #17).

Trust: only the auditing account (``arn:{partition}:iam::{account}:root``; which of its
principals may assume the role is that account's own IAM decision), with ``sts:ExternalId``
when one is given. Permissions: only the reads the audit makes, derived from what drives them,
so they cannot drift from it:

* every ``List*`` and ``Describe*`` of the resource registry's audit listings
  (:func:`safeai.controls._resources.audit_listings`);
* the ``Describe*`` of the resources an audited resource names, which the audit reads and
  checks as the guard does (an endpoint's configuration and models: the registry's
  ``Resource.reads``);
* the ``Get*`` of every bucket setting the audit judges (:data:`safeai._buckets.SETTINGS`, with
  S3's own spelling of their IAM actions, :data:`safeai._caller_role.S3_ACTIONS`);
* a small table of the rest, each with its reason (:data:`AUDIT_READS`: the IAM user reads,
  the account's S3 Block Public Access and its access points).

A unit test parses the audit and its readers and fails when they call an operation this role
does not grant; :func:`audit_reader_role` itself refuses to emit an action that is not a
``Get``, ``List`` or ``Describe``. :func:`audit_reader_stackset_template` wraps the same
documents in a CloudFormation template, to deploy the role to every member account with a
service-managed StackSet. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ._exceptions import PolicyError
from ._iam_actions import (
    ACCOUNT_ID,
    ROLE_NAME,
    TRUST_POLICY_LIMIT,
    actions_in,
    document,
    role_permissions,
    validate_actions,
    validate_size,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AUDIT_READS",
    "DEFAULT_ROLE_NAME",
    "AuditReaderRole",
    "audit_reader_actions",
    "audit_reader_role",
    "audit_reader_stackset_template",
]


#: The role's name in every member account, unless told otherwise.
DEFAULT_ROLE_NAME = "safeai-audit-reader"
#: The inline policy (or the managed policies' description) that holds the permissions.
_POLICY_NAME = "safeai-audit-reader"
#: The verbs of the only actions the role may allow.
_READ_VERBS = ("Describe", "Get", "List")

# sts:AssumeRole's ExternalId: 2 to 1,224 characters of [\w+=,.@:/-] (STS API reference).
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)
_PARTITION = re.compile(r"^aws(?:-[a-z]+)*$")

#: The audit's reads that no registry table drives, by what they are for, each with its reason.
#: Not granted, on purpose: ``sts:GetCallerIdentity`` (STS answers it whatever the caller's
#: permissions); ``s3:GetObject`` (a pipeline's definition comes inline in
#: ``DescribePipeline``: only the guard reads one kept in S3, and the audit reads no data);
#: ``organizations:ListAccounts`` and ``sts:AssumeRole`` (made in the auditing account, with
#: its own credentials, not through this role).
AUDIT_READS: dict[str, tuple[str, ...]] = {
    # The account's IAM users, read once per account: every page of its authorization details
    # (users, groups, customer managed policies), the document of an AWS managed policy a user
    # or group holds (GetPolicy for its default version, then GetPolicyVersion), and the access
    # keys (ids and status, never a secret) of the users that may call SageMaker.
    "iam-users": (
        "iam:GetAccountAuthorizationDetails",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:ListAccessKeys",
    ),
    # The account's S3 Block Public Access, read once per account (s3control's
    # GetPublicAccessBlock, authorized as s3:GetAccountPublicAccessBlock), and in every region
    # its access points, each one's Block Public Access and policy (safeai._audit_account).
    "s3-account": ("s3:GetAccountPublicAccessBlock",),
    "s3-access-points": ("s3:GetAccessPoint", "s3:GetAccessPointPolicy", "s3:ListAccessPoints"),
}


@dataclass(frozen=True)
class AuditReaderRole:
    """The audit-reader role's documents. ``permissions_policies`` holds one document when the
    permissions fit one inline policy (10,240 characters), else several, each within the
    managed-policy limit (6,144), to attach as managed policies."""

    trust_policy: dict[str, Any]
    permissions_policies: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        """``{"trust_policy": ..., "permissions_policy": ...}``; the latter a list of documents
        when the permissions had to be split."""
        permissions: Any = (
            self.permissions_policies[0]
            if len(self.permissions_policies) == 1
            else list(self.permissions_policies)
        )
        return {"trust_policy": self.trust_policy, "permissions_policy": permissions}


@cache
def audit_reader_actions() -> Mapping[str, tuple[str, ...]]:
    """What the audit reads, by what for: ``resources`` (the listings' ``List*`` and
    ``Describe*``), ``references`` (the describes of what an audited resource names),
    ``buckets`` (the bucket settings) and the entries of :data:`AUDIT_READS`; each sorted."""
    from ._buckets import SETTINGS
    from ._caller_role import S3_ACTIONS
    from .controls._resources import RESOURCES

    listings = [listing for resource in RESOURCES for listing in resource.audit]
    resources = {
        f"{listing.service}:{operation}"
        for listing in listings
        for operation in (listing.list_operation, listing.describe_operation)
    }
    # An audited resource whose listing says ``references`` is checked through the resources
    # it names (the families of its ``reads``), read with their own describes.
    families = {resource.family: resource for resource in RESOURCES}
    references = {
        f"{listing.service}:{listing.describe_operation}"
        for resource in RESOURCES
        if any(listing.references for listing in resource.audit)
        for family in resource.reads
        for listing in families[family].audit
    }
    buckets = {S3_ACTIONS.get(setting.get, f"s3:{setting.get}") for setting in SETTINGS}
    return MappingProxyType(
        {
            "resources": tuple(sorted(resources)),
            "references": tuple(sorted(references)),
            "buckets": tuple(sorted(buckets)),
            **{purpose: tuple(sorted(actions)) for purpose, actions in AUDIT_READS.items()},
        }
    )


def audit_reader_role(
    trusted_account: str, *, external_id: str | None = None, partition: str = "aws"
) -> AuditReaderRole:
    """The role each member account holds for an organization-wide audit run from
    ``trusted_account``.

    Trust: only ``trusted_account`` (``arn:{partition}:iam::{trusted_account}:root``) may
    ``sts:AssumeRole``, and only with ``external_id`` when one is given (``StringEquals
    sts:ExternalId``). Permissions: only the ``Get``/``List``/``Describe`` calls the detective
    audit makes (:func:`audit_reader_actions`), no ``*`` action. The same documents serve every
    member account.

    Raises :class:`safeai.PolicyError` for a malformed account id, external id or partition.
    """
    trusted_account = _checked_account(trusted_account)
    if external_id is not None:
        external_id = _checked_external_id(external_id)
    if not isinstance(partition, str) or not _PARTITION.match(partition):
        raise PolicyError(
            f"{partition!r} is not an AWS partition (like aws, aws-cn or aws-us-gov)",
            field="partition",
        )
    trust = document(
        [
            _trust_statement(
                f"arn:{partition}:iam::{trusted_account}:root",
                None if external_id is None else _external_id_condition(external_id),
            )
        ]
    )
    validate_actions(actions_in(trust))
    validate_size(
        trust,
        limit=TRUST_POLICY_LIMIT,
        what="trust policy",
        fix="raise the account's role trust policy length quota",
    )
    statements = _permission_statements()
    every = actions_in(document(statements))
    validate_actions(every)
    _refuse_other_than_reads(every)
    return AuditReaderRole(trust, role_permissions(statements, fix="audit fewer resource types"))


def audit_reader_stackset_template(
    trusted_account: str,
    *,
    external_id: str | None = None,
    role_name: str = DEFAULT_ROLE_NAME,
) -> dict[str, Any]:
    """A CloudFormation template (a JSON-able dict) of the audit-reader role, to deploy to
    every member account of an organization with a service-managed StackSet::

        aws cloudformation create-stack-set --stack-set-name safeai-audit-reader \\
            --template-body file://audit-reader.json --capabilities CAPABILITY_NAMED_IAM \\
            --permission-model SERVICE_MANAGED \\
            --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false
        aws cloudformation create-stack-instances --stack-set-name safeai-audit-reader \\
            --deployment-targets OrganizationalUnitIds=r-abcd --regions us-east-1

    (one region: IAM is global). Parameters ``TrustedAccount``, ``ExternalId`` (empty: none)
    and ``RoleName`` default to the arguments; one ``AWS::IAM::Role`` holds
    :func:`audit_reader_role`'s trust policy, written with those parameters and the stack's
    partition, and its permissions as an inline policy (or, when they had to be split,
    ``AWS::IAM::ManagedPolicy`` resources it attaches); the ``RoleArn`` output names the role.

    Raises :class:`safeai.PolicyError` for a malformed account id, external id or role name.
    """
    role = audit_reader_role(trusted_account, external_id=external_id)
    if not isinstance(role_name, str) or not ROLE_NAME.match(role_name):
        raise PolicyError(
            f"{role_name!r} is not a role name (1 to 64 characters of letters, digits and "
            "+=,.@_-, like safeai-audit-reader)",
            field="role_name",
        )
    with_id = _trust_statement(
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${TrustedAccount}:root"},
        _external_id_condition({"Ref": "ExternalId"}),
    )
    without_id = _trust_statement(
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${TrustedAccount}:root"}, None
    )
    properties: dict[str, Any] = {
        "RoleName": {"Ref": "RoleName"},
        "Description": "Read-only role of safeai's organization audit: trusts only the auditing "
        "account, allows only the reads of the audit",
        "AssumeRolePolicyDocument": document([{"Fn::If": ["HasExternalId", with_id, without_id]}]),
    }
    resources: dict[str, Any] = {}
    if len(role.permissions_policies) == 1:
        properties["Policies"] = [
            {"PolicyName": _POLICY_NAME, "PolicyDocument": role.permissions_policies[0]}
        ]
    else:
        names = [f"AuditReaderPolicy{n}" for n in range(1, len(role.permissions_policies) + 1)]
        for number, (name, part) in enumerate(
            zip(names, role.permissions_policies, strict=True), start=1
        ):
            resources[name] = {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "Description": f"{_POLICY_NAME} (part {number})",
                    "PolicyDocument": part,
                },
            }
        properties["ManagedPolicyArns"] = [{"Ref": name} for name in names]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The role each member account holds for safeai's organization-wide "
        "detective audit (service-managed StackSet; deploy in one region: IAM is global)",
        "Parameters": {
            "TrustedAccount": {
                "Type": "String",
                "Description": "The auditing account: the only one that may assume the role",
                "AllowedPattern": r"^\d{12}$",
                "Default": trusted_account,
            },
            "ExternalId": {
                "Type": "String",
                "Description": "The external id the auditing account must give (empty: none)",
                "AllowedPattern": r"^(?:[\w+=,.@:/-]{2,1224})?$",
                "Default": external_id or "",
            },
            "RoleName": {
                "Type": "String",
                "Description": "The role's name, the same in every member account",
                "AllowedPattern": r"^[\w+=,.@-]{1,64}$",
                "Default": role_name,
            },
        },
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
        "Resources": {
            **resources,
            "AuditReaderRole": {"Type": "AWS::IAM::Role", "Properties": properties},
        },
        "Outputs": {
            "RoleArn": {
                "Description": "The audit-reader role of this account",
                "Value": {"Fn::GetAtt": ["AuditReaderRole", "Arn"]},
            }
        },
    }


def _checked_account(account: str) -> str:
    if not isinstance(account, str) or not ACCOUNT_ID.match(account):
        raise PolicyError(
            f"{account!r} is not an AWS account id: expected 12 digits, like 111122223333",
            field="trusted_account",
        )
    return account


def _checked_external_id(external_id: str) -> str:
    if not isinstance(external_id, str) or not _EXTERNAL_ID.match(external_id):
        raise PolicyError(
            f"{external_id!r} is not an external id: expected 2 to 1,224 characters of "
            "letters, digits and +=,.@:/_-, like safeai-audit-7f3a9c",
            field="external_id",
        )
    return external_id


def _trust_statement(principal: object, condition: object | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "TheAuditingAccount",
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _external_id_condition(external_id: object) -> dict[str, Any]:
    return {"StringEquals": {"sts:ExternalId": external_id}}


def _permission_statements() -> list[dict[str, Any]]:
    # Resource "*" throughout, and on purpose. The audit reads every resource of these kinds
    # in the account, in every region it is asked for, so an ARN pattern would name them all
    # anyway; the role's credentials reach only its own account's SageMaker and IAM; a bucket
    # ARN carries no account (a narrower pattern cannot keep out another account's bucket that
    # a resource names, and its settings are what the audit must judge); and the List* actions
    # and GetAccountAuthorizationDetails take no resource at all. What keeps the role harmless
    # is its actions: reads of configuration only, no data (no s3:GetObject), no write.
    # One set of documents also serves every member account and partition unchanged.
    reads = audit_reader_actions()
    described = {*reads["resources"], *reads["references"]}
    lists = sorted(action for action in described if _verb(action) == "List")
    describes = sorted(action for action in described if _verb(action) != "List")
    statements = [
        _allow("ListTheAuditedResources", lists),
        _allow("DescribeTheAuditedResources", describes),
        _allow("ReadTheBucketSettings", list(reads["buckets"])),
    ]
    statements += [
        _allow(
            f"ReadThe{''.join(word.title() for word in purpose.split('-'))}", list(reads[purpose])
        )
        for purpose in AUDIT_READS
    ]
    return [statement for statement in statements if statement["Action"]]


def _allow(sid: str, actions: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}


def _verb(action: str) -> str:
    name = action.partition(":")[2]
    return next((verb for verb in _READ_VERBS if name.startswith(verb)), "")


def _refuse_other_than_reads(actions: list[str]) -> None:
    """The role reads: a ``Create``, ``Put`` or ``*`` slipping into a table is a bug, refused."""
    others = sorted(
        action for action in actions if not _verb(action) or "*" in action or "?" in action
    )
    if others:
        raise PolicyError(
            f"the audit-reader role allows only Get, List and Describe actions, found "
            f"{', '.join(others)}: take them out of the audit's reads"
        )
