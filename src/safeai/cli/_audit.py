"""``safeai audit``: the existing SageMaker resources of the account, checked against the policy
with the catalogue the guard enforces."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._detective import AUDITED_TYPES, BUCKETS, RESOURCE_TYPES
from .._exceptions import SafeAIError
from .._report_formats import to_html, to_json, to_sarif, to_table
from ._progress import progress_bar

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from .._audit_model import AuditReport

#: The report formats by their ``--format`` name (the first is the default).
RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "table": to_table,
    "json": to_json,
    "sarif": to_sarif,
    "html": to_html,
}
FORMATS = tuple(RENDERERS)
#: Every resource type a report can hold, in report order: the types listed, then the buckets
#: they name (read from the same source as the report, so they cannot disagree).
TYPES = (*AUDITED_TYPES, BUCKETS)

NO_CREDENTIALS = (
    "no AWS credentials found, so nothing was read: the audit reads the account with the "
    "credentials boto3 finds, as the AWS CLI does. Set them up with `aws configure`, or "
    "`aws sso login --profile NAME` and AWS_PROFILE=NAME, or export AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones); on AWS compute, attach "
    "a role. To try the audit offline, run it against the sandbox: safeai sandbox audit"
)


def register(commands: Any) -> None:
    """Add ``safeai audit`` to the command parsers."""
    parser = commands.add_parser(
        "audit",
        help="check existing jobs, models, endpoints, notebooks, monitoring and pipelines "
        "against the policy; exit 1 on findings, 2 when something could not be read",
        description="Lists and describes the SageMaker resources of the account (read-only "
        "List/Describe calls, with the ambient credentials) and evaluates each with the same "
        "controls the guard enforces. Exit status: 0 clean, 1 findings, 2 an error (a "
        "resource type or resource that could not be read is never reported as clean).",
    )
    parser.add_argument(
        "--region",
        action="extend",
        nargs="+",
        metavar="REGION",
        help="region(s) to audit (repeatable; default: the ambient region, then the policy's)",
    )
    parser.add_argument(
        "--type",
        action="extend",
        nargs="+",
        dest="types",
        metavar="TYPE",
        choices=TYPES,
        help="only these resource types (default: all), with the S3 buckets they name; "
        f"{BUCKETS} alone: only the buckets that resources of every type name. Types: "
        + ", ".join(TYPES),
    )
    parser.add_argument(
        "--organization",
        action="store_true",
        help="audit every ACTIVE account of the organization (from its management account or "
        "a delegated administrator), each through --role-name",
    )
    parser.add_argument(
        "--account",
        action="extend",
        nargs="+",
        dest="accounts",
        metavar="ID",
        help="audit these accounts (repeatable), each through --role-name",
    )
    parser.add_argument(
        "--role-name",
        metavar="NAME",
        help="the role every audited account lets this one assume (safeai role audit-reader)",
    )
    parser.add_argument("--external-id", metavar="ID", help="sent when assuming --role-name")
    parser.add_argument("--format", choices=FORMATS, default=FORMATS[0], help="report format")
    parser.add_argument("--output", metavar="FILE", help="write the report here, not to stdout")
    parser.add_argument("--config", help="policy file (default: found as safeai does)")
    parser.set_defaults(run=lambda args, out: run(out, args))


def run(out: TextIO, args: argparse.Namespace) -> int:
    """Audit, write the report, and return its exit code (2 when the audit could not start:
    a bad policy, no credentials; each is said once, before anything is read)."""
    from .._detective import audit
    from .._policy import Policy

    problems: list[str] = []
    accounts: Any = "organization" if args.organization else args.accounts
    if args.organization and args.accounts:
        problems.append("--organization and --account: choose one")
    if accounts is not None and not args.role_name:
        problems.append("--organization and --account need --role-name (safeai role audit-reader)")
    if accounts is None and (args.role_name or args.external_id):
        problems.append("--role-name and --external-id go with --organization or --account")
    try:
        policy = Policy.load(args.config)
    except SafeAIError as error:
        problems.append(str(error))
    session, problem = _session()
    if problem:
        problems.append(problem)
    if problems:
        for problem in problems:
            print(f"safeai audit: {problem}", file=sys.stderr)
        return 2
    types = list(args.types or ())
    buckets_only = set(types) == {BUCKETS}
    unit = "accounts x regions" if accounts is not None else "resources"
    try:
        with progress_bar(sys.stderr, "auditing", unit) as progress:
            report = audit(
                session,
                policy,
                accounts=accounts,
                role_name=args.role_name,
                external_id=args.external_id,
                regions=args.region,
                # Buckets are found in what the resources name: to find them, list every type
                # that names any (not the IAM users).
                resource_types=(
                    [kind.name for kind in RESOURCE_TYPES]
                    if buckets_only
                    else [t for t in types if t != BUCKETS] or None
                ),
                progress=progress,
            )
    except SafeAIError as error:
        print(f"safeai audit: {error}", file=sys.stderr)
        return 2
    if buckets_only:
        report = _only(report, BUCKETS)
    text = RENDERERS[args.format](report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        out.write(f"safeai audit: {args.format} report written to {args.output}\n")
        out.write(report.summary + "\n")
    else:
        out.write(text)
    return report.exit_code


def _session() -> tuple[Any, str | None]:
    """The ambient boto3 session, and why it cannot read anything (no or unloadable
    credentials), if it cannot."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session()
        credentials = session.get_credentials()
    except BotoCoreError as error:  # an AWS_PROFILE that does not exist, a broken config file
        return None, f"the AWS credentials could not be loaded: {error}"
    if credentials is None:
        return None, NO_CREDENTIALS
    return session, None


def _only(report: AuditReport, resource_type: str) -> AuditReport:
    """``report`` cut down to one resource type. Every error is kept: a type that could not be
    listed may name buckets that were then not checked."""
    return dataclasses.replace(
        report,
        findings=tuple(f for f in report.findings if f.resource_type == resource_type),
        resources=tuple(r for r in report.resources if r.resource_type == resource_type),
        resource_types=(resource_type,),
    )
