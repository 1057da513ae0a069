"""``safeai role policy | trust | caller | audit-reader | create``: the least-privilege execution
role of a workload, the caller role people or CI assume to launch it, and the read-only role each
member account holds for an organization-wide audit."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from .._audit_reader import DEFAULT_ROLE_NAME as DEFAULT_AUDIT_READER_NAME
from .._exceptions import PolicyError, SafeAIError
from ..iam import (
    DEFAULT_JOB_TYPES,
    AuditReaderRole,
    CallerRole,
    audit_reader_role,
    audit_reader_stackset_template,
    caller_role,
    ensure_role,
    execution_role_policy,
    trust_policy,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from .._policy import Policy


def register(commands: Any) -> None:
    """Add ``safeai role`` and its five subcommands to the command parsers."""
    parser = commands.add_parser(
        "role",
        help="generate or create a least-privilege SageMaker execution role",
        description="Account, region, KMS key, subnets and security groups default to the "
        "policy (safeai.toml, [tool.safeai] or SAFEAI_* variables) when there is one.",
    )
    actions = parser.add_subparsers(dest="role_command", metavar="ACTION", required=True)

    policy = actions.add_parser("policy", help="print the role's identity policy (JSON)")
    _workload_options(policy)
    policy.add_argument(
        "--managed",
        action="store_true",
        help="check the managed-policy size limit (6,144) instead of the inline one (10,240)",
    )
    policy.set_defaults(run=lambda args, out: _run(args, out, _policy))

    trust = actions.add_parser("trust", help="print the role's trust policy (JSON)")
    _place_options(trust)
    trust.set_defaults(run=lambda args, out: _run(args, out, _trust))

    caller = actions.add_parser(
        "caller",
        help="print the caller role people or CI assume to launch ML work (JSON: trust_policy, "
        "permissions_policy)",
        description="Trusts only the named principals, people only with MFA; allows only the "
        "SageMaker requests safeai secures, with the SCP's conditions, and iam:PassRole of the "
        "policy's execution role to SageMaker. Read from the policy: role, key, region.",
    )
    _caller_options(caller)
    caller.set_defaults(run=lambda args, out: _run(args, out, _caller))

    reader = actions.add_parser(
        "audit-reader",
        help="print the read-only role each member account needs for an organization-wide "
        "audit (JSON: trust_policy, permissions_policy; or a CloudFormation StackSet template)",
        description="Trusts only the auditing account (with the external id when given); "
        "allows only the Get, List and Describe calls the detective audit makes, derived from "
        "the audit's own reads. --format stackset prints a CloudFormation template to deploy "
        "it to every member account with a service-managed StackSet.",
    )
    _audit_reader_options(reader)
    reader.add_argument(
        "--format",
        choices=("json", "stackset"),
        default="json",
        help="json: the role's documents (default); stackset: a CloudFormation template",
    )
    reader.add_argument(
        "--role-name",
        default=DEFAULT_AUDIT_READER_NAME,
        metavar="NAME",
        help=f"the role's name in the template (default: {DEFAULT_AUDIT_READER_NAME})",
    )
    reader.set_defaults(run=lambda args, out: _run(args, out, _audit_reader))

    create = actions.add_parser(
        "create",
        help="create the role with both policies, or bring it back to them (idempotent)",
    )
    create.add_argument("name", help="the role name")
    kind = create.add_mutually_exclusive_group()
    kind.add_argument(
        "--caller",
        action="store_true",
        help="create the caller role (with --principal) instead of an execution role",
    )
    kind.add_argument(
        "--audit-reader",
        action="store_true",
        help="create the audit-reader role (with --trusted-account) instead of an execution role",
    )
    _caller_options(create, required=False)
    _audit_reader_options(create, required=False)
    _workload_options(create)
    create.add_argument("--permissions-boundary", metavar="ARN", help="a managed policy ARN")
    create.add_argument(
        "--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag (repeatable)"
    )
    create.add_argument(
        "--policy-name",
        help="the inline policy's name (default: safeai-execution, safeai-caller or "
        "safeai-audit-reader)",
    )
    create.set_defaults(run=lambda args, out: _run(args, out, _create))


def _caller_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--principal",
        action="append",
        default=[],
        dest="principals",
        metavar="ARN",
        required=required,
        help="an IAM user, role or account ARN that may assume the role (repeatable); users "
        "and accounts must sign in with MFA",
    )
    parser.add_argument(
        "--data-bucket",
        action="append",
        default=[],
        dest="data_buckets",
        metavar="NAME",
        help="a bucket the work reads and writes (repeatable): its settings and objects are "
        "what the guard's pre-flight checks read",
    )
    parser.add_argument(
        "--max-mfa-age",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="how old a person's MFA sign-in may be (default: 3600)",
    )


def _audit_reader_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--trusted-account",
        metavar="ID",
        required=required,
        help="the auditing account (12 digits): the only one that may assume the role",
    )
    parser.add_argument(
        "--external-id",
        metavar="ID",
        help="the external id the auditing account must give when it assumes the role",
    )
    parser.add_argument(
        "--partition",
        default="aws",
        help="the partition of the auditing account's ARN (default: aws; the StackSet "
        "template uses its stack's own)",
    )


def _place_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", help="the 12-digit account id")
    parser.add_argument("--region", help="the region the workload runs in")
    parser.add_argument(
        "--job-type",
        action="append",
        dest="job_types",
        metavar="TYPE",
        help=f"a SageMaker resource type allowed to assume the role (repeatable; default: "
        f"{', '.join(DEFAULT_JOB_TYPES)})",
    )


def _workload_options(parser: argparse.ArgumentParser) -> None:
    _place_options(parser)
    parser.add_argument(
        "--input", action="append", default=[], dest="inputs", metavar="S3_URI", help="read"
    )
    parser.add_argument(
        "--output", action="append", default=[], dest="outputs", metavar="S3_URI", help="write"
    )
    parser.add_argument("--kms-key", metavar="ARN", help="the KMS key ARN")
    parser.add_argument(
        "--ecr-repository",
        action="append",
        default=[],
        dest="ecr_repositories",
        metavar="ARN",
        help="an ECR repository the images come from (repeatable)",
    )
    parser.add_argument("--subnet", action="append", dest="subnets", metavar="ID")
    parser.add_argument(
        "--security-group", action="append", dest="security_group_ids", metavar="ID"
    )
    parser.add_argument("--vpc-id", metavar="ID", help="pins the network interfaces to this VPC")
    parser.add_argument(
        "--no-vpc", dest="vpc", action="store_false", help="the workload runs outside a VPC"
    )


class _Usage(SafeAIError):
    """A value the command needs is missing; the message says which and where it comes from."""


def _run(
    args: argparse.Namespace,
    out: TextIO,
    command: Callable[[argparse.Namespace, TextIO, _Defaults], int],
) -> int:
    try:
        status = command(args, out, _Defaults())
    except _Usage as error:
        print(f"safeai role: {error}", file=sys.stderr)
        return 2
    except SafeAIError as error:
        print(f"safeai role: {error}", file=sys.stderr)
        return 1
    return status


class _Defaults:
    """The policy's values, read once and only when an option is not given."""

    def __init__(self) -> None:
        self._policy: Policy | None = None
        self._error: PolicyError | None = None
        self._loaded = False

    def policy(self) -> Policy | None:
        if not self._loaded:
            from .._policy import Policy

            self._loaded = True
            try:
                self._policy = Policy.load()
            except PolicyError as error:
                self._error = error
        return self._policy

    @property
    def error(self) -> str:
        """Why there is no policy (after :meth:`policy` answered None)."""
        return str(self._error) if self._error else "no policy was found"

    def need(self, value: str | None, option: str, from_policy: str) -> str:
        if value:
            return value
        policy = self.policy()
        found = getattr(policy, from_policy) if policy is not None else None
        if found:
            return str(found)
        reason = f"the policy has no {from_policy}" if policy else f"no policy ({self._error})"
        raise _Usage(f"{option} is required: {reason}")


def _place(args: argparse.Namespace, defaults: _Defaults) -> tuple[str, str]:
    return (
        defaults.need(args.account, "--account", "account_id"),
        defaults.need(args.region, "--region", "effective_region"),
    )


def _document(args: argparse.Namespace, defaults: _Defaults) -> dict[str, Any]:
    account, region = _place(args, defaults)
    policy = defaults.policy()
    key = args.kms_key or (policy.kms_key_id if policy else None)
    if key and not key.startswith("arn:"):
        raise _Usage(f"--kms-key is required: the policy's key {key!r} is not a key ARN")
    return execution_role_policy(
        inputs=args.inputs,
        outputs=args.outputs,
        kms_key_arn=key,
        ecr_repositories=args.ecr_repositories,
        region=region,
        account=account,
        vpc=args.vpc,
        subnets=args.subnets or (policy.subnets if policy else ()),
        security_group_ids=args.security_group_ids or (policy.security_group_ids if policy else ()),
        vpc_id=args.vpc_id,
        managed=getattr(args, "managed", False),
    )


def _trust_document(args: argparse.Namespace, defaults: _Defaults) -> dict[str, Any]:
    account, region = _place(args, defaults)
    return trust_policy(account, region, args.job_types or DEFAULT_JOB_TYPES)


def _policy(args: argparse.Namespace, out: TextIO, defaults: _Defaults) -> int:
    out.write(json.dumps(_document(args, defaults), indent=2) + "\n")
    return 0


def _trust(args: argparse.Namespace, out: TextIO, defaults: _Defaults) -> int:
    out.write(json.dumps(_trust_document(args, defaults), indent=2) + "\n")
    return 0


def _caller_role(args: argparse.Namespace, defaults: _Defaults) -> CallerRole:
    policy = defaults.policy()
    if policy is None:
        raise _Usage(
            f"the caller role is made from the policy (role, key, region): {defaults.error}"
        )
    if not args.principals:
        raise _Usage("--principal is required: who may assume the role")
    return caller_role(
        policy,
        args.principals,
        data_buckets=args.data_buckets,
        max_mfa_age=args.max_mfa_age,
    )


def _caller(args: argparse.Namespace, out: TextIO, defaults: _Defaults) -> int:
    out.write(json.dumps(_caller_role(args, defaults).as_json(), indent=2) + "\n")
    return 0


def _audit_reader_role(args: argparse.Namespace) -> AuditReaderRole:
    if not args.trusted_account:
        raise _Usage("--trusted-account is required: the account the audit is run from")
    return audit_reader_role(
        args.trusted_account, external_id=args.external_id, partition=args.partition
    )


def _audit_reader(args: argparse.Namespace, out: TextIO, defaults: _Defaults) -> int:
    if args.format == "stackset":
        document = audit_reader_stackset_template(
            args.trusted_account, external_id=args.external_id, role_name=args.role_name
        )
    else:
        document = _audit_reader_role(args).as_json()
    out.write(json.dumps(document, indent=2) + "\n")
    return 0


def _create(args: argparse.Namespace, out: TextIO, defaults: _Defaults) -> int:
    tags = {}
    for tag in args.tag:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise _Usage(f"--tag {tag!r}: expected KEY=VALUE")
        tags[key] = value
    if args.caller or args.audit_reader:
        role: CallerRole | AuditReaderRole = (
            _caller_role(args, defaults) if args.caller else _audit_reader_role(args)
        )
        split = len(role.permissions_policies) > 1
        changes = ensure_role(
            args.name,
            trust=role.trust_policy,
            policy=None if split else role.permissions_policies[0],
            policy_name=args.policy_name
            or ("safeai-caller" if args.caller else "safeai-audit-reader"),
            permissions_boundary=args.permissions_boundary,
            tags=tags,
            managed_policies=role.permissions_policies if split else (),
            description=(
                "Launches ML work under the safeai policy (least privilege), made by safeai"
                if args.caller
                else "Read-only audit of SageMaker and its buckets by safeai, made by safeai"
            ),
        )
    else:
        changes = ensure_role(
            args.name,
            trust=_trust_document(args, defaults),
            policy=_document(args, defaults),
            policy_name=args.policy_name or "safeai-execution",
            permissions_boundary=args.permissions_boundary,
            tags=tags,
        )
    if changes:
        out.write(f"role {args.name}: {'; '.join(changes)}\n")
    else:
        out.write(f"role {args.name} is up to date: nothing changed\n")
    return 0
