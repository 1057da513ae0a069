"""Generate the least-privilege roles of a SageMaker workload, and create them: the execution
role its jobs run as, the caller role that people (with MFA) or CI assume to launch it, and the
read-only role each member account holds for an organization-wide audit.

>>> import safeai.iam
>>> policy = safeai.iam.execution_role_policy(
...     inputs=["s3://ml-data/train/"], outputs=["s3://ml-data/models/"],
...     kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/...",
...     region="us-east-1", account="123456789012")
>>> trust = safeai.iam.trust_policy("123456789012", "us-east-1")
>>> caller = safeai.iam.caller_role(safeai.Policy.load(),
...     principals=["arn:aws:iam::123456789012:user/ada"], data_buckets=["ml-data"])
>>> caller.as_json()["trust_policy"]
>>> reader = safeai.iam.audit_reader_role("111122223333", external_id="safeai-audit")
>>> template = safeai.iam.audit_reader_stackset_template("111122223333")

The documents are plain dicts, deterministic (same inputs, same JSON), checked against botocore's
service models (every action exists) and against IAM's size limits. ``safeai role policy | trust |
caller | audit-reader | create`` are the same functions on the command line.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ._audit_reader import AuditReaderRole, audit_reader_role, audit_reader_stackset_template
from ._caller_role import CallerRole, caller_role
from ._exceptions import PolicyError, SafeAIError
from ._iam_actions import (
    ACCOUNT_ID,
    INLINE_ROLE_POLICY_LIMIT,
    MANAGED_POLICY_LIMIT,
    ROLE_NAME,
    TRUST_POLICY_LIMIT,
    actions_in,
    document,
    partition,
    validate_actions,
    validate_size,
)
from .controls._resources import role_assuming_types

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = [
    "DEFAULT_JOB_TYPES",
    "INLINE_ROLE_POLICY_LIMIT",
    "MANAGED_POLICY_LIMIT",
    "TRUST_POLICY_LIMIT",
    "AuditReaderRole",
    "CallerRole",
    "audit_reader_role",
    "audit_reader_stackset_template",
    "caller_role",
    "ensure_role",
    "execution_role_policy",
    "trust_policy",
]

#: The SageMaker resource types whose jobs and instances may assume the role (``aws:SourceArn``).
DEFAULT_JOB_TYPES: tuple[str, ...] = role_assuming_types()

_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<key>.*))?$")
# A key id is a UUID, or mrk- and 32 hex digits for a multi-Region key (as Policy checks it).
_KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:key/"
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
_ECR_REPOSITORY_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecr:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:repository/[a-z0-9][a-z0-9._/-]*$"
)
_SUBNET = re.compile(r"^subnet-[0-9a-f]+$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]+$")
_VPC = re.compile(r"^vpc-[0-9a-f]+$")
_LOG_GROUP_PREFIX = re.compile(r"^[\w./#-]+$")
_JOB_TYPE = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?:\d{12}|aws):policy/[\w+=,.@/-]+$")


def _check(value: str, pattern: re.Pattern[str], what: str, field: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise PolicyError(f"{value!r} is not {what}", field=field)
    return value


def _checked_all(
    values: Iterable[str], pattern: re.Pattern[str], what: str, field: str
) -> list[str]:
    if isinstance(values, str):
        raise PolicyError(f"expected a list of {what}s, found the string {values!r}", field=field)
    return sorted({_check(value, pattern, what, field) for value in values})


def _object_patterns(key: str) -> tuple[str, ...]:
    """The object keys (IAM wildcards) a URI's key stands for.

    ``data/`` is a folder; ``data`` is that object or the folder ``data/``, never ``data2``.
    """
    if key in ("", "/"):
        return ("*",)
    if key.endswith("/"):
        return (f"{key}*",)
    return (key, f"{key}/*")


def _locations(uris: Sequence[str], field: str) -> dict[str, set[str]]:
    if isinstance(uris, str):
        raise PolicyError(f"expected a list of s3:// URIs, found the string {uris!r}", field=field)
    found: dict[str, set[str]] = {}
    for uri in uris:
        match = _S3_URI.match(uri) if isinstance(uri, str) else None
        if match is None:
            raise PolicyError(f"{uri!r} is not an s3://bucket/prefix URI", field=field)
        key = match.group("key") or ""
        if "*" in key or "?" in key:
            raise PolicyError(
                f"{uri!r} holds an IAM wildcard; name the exact prefix to grant", field=field
            )
        found.setdefault(match.group("bucket"), set()).update(_object_patterns(key))
    return found


def _statement(
    sid: str, actions: Sequence[str], resources: str | Sequence[str], **condition: Any
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions) if len(actions) > 1 else actions[0],
        "Resource": resources if isinstance(resources, str) else sorted(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _s3_statements(
    arn_partition: str, inputs: Sequence[str], outputs: Sequence[str]
) -> list[dict[str, Any]]:
    read = _locations(inputs, "inputs")
    write = _locations(outputs, "outputs")
    if not read and not write:
        raise PolicyError("name at least one input or output (s3://bucket/prefix/)", field="inputs")
    statements = []
    for number, bucket in enumerate(sorted(read.keys() | write.keys()), start=1):
        prefixes = read.get(bucket, set()) | write.get(bucket, set())
        # Listing with no prefix (the bucket's root) has no s3:prefix to match: a whole-bucket
        # grant needs no condition, and any other grant must keep one.
        condition = {} if "*" in prefixes else {"StringLike": {"s3:prefix": sorted(prefixes)}}
        statements.append(
            _statement(
                f"S3ListBucket{number}",
                ["s3:ListBucket"],
                [f"arn:{arn_partition}:s3:::{bucket}"],
                **condition,
            )
        )
    for sid, action, places in (
        ("S3Read", "s3:GetObject", read),
        ("S3Write", "s3:PutObject", write),
    ):
        objects = [
            f"arn:{arn_partition}:s3:::{bucket}/{pattern}"
            for bucket, patterns in places.items()
            for pattern in patterns
        ]
        if objects:
            statements.append(_statement(sid, [action], objects))
    return statements


def _vpc_statements(
    arn_partition: str,
    region: str,
    account: str,
    subnets: list[str],
    security_groups: list[str],
    vpc_id: str | None,
) -> list[dict[str, Any]]:
    # Which condition keys IAM evaluates for each EC2 action and resource type, from the Service
    # Authorization Reference (Amazon EC2; read from a copy of its JSON, iann0036/iam-dataset):
    # - CreateNetworkInterface: network-interface* (neither ec2:Subnet nor ec2:Vpc),
    #   subnet* (ec2:Vpc), security-group (ec2:Vpc). A condition on ec2:Vpc or ec2:Subnet would
    #   fail on the network-interface resource, so that resource gets no condition and the subnet
    #   and security groups are pinned by their ARNs (and ec2:Vpc).
    # - CreateNetworkInterfacePermission, DeleteNetworkInterface: network-interface* with
    #   ec2:Subnet and ec2:Vpc.
    # - DeleteNetworkInterfacePermission: network-interface is optional, so the request may carry
    #   no resource at all; it gets "*" and no condition.
    # - Describe*: no resource-level permissions, "*" only.
    arn = f"arn:{arn_partition}:ec2:{region}:{account}"
    vpc_arn = {"ec2:Vpc": f"{arn}:vpc/{vpc_id}"} if vpc_id else {}
    placement = [f"{arn}:subnet/{subnet}" for subnet in subnets] or [f"{arn}:subnet/*"]
    placement += [f"{arn}:security-group/{group}" for group in security_groups] or [
        f"{arn}:security-group/*"
    ]
    interface_keys: dict[str, Any] = dict(vpc_arn)
    if subnets:
        interface_keys["ec2:Subnet"] = [f"{arn}:subnet/{subnet}" for subnet in subnets]
    return [
        _statement(
            "VpcAnyResource",
            [
                "ec2:DeleteNetworkInterfacePermission",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "*",
        ),
        _statement(
            "VpcCreateInterface", ["ec2:CreateNetworkInterface"], [f"{arn}:network-interface/*"]
        ),
        _statement(
            "VpcCreateInterfaceIn",
            ["ec2:CreateNetworkInterface"],
            placement,
            **({"ArnEquals": vpc_arn} if vpc_arn else {}),
        ),
        _statement(
            "VpcManageInterface",
            ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"],
            [f"{arn}:network-interface/*"],
            **({"ArnEquals": dict(sorted(interface_keys.items()))} if interface_keys else {}),
        ),
    ]


def execution_role_policy(
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    kms_key_arn: str | None,
    region: str,
    account: str,
    ecr_repositories: Sequence[str] = (),
    vpc: bool = True,
    subnets: Sequence[str] = (),
    security_group_ids: Sequence[str] = (),
    vpc_id: str | None = None,
    log_group_prefix: str = "/aws/sagemaker/",
    managed: bool = False,
) -> dict[str, Any]:
    """The minimal identity policy for a SageMaker workload's execution role.

    It grants what SageMaker does on the workload's behalf and nothing else: list the buckets only
    under the given prefixes, read ``inputs``, write ``outputs``, use (and grant SageMaker's
    instances the use of) ``kms_key_arn``, pull from ``ecr_repositories``, write logs under
    ``log_group_prefix`` and metrics in SageMaker's namespaces, and, with ``vpc``, manage the
    network interfaces that put the job in the subnets (pinned to ``subnets``,
    ``security_group_ids`` and ``vpc_id`` where IAM can check them).

    An ``inputs``/``outputs`` URI ending in ``/`` is a folder; one without is that object or that
    folder. Raises :class:`safeai.PolicyError` for a malformed value, an action IAM does not know,
    or a document over IAM's size limit (``managed=True`` checks the managed-policy limit, 6,144
    characters, instead of the inline one, 10,240).
    """
    _check(account, ACCOUNT_ID, "a 12-digit account id", "account")
    _check(region, _REGION, "a region name", "region")
    _check(log_group_prefix, _LOG_GROUP_PREFIX, "a log group name prefix", "log_group_prefix")
    arn_partition = partition(region)
    statements = _s3_statements(arn_partition, inputs, outputs)
    if kms_key_arn is not None:
        _check(kms_key_arn, _KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:…:key/…)", "kms_key_arn")
        statements += [
            _statement("KmsUse", ["kms:Decrypt", "kms:GenerateDataKey"], [kms_key_arn]),
            # Grants let SageMaker's instances use the key for their volumes; only for AWS
            # resources, never to an arbitrary grantee.
            _statement(
                "KmsGrantForAwsResources",
                ["kms:CreateGrant"],
                [kms_key_arn],
                Bool={"kms:GrantIsForAWSResource": "true"},
            ),
        ]
    repositories = _checked_all(
        ecr_repositories, _ECR_REPOSITORY_ARN, "an ECR repository ARN", "ecr_repositories"
    )
    if repositories:
        statements += [
            _statement(
                "EcrPull",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                repositories,
            ),
            # GetAuthorizationToken has no resource: IAM accepts only "*".
            _statement("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
        ]
    statements += [
        _statement(
            "Logs",
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            [f"arn:{arn_partition}:logs:{region}:{account}:log-group:{log_group_prefix}*"],
        ),
        # PutMetricData has no resource either; the namespace condition keeps it to SageMaker's.
        _statement(
            "Metrics",
            ["cloudwatch:PutMetricData"],
            "*",
            StringLike={"cloudwatch:namespace": "/aws/sagemaker/*"},
        ),
    ]
    if vpc:
        statements += _vpc_statements(
            arn_partition,
            region,
            account,
            _checked_all(subnets, _SUBNET, "a subnet id (subnet-…)", "subnets"),
            _checked_all(
                security_group_ids, _SECURITY_GROUP, "a security group id", "security_group_ids"
            ),
            _check(vpc_id, _VPC, "a VPC id (vpc-…)", "vpc_id") if vpc_id is not None else None,
        )
    permissions = document(statements)
    validate_actions(actions_in(permissions))
    validate_size(
        permissions,
        limit=MANAGED_POLICY_LIMIT if managed else INLINE_ROLE_POLICY_LIMIT,
        what="managed policy" if managed else "inline role policy",
        fix="split the workload's inputs and outputs between several roles, or name common "
        "prefixes (s3://bucket/data/ rather than one URI per file)"
        + ("; an inline policy may hold 10,240" if managed else ""),
    )
    return permissions


def trust_policy(
    account: str, region: str, job_types: Sequence[str] = DEFAULT_JOB_TYPES
) -> dict[str, Any]:
    """The trust policy that lets SageMaker, and only SageMaker, assume the role.

    The confused-deputy conditions pin the assumption to this account (``aws:SourceAccount``) and
    to SageMaker resources of ``job_types`` in ``region`` (``aws:SourceArn``), so another
    account's SageMaker resource cannot be made to use the role.
    """
    _check(account, ACCOUNT_ID, "a 12-digit account id", "account")
    _check(region, _REGION, "a region name", "region")
    types = _checked_all(job_types, _JOB_TYPE, "a SageMaker resource type", "job_types")
    if not types:
        raise PolicyError("name at least one SageMaker resource type", field="job_types")
    arn = f"arn:{partition(region)}:sagemaker:{region}:{account}"
    trust = document(
        [
            {
                "Sid": "SageMakerAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": [f"{arn}:{kind}/*" for kind in types]},
                },
            }
        ]
    )
    validate_actions(actions_in(trust))
    validate_size(
        trust,
        limit=TRUST_POLICY_LIMIT,
        what="trust policy",
        fix="name fewer job types, or raise the account's role trust policy length quota",
    )
    return trust


def ensure_role(
    name: str,
    *,
    trust: Mapping[str, Any],
    policy: Mapping[str, Any] | None,
    policy_name: str = "safeai-execution",
    permissions_boundary: str | None = None,
    tags: Mapping[str, str] | None = None,
    client: Any = None,
    managed_policies: Sequence[Mapping[str, Any]] = (),
    description: str = "SageMaker execution role (least privilege), made by safeai",
) -> list[str]:
    """Create the role, or bring an existing one back to these documents; return what changed.

    Idempotent: a role that already matches is left alone and the answer is empty. A drifted
    trust policy, inline policy ``policy_name`` or permissions boundary is put back; missing or
    changed ``tags`` are set (other tags, other inline policies and attached policies are left
    as they are). ``managed_policies`` (for permissions too big for one inline policy) become
    customer-managed policies ``<name>-1``, ``<name>-2``, … under the path ``/safeai/``, kept
    current with a new default version when they drift, and attached. ``description`` is set
    when the role is created. ``client`` is an IAM client (default: ``boto3.client("iam")``).
    An AWS error raises :class:`safeai.SafeAIError` naming the call.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    _check(name, ROLE_NAME, "a role name", "name")
    _check(policy_name, ROLE_NAME, "an inline policy name", "policy_name")
    if permissions_boundary is not None:
        _check(permissions_boundary, _POLICY_ARN, "a managed policy ARN", "permissions_boundary")
    wanted_tags = dict(tags or {})
    if client is None:
        import boto3

        client = boto3.client("iam")

    def call(operation: str, *, missing_ok: bool = False, **kwargs: Any) -> Any:
        """The answer of one IAM call; None when a read finds nothing (``missing_ok``)."""
        try:
            return getattr(client, operation)(**kwargs)
        except (BotoCoreError, ClientError) as error:
            if missing_ok and isinstance(error, client.exceptions.NoSuchEntityException):
                return None
            raise SafeAIError(f"IAM {operation} failed for role {name!r}: {error}") from error

    changes: list[str] = []
    existing = call("get_role", missing_ok=True, RoleName=name)
    if existing is None:
        created: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": json.dumps(trust),
            "Description": description,
            "Tags": [{"Key": key, "Value": value} for key, value in sorted(wanted_tags.items())],
        }
        if permissions_boundary:
            created["PermissionsBoundary"] = permissions_boundary
        call("create_role", **created)
        changes.append("created the role")
    else:
        role = existing["Role"]
        if role.get("AssumeRolePolicyDocument") != trust:
            call("update_assume_role_policy", RoleName=name, PolicyDocument=json.dumps(trust))
            changes.append("replaced the trust policy")
        boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if permissions_boundary and boundary != permissions_boundary:
            call(
                "put_role_permissions_boundary",
                RoleName=name,
                PermissionsBoundary=permissions_boundary,
            )
            changes.append("set the permissions boundary")
        listed = call("list_role_tags", RoleName=name)
        present = {tag["Key"]: tag["Value"] for tag in listed["Tags"]}
        drifted = {key: value for key, value in wanted_tags.items() if present.get(key) != value}
        if drifted:
            call(
                "tag_role",
                RoleName=name,
                Tags=[{"Key": key, "Value": value} for key, value in sorted(drifted.items())],
            )
            changes.append(f"set tags {', '.join(sorted(drifted))}")
    if policy is not None:
        inline = call("get_role_policy", missing_ok=True, RoleName=name, PolicyName=policy_name)
        if inline is None or inline.get("PolicyDocument") != policy:
            call(
                "put_role_policy",
                RoleName=name,
                PolicyName=policy_name,
                PolicyDocument=json.dumps(policy),
            )
            changes.append(
                f"{'added' if inline is None else 'replaced'} the inline policy {policy_name}"
            )
    if managed_policies:
        role_arn = call("get_role", RoleName=name)["Role"]["Arn"]
        changes += _ensure_managed_policies(call, name, role_arn, managed_policies)
    return changes


#: Where the managed policies of ensure_role live, apart from the account's own.
_MANAGED_PATH = "/safeai/"
#: IAM keeps at most five versions of a managed policy.
_MAX_POLICY_VERSIONS = 5


def _ensure_managed_policies(
    call: Callable[..., Any], role: str, role_arn: str, documents: Sequence[Mapping[str, Any]]
) -> list[str]:
    _, arn_partition, _, _, account, _ = role_arn.split(":", 5)
    changes: list[str] = []
    attached = {
        entry["PolicyArn"]
        for entry in call("list_attached_role_policies", RoleName=role)["AttachedPolicies"]
    }
    for number, wanted in enumerate(documents, start=1):
        policy_name = f"{role}-{number}"
        arn = f"arn:{arn_partition}:iam::{account}:policy{_MANAGED_PATH}{policy_name}"
        existing = call("get_policy", missing_ok=True, PolicyArn=arn)
        if existing is None:
            call(
                "create_policy",
                PolicyName=policy_name,
                Path=_MANAGED_PATH,
                PolicyDocument=json.dumps(wanted),
                Description=f"Permissions of {role} (part {number}), made by safeai",
            )
            changes.append(f"created the managed policy {policy_name}")
        else:
            version = existing["Policy"]["DefaultVersionId"]
            current = call("get_policy_version", PolicyArn=arn, VersionId=version)
            if current["PolicyVersion"]["Document"] != wanted:
                versions = call("list_policy_versions", PolicyArn=arn)["Versions"]
                if len(versions) >= _MAX_POLICY_VERSIONS:
                    oldest = min(
                        (v for v in versions if not v["IsDefaultVersion"]),
                        key=lambda v: v["CreateDate"],
                    )
                    call("delete_policy_version", PolicyArn=arn, VersionId=oldest["VersionId"])
                call(
                    "create_policy_version",
                    PolicyArn=arn,
                    PolicyDocument=json.dumps(wanted),
                    SetAsDefault=True,
                )
                changes.append(f"replaced the managed policy {policy_name}")
        if arn not in attached:
            call("attach_role_policy", RoleName=role, PolicyArn=arn)
            changes.append(f"attached {policy_name}")
    return changes
