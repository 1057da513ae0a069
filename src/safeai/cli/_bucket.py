"""``safeai bucket secure NAME``: create a bucket or bring it to the secure baseline."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from .._exceptions import PolicyError, PreflightError, SecurityViolation


def register(commands: Any) -> None:
    """Add ``safeai bucket`` to the command parsers."""
    parser = commands.add_parser(
        "bucket",
        help="S3 buckets: bring one to the secure baseline",
        description="Commands on S3 buckets, with the configured policy's key.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    secure = actions.add_parser(
        "secure",
        help="create NAME or bring it to the baseline (idempotent)",
        description="Default SSE-KMS with the policy's key and a Bucket Key, all four Block "
        "Public Access settings, ACLs disabled, versioning, and a bucket policy denying "
        "plain-HTTP access and other encryption (merged into an existing policy). Prints what "
        "changed.",
    )
    secure.add_argument("name", help="the bucket name")
    secure.add_argument(
        "--dry-run", action="store_true", help="print what would change; change nothing"
    )
    secure.set_defaults(run=lambda args, out: run(args.name, args.dry_run, out))


def run(name: str, dry_run: bool, out: TextIO) -> int:
    """Secure bucket ``name``; 1 when the policy, AWS or the bucket's own policy prevents it."""
    from .._policy import Policy
    from ..s3 import secure_bucket

    try:
        report = secure_bucket(name, policy=Policy.load(), dry_run=dry_run)
    except (PolicyError, PreflightError, SecurityViolation) as error:
        print(f"safeai bucket secure: {error}", file=sys.stderr)
        return 1
    out.write(f"{report}\n")
    return 0
