"""What a detective audit found: findings, the resources it evaluated, the reads that failed.

A leaf module: plain records and the facts derived from them (exit code, counts), with no I/O.
:mod:`safeai._detective` reads the account and builds these; :mod:`safeai._report_formats`
renders them (table, JSON, SARIF, HTML); the CLI and the notebook door only show them. A report
can therefore be built by hand, stored, or rendered without boto3 or the guard being imported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .controls import Anchors

__all__ = ["AuditError", "AuditReport", "AuditedResource", "Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One control an existing resource does not meet.

    ``path`` is the field in the ``Describe*`` answer (for an endpoint, the configuration or
    model it names, as ``EndpointConfigName='c' -> KmsKeyId``); ``found`` is its value, redacted
    where the field is free-form (None: the field is absent); ``expected`` and ``remedy`` are the
    control's, and ``anchors`` its Security Hub, Prowler and Checkov counterparts.
    """

    control: str
    title: str
    resource_type: str
    resource_arn: str
    region: str
    path: str
    found: object
    expected: str
    remedy: str
    anchors: Anchors
    #: The AWS account the resource is in.
    account: str = ""


@dataclass(frozen=True, slots=True)
class AuditedResource:
    """A resource that was described and evaluated."""

    resource_type: str
    arn: str
    region: str
    account: str = ""


@dataclass(frozen=True, slots=True)
class AuditError:
    """A read that failed: a whole resource type (``resource`` is None: the list call failed),
    one resource, or a whole account (``resource_type`` ``account``: its role could not be
    assumed). Any error makes the report's exit code 2."""

    region: str
    resource_type: str
    operation: str
    resource: str | None
    code: str
    message: str
    account: str = ""


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What :func:`safeai.audit` found, with what it looked at and what it could not read.

    ``exit_code`` is 0 when every listed resource was evaluated and none has a finding, 1 when
    there are findings, and 2 when any read failed (whatever was found besides). The ``to_*``
    methods render the report with :mod:`safeai._report_formats`.
    """

    findings: tuple[Finding, ...]
    resources: tuple[AuditedResource, ...]
    errors: tuple[AuditError, ...]
    api_calls: int
    duration_seconds: float
    regions: tuple[str, ...]
    resource_types: tuple[str, ...]
    #: Every account the audit was to read, in order; ``unread_accounts`` those it could not
    #: enter at all (each with an error). A single-account audit names the session's account.
    accounts: tuple[str, ...] = ()
    unread_accounts: tuple[str, ...] = ()

    @property
    def resource_counts(self) -> dict[str, int]:
        """Resources evaluated per type, every audited type included (in report order)."""
        counts = Counter(resource.resource_type for resource in self.resources)
        return {name: counts[name] for name in self.resource_types}

    @property
    def exit_code(self) -> Literal[0, 1, 2]:
        """0 clean, 1 findings, 2 errors (an audit that could not look is not clean)."""
        if self.errors:
            return 2
        return 1 if self.findings else 0

    # The formats are imported when first used: they read the control catalogue (for SARIF
    # rules), which a report that is only built, counted or compared does not need.

    @property
    def summary(self) -> str:
        """One line: findings, resources, regions, errors, API calls and time."""
        from ._report_formats import summary

        return summary(self)

    def to_json(self) -> str:
        """The report as a JSON document."""
        from ._report_formats import to_json

        return to_json(self)

    def to_sarif(self) -> str:
        """The report as a SARIF 2.1.0 log that GitHub code scanning accepts."""
        from ._report_formats import to_sarif

        return to_sarif(self)

    def to_html(self) -> str:
        """The report as a self-contained HTML page."""
        from ._report_formats import to_html

        return to_html(self)

    def to_table(self) -> str:
        """The report as plain text with aligned columns."""
        from ._report_formats import to_table

        return to_table(self)
