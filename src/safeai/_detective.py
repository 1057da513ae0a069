"""The detective audit: what already exists in an account, checked against the catalogue the
guard enforces.

For each region it lists the SageMaker resources of every kind the catalogue covers (boto3
paginators, 100 a page), describes each one on a small thread pool, and evaluates the
``Describe*`` answer with :func:`safeai._engine.evaluate` under the operation that creates that
kind of resource: a ``Describe*`` answer has the shape of the ``Create*`` request, so a finding
here and a refusal by the guard come from the same catalogue entry and always agree. An
endpoint is checked as the guard checks ``CreateEndpoint``: through the endpoint configuration
and the models it names (:mod:`safeai._references`).

A Studio user profile is named by its domain and its own name, and listed without its ARN: the
one in its ``Describe*`` answer is reported.

For the account as a whole (once per audit, whatever the regions; reported in region
``global``), the IAM users with an active access key who may call SageMaker are reported under
``client.temporary_credentials`` (:mod:`safeai._audit_identity`), and the account's S3 Block
Public Access is checked (``s3-account``); in every region, its S3 access points are
(``s3-access-point``, :mod:`safeai._audit_account`).

With ``accounts=``, every account of an organization (or of a list) is audited so, each through
a role it trusts the auditor with, a few at a time; every record names its account.

Every request is a read (``List*``, ``Describe*``, ``Get*``), which no control guards.
Throttling is left to botocore's adaptive retry mode. An error is reported with the region, the
resource type and the resource, and never hides the rest: the audit goes on, and the report's
exit code says that it could not look everywhere (fail closed: an audit that could not look is
not clean).

This module runs the audit and judges what it reads; the reads themselves (the clients, the
listings, the describes, the bucket settings) are in :mod:`safeai._readers`, and what every
reader shares (the tally, a reader's records) in :mod:`safeai._audit_parts`. What it builds
(:class:`AuditReport` and its records) is in :mod:`safeai._audit_model`, and how a report is
rendered in :mod:`safeai._report_formats`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ._audit import redact
from ._audit_account import S3_ACCESS_POINTS, S3_ACCOUNT, AccessPoints, AccountPublicAccess
from ._audit_identity import (
    GLOBAL,
    IAM_USERS,
    TEMPORARY_CREDENTIALS,
    IamUsers,
    SageMakerGrant,
    sagemaker_action,
)
from ._audit_model import AuditedResource, AuditError, AuditReport, Finding
from ._audit_parts import Part, Tally, error_code
from ._engine import evaluate
from ._exceptions import PreflightError, SafeAIError, SecurityViolation
from ._iam_actions import ACCOUNT_ID, partition
from ._paths import MISSING
from ._readers import (
    assumed_session,
    audit_clients,
    caller_account_id,
    describe_listed,
    list_entries,
    organization_accounts,
)
from ._references import check_references
from ._waivers import active_waivers
from .controls import Anchors, AuditListing, by_slug
from .controls._resources import audit_listings

if TYPE_CHECKING:
    from ._policy import Policy

# The report's records live in a leaf module (_audit_model); they are re-exported here, where
# they were first defined, so that ``from safeai._detective import AuditReport`` keeps working.
__all__ = [
    "AUDITED_TYPES",
    "IAM_USERS",
    "RESOURCE_TYPES",
    "S3_ACCESS_POINTS",
    "S3_ACCOUNT",
    "AuditError",
    "AuditReport",
    "AuditedResource",
    "Finding",
    "SageMakerGrant",
    "audit",
    "sagemaker_action",
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

#: The resource type of an account the audit could not enter (in errors only).
ACCOUNT = "account"
_T = TypeVar("_T")

#: Every name ``audit(resource_types=...)`` accepts, in report order: the listed types, the S3
#: access points (per region), then what is read once per account.
AUDITED_TYPES: tuple[str, ...] = (
    *(kind.name for kind in RESOURCE_TYPES),
    S3_ACCESS_POINTS,
    S3_ACCOUNT,
    IAM_USERS,
)


def audit(
    session: Any,
    policy: Policy,
    *,
    regions: Sequence[str] | None = None,
    resource_types: Collection[str] | None = None,
    max_workers: int = DEFAULT_WORKERS,
    progress: Callable[[int, int], None] | None = None,
    buckets: bool = True,
    accounts: Literal["organization"] | Sequence[str] | None = None,
    role_name: str | None = None,
    external_id: str | None = None,
) -> AuditReport:
    """Audit the existing SageMaker resources of ``session``'s account (or of many accounts)
    against ``policy``, and the S3 buckets they name.

    ``session`` is a ``boto3.Session`` or a :class:`safeai.SecureSession`. ``regions`` (one
    name or several) defaults to the session's region, then the policy's; ``resource_types``
    (names of :data:`AUDITED_TYPES`: the listed types of :data:`RESOURCE_TYPES`,
    ``s3-access-point``, ``s3-account`` and ``iam-user``) to all of them. With ``buckets``,
    every S3 bucket an audited resource names (its inputs, outputs, model data) is checked with
    the S3 controls: default encryption, Block Public Access, ownership, bucket policy,
    versioning. ``s3-access-point`` is listed in every region (each access point's Block Public
    Access and policy). ``s3-account`` (the account's S3 Block Public Access) and ``iam-user``
    are read once per account, with a client of the first region, and reported in region
    ``global``. Each region is read by ``max_workers`` threads. ``progress(done, total)`` is
    called, one call at a time, as resources are evaluated (with ``accounts``: as the accounts'
    regions are done, out of accounts x regions).

    ``accounts="organization"`` audits every ACTIVE account of the organization (listed with
    ``organizations:ListAccounts``: run it from the management account or a delegated
    administrator); a list of account ids audits those. Each account is read through its role
    ``role_name`` (``arn:aws:iam::<id>:role/<role_name>``, assumed with ``external_id`` when
    given; ``safeai role audit-reader`` writes it), the caller's own account with the caller's
    credentials; a few accounts at a time, each region of each with its own clients, since
    SageMaker's rate limits are per account and region. Every finding names its account; an
    account whose role cannot be assumed is listed in ``unread_accounts`` with an error, and
    the report's exit code is then 2: it is never skipped silently.

    >>> report = safeai.audit(boto3.Session(), policy, regions=["eu-west-1"])
    >>> report.exit_code, len(report.findings)
    >>> org = safeai.audit(boto3.Session(), policy, accounts="organization",
    ...                    role_name="safeai-audit-reader", regions=["eu-west-1", "us-east-1"])
    """
    chosen, singles = _chosen_types(resource_types)
    wanted = _regions(session, policy, regions)
    if max_workers < 1:
        raise SafeAIError(f"max_workers must be at least 1, found {max_workers}")
    if accounts is None and (role_name or external_id):
        raise SafeAIError("role_name and external_id are for auditing other accounts: accounts=")
    if accounts is not None and not role_name:
        raise SafeAIError(
            "auditing accounts needs role_name=: the role each account lets the auditor assume "
            "(safeai role audit-reader writes it)"
        )
    listed = None if accounts is None or accounts == "organization" else _checked_ids(accounts)
    tally = Tally(progress if accounts is None else None)
    started = time.monotonic()
    # Waivers are read here: a ``safeai.waive`` block's context does not reach worker threads.
    waivers = active_waivers(policy)
    scope = _Scope(
        policy=policy,
        kinds=chosen,
        users=IAM_USERS in singles,
        s3_account=S3_ACCOUNT in singles,
        access_points=S3_ACCESS_POINTS in singles,
        buckets=buckets,
        regions=wanted,
        workers=max_workers,
        tally=tally,
        waived=TEMPORARY_CREDENTIALS in waivers,
        waivers=waivers,
    )
    collected = _Collected()
    # boto3 sessions are not thread-safe: the caller's clients are made here, before any thread
    # starts; a member account's session is made and used by the one thread that audits it.
    home = audit_clients(
        session,
        wanted[0],
        ("sts", *(("organizations",) if accounts == "organization" else ())),
        workers=max_workers,
        on_request=tally.request_sent,
    )
    own = collected.guarded(
        GLOBAL, "GetCallerIdentity", None, lambda: caller_account_id(home["sts"])
    )
    if accounts is None:
        collected.add(own or "", _audit_account(session, scope, own))
    else:
        ids = listed if listed is not None else _organization(home["organizations"], collected)
        _audit_accounts(
            ids,
            own,
            session,
            home["sts"],
            f"arn:{partition(wanted[0])}:iam::{{account}}:role/{role_name}",
            external_id,
            scope,
            collected,
            progress,
        )
    return collected.report(
        scope, own, tally.calls, time.monotonic() - started, organization=accounts is not None
    )


def _regions(session: Any, policy: Policy, regions: Sequence[str] | str | None) -> tuple[str, ...]:
    wanted = (regions,) if isinstance(regions, str) else tuple(regions or ())
    if wanted:
        return wanted
    default = getattr(session, "region_name", None) or policy.effective_region
    if not default:
        raise SafeAIError("no region to audit: pass regions=[...] or set the session's region")
    return (default,)


@dataclass(frozen=True)
class _Scope:
    """What is audited in every account: the types, the regions, and how."""

    policy: Policy
    kinds: tuple[AuditListing, ...]
    users: bool
    #: The account's S3 Block Public Access, and its access points in every region.
    s3_account: bool
    access_points: bool
    buckets: bool
    regions: tuple[str, ...]
    workers: int
    tally: Tally
    #: ``client.temporary_credentials`` is waived: IAM users are not judged.
    waived: bool
    #: The waivers active when the audit started (a ``safeai.waive`` block's context does not
    #: reach worker threads).
    waivers: Mapping[str, str]

    @property
    def type_names(self) -> list[str]:
        return (
            [kind.name for kind in self.kinds]
            + ([S3_ACCESS_POINTS] if self.access_points else [])
            + ([BUCKETS] if self.buckets else [])
            + ([S3_ACCOUNT] if self.s3_account else [])
            + ([IAM_USERS] if self.users else [])
        )


def _audit_account(session: Any, scope: _Scope, account: str | None) -> list[Part]:
    """Every region of one account (``account``: its id, None when it could not be read), its
    IAM users and its S3 settings, read with ``session``."""
    tally = scope.tally
    s3control = scope.s3_account or scope.access_points
    services = dict.fromkeys(
        [
            *(kind.service for kind in scope.kinds),
            *(("s3",) if scope.buckets else ()),
            *(("s3control",) if s3control else ()),
        ]
    )
    region_clients = [
        (
            region,
            audit_clients(
                session, region, services, workers=scope.workers, on_request=tally.request_sent
            ),
        )
        for region in scope.regions
    ]
    iam = (
        audit_clients(
            session,
            scope.regions[0],
            ("iam",),
            workers=scope.workers,
            on_request=tally.request_sent,
        )["iam"]
        if scope.users
        else None
    )
    settings = _account_settings(scope, account, region_clients)
    readers = min(len(region_clients), _REGIONS_AT_ONCE) + (iam is not None) + len(settings)
    with ThreadPoolExecutor(max_workers=readers) as regions_pool:
        identity = (
            regions_pool.submit(IamUsers(iam, tally, waived=scope.waived).run, scope.workers)
            if iam is not None
            else None
        )
        reading = [regions_pool.submit(read) for read in settings]
        parts: list[Part] = list(
            regions_pool.map(
                lambda pair: _Region(pair[0], pair[1], scope.policy, scope.waivers, tally).run(
                    scope.kinds, scope.workers, buckets=scope.buckets
                ),
                region_clients,
            )
        )
        if identity is not None:
            parts.append(identity.result())
        parts += [read.result() for read in reading]
    return parts


def _account_settings(
    scope: _Scope, account: str | None, region_clients: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[Callable[[], Part]]:
    """The readers of the account's S3 settings chosen: its Block Public Access once (with the
    first region's client), its access points in every region. Without the account's id
    (``GetCallerIdentity`` failed: an error already) each is an error of its own."""
    if account is None:
        return [
            partial(_unread, region, name)
            for name, regions in (
                (S3_ACCOUNT, [GLOBAL] if scope.s3_account else []),
                (S3_ACCESS_POINTS, scope.regions if scope.access_points else []),
            )
            for region in regions
        ]
    readers: list[Callable[[], Part]] = []
    if scope.s3_account:
        first = region_clients[0][1]["s3control"]
        readers.append(
            AccountPublicAccess(first, account, scope.policy, scope.waivers, scope.tally).run
        )
    if scope.access_points:
        readers += [
            partial(
                AccessPoints(
                    region, clients["s3control"], account, scope.policy, scope.waivers, scope.tally
                ).run,
                scope.workers,
            )
            for region, clients in region_clients
        ]
    return readers


def _unread(region: str, resource_type: str) -> Part:
    """A type that needs the account's id, which could not be read."""
    part = Part()
    part.errors.append(
        AuditError(
            region,
            resource_type,
            "GetCallerIdentity",
            None,
            "UnknownAccount",
            "the account's id could not be read (GetCallerIdentity), and the s3control API "
            "is asked about an account by its id",
        )
    )
    return part


def _organization(organizations: Any, collected: _Collected) -> list[str]:
    listed = collected.guarded(
        GLOBAL, "ListAccounts", None, lambda: organization_accounts(organizations)
    )
    return listed or []


def _checked_ids(accounts: Sequence[str]) -> list[str]:
    if isinstance(accounts, str):
        raise SafeAIError(
            f'accounts must be "organization" or a list of account ids, found {accounts!r}'
        )
    wrong = [account for account in accounts if not ACCOUNT_ID.match(str(account))]
    if wrong or not accounts:
        raise SafeAIError(
            f"accounts must be 12-digit account ids, like 111122223333; found {wrong or 'none'}"
        )
    return list(dict.fromkeys(str(account) for account in accounts))


#: Accounts read at the same time, each with its regions and their workers.
_ACCOUNTS_AT_ONCE = 4


def _audit_accounts(
    ids: list[str],
    own: str | None,
    session: Any,
    sts: Any,
    role_arn: str,
    external_id: str | None,
    scope: _Scope,
    collected: _Collected,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Audit each account through its role, a few at a time; an account whose role cannot be
    assumed is recorded as unread. Only the accounts at work hold their resources' listings."""
    total = len(ids) * len(scope.regions)
    done = 0

    def one(account: str) -> None:
        # Only the records outlive this call: the account's session, clients and listings go
        # with it, so memory follows the accounts at work, not the accounts audited.
        if account == own:
            collected.add(account, _audit_account(session, scope, account))
            return
        arn = role_arn.format(account=account)
        member = collected.guarded(
            GLOBAL,
            "AssumeRole",
            account,
            lambda: assumed_session(
                sts, arn, external_id=external_id, region=scope.regions[0], like=session
            ),
            account=account,
        )
        if member is None:
            with collected.lock:
                collected.unread.append(account)
        else:
            collected.add(account, _audit_account(member, scope, account))

    if progress is not None:
        progress(0, total)
    with ThreadPoolExecutor(max_workers=max(1, min(len(ids), _ACCOUNTS_AT_ONCE))) as pool:
        for finished in as_completed([pool.submit(one, account) for account in ids]):
            finished.result()  # a bug, not an AWS error, would surface here
            done += len(scope.regions)
            if progress is not None:
                progress(done, total)
    collected.accounts = ids


class _Collected:
    """What the audit found, account by account, and what it could not read."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.resources: list[AuditedResource] = []
        self.errors: list[AuditError] = []
        self.accounts: list[str] = []
        self.unread: list[str] = []
        self.lock = threading.Lock()

    def add(self, account: str, parts: Sequence[Part]) -> None:
        """One account's parts, each record stamped with the account."""
        with self.lock:
            for part in parts:
                self.findings += [replace(f, account=account) for f in part.findings]
                self.resources += [replace(r, account=account) for r in part.resources]
                self.errors += [replace(e, account=account) for e in part.errors]

    def guarded(
        self,
        region: str,
        operation: str,
        resource: str | None,
        read: Callable[[], _T],
        *,
        account: str = "",
    ) -> _T | None:
        """``read()``, or None with the error recorded (for the whole account or audit)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return read()
        except (BotoCoreError, ClientError) as error:
            with self.lock:
                self.errors.append(
                    AuditError(
                        region,
                        ACCOUNT,
                        operation,
                        resource,
                        error_code(error),
                        str(error),
                        account,
                    )
                )
            return None

    def report(
        self, scope: _Scope, own: str | None, calls: int, seconds: float, *, organization: bool
    ) -> AuditReport:
        names = scope.type_names
        order = {name: index for index, name in enumerate([ACCOUNT, *names])}
        accounts = self.accounts if organization else ([own] if own else [])
        ranks = {account: index for index, account in enumerate(accounts)}
        findings = sorted(
            self.findings,
            key=lambda f: (
                ranks.get(f.account, -1),
                f.region,
                order[f.resource_type],
                f.resource_arn,
                f.path,
                f.control,
            ),
        )
        resources = sorted(
            self.resources,
            key=lambda r: (ranks.get(r.account, -1), r.region, order[r.resource_type], r.arn),
        )
        errors = sorted(
            self.errors,
            key=lambda e: (
                ranks.get(e.account, -1),
                e.region,
                order[e.resource_type],
                e.resource or "",
                e.operation,
            ),
        )
        return AuditReport(
            findings=tuple(findings),
            resources=tuple(resources),
            errors=tuple(errors),
            api_calls=calls,
            duration_seconds=seconds,
            regions=scope.regions,
            resource_types=tuple(names),
            accounts=tuple(accounts),
            unread_accounts=tuple(sorted(self.unread, key=lambda a: ranks.get(a, -1))),
        )


def _chosen_types(
    names: Collection[str] | None,
) -> tuple[tuple[AuditListing, ...], frozenset[str]]:
    """The listed types chosen, and the others chosen (the IAM users, the account's S3
    settings, the access points)."""
    listed = {kind.name for kind in RESOURCE_TYPES}
    if names is None:
        return RESOURCE_TYPES, frozenset(AUDITED_TYPES) - listed
    if isinstance(names, str):
        names = (names,)
    known = set(AUDITED_TYPES)
    unknown = sorted(set(names) - known)
    if unknown:
        raise SafeAIError(
            f"unknown resource type(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return (
        tuple(kind for kind in RESOURCE_TYPES if kind.name in names),
        frozenset(names) - listed,
    )


@dataclass(frozen=True, slots=True)
class _Listed:
    kind: AuditListing
    #: What its ``Describe*`` takes.
    parameters: Mapping[str, Any]
    #: Its ARN; where the listing gives none, its label until the describe answer gives it.
    arn: str


class _Region(Part):
    """The audit of one region: list every type, then describe and evaluate every resource,
    under ``waivers`` (read when the audit started: worker threads do not see the caller's
    ``safeai.waive`` blocks)."""

    def __init__(
        self,
        region: str,
        clients: Mapping[str, Any],
        policy: Policy,
        waivers: Mapping[str, str],
        tally: Tally,
    ) -> None:
        super().__init__()
        self.region = region
        self.clients = clients
        self.policy = policy
        self.waivers = waivers
        self.tally = tally
        #: The S3 buckets the audited resources name.
        self.buckets: set[str] = set()

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
            if error_code(error) == "NoSuchBucket":
                self._missing_bucket(name, arn)
                return
            self._bucket_error(error.operation_name, arn, error)
            return
        except BotoCoreError as error:
            self._bucket_error("GetBucket*", arn, error)
            return
        findings = [
            self._finding_of(BUCKETS, arn, violation)
            for violation in violations(name, settings, self.policy, waivers=self.waivers)
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
                AuditError(self.region, BUCKETS, operation, arn, error_code(error), str(error))
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
        return [
            _Listed(
                kind,
                kind.describe_parameters(entry),
                entry[kind.arn_key] if kind.arn_listed else kind.label(entry),
            )
            for entry in entries
        ]

    def _evaluate(self, item: _Listed) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        kind = item.kind
        client = self.clients[kind.service]
        try:
            document = describe_listed(client, kind, item.parameters)
            arn = item.arn if kind.arn_listed else str(document.get(kind.arn_key) or item.arn)
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
                error_code(cause),
                f"{error.resource!r}, which it names, cannot be read: {cause}",
            )
            return
        findings = [self._finding(kind, arn, violation) for violation in violations]
        named = set(_buckets_named(document))
        with self._lock:
            self.resources.append(AuditedResource(kind.name, arn, self.region))
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
            return check_references(
                client, kind.create_operation, document, self.policy, waivers=self.waivers
            )
        found = evaluate(kind.create_operation, document, self.policy, waivers=self.waivers)
        return [violation for violation in found if violation.control not in kind.unseen]

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
        self._error(kind, operation, resource, error_code(error), str(error))

    def _error(
        self, kind: AuditListing, operation: str, resource: str | None, code: str, message: str
    ) -> None:
        with self._lock:
            self.errors.append(
                AuditError(self.region, kind.name, operation, resource, code, message)
            )


# -- identity: IAM users with long-lived keys that may call SageMaker ----------------------------


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


def _shown(path: str, found: object) -> object:
    """``found`` as a report may show it: None for an absent field, free-form values redacted
    by the name of the field that holds them (the last member of ``path``)."""
    if found is MISSING:
        return None
    member = path.rsplit(" -> ", 1)[-1].rsplit(".", 1)[-1].split("[", 1)[0]
    return redact({member: found})[member]
