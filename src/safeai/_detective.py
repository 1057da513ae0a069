"""The detective audit: what already exists in an account, checked against the catalogue the
guard enforces.

For each region it lists the SageMaker resources of every kind the catalogue covers (boto3
paginators, 100 a page), describes each one on a small thread pool, and evaluates the
``Describe*`` answer with :func:`safeai._engine.evaluate` under the operation that creates that
kind of resource: a ``Describe*`` answer has the shape of the ``Create*`` request, so a finding
here and a refusal by the guard come from the same catalogue entry and always agree. An
endpoint is checked as the guard checks ``CreateEndpoint``: through the endpoint configuration
and the models it names (:mod:`safeai._references`).

Every request is a read (``List*``, ``Describe*``), which no control guards. Throttling is left
to botocore's adaptive retry mode. An error is reported with the region, the resource type and
the resource, and never hides the rest: the audit goes on, and the report's exit code says
that it could not look everywhere (fail closed: an audit that could not look is not clean).

This module runs the audit and judges what it reads; the reads themselves (the clients, the
listings, the describes, the bucket settings) are in :mod:`safeai._readers`. What it builds
(:class:`AuditReport` and its records) is in :mod:`safeai._audit_model`, and how a report is
rendered in :mod:`safeai._report_formats`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._audit import redact
from ._audit_model import AuditedResource, AuditError, AuditReport, Finding
from ._engine import evaluate
from ._exceptions import PreflightError, SafeAIError, SecurityViolation
from ._paths import MISSING
from ._readers import audit_clients, describe_listed, list_entries
from ._references import check_references
from .controls import Anchors, AuditListing, by_slug
from .controls._resources import audit_listings

if TYPE_CHECKING:
    from ._policy import Policy

# The report's records live in a leaf module (_audit_model); they are re-exported here, where
# they were first defined, so that ``from safeai._detective import AuditReport`` keeps working.
__all__ = [
    "RESOURCE_TYPES",
    "AuditError",
    "AuditReport",
    "AuditedResource",
    "Finding",
    "audit",
]

#: Workers per region: SageMaker's Describe* rate limits are per account and region, and eight
#: concurrent readers stay well inside them while hiding most of the round-trip latency.
DEFAULT_WORKERS = 8
#: Regions read at the same time (each with its own workers): rate limits are per region, but
#: threads are not free.
_REGIONS_AT_ONCE = 4


#: What the audit lists and describes, in report order (the resource registry's listings). The
#: S3 buckets these resources name are audited after them (``BUCKETS``), through their S3
#: settings.
RESOURCE_TYPES: tuple[AuditListing, ...] = audit_listings()


#: The resource type of the S3 buckets the audited resources name (read, not listed).
BUCKETS = "s3-bucket"
#: The finding of a bucket a resource names that no longer exists.
MISSING_BUCKET = "s3.named_bucket"


def audit(
    session: Any,
    policy: Policy,
    *,
    regions: Sequence[str] | None = None,
    resource_types: Collection[str] | None = None,
    max_workers: int = DEFAULT_WORKERS,
    progress: Callable[[int, int], None] | None = None,
    buckets: bool = True,
) -> AuditReport:
    """Audit the existing SageMaker resources of ``session``'s account against ``policy``, and
    the S3 buckets they name.

    ``session`` is a ``boto3.Session`` or a :class:`safeai.SecureSession`. ``regions`` (one
    name or several) defaults to the session's region, then the policy's; ``resource_types``
    (names of :data:`RESOURCE_TYPES`) to all of them. With ``buckets``, every S3 bucket an
    audited resource names (its inputs, outputs, model data) is checked with the S3 controls:
    default encryption, Block Public Access, ownership, bucket policy, versioning. Each region
    is read by ``max_workers`` threads. ``progress(done, total)`` is called, one call at a
    time, as resources are evaluated.

    >>> report = safeai.audit(boto3.Session(), policy, regions=["eu-west-1"])
    >>> report.exit_code, len(report.findings)
    """
    chosen = _chosen_types(resource_types)
    wanted = (regions,) if isinstance(regions, str) else tuple(regions or ())
    if not wanted:
        default = getattr(session, "region_name", None) or policy.effective_region
        if not default:
            raise SafeAIError("no region to audit: pass regions=[...] or set the session's region")
        wanted = (default,)
    if max_workers < 1:
        raise SafeAIError(f"max_workers must be at least 1, found {max_workers}")
    tally = _Tally(progress)
    started = time.monotonic()
    # boto3 sessions are not thread-safe: every client is made here, before any thread starts.
    services = dict.fromkeys([*(kind.service for kind in chosen), *(("s3",) if buckets else ())])
    region_clients = [
        (
            region,
            audit_clients(
                session, region, services, workers=max_workers, on_request=tally.request_sent
            ),
        )
        for region in wanted
    ]
    with ThreadPoolExecutor(max_workers=min(len(region_clients), _REGIONS_AT_ONCE)) as regions_pool:
        parts = list(
            regions_pool.map(
                lambda pair: _Region(pair[0], pair[1], policy, tally).run(
                    chosen, max_workers, buckets=buckets
                ),
                region_clients,
            )
        )
    names = [kind.name for kind in chosen] + ([BUCKETS] if buckets else [])
    order = {name: index for index, name in enumerate(names)}
    findings = [finding for part in parts for finding in part.findings]
    findings.sort(
        key=lambda f: (f.region, order[f.resource_type], f.resource_arn, f.path, f.control)
    )
    resources = [resource for part in parts for resource in part.resources]
    resources.sort(key=lambda r: (r.region, order[r.resource_type], r.arn))
    errors = [error for part in parts for error in part.errors]
    errors.sort(key=lambda e: (e.region, order[e.resource_type], e.resource or "", e.operation))
    return AuditReport(
        findings=tuple(findings),
        resources=tuple(resources),
        errors=tuple(errors),
        api_calls=tally.calls,
        duration_seconds=time.monotonic() - started,
        regions=wanted,
        resource_types=tuple(names),
    )


def _chosen_types(names: Collection[str] | None) -> tuple[AuditListing, ...]:
    if names is None:
        return RESOURCE_TYPES
    if isinstance(names, str):
        names = (names,)
    known = {kind.name for kind in RESOURCE_TYPES}
    unknown = sorted(set(names) - known)
    if unknown:
        raise SafeAIError(
            f"unknown resource type(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return tuple(kind for kind in RESOURCE_TYPES if kind.name in names)


class _Tally:
    """Counts the requests sent and the resources evaluated, and reports progress."""

    def __init__(self, progress: Callable[[int, int], None] | None) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self.calls = 0
        self.done = 0
        self.total = 0

    def request_sent(self, **_: Any) -> None:
        """A ``before-send`` handler: one HTTP request, retries included."""
        with self._lock:
            self.calls += 1

    def listed(self, count: int) -> None:
        with self._lock:
            self.total += count
            self._report()

    def evaluated(self) -> None:
        with self._lock:
            self.done += 1
            self._report()

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(self.done, self.total)


@dataclass(frozen=True, slots=True)
class _Listed:
    kind: AuditListing
    name: str
    arn: str


class _Region:
    """The audit of one region: list every type, then describe and evaluate every resource."""

    def __init__(
        self, region: str, clients: Mapping[str, Any], policy: Policy, tally: _Tally
    ) -> None:
        self.region = region
        self.clients = clients
        self.policy = policy
        self.tally = tally
        self.findings: list[Finding] = []
        self.resources: list[AuditedResource] = []
        self.errors: list[AuditError] = []
        #: The S3 buckets the audited resources name.
        self.buckets: set[str] = set()
        self._lock = threading.Lock()

    def run(self, kinds: Sequence[AuditListing], workers: int, *, buckets: bool) -> _Region:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            listed = [item for items in pool.map(self._list, kinds) for item in items]
            self.tally.listed(len(listed))
            for done in as_completed([pool.submit(self._evaluate, item) for item in listed]):
                done.result()  # a bug, not an AWS error, would surface here
                self.tally.evaluated()
            named = sorted(self.buckets) if buckets else []
            self.tally.listed(len(named))
            for done in as_completed([pool.submit(self._bucket, name) for name in named]):
                done.result()
                self.tally.evaluated()
        return self

    def _bucket(self, name: str) -> None:
        """Check one bucket's settings as the guard checks the requests that set them."""
        from botocore.exceptions import BotoCoreError, ClientError

        from ._buckets import read_settings, violations

        arn = f"arn:aws:s3:::{name}"
        try:
            settings = read_settings(self.clients["s3"], name)
        except ClientError as error:
            if _error_code(error) == "NoSuchBucket":
                self._missing_bucket(name, arn)
                return
            self._bucket_error(error.operation_name, arn, error)
            return
        except BotoCoreError as error:
            self._bucket_error("GetBucket*", arn, error)
            return
        findings = [
            self._finding_of(BUCKETS, arn, violation)
            for violation in violations(name, settings, self.policy)
        ]
        with self._lock:
            self.resources.append(AuditedResource(BUCKETS, arn, self.region))
            self.findings += findings

    def _missing_bucket(self, name: str, arn: str) -> None:
        """A bucket deleted since a resource named it: anyone may claim the name."""
        control = by_slug(MISSING_BUCKET)
        missing = SecurityViolation(
            control=MISSING_BUCKET,
            operation="GetBucket*",
            path="Bucket",
            found=f"no bucket named {name!r} (NoSuchBucket)",
            expected="the bucket a resource names exists, in this account",
            remedy=control.remedy if control is not None else "",
        )
        with self._lock:
            self.resources.append(AuditedResource(BUCKETS, arn, self.region))
            self.findings.append(self._finding_of(BUCKETS, arn, missing))

    def _bucket_error(self, operation: str, arn: str, error: Exception) -> None:
        with self._lock:
            self.errors.append(
                AuditError(self.region, BUCKETS, operation, arn, _error_code(error), str(error))
            )

    def _list(self, kind: AuditListing) -> list[_Listed]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            entries = list_entries(self.clients[kind.service], kind)
        except (BotoCoreError, ClientError) as error:
            # What the pages before the failure listed is not audited either: the type as a
            # whole could not be read, and the report says so.
            self._failed(kind, kind.list_operation, None, error)
            return []
        return [_Listed(kind, entry[kind.name_key], entry[kind.arn_key]) for entry in entries]

    def _evaluate(self, item: _Listed) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        kind = item.kind
        client = self.clients[kind.service]
        try:
            document = describe_listed(client, kind, item.name)
            violations = self._check(kind, client, document)
        except (BotoCoreError, ClientError) as error:
            self._failed(kind, kind.describe_operation, item.arn, error)
            return
        except PreflightError as error:  # a configuration or model it names cannot be read
            cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
            self._error(
                kind,
                getattr(cause, "operation_name", kind.describe_operation),
                item.arn,
                _error_code(cause),
                f"{error.resource!r}, which it names, cannot be read: {cause}",
            )
            return
        findings = [self._finding(kind, item.arn, violation) for violation in violations]
        named = set(_buckets_named(document))
        with self._lock:
            self.resources.append(AuditedResource(kind.name, item.arn, self.region))
            self.findings += findings
            self.buckets |= named

    def _check(
        self, kind: AuditListing, client: Any, document: dict[str, Any]
    ) -> list[SecurityViolation]:
        document.pop("ResponseMetadata", None)
        for described, created in kind.renames:
            if described in document:
                document[created] = document.pop(described)
        if kind.references:
            return check_references(client, kind.create_operation, document, self.policy)
        return evaluate(kind.create_operation, document, self.policy)

    def _finding(self, kind: AuditListing, arn: str, violation: SecurityViolation) -> Finding:
        return self._finding_of(kind.name, arn, violation)

    def _finding_of(self, resource_type: str, arn: str, violation: SecurityViolation) -> Finding:
        control = by_slug(violation.control)
        return Finding(
            control=violation.control,
            title=control.title if control is not None else violation.control,
            resource_type=resource_type,
            resource_arn=arn,
            region=self.region,
            path=violation.path,
            found=_shown(violation.path, violation.found),
            expected=str(violation.expected),
            remedy=violation.remedy,
            anchors=control.anchors if control is not None else Anchors(),
        )

    def _failed(
        self, kind: AuditListing, operation: str, resource: str | None, error: Exception
    ) -> None:
        self._error(kind, operation, resource, _error_code(error), str(error))

    def _error(
        self, kind: AuditListing, operation: str, resource: str | None, code: str, message: str
    ) -> None:
        with self._lock:
            self.errors.append(
                AuditError(self.region, kind.name, operation, resource, code, message)
            )


def _buckets_named(document: object) -> list[str]:
    """The buckets of every ``s3://`` URI in a ``Describe*`` answer (a pipeline's definition, a
    JSON string, included)."""
    if isinstance(document, Mapping):
        return [name for value in document.values() for name in _buckets_named(value)]
    if isinstance(document, list):
        return [name for value in document for name in _buckets_named(value)]
    if isinstance(document, str):
        return [
            uri.split("/", 1)[0]
            for uri in _S3_URI.findall(document)
            if uri and not uri.startswith("{")
        ]
    return []


_S3_URI = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])")


def _error_code(error: Exception) -> str:
    """The AWS error code of a ``ClientError``; the exception's class name otherwise."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


def _shown(path: str, found: object) -> object:
    """``found`` as a report may show it: None for an absent field, free-form values redacted
    by the name of the field that holds them (the last member of ``path``)."""
    if found is MISSING:
        return None
    member = path.rsplit(" -> ", 1)[-1].rsplit(".", 1)[-1].split("[", 1)[0]
    return redact({member: found})[member]
