"""Amazon Macie sensitive data discovery for moto, which emulates only Macie's sessions, members
and invitations.

:func:`install` adds the operations below to moto's own ``macie2`` response class and URL map, so
a real boto3 ``macie2`` client reaches them over moto's wire protocol (rest-json), in server mode
(:class:`~safeai.testing.Sandbox`, ``ThreadedMotoServer``) and under ``mock_aws`` alike. It is
idempotent; call it before the first Macie request a server answers (moto's server builds its URL
map for a service on that service's first request).

Operations:

* ``CreateClassificationJob``: ``ONE_TIME`` only; ``bucketDefinitions`` and ``scoping`` with
  simple terms (``OBJECT_KEY STARTS_WITH``, ``OBJECT_EXTENSION``, ``OBJECT_LAST_MODIFIED_DATE``,
  ``OBJECT_SIZE``; tag terms are refused), ``samplingPercentage``; idempotent on
  ``clientToken``.
* ``DescribeClassificationJob``: ``RUNNING`` then ``COMPLETE`` (see
  :meth:`MacieControls.delay_jobs`), ``statistics``, ``lastRunErrorStatus``.
* ``UpdateClassificationJob``: ``CANCELLED`` (a cancelled job reports nothing), ``USER_PAUSED``
  and back to ``RUNNING``.
* ``ListClassificationJobs``: ``filterCriteria`` on jobType, jobStatus, name and createdAt,
  ``sortCriteria``, pages.
* ``ListFindings``: ``findingCriteria`` on any field path of a finding
  (``classificationDetails.jobId``, ``resourcesAffected.s3Object.key``, ...) with eq, neq,
  eqExactMatch, gt, gte, lt, lte; ``sortCriteria``; pages of at most 50.
* ``GetFindings``: at most 50 ids per call, Macie's finding shape.
* ``PutClassificationExportConfiguration`` / ``GetClassificationExportConfiguration``: the
  repository for sensitive data discovery results.
* ``UpdateMacieSession``: ``ENABLED`` or ``PAUSED``.
* ``GetMacieSession`` (moto's): once Macie is disabled it answers ``AccessDeniedException:
  Macie is not enabled.``, as AWS does, like every operation above.

How a job runs. The objects in scope are fixed when the job is created; when the job completes
(on a ``DescribeClassificationJob``), each is analysed as Macie would:

* an object in a Glacier storage class is skipped (``INVALID_OBJECT_STATE``);
* an SSE-KMS object is skipped when its key is missing, disabled or pending deletion
  (``INVALID_KMS_KEY``), or when it is a customer managed key whose key policy does not allow
  Macie's service-linked role ``AWSServiceRoleForAmazonMacie`` to ``kms:Decrypt``
  (``INVALID_ENCRYPTION``; the account-root statement of a default key policy does not count,
  because the role's own policy grants no KMS permission; policy conditions are not evaluated);
* an object whose extension names a format Macie does not list (``.npy``, RecordIO, images,
  ``.tgz``, ...: :mod:`safeai.pii._formats`) is skipped as ``UNSUPPORTED_FILE_TYPE_EXCEPTION``;
* anything else is classified by safeai's local scanner, less the types Macie has no managed
  identifier for (e-mail addresses). Like Macie, it opens GNU Zip, TAR and ZIP archives and
  classifies each file in them, to a nested depth of 10 layers and for as many as 1,000,000
  files; an archive holding a file it cannot read is ``PARTIAL``
  (``ARCHIVE_CONTAINS_UNPROCESSED_FILES``, findings still reported), one over a limit ``PARTIAL``
  with the limit's reason (``ARCHIVE_NESTING_LEVEL_OVER_LIMIT``, ...), a damaged file
  ``SKIPPED`` as ``MALFORMED_FILE``, binary content ``SKIPPED`` as
  ``UNSUPPORTED_FILE_TYPE_EXCEPTION``. That is stricter than Macie for the formats Macie reads
  and the local scanner does not (Parquet, Avro, PDF, Office documents): they are skipped too.

An object with sensitive data gets a finding (``SensitiveData:S3Object/Personal``, ``/Financial``,
``/Credentials`` or ``/Multiple``; the severity is an approximation of Macie's scoring). Like Macie,
the job reports every object it analysed or skipped only in its *sensitive data discovery results*:
one ``.jsonl.gz`` file of finding-shaped records, each with
``classificationDetails.result.status`` ``{code: COMPLETE|PARTIAL|SKIPPED, reason}``, written
SSE-KMS to ``s3://<bucket>/<keyPrefix>/AWSLogs/<account>/Macie/<region>/<jobId>/`` when a
repository is configured (``PutClassificationExportConfiguration``); without one nothing can
tell a clean object from a skipped one, as with Macie. With ``samplingPercentage`` below 100, a
seeded random subset of the objects in scope is analysed and the rest are not reported.

Test controls live in :func:`controls`, per emulated account and region; moto's reset (the
sandbox's, at start and on :meth:`~safeai.testing.Sandbox.reset`) forgets jobs, findings,
results configuration and controls alike.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import math
import mimetypes
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..pii._verdict import Detection

__all__ = ["MacieControls", "controls", "install"]

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
#: Where the operations live (moto's URL map holds only sessions, members and invitations).
_PATHS = (
    "{0}/jobs$",
    "{0}/jobs/list$",
    "{0}/jobs/(?P<jobId>[^/]+)$",
    "{0}/findings$",
    "{0}/findings/describe$",
    "{0}/classification-export-configuration$",
)
_NOT_ENABLED = "Macie is not enabled."
_GET_FINDINGS_MAX = 50
_LIST_FINDINGS_MAX = 50
_LIST_JOBS_MAX = 100
_CREDENTIALS = frozenset(
    {
        "AWS_CREDENTIALS",
        "GITHUB_CREDENTIALS",
        "HTTP_BASIC_AUTH_HEADER",
        "HTTP_COOKIE",
        "JSON_WEB_TOKEN",
        "OPENSSH_PRIVATE_KEY",
        "PGP_PRIVATE_KEY",
        "PKCS",
        "PUTTY_PRIVATE_KEY",
        "STRIPE_CREDENTIALS",
    }
)
_FINANCIAL_MARKERS = ("CREDIT_CARD", "BANK_ACCOUNT", "BANK_ROUTING", "IBAN", "SWIFT")
_FINDING_TYPES = {
    "PERSONAL_INFORMATION": ("SensitiveData:S3Object/Personal", "personal information"),
    "FINANCIAL_INFORMATION": ("SensitiveData:S3Object/Financial", "financial information"),
    "CREDENTIALS": ("SensitiveData:S3Object/Credentials", "credentials data"),
}
_GLACIER = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: What the local scanner counts but Macie has no managed data identifier for: not reported, so
#: that the emulation finds no more than Macie would.
_NOT_MACIE = frozenset({"EMAIL_ADDRESS"})
_SERVICE_ROLE = "role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"
#: Reasons for which Macie analysed part of an archive (``PARTIAL``); for the others it skipped
#: the object (``SKIPPED``).
_PARTIAL = frozenset(
    {
        "ARCHIVE_CONTAINS_UNPROCESSED_FILES",
        "ARCHIVE_NESTING_LEVEL_OVER_LIMIT",
        "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT",
        "ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT",
    }
)

_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Teach moto's ``macie2`` backend classification jobs, findings and discovery results.

    Idempotent and process-wide: it patches moto's ``MacieResponse`` class and ``macie2`` URL map,
    which serve ``mock_aws`` and every ``ThreadedMotoServer`` in this process. Call it before a
    server answers its first Macie request.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.macie2 import urls
        from moto.macie2.responses import MacieResponse

        for path in _PATHS:
            urls.url_paths.setdefault(path, MacieResponse.dispatch)
        call_action = MacieResponse.call_action
        get_macie_session = MacieResponse.get_macie_session

        def call_action_with_faults(self: Any) -> Any:
            fault = controls(self.region, self.current_account)._fault(self._get_action())
            if fault is not None:
                return fault
            return call_action(self)

        def get_macie_session_or_refusal(self: Any) -> Any:
            _enabled(self.macie_backend)
            return get_macie_session(self)

        MacieResponse.call_action = call_action_with_faults  # type: ignore[method-assign]
        MacieResponse.get_macie_session = get_macie_session_or_refusal  # type: ignore[method-assign]
        for name, handler in _HANDLERS.items():
            setattr(MacieResponse, name, handler)
        _installed = True


def controls(region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT) -> MacieControls:
    """The emulated Macie of one account and region: its jobs, and the faults it will answer."""
    from moto.macie2.models import macie2_backends

    backend = macie2_backends[account_id][region]
    # Kept in the backend's own attributes, so that moto's reset (which rebuilds them) forgets it.
    state = backend.__dict__.get("_safeai_macie")
    if state is None:
        with _install_lock:
            state = backend.__dict__.setdefault("_safeai_macie", MacieControls(backend))
    return state  # type: ignore[no-any-return]


@dataclass
class _Job:
    id: str
    arn: str
    name: str
    client_token: str
    created_at: datetime
    request: dict[str, Any]
    scope: list[tuple[str, str]]
    polls_left: int | None
    status: str = "RUNNING"
    last_run_time: datetime | None = None
    error: bool = False

    def describe(self) -> dict[str, Any]:
        remaining = len(self.scope) if self.status in {"RUNNING", "USER_PAUSED"} else 0
        answer = {
            "clientToken": self.client_token,
            "createdAt": _iso(self.created_at),
            "customDataIdentifierIds": self.request.get("customDataIdentifierIds", []),
            "description": self.request.get("description", ""),
            "initialRun": bool(self.request.get("initialRun", False)),
            "jobArn": self.arn,
            "jobId": self.id,
            "jobStatus": self.status,
            "jobType": self.request["jobType"],
            "lastRunErrorStatus": {"code": "ERROR" if self.error else "NONE"},
            "managedDataIdentifierIds": self.request.get("managedDataIdentifierIds", []),
            "managedDataIdentifierSelector": self.request.get(
                "managedDataIdentifierSelector", "RECOMMENDED"
            ),
            "name": self.name,
            "s3JobDefinition": self.request["s3JobDefinition"],
            "samplingPercentage": self.request.get("samplingPercentage", 100),
            "statistics": {
                "approximateNumberOfObjectsToProcess": float(remaining),
                "numberOfRuns": 1.0,
            },
            "tags": self.request.get("tags", {}),
        }
        if self.last_run_time is not None:
            answer["lastRunTime"] = _iso(self.last_run_time)
        return answer

    def summary(self) -> dict[str, Any]:
        return {
            "bucketDefinitions": self.request["s3JobDefinition"].get("bucketDefinitions", []),
            "createdAt": _iso(self.created_at),
            "jobId": self.id,
            "jobStatus": self.status,
            "jobType": self.request["jobType"],
            "lastRunErrorStatus": {"code": "ERROR" if self.error else "NONE"},
            "name": self.name,
        }


@dataclass
class MacieControls:
    """The emulated Macie of one account and region, and the test controls of its answers.

    Faults are answered before moto handles a request, to any Macie operation or only to those
    named (``"CreateClassificationJob"``, ``"GetMacieSession"``, ...).
    """

    _backend: Any
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _jobs: dict[str, _Job] = field(default_factory=dict)
    _findings: dict[str, dict[str, Any]] = field(default_factory=dict)
    _export: dict[str, Any] | None = None
    _throttles: list[tuple[frozenset[str], int]] = field(default_factory=list)
    _denied: frozenset[str] | None = None
    _polls: int | None = 0
    _max_scope_values: int | None = None

    def throttle(self, times: int = 1, *operations: str) -> None:
        """Answer the next ``times`` calls (of ``operations``, or of any operation) with
        ``ThrottlingException`` (HTTP 429), which botocore retries."""
        with self._lock:
            self._throttles.append((frozenset(operations), times))

    def deny(self, *operations: str) -> None:
        """Answer every call (of ``operations``, or of any operation) with
        ``AccessDeniedException`` until :meth:`allow`."""
        with self._lock:
            self._denied = frozenset(operations)

    def allow(self) -> None:
        """Stop throttling and refusing."""
        with self._lock:
            self._denied = None
            self._throttles.clear()

    def delay_jobs(self, polls: int | None) -> None:
        """Jobs created from now on answer ``RUNNING`` to their first ``polls``
        ``DescribeClassificationJob`` calls, then complete (default 0: complete when first
        asked); ``None``: never complete (to test a timeout). Counted in calls rather than
        seconds so that a scanner driven by a test clock sees the same sequence every run."""
        with self._lock:
            self._polls = polls

    def limit_scope_values(self, count: int | None) -> None:
        """Refuse (``ValidationException``) a job whose scope term lists more than ``count``
        values; ``None`` (the default): no limit (Macie documents none)."""
        with self._lock:
            self._max_scope_values = count

    def disable_macie(self) -> None:
        """Disable Macie (as ``DisableMacie`` does): calls then answer
        ``AccessDeniedException: Macie is not enabled.``"""
        self._backend.disable_macie()

    @property
    def job_ids(self) -> list[str]:
        """The ids of the jobs created, oldest first."""
        with self._lock:
            return list(self._jobs)

    def _fault(self, operation: str) -> tuple[int, dict[str, str], str] | None:
        with self._lock:
            if self._denied is not None and (not self._denied or operation in self._denied):
                return _error(
                    403,
                    "AccessDeniedException",
                    f"User: arn:aws:sts::{self._backend.account_id}:assumed-role/safeai-test is "
                    f"not authorized to perform: macie2:{operation}",
                )
            for index, (operations, times) in enumerate(self._throttles):
                if not operations or operation in operations:
                    if times <= 1:
                        del self._throttles[index]
                    else:
                        self._throttles[index] = (operations, times - 1)
                    return _error(429, "ThrottlingException", "Rate exceeded")
        return None


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    headers = {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
    return status, headers, json.dumps({"__type": code, "message": message})


def _iso(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _enabled(backend: Any) -> None:
    from moto.macie2.exceptions import AccessDeniedException

    if not backend.macie_session:
        raise AccessDeniedException(_NOT_ENABLED)


def _invalid(message: str) -> Exception:
    from moto.macie2.exceptions import ValidationException

    return ValidationException(message)


# Handlers: set as methods of moto's MacieResponse; ``self`` is the response object.


def _create_classification_job(self: Any) -> str:
    backend = self.macie_backend
    _enabled(backend)
    state = controls(self.region, self.current_account)
    request = json.loads(self.body or "{}")
    for required in ("s3JobDefinition", "jobType", "clientToken", "name"):
        if required not in request:
            raise _invalid(f"{required} is required")
    if request["jobType"] != "ONE_TIME" or "scheduleFrequency" in request:
        raise _invalid("safeai's Macie emulation runs ONE_TIME jobs only")
    if backend.macie_session.get("status") != "ENABLED":
        raise _invalid("Macie is paused (PAUSED): jobs cannot run")
    definition = request["s3JobDefinition"]
    if "bucketCriteria" in definition or not definition.get("bucketDefinitions"):
        raise _invalid("s3JobDefinition: give bucketDefinitions (bucketCriteria is not emulated)")
    sampling = request.get("samplingPercentage", 100)
    if not 1 <= sampling <= 100:
        raise _invalid("samplingPercentage must be between 1 and 100")
    terms = _scope_terms(definition.get("scoping", {}), state._max_scope_values)
    with state._lock:
        for job in state._jobs.values():
            if job.client_token == request["clientToken"]:
                return json.dumps({"jobArn": job.arn, "jobId": job.id})
        job_id = uuid.uuid4().hex
        job = _Job(
            id=job_id,
            arn=f"arn:aws:macie2:{self.region}:{backend.account_id}:classification-job/{job_id}",
            name=request["name"],
            client_token=request["clientToken"],
            created_at=_now(),
            request=request,
            scope=_objects_in_scope(backend.account_id, definition, terms),
            polls_left=state._polls,
        )
        state._jobs[job_id] = job
    return json.dumps({"jobArn": job.arn, "jobId": job.id})


def _describe_classification_job(self: Any) -> str:
    _enabled(self.macie_backend)
    state = controls(self.region, self.current_account)
    with state._lock:
        job = _job(state, self._get_param("jobId"))
        if job.status == "RUNNING":
            if job.polls_left is not None and job.polls_left <= 0:
                _complete(state, job, self.region)
            elif job.polls_left is not None:
                job.polls_left -= 1
        return json.dumps(job.describe())


def _update_classification_job(self: Any) -> str:
    _enabled(self.macie_backend)
    state = controls(self.region, self.current_account)
    wanted = self._get_param("jobStatus")
    with state._lock:
        job = _job(state, self._get_param("jobId"))
        allowed = {
            "CANCELLED": {"RUNNING", "PAUSED", "USER_PAUSED", "IDLE"},
            "USER_PAUSED": {"RUNNING"},
            "RUNNING": {"USER_PAUSED"},
        }
        if job.status not in allowed.get(wanted, set()):
            raise _invalid(f"cannot change the status of a {job.status} job to {wanted}")
        job.status = wanted
    return "{}"


def _list_classification_jobs(self: Any) -> str:
    _enabled(self.macie_backend)
    state = controls(self.region, self.current_account)
    criteria = self._get_param("filterCriteria") or {}
    with state._lock:
        summaries = [job.summary() for job in state._jobs.values()]
    summaries = [
        s
        for s in summaries
        if all(_job_term(s, t) for t in criteria.get("includes", []))
        and not any(_job_term(s, t) for t in criteria.get("excludes", []))
    ]
    sort = self._get_param("sortCriteria") or {}
    if sort:
        summaries.sort(
            key=lambda s: str(s.get(sort.get("attributeName", "createdAt"), "")),
            reverse=sort.get("orderBy") == "DESC",
        )
    page, token = _page(summaries, self._get_param("nextToken"), self._get_param("maxResults"))
    return json.dumps({"items": page, **({"nextToken": token} if token else {})})


def _list_findings(self: Any) -> str:
    _enabled(self.macie_backend)
    state = controls(self.region, self.current_account)
    criterion = (self._get_param("findingCriteria") or {}).get("criterion", {})
    with state._lock:
        findings = list(state._findings.values())
    findings = [f for f in findings if all(_matches(f, p, c) for p, c in criterion.items())]
    sort = self._get_param("sortCriteria") or {}
    if sort.get("attributeName"):
        findings.sort(
            key=lambda f: str(_values(f, sort["attributeName"])),
            reverse=sort.get("orderBy") == "DESC",
        )
    limit = min(self._get_param("maxResults") or _LIST_FINDINGS_MAX, _LIST_FINDINGS_MAX)
    page, token = _page(findings, self._get_param("nextToken"), limit)
    ids = [f["id"] for f in page]
    return json.dumps({"findingIds": ids, **({"nextToken": token} if token else {})})


def _get_findings(self: Any) -> str:
    _enabled(self.macie_backend)
    state = controls(self.region, self.current_account)
    ids = self._get_param("findingIds") or []
    if not ids or len(ids) > _GET_FINDINGS_MAX:
        raise _invalid(f"findingIds: give 1 to {_GET_FINDINGS_MAX} ids")
    with state._lock:
        found = [state._findings[i] for i in ids if i in state._findings]
    return json.dumps({"findings": found})


def _put_classification_export_configuration(self: Any) -> str:
    _enabled(self.macie_backend)
    state = controls(self.region, self.current_account)
    configuration = self._get_param("configuration") or {}
    destination = configuration.get("s3Destination") or {}
    if not destination.get("bucketName") or not destination.get("kmsKeyArn"):
        raise _invalid("configuration.s3Destination needs bucketName and kmsKeyArn")
    if _s3_bucket(self.current_account, destination["bucketName"]) is None:
        raise _invalid(f"the bucket {destination['bucketName']} does not exist")
    if _kms_key(self.current_account, self.region, destination["kmsKeyArn"]) is None:
        raise _invalid(f"the KMS key {destination['kmsKeyArn']} does not exist")
    with state._lock:
        state._export = {"s3Destination": dict(destination)}
    return json.dumps({"configuration": state._export})


def _get_classification_export_configuration(self: Any) -> str:
    _enabled(self.macie_backend)
    state = controls(self.region, self.current_account)
    with state._lock:
        export = state._export
    return json.dumps({"configuration": export} if export else {})


def _update_macie_session(self: Any) -> str:
    backend = self.macie_backend
    _enabled(backend)
    status = self._get_param("status")
    if status is not None:
        if status not in {"ENABLED", "PAUSED"}:
            raise _invalid("status must be ENABLED or PAUSED")
        backend.macie_session["status"] = status
    frequency = self._get_param("findingPublishingFrequency")
    if frequency is not None:
        backend.macie_session["findingPublishingFrequency"] = frequency
    backend.macie_session["updatedAt"] = _now()
    return "{}"


_HANDLERS: dict[str, Callable[[Any], str]] = {
    "create_classification_job": _create_classification_job,
    "describe_classification_job": _describe_classification_job,
    "update_classification_job": _update_classification_job,
    "list_classification_jobs": _list_classification_jobs,
    "list_findings": _list_findings,
    "get_findings": _get_findings,
    "put_classification_export_configuration": _put_classification_export_configuration,
    "get_classification_export_configuration": _get_classification_export_configuration,
    "update_macie_session": _update_macie_session,
}


def _job(state: MacieControls, job_id: str) -> _Job:
    from moto.macie2.exceptions import ResourceNotFoundException

    job = state._jobs.get(job_id)
    if job is None:
        raise ResourceNotFoundException(f"classification job {job_id} does not exist")
    return job


def _page(
    items: list[dict[str, Any]], token: str | None, limit: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    try:
        start = int(token) if token else 0
    except ValueError:
        raise _invalid("nextToken is not valid") from None
    size = limit or _LIST_JOBS_MAX
    end = start + size
    return items[start:end], str(end) if end < len(items) else None


def _job_term(summary: dict[str, Any], term: dict[str, Any]) -> bool:
    value = str(summary.get(term.get("key", ""), ""))
    values = [str(v) for v in term.get("values", [])]
    comparator = term.get("comparator", "EQ")
    if comparator == "EQ":
        return value in values
    if comparator == "NE":
        return value not in values
    if comparator == "CONTAINS":
        return any(v in value for v in values)
    if comparator == "STARTS_WITH":
        return any(value.startswith(v) for v in values)
    return any(_compare(comparator, value, v) for v in values)


# The scope of a job.


@dataclass(frozen=True)
class _Term:
    key: str
    comparator: str
    values: tuple[str, ...]


def _scope_terms(
    scoping: dict[str, Any], max_values: int | None
) -> tuple[list[_Term], list[_Term]]:
    blocks = []
    for side in ("includes", "excludes"):
        terms = []
        for entry in scoping.get(side, {}).get("and", []):
            if "tagScopeTerm" in entry:
                raise _invalid("tag scope terms are not emulated")
            simple = entry.get("simpleScopeTerm") or {}
            term = _Term(
                simple.get("key", ""), simple.get("comparator", "EQ"), tuple(simple["values"])
            )
            if term.key in {"OBJECT_LAST_MODIFIED_DATE", "OBJECT_SIZE"} and len(term.values) != 1:
                raise _invalid(f"{term.key} takes exactly one value")
            if term.key == "OBJECT_KEY" and term.comparator != "STARTS_WITH":
                raise _invalid("OBJECT_KEY takes the STARTS_WITH comparator only")
            if term.key == "OBJECT_EXTENSION" and term.comparator not in {"EQ", "NE"}:
                raise _invalid("OBJECT_EXTENSION takes the EQ or NE comparator only")
            if max_values is not None and len(term.values) > max_values:
                raise _invalid(f"a scope term takes at most {max_values} values")
            terms.append(term)
        blocks.append(terms)
    return blocks[0], blocks[1]


def _objects_in_scope(
    account_id: str, definition: dict[str, Any], terms: tuple[list[_Term], list[_Term]]
) -> list[tuple[str, str]]:
    from moto.s3.models import FakeKey

    includes, excludes = terms
    scope = []
    for bucket_definition in definition["bucketDefinitions"]:
        if bucket_definition.get("accountId") != account_id:
            continue  # another account's buckets: not emulated, reported as a job error
        for name in bucket_definition.get("buckets", []):
            bucket = _s3_bucket(account_id, name)
            if bucket is None:
                continue
            for key in list(bucket.keys.values()):
                if not isinstance(key, FakeKey):
                    continue  # a delete marker
                if (not includes or all(_term(t, key) for t in includes)) and not (
                    excludes and all(_term(t, key) for t in excludes)
                ):
                    scope.append((name, key.name))
    return scope


def _term(term: _Term, key: Any) -> bool:
    if term.key == "OBJECT_KEY":
        return any(key.name.startswith(v) for v in term.values)
    if term.key == "OBJECT_EXTENSION":
        leaf = key.name.rsplit("/", 1)[-1]
        extension = leaf.rsplit(".", 1)[-1].lower() if "." in leaf else ""
        found = extension in {v.lower().lstrip(".") for v in term.values}
        return found if term.comparator == "EQ" else not found
    if term.key == "OBJECT_SIZE":
        return _compare(term.comparator, key.size, int(term.values[0]))
    if term.key == "OBJECT_LAST_MODIFIED_DATE":
        # S3 keeps whole seconds, and so does the ISO 8601 value Macie takes.
        modified = key.last_modified.replace(microsecond=0)
        return _compare(term.comparator, modified, _parse_time(term.values[0]))
    raise _invalid(f"unknown scope key {term.key}")


def _compare(comparator: str, left: Any, right: Any) -> bool:
    operations: dict[str, Callable[[Any, Any], bool]] = {
        "EQ": lambda a, b: bool(a == b),
        "NE": lambda a, b: bool(a != b),
        "GT": lambda a, b: bool(a > b),
        "GTE": lambda a, b: bool(a >= b),
        "LT": lambda a, b: bool(a < b),
        "LTE": lambda a, b: bool(a <= b),
    }
    if comparator not in operations:
        raise _invalid(f"comparator {comparator} is not valid here")
    return operations[comparator](left, right)


def _parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"not an ISO 8601 date and time: {value}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


# Running a job.


def _complete(state: MacieControls, job: _Job, region: str) -> None:
    from moto.s3.models import FakeKey

    account_id = state._backend.account_id
    scope = job.scope
    sampling = job.request.get("samplingPercentage", 100)
    if sampling < 100:
        chosen = math.ceil(len(scope) * sampling / 100)
        scope = sorted(random.Random(job.id).sample(scope, chosen))
    results = []
    now = _now()
    for bucket_name, key_name in scope:
        bucket = _s3_bucket(account_id, bucket_name)
        key = bucket.keys.get(key_name) if bucket is not None else None
        if not isinstance(key, FakeKey):
            continue  # deleted since the job started: Macie finds nothing to report
        record = _analyse(job, bucket, key, region, now)
        results.append(record)
        if record["classificationDetails"]["result"]["sensitiveData"]:
            state._findings[record["id"]] = record
    job.error = any(
        d.get("accountId") != account_id
        or any(_s3_bucket(account_id, b) is None for b in d.get("buckets", []))
        for d in job.request["s3JobDefinition"]["bucketDefinitions"]
    )
    if state._export and results:
        _export(account_id, region, state._export["s3Destination"], job, results)
    job.status = "COMPLETE"
    job.last_run_time = now


def _analyse(job: _Job, bucket: Any, key: Any, region: str, now: datetime) -> dict[str, Any]:
    account_id = job.arn.split(":")[4]
    code, reason = "COMPLETE", None
    detections: tuple[Detection, ...] = ()
    if (key.storage_class or "STANDARD") in _GLACIER:
        code, reason = "SKIPPED", "INVALID_OBJECT_STATE"
    elif key.encryption in {"aws:kms", "aws:kms:dsse"}:
        reason = _kms_refusal(account_id, region, key.kms_key_id)
        code = "SKIPPED" if reason else code
    if code == "COMPLETE":
        from ..pii._formats import format_by_name
        from ..pii._local import LocalScanner

        known = format_by_name(key.name)
        if known is not None and not known.macie:
            # Macie picks formats by extension: one it does not list is not even opened.
            code, reason = "SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION"
        else:
            found = LocalScanner().classification(key.name, key.value)
            detections = tuple(d for d in found.detections if d.identifier not in _NOT_MACIE)
            if found.macie_reason is not None:
                reason = found.macie_reason
                code = "PARTIAL" if reason in _PARTIAL else "SKIPPED"
    return _record(job, bucket, key, region, now, code, reason, detections)


def _kms_refusal(account_id: str, region: str, key_id: str | None) -> str | None:
    """Why Macie's service-linked role may not decrypt with ``key_id`` (None: it may)."""
    if not key_id:
        return None  # the AWS managed key aws/s3, which Macie's role may use
    key = _kms_key(account_id, region, key_id)
    if key is None or key.key_state != "Enabled":
        return "INVALID_KMS_KEY"
    if key.key_manager == "AWS":
        return None
    role = f"arn:aws:iam::{account_id}:{_SERVICE_ROLE}"
    allowed = False
    for statement in json.loads(key.policy).get("Statement", []):
        principal = statement.get("Principal")
        if principal != "*":
            named = principal.get("AWS", []) if isinstance(principal, dict) else []
            if role not in ([named] if isinstance(named, str) else named) and "*" not in named:
                continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(fnmatch.fnmatchcase("kms:Decrypt", pattern) for pattern in actions):
            continue
        if statement.get("Effect") == "Deny":
            return "INVALID_ENCRYPTION"
        allowed = True
    return None if allowed else "INVALID_ENCRYPTION"


def _record(
    job: _Job,
    bucket: Any,
    key: Any,
    region: str,
    now: datetime,
    code: str,
    reason: str | None,
    detections: Iterable[Detection],
) -> dict[str, Any]:
    """A sensitive data discovery result; for an object with sensitive data, also its finding."""
    account_id = job.arn.split(":")[4]
    categories: dict[str, list[Detection]] = {}
    for detection in detections:
        categories.setdefault(_category(detection.identifier), []).append(detection)
    sensitive: list[dict[str, Any]] = [
        {
            "category": category,
            "detections": [{"count": d.count, "type": d.identifier} for d in found],
            "totalCount": sum(d.count for d in found),
        }
        for category, found in sorted(categories.items())
    ]
    total = sum(item["totalCount"] for item in sensitive)
    if len(categories) == 1:
        finding_type, words = _FINDING_TYPES[next(iter(categories))]
    else:
        finding_type, words = "SensitiveData:S3Object/Multiple", "multiple types of sensitive data"
    # An approximation of Macie's scoring: credentials are always High, the rest by count.
    score = 3 if "CREDENTIALS" in categories or total >= 100 else 2 if total > 1 else 1
    extension = key.name.rsplit(".", 1)[-1] if "." in key.name.rsplit("/", 1)[-1] else ""
    encryption = (
        {"encryptionType": key.encryption, "kmsMasterKeyId": key.kms_key_id or ""}
        if key.encryption
        else {"encryptionType": "NONE"}
    )
    return {
        "accountId": account_id,
        "archived": False,
        "category": "CLASSIFICATION",
        "classificationDetails": {
            "detailedResultsLocation": f"s3://[export-config-not-set]/AWSLogs/{account_id}"
            f"/Macie/{region}/{job.id}/",
            "jobArn": job.arn,
            "jobId": job.id,
            "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
            "result": {
                "additionalOccurrences": False,
                "customDataIdentifiers": {"detections": [], "totalCount": 0},
                "mimeType": mimetypes.guess_type(key.name)[0] or "application/octet-stream",
                "sensitiveData": sensitive,
                "sizeClassified": key.size if code != "SKIPPED" else 0,
                "status": {"code": code, **({"reason": reason} if reason else {})},
            },
        },
        "count": 1,
        "createdAt": _iso(now),
        "description": f"The object contains {words}." if sensitive else "",
        "id": uuid.uuid4().hex,
        "partition": "aws",
        "region": region,
        "resourcesAffected": {
            "s3Bucket": {
                "arn": f"arn:aws:s3:::{bucket.name}",
                "createdAt": _iso(bucket.creation_date),
                "name": bucket.name,
                "owner": {"displayName": "safeai-sandbox", "id": account_id},
            },
            "s3Object": {
                "bucketArn": f"arn:aws:s3:::{bucket.name}",
                "eTag": key.etag.strip('"'),
                "extension": extension,
                "key": key.name,
                "lastModified": _iso(key.last_modified),
                "path": f"{bucket.name}/{key.name}",
                "publicAccess": False,
                "serverSideEncryption": encryption,
                "size": key.size,
                "storageClass": key.storage_class or "STANDARD",
                "versionId": key.version_id if key.version_id != "null" else "",
            },
        },
        "sample": False,
        "schemaVersion": "1.0",
        "severity": {"description": ("Low", "Medium", "High")[score - 1], "score": score},
        "title": f"The S3 object contains {words}." if sensitive else "",
        "type": finding_type,
        "updatedAt": _iso(now),
    }


def _category(identifier: str) -> str:
    if identifier in _CREDENTIALS:
        return "CREDENTIALS"
    if any(marker in identifier for marker in _FINANCIAL_MARKERS):
        return "FINANCIAL_INFORMATION"
    return "PERSONAL_INFORMATION"


def _export(
    account_id: str,
    region: str,
    destination: dict[str, Any],
    job: _Job,
    results: list[dict[str, Any]],
) -> None:
    from moto.s3.models import s3_backends

    prefix = destination.get("keyPrefix", "").strip("/")
    folder = f"{prefix + '/' if prefix else ''}AWSLogs/{account_id}/Macie/{region}/{job.id}/"
    name = f"{folder}{uuid.uuid4()}.jsonl.gz"
    location = f"s3://{destination['bucketName']}/{name}"
    for record in results:
        record["classificationDetails"]["detailedResultsLocation"] = location
    body = gzip.compress("".join(json.dumps(r) + "\n" for r in results).encode())
    if _s3_bucket(account_id, destination["bucketName"]) is None:
        job.error = True  # the repository was deleted: Macie logs an error and writes nothing
        return
    s3_backends[account_id]["aws"].put_object(
        destination["bucketName"],
        name,
        body,
        encryption="aws:kms",
        kms_key_id=destination["kmsKeyArn"],
    )


def _s3_bucket(account_id: str, name: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account_id]["aws"].buckets.get(name)


def _kms_key(account_id: str, region: str, key_id: str) -> Any:
    from moto.kms.models import kms_backends

    if key_id.startswith("arn:"):
        region = key_id.split(":")[3]
    backend = kms_backends[account_id][region]
    try:
        return backend.keys.get(backend.any_id_to_key_id(key_id))
    except (KeyError, LookupError):
        return None


# Findings filters.


def _values(finding: dict[str, Any], path: str) -> list[Any]:
    """The values at a dotted path of a finding, lists flattened on the way."""
    found: list[Any] = [finding]
    for part in path.split("."):
        step = []
        for value in found:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and part in item:
                    child = item[part]
                    step.extend(child if isinstance(child, list) else [child])
        found = step
    return found


def _matches(finding: dict[str, Any], path: str, condition: dict[str, Any]) -> bool:
    values = _values(finding, path)
    texts = {str(v).lower() if isinstance(v, bool) else str(v) for v in values}
    if "eq" in condition and not texts & {str(v) for v in condition["eq"]}:
        return False
    if "eqExactMatch" in condition and not texts & {str(v) for v in condition["eqExactMatch"]}:
        return False
    if "neq" in condition and texts & {str(v) for v in condition["neq"]}:
        return False
    for name in ("gt", "gte", "lt", "lte"):
        if name in condition:
            numbers = [n for n in (_number(v) for v in values) if n is not None]
            if not any(_compare(name.upper(), n, condition[name]) for n in numbers):
                return False
    return True


def _number(value: Any) -> float | None:
    """A finding's number, or its timestamp in epoch milliseconds (how Macie compares dates)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp() * 1000
    return None
