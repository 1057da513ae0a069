"""``safeai scan s3://bucket/prefix``: the personal data under an S3 location, as the guard's PII
pre-flight would judge it."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from .._exceptions import SafeAIError
from ._progress import progress_bar


def register(commands: Any) -> None:
    """Add ``safeai scan`` to the command parsers."""
    parser = commands.add_parser(
        "scan",
        help="scan an S3 location for personal data; exit 1 when the policy would block it",
        description="Lists the objects under the location and classifies those not already "
        "known unchanged (Amazon Macie or the local scanner), then prints the objects with "
        "personal data or without a verdict. Exit status: 0 passes, 1 blocked, 2 error.",
    )
    parser.add_argument("uri", help="s3://bucket/prefix")
    parser.add_argument(
        "--scanner",
        choices=("macie", "local"),
        default=None,
        help="the scanner (default: the policy's pii_scanner)",
    )
    parser.set_defaults(run=lambda args, out: run(args.uri, args.scanner, out))


def run(uri: str, scanner: str | None, out: TextIO) -> int:
    """Scan ``uri`` and print the findings table."""
    from .._policy import Policy
    from ..pii._scan import scan

    try:
        policy = Policy.load()
        with progress_bar(sys.stderr, "scanning", "objects") as progress:
            report = scan(uri, policy=policy, scanner=scanner, progress=progress)
    except SafeAIError as error:
        print(f"safeai scan: {error}", file=sys.stderr)
        return 2
    out.write(report.table() + "\n")
    return 1 if report.blocked else 0
