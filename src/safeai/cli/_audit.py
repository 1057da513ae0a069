"""``safeai audit``: the existing SageMaker resources of the account, checked against the policy
with the catalogue the guard enforces."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._detective import RESOURCE_TYPES
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
        choices=[kind.name for kind in RESOURCE_TYPES],
        help="only these resource types (default: all): "
        + ", ".join(kind.name for kind in RESOURCE_TYPES),
    )
    parser.add_argument("--format", choices=FORMATS, default=FORMATS[0], help="report format")
    parser.add_argument("--output", metavar="FILE", help="write the report here, not to stdout")
    parser.add_argument("--config", help="policy file (default: found as safeai does)")
    parser.set_defaults(run=lambda args, out: run(out, args))


def run(out: TextIO, args: argparse.Namespace) -> int:
    """Audit, write the report, and return its exit code (2 when the audit could not start)."""
    import boto3

    from .._detective import audit
    from .._policy import Policy

    try:
        policy = Policy.load(args.config)
        with progress_bar(sys.stderr, "auditing", "resources") as progress:
            report = audit(
                boto3.Session(),
                policy,
                regions=args.region,
                resource_types=args.types,
                progress=progress,
            )
    except SafeAIError as error:
        print(f"safeai audit: {error}", file=sys.stderr)
        return 2
    text = RENDERERS[args.format](report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        out.write(f"safeai audit: {args.format} report written to {args.output}\n")
        out.write(report.summary + "\n")
    else:
        out.write(text)
    return report.exit_code
