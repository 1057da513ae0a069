"""The formats of an audit report: JSON, SARIF 2.1.0 (for GitHub code scanning), a
self-contained HTML page and a plain-text table.

Pure functions of an :class:`~safeai._audit_model.AuditReport` (whose ``to_*`` methods call
them): they read the report and the control catalogue, and nothing else.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .controls import CATALOGUE, Anchors, Control, by_slug

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._audit_model import AuditError, AuditReport, Finding

__all__ = ["artifact_uri", "summary", "to_html", "to_json", "to_sarif", "to_table"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/safeai/safeai"
#: The anchor fields of a control, with the labels the formats show them under.
_ANCHOR_LABELS = (
    ("security_hub", "Security Hub"),
    ("prowler", "Prowler"),
    ("checkov", "Checkov"),
    ("cdk_nag", "cdk-nag"),
    ("iam_condition_keys", "IAM condition keys"),
)
_ABSENT = "(absent)"


def _version() -> str:
    from . import __version__

    return __version__


def _anchors(anchors: Anchors) -> dict[str, list[str]]:
    return {field: list(getattr(anchors, field)) for field, _ in _ANCHOR_LABELS}


def _anchor_text(anchors: Anchors) -> str:
    parts = [
        f"{label} {', '.join(getattr(anchors, field))}"
        for field, label in _ANCHOR_LABELS
        if getattr(anchors, field)
    ]
    return "; ".join(parts)


def _value(found: object) -> str:
    """A found value as one line of text."""
    if found is None:
        return _ABSENT
    if isinstance(found, str):
        return found
    return json.dumps(found, sort_keys=True, default=str)


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "account": finding.account,
        "control": finding.control,
        "title": finding.title,
        "resource_type": finding.resource_type,
        "resource_arn": finding.resource_arn,
        "region": finding.region,
        "path": finding.path,
        "found": finding.found,
        "expected": finding.expected,
        "remedy": finding.remedy,
        "anchors": _anchors(finding.anchors),
    }


def _error_dict(error: AuditError) -> dict[str, Any]:
    return {
        "account": error.account,
        "region": error.region,
        "resource_type": error.resource_type,
        "operation": error.operation,
        "resource": error.resource,
        "code": error.code,
        "message": error.message,
    }


def _with_findings(report: AuditReport) -> dict[str, int]:
    """Resources with at least one finding, per type."""
    arns: dict[str, set[str]] = {name: set() for name in report.resource_types}
    for finding in report.findings:
        arns[finding.resource_type].add(finding.resource_arn)
    return {name: len(found) for name, found in arns.items()}


# -- JSON --------------------------------------------------------------------------------------


def to_json(report: AuditReport) -> str:
    """The whole report, one JSON document (``found`` values redacted as in the findings)."""
    with_findings = _with_findings(report)
    document = {
        "tool": {"name": "safeai", "version": _version()},
        "exit_code": report.exit_code,
        "accounts": {
            "audited": [a for a in report.accounts if a not in report.unread_accounts],
            "unread": list(report.unread_accounts),
        },
        "regions": list(report.regions),
        "summary": {
            "resources": len(report.resources),
            "findings": len(report.findings),
            "errors": len(report.errors),
            "api_calls": report.api_calls,
            "duration_seconds": round(report.duration_seconds, 3),
        },
        "resource_types": {
            name: {"evaluated": count, "with_findings": with_findings[name]}
            for name, count in report.resource_counts.items()
        },
        "findings": [_finding_dict(finding) for finding in report.findings],
        "errors": [_error_dict(error) for error in report.errors],
        "resources": [
            {
                "account": r.account,
                "resource_type": r.resource_type,
                "arn": r.arn,
                "region": r.region,
            }
            for r in report.resources
        ],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


# -- SARIF -------------------------------------------------------------------------------------

#: The catalogue carries no severity: every control is part of the baseline the policy
#: requires, so every finding is reported as a high-severity security result.
_SECURITY_SEVERITY = "7.0"
#: GitHub shows shortDescription and fullDescription up to this many characters.
_DESCRIPTION_LIMIT = 1024


def _rule_name(slug: str) -> str:
    """``training.network_isolation`` -> ``TrainingNetworkIsolation`` (SARIF names are
    identifiers)."""
    return "".join(part.capitalize() for part in re.split(r"[._]", slug))


def _rule(
    slug: str, *, title: str, description: str, remedy: str, anchors: Anchors
) -> dict[str, Any]:
    corresponds = _anchor_text(anchors)
    help_text = f"Fix: {remedy}"
    if corresponds:
        help_text += f"\nCorresponds to: {corresponds}."
    tags = ["security", "aws", "sagemaker", slug.split(".", 1)[0]]
    tags += [
        anchor
        for field in ("security_hub", "prowler", "checkov")
        for anchor in getattr(anchors, field)
    ]
    return {
        "id": slug,
        "name": _rule_name(slug),
        "shortDescription": {"text": title[:_DESCRIPTION_LIMIT]},
        "fullDescription": {"text": description[:_DESCRIPTION_LIMIT]},
        "help": {
            "text": help_text,
            "markdown": f"**Fix:** {remedy}"
            + (f"\n\n**Corresponds to:** {corresponds}." if corresponds else ""),
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "security-severity": _SECURITY_SEVERITY,
            "anchors": _anchors(anchors),
        },
    }


def _control_rule(control: Control) -> dict[str, Any]:
    if control.targets:
        where = f"checked on the {', '.join(control.operations)} request shape"
    else:
        # A control with no targets guards no request field: the audit finds it by reading the
        # account (a bucket a resource names that no longer exists).
        where = "checked on what the audit reads from the account"
    return _rule(
        control.slug,
        title=control.title,
        description=f"{control.title}; {where}.",
        remedy=control.remedy,
        anchors=control.anchors,
    )


def _finding_rule(finding: Finding) -> dict[str, Any]:
    """The rule of a finding whose control the catalogue does not hold, from the finding."""
    return _rule(
        finding.control,
        title=finding.title,
        description=f"{finding.title}.",
        remedy=finding.remedy,
        anchors=finding.anchors,
    )


def _rules(report: AuditReport) -> list[dict[str, Any]]:
    """Every control that applies to a request, in catalogue order, then every other control
    a finding names: each result must point at a rule of the same log."""
    rules = [_control_rule(control) for control in CATALOGUE if control.targets]
    listed = {rule["id"] for rule in rules}
    for finding in report.findings:
        if finding.control in listed:
            continue
        control = by_slug(finding.control)
        rules.append(_control_rule(control) if control else _finding_rule(finding))
        listed.add(finding.control)
    return rules


def artifact_uri(arn: str) -> str:
    """A relative, stable path standing for a resource in SARIF's physical location.

    GitHub needs a file-like location for every result, but a cloud resource is no file; an
    absolute URI (the ARN itself) would be rejected when its scheme differs from the checkout's.
    ``arn:aws:sagemaker:us-east-1:123456789012:model/m`` ->
    ``aws/sagemaker/us-east-1/123456789012/model/m``.
    """
    parts = arn.split(":", 5)[1:]
    return "/".join(quote(part, safe="/-_.") for part in parts if part)


def _fingerprint(finding: Finding) -> str:
    # The account too: a bucket's ARN names none, and two accounts may hold same-named
    # resources whose alerts must stay apart.
    key = "\0".join((finding.account, finding.control, finding.resource_arn, finding.path))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _message(finding: Finding) -> str:
    return (
        f"{finding.title}: {finding.resource_arn} has {finding.path} = {_value(finding.found)} "
        f"(required: {finding.expected}). Fix: {finding.remedy}"
    )


def _result(finding: Finding, index: int) -> dict[str, Any]:
    # The resource's own name: after the type's slash (``model/m``), or after the last colon
    # where the ARN has no type (``arn:aws:s3:::bucket``).
    name = re.split(r"[:/]", finding.resource_arn)[-1]
    return {
        "ruleId": finding.control,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": _message(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(finding.resource_arn)},
                    # The artifact is not a file: one empty region at its start.
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                },
                "logicalLocations": [
                    {
                        "name": name,
                        "fullyQualifiedName": finding.resource_arn,
                        "kind": "resource",
                    }
                ],
                "message": {"text": finding.path},
            }
        ],
        # GitHub matches alerts across runs by this key alone; without it the upload action
        # would try to hash lines of a source file that does not exist.
        "partialFingerprints": {"primaryLocationLineHash": _fingerprint(finding)},
        "properties": {
            "account": finding.account,
            "resourceArn": finding.resource_arn,
            "resourceType": finding.resource_type,
            "region": finding.region,
            "path": finding.path,
            "found": finding.found,
            "expected": finding.expected,
        },
    }


def _notification(error: AuditError) -> dict[str, Any]:
    where = f"{error.account} {error.region} {error.resource_type}".lstrip()
    if error.resource:
        where += f" {error.resource}"
    return {
        "level": "error",
        "message": {
            "text": f"{where}: {error.operation} failed ({error.code}): {error.message}; "
            "this part of the account was not audited"
        },
        "properties": _error_dict(error),
    }


def to_sarif(report: AuditReport) -> str:
    """A SARIF 2.1.0 log with one run: every control that applies to a request, and any other
    control a finding names, as a rule; every finding as a result; every read that failed as a
    tool execution notification."""
    rules = _rules(report)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "safeai",
                "version": _version(),
                "semanticVersion": _version(),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        # The category is everything before the last slash: one per set of regions, so that
        # audits of different regions uploaded for one commit do not replace each other.
        "automationDetails": {"id": f"safeai-audit/{'+'.join(report.regions)}/"},
        "invocations": [
            {
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": [_notification(e) for e in report.errors],
            }
        ],
        "results": [_result(f, index[f.control]) for f in report.findings],
        "properties": {
            "accounts": list(report.accounts),
            "unreadAccounts": list(report.unread_accounts),
            "regions": list(report.regions),
            "resourceTypes": report.resource_counts,
            "apiCalls": report.api_calls,
            "durationSeconds": round(report.duration_seconds, 3),
        },
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, default=str) + "\n"


# -- table -------------------------------------------------------------------------------------

_FOUND_WIDTH = 48


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _columns(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]


def to_table(report: AuditReport) -> str:
    """Findings, resources per type and errors as aligned plain-text columns."""
    lines: list[str] = []
    many = len(report.accounts) > 1
    if report.findings:
        rows = [
            ((f.account,) if many else ())
            + (f.control, f.resource_arn, f.path, _clip(_value(f.found), _FOUND_WIDTH))
            for f in report.findings
        ]
        headers = ("CONTROL", "RESOURCE", "PATH", "FOUND")
        lines += _columns((("ACCOUNT",) if many else ()) + headers, rows)
        lines.append("")
    with_findings = _with_findings(report)
    lines += _columns(
        ("RESOURCE TYPE", "EVALUATED", "WITH FINDINGS"),
        [
            (name, str(count), str(with_findings[name]))
            for name, count in report.resource_counts.items()
        ],
    )
    if report.errors:
        lines.append("")
        lines += _columns(
            ("ACCOUNT", "REGION", "RESOURCE TYPE", "OPERATION", "CODE", "RESOURCE"),
            [
                (
                    e.account or "-",
                    e.region,
                    e.resource_type,
                    e.operation,
                    e.code,
                    e.resource or "(all)",
                )
                for e in report.errors
            ],
        )
    lines += ["", summary(report)]
    return "\n".join(lines) + "\n"


def summary(report: AuditReport) -> str:
    """One line: findings, resources, regions, errors, API calls and time."""
    affected = len({(f.account, f.resource_arn) for f in report.findings})
    where = ", ".join(report.regions)
    if len(report.accounts) > 1:
        where = f"{len(report.accounts)} accounts x {where}"
    text = (
        f"{len(report.findings)} finding(s) on {affected} of {len(report.resources)} "
        f"resource(s) in {where}; {len(report.errors)} error(s); "
        f"{report.api_calls} API calls in {report.duration_seconds:.1f} s"
    )
    if report.unread_accounts:
        text += (
            f"; NOT a complete audit: {len(report.unread_accounts)} account(s) could not be "
            f"read ({', '.join(report.unread_accounts)})"
        )
    elif report.errors:
        text += "; NOT a complete audit: some resources could not be read"
    return text + "."


# -- HTML --------------------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-size:.92em}
.status{padding:.5em .8em;border-radius:4px;display:inline-block}
.clean{background:#dafbe1}.findings{background:#fff8c5}.errors{background:#ffebe9}
"""


def _cell(text: object) -> str:
    return f"<td>{html.escape(str(text))}</td>"


def _code_cell(text: str) -> str:
    return f"<td><code>{html.escape(text)}</code></td>"


def _html_table(headers: tuple[str, ...], rows: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html_findings(findings: list[Finding]) -> str:
    return _html_table(
        ("Control", "Resource", "Field", "Found", "Required", "Fix", "Corresponds to"),
        [
            "<tr>"
            + f"<td><code>{html.escape(f.control)}</code><br>{html.escape(f.title)}</td>"
            + _code_cell(f.resource_arn)
            + _code_cell(f.path)
            + _code_cell(_value(f.found))
            + _cell(f.expected)
            + _cell(f.remedy)
            + _cell(_anchor_text(f.anchors))
            + "</tr>"
            for f in findings
        ],
    )


def to_html(report: AuditReport) -> str:
    """One self-contained page (no scripts, styles inline, every value escaped)."""
    status = {0: "clean", 1: "findings", 2: "errors"}[report.exit_code]
    with_findings = _with_findings(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>safeai audit</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>safeai audit: {html.escape(', '.join(report.regions))}</h1>",
        f'<p class="status {status}">{html.escape(summary(report))}</p>',
        "<h2>Findings</h2>",
    ]
    if report.findings:
        by_account: dict[str, list[Finding]] = {}
        for finding in report.findings:
            by_account.setdefault(finding.account, []).append(finding)
        for account, findings in by_account.items():
            if len(report.accounts) > 1:
                parts.append(f"<h3>Account {html.escape(account)}</h3>")
            parts.append(_html_findings(findings))
    else:
        parts.append("<p>None.</p>")
    if report.unread_accounts:
        parts.append("<h2>Accounts not read</h2>")
        parts.append(
            "<ul>"
            + "".join(f"<li><code>{html.escape(a)}</code></li>" for a in report.unread_accounts)
            + "</ul>"
        )
    parts.append("<h2>Resources evaluated</h2>")
    parts.append(
        _html_table(
            ("Resource type", "Evaluated", "With findings"),
            [
                f"<tr>{_code_cell(name)}{_cell(count)}{_cell(with_findings[name])}</tr>"
                for name, count in report.resource_counts.items()
            ],
        )
    )
    if report.errors:
        parts.append("<h2>Errors: not audited</h2>")
        parts.append(
            _html_table(
                ("Account", "Region", "Resource type", "Operation", "Resource", "Code", "Message"),
                [
                    "<tr>"
                    + _cell(e.account or "-")
                    + _cell(e.region)
                    + _code_cell(e.resource_type)
                    + _code_cell(e.operation)
                    + _code_cell(e.resource or "(all)")
                    + _cell(e.code)
                    + _cell(e.message)
                    + "</tr>"
                    for e in report.errors
                ],
            )
        )
    parts.append(
        f"<p>safeai {html.escape(_version())}: {len(report.resources)} resources, "
        f"{report.api_calls} API calls, {report.duration_seconds:.1f} s.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
