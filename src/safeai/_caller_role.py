"""The caller role: what the people (or the CI) who launch ML work assume, least privilege.

The execution role (:mod:`safeai.iam`) is what SageMaker's jobs run as; the caller role is what
launches them. Its trust policy names the principals that may assume it, and asks people for
MFA. Its permissions allow the SageMaker requests the guard secures and nothing wider, deny
server-side what the guard refuses client-side (the very statements of the SCP generator, so a
request that slips past a guard is refused by AWS all the same), and allow the reads the guard
itself makes before it lets a request go (preflight and the PII pre-flight), so a guarded
client using the role is never refused by its own checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ._exceptions import PolicyError
from ._iam_actions import (
    TRUST_POLICY_LIMIT,
    actions_in,
    document,
    partition,
    role_permissions,
    validate_actions,
    validate_size,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ._policy import Policy

__all__ = ["GUARD_READS", "S3_ACTIONS", "CallerRole", "caller_role"]

#: One hour: a person's MFA sign-in older than this must be renewed to assume the role again.
DEFAULT_MFA_AGE = 3_600
#: 12 hours, STS's maximum session duration: an older MFA sign-in proves little.
_MAX_MFA_AGE = 43_200

_PRINCIPAL = re.compile(
    r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):(?P<kind>root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$"
)

#: The S3 operations the guard calls whose IAM action is spelt otherwise (Service Authorization
#: Reference, Amazon S3: ListObjectsV2 is authorized as ListBucket, HeadObject as GetObject, the
#: bucket settings as the Get actions of the configuration they read).
S3_ACTIONS: dict[str, str] = {
    "ListObjectsV2": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
}

#: What the guard reads with the caller's credentials before it lets a request go, by what the
#: reads are for (and the Macie classification job it runs, and cancels when it times out). A
#: unit test parses preflight, the reader layer and the PII scanners and fails when they call an
#: operation this table does not grant, so it cannot drift from the code.
GUARD_READS: dict[str, tuple[str, ...]] = {
    "role": (
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
    ),
    "key": ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus"),
    # EC2's Describe actions take no resource: IAM accepts only "*".
    "network": (
        "ec2:DescribeNetworkInterfaces",  # runtime.private_link: the endpoint's addresses
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcEndpoints",
    ),
    "buckets": (
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:ListBucket",
    ),
    "objects": ("s3:GetObject",),
    # Macie's classification jobs, findings and session take no resource-level permissions
    # either, apart from the job's own ARN, which is not known before it is made.
    "macie": (
        "macie2:CreateClassificationJob",
        "macie2:DescribeClassificationJob",
        "macie2:GetClassificationExportConfiguration",
        "macie2:GetFindings",
        "macie2:GetMacieSession",
        "macie2:ListFindings",
        # A job that outlives Policy.pii_timeout_s is cancelled rather than left running.
        "macie2:UpdateClassificationJob",
    ),
}


@dataclass(frozen=True)
class CallerRole:
    """The caller role's documents. ``permissions_policies`` holds one document when the
    permissions fit one inline policy (10,240 characters), else several, by service, each
    within the managed-policy limit (6,144), to attach as managed policies."""

    trust_policy: dict[str, Any]
    permissions_policies: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        """``{"trust_policy": ..., "permissions_policy": ...}``; the latter a list of documents
        when the permissions had to be split by service."""
        permissions: Any = (
            self.permissions_policies[0]
            if len(self.permissions_policies) == 1
            else list(self.permissions_policies)
        )
        return {"trust_policy": self.trust_policy, "permissions_policy": permissions}


def caller_role(
    policy: Policy,
    principals: Sequence[str],
    *,
    data_buckets: Sequence[str] = (),
    max_mfa_age: int = DEFAULT_MFA_AGE,
) -> CallerRole:
    """The role people (``arn:…:user/…``, an account's ``root``) and workloads (``arn:…:role/…``,
    a CI runner's role) assume to launch ML work under ``policy``.

    Trust: only ``principals``; people only with ``aws:MultiFactorAuthPresent`` and an MFA
    sign-in at most ``max_mfa_age`` seconds old (role sessions carry no MFA context, so roles
    are trusted as they are: IAM Identity Center enforces its own MFA). Permissions: the
    SageMaker requests the guard secures and the ``Describe``/``List`` calls of the same
    resources, in the policy's account and region; ``iam:PassRole`` of the policy's execution
    roles to SageMaker only; the reads the guard makes (role, key, network, and, for
    ``data_buckets``, the buckets' settings and objects; Macie when the policy scans with it);
    the policy's key for S3 data only through S3; and the SCP generator's Deny statements, so
    AWS refuses what the guard refuses. No ``*`` action.

    Raises :class:`safeai.PolicyError` for a policy that cannot be expressed (no execution role,
    an alias as the key) or a malformed principal or bucket.
    """
    from ._scp import deny_statements

    account, region = _place(policy)
    people, workloads = _principals(principals)
    if not 900 <= max_mfa_age <= _MAX_MFA_AGE:
        raise PolicyError(
            f"must be between 900 and {_MAX_MFA_AGE} seconds, found {max_mfa_age}",
            field="max_mfa_age",
        )
    trust = document(_trust_statements(people, workloads, max_mfa_age))
    validate_actions(actions_in(trust))
    validate_size(
        trust,
        limit=TRUST_POLICY_LIMIT,
        what="trust policy",
        fix="name fewer principals (or one role that they all reach), or raise the account's "
        "role trust policy length quota",
    )
    arn_partition = partition(region)
    statements = [
        *_sagemaker_statements(arn_partition, region, account),
        _pass_role(policy),
        *_read_statements(policy, arn_partition, region, account, _buckets(data_buckets)),
        *deny_statements(policy),
    ]
    validate_actions(actions_in(document(statements)))
    return CallerRole(
        trust,
        role_permissions(
            statements, fix="allow fewer roles, keys, subnets or security groups in the policy"
        ),
    )


def _place(policy: Policy) -> tuple[str, str]:
    account, region = policy.account_id, policy.effective_region
    if not policy.role_arns or account is None:
        raise PolicyError(
            "the caller role passes the policy's execution role to SageMaker: set "
            "execution_role_arn",
            field="execution_role_arn",
        )
    if region is None:
        raise PolicyError(
            "the caller role is scoped to one region: set region (or a KMS key ARN)",
            field="region",
        )
    return account, region


def _principals(principals: Sequence[str]) -> tuple[list[str], list[str]]:
    if isinstance(principals, str) or not principals:
        raise PolicyError(
            "name the principals that may assume the role (a list of IAM user, role or account "
            "ARNs, like arn:aws:iam::111122223333:user/ada)",
            field="principals",
        )
    people: list[str] = []
    workloads: list[str] = []
    for principal in principals:
        match = _PRINCIPAL.match(principal) if isinstance(principal, str) else None
        if match is None:
            raise PolicyError(
                f"{principal!r} is not an IAM principal ARN: expected a user, a role or an "
                "account, like arn:aws:iam::111122223333:user/ada, "
                "arn:aws:iam::111122223333:role/ci or arn:aws:iam::111122223333:root",
                field="principals",
            )
        (workloads if match.group("kind").startswith("role/") else people).append(principal)
    return sorted(set(people)), sorted(set(workloads))


def _buckets(names: Iterable[str]) -> list[str]:
    found = sorted(set(names))
    for name in found:
        if not isinstance(name, str) or not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name):
            raise PolicyError(
                f"{name!r} is not a bucket name (like ml-data-111122223333)", field="data_buckets"
            )
    return found


def _trust_statements(
    people: list[str], workloads: list[str], max_mfa_age: int
) -> list[dict[str, Any]]:
    # SecureSession may set a source identity (source_identity=): the role must allow it.
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
    statements: list[dict[str, Any]] = []
    if people:
        statements.append(
            {
                "Sid": "PeopleWithMFA",
                "Effect": "Allow",
                "Principal": {"AWS": people},
                "Action": actions,
                # Bool and NumericLessThan are false when the key is absent (a long-lived key,
                # a session without MFA), so the Allow does not apply.
                "Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": str(max_mfa_age)},
                },
            }
        )
    if workloads:
        statements.append(
            {
                "Sid": "Workloads",
                "Effect": "Allow",
                "Principal": {"AWS": workloads},
                "Action": actions,
            }
        )
    return statements


@cache
def _sagemaker_operations() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The SageMaker requests the guard secures, and the reads of the same resources."""
    import botocore.session

    from .controls import secured_operations
    from .controls._resources import audit_listings, stored_resources

    model = botocore.session.get_session().get_service_model("sagemaker")
    names = set(model.operation_names)
    secured = sorted(operation for operation in secured_operations() if operation in names)
    reads = {
        f"Describe{operation.removeprefix('Create')}"
        for operation in secured
        if operation.startswith("Create")
    }
    reads |= {listing.list_operation for listing in audit_listings()}
    # The stored resources a request starts or names (a pipeline, an execution's definition).
    reads |= {row.describe_operation for rows in stored_resources().values() for row in rows}
    # The PII pre-flight reads a started or retried execution's parameters.
    reads.add("ListPipelineParametersForExecution")
    return tuple(secured), tuple(sorted(reads & names))


def _sagemaker_statements(arn_partition: str, region: str, account: str) -> list[dict[str, Any]]:
    secured, reads = _sagemaker_operations()
    resources = [f"arn:{arn_partition}:sagemaker:{region}:{account}:*"]
    describes = [f"sagemaker:{name}" for name in reads if not name.startswith("List")]
    # SageMaker's List actions take no resource: IAM accepts only "*" for them.
    lists = [f"sagemaker:{name}" for name in reads if name.startswith("List")]
    return [
        _allow("SecuredSageMakerRequests", [f"sagemaker:{name}" for name in secured], resources),
        _allow("DescribeTheSameResources", describes, resources),
        _allow("ListTheSameResources", lists, "*"),
    ]


def _pass_role(policy: Policy) -> dict[str, Any]:
    return _allow(
        "PassTheExecutionRoleToSageMakerOnly",
        ["iam:PassRole"],
        sorted(policy.role_arns),
        StringEquals={"iam:PassedToService": "sagemaker.amazonaws.com"},
    )


def _read_statements(
    policy: Policy, arn_partition: str, region: str, account: str, buckets: list[str]
) -> list[dict[str, Any]]:
    keys = _key_arns(policy)
    statements = [
        _allow(
            "GuardReadsTheRole",
            list(GUARD_READS["role"]),
            [
                *sorted(policy.role_arns),
                f"arn:{arn_partition}:iam::{account}:policy/*",
                f"arn:{arn_partition}:iam::aws:policy/*",
            ],
        ),
        _allow("GuardReadsTheKey", list(GUARD_READS["key"]), keys),
        _allow("GuardReadsTheNetwork", list(GUARD_READS["network"]), "*"),
        # Data goes to S3 under the policy's key (s3.sse_kms) and comes back for the PII scan:
        # the key, but only through S3 in this region.
        _allow(
            "UseTheKeyForDataThroughS3",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            keys,
            StringEquals={"kms:ViaService": f"s3.{region}.amazonaws.com"},
        ),
    ]
    if buckets:
        statements += [
            _allow(
                "GuardReadsTheDataBuckets",
                list(GUARD_READS["buckets"]),
                [f"arn:{arn_partition}:s3:::{name}" for name in buckets],
            ),
            _allow(
                "ReadAndWriteTheData",
                [*GUARD_READS["objects"], "s3:PutObject"],
                [f"arn:{arn_partition}:s3:::{name}/*" for name in buckets],
            ),
        ]
    if policy.pii != "off" and policy.pii_scanner == "macie":
        statements.append(_allow("PiiPreflightWithMacie", list(GUARD_READS["macie"]), "*"))
    return statements


def _key_arns(policy: Policy) -> list[str]:
    keys = sorted(policy.kms_key_ids)
    if not keys:
        raise PolicyError(
            "the caller role grants the use of the policy's KMS key: set kms_key_id",
            field="kms_key_id",
        )
    aliases = [key for key in keys if ":key/" not in key]
    if aliases:
        raise PolicyError(
            f"IAM matches keys by key ARN, found {', '.join(aliases)}: give the key ARN "
            "(arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab)",
            field="kms_key_id",
        )
    return keys


def _allow(
    sid: str, actions: list[str], resources: list[str] | str, **condition: dict[str, str]
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement
