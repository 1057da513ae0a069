"""Amazon Macie as a PII scanner: one classification job per scan, scoped to the objects named.

What Macie can prove, and where it says so:

* **pii**: a sensitive data finding whose object has the listed ETag. Findings Macie already
  holds (it keeps them 90 days) are looked up first: an object they prove needs no new job.
* **clean** or **skipped**: Macie reports every object a job analysed or skipped only in its
  *sensitive data discovery results* (``classificationDetails.result.status`` ``COMPLETE``,
  ``PARTIAL`` or ``SKIPPED`` with a reason), which it writes to the repository configured with
  ``PutClassificationExportConfiguration``. Without that repository no object can be proven
  clean, so the scanner refuses before it starts a job that could not answer.

For the rest it runs one ``ONE_TIME`` job per call (``bucketDefinitions`` of the buckets, an
``OBJECT_KEY STARTS_WITH`` term listing the keys and an ``OBJECT_LAST_MODIFIED_DATE LTE`` term
at the newest listed object, so versions written after the listing stay out). Macie documents no
limit on the values of a scope term; more than ``max_keys_per_job`` keys are split over several
jobs that run at the same time. A key is a prefix to Macie: ``a.csv`` also brings ``a.csv.bak``
into the job (and the bill); only the objects asked about get a verdict. The job is polled with
``describe_classification_job`` (Macie has no waiter) with exponential backoff, and cancelled
when ``timeout_s`` runs out.

An object the job skipped or analysed only partly, did not sample, or saw at another ETag is
``unknown``, with Macie's reason in words; for an SSE-KMS object that Macie may not decrypt the
reason says that the key policy must allow Macie's service-linked role
``AWSServiceRoleForAmazonMacie`` to use the key, and for a format Macie does not read, whether
the local scanner does (:mod:`safeai.pii._formats`). An archive Macie analysed only partly but
found personal data in is ``pii``.
"""

from __future__ import annotations

import gzip
import json
import math
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NoReturn

from .._exceptions import PolicyError, PreflightError
from ..preflight._cache import error_code, fail_closed
from ._fingerprint import CONTROL
from ._formats import format_by_name
from ._verdict import Detection, ObjectVerdict

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ._verdict import S3Object

__all__ = ["MacieScanner"]

#: GetFindings takes at most 50 ids; ListFindings answers at most 50 per page.
_BATCH = 50
_SERVICE_ROLE = "role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"
_JOB_LOG = "see its log events in CloudWatch Logs, log group /aws/macie/classificationjobs"
_ENABLE = "aws macie2 enable-macie --region {region} (or enable it in the Macie console)"
_SKIP_REASONS = {
    "ARCHIVE_CONTAINS_UNPROCESSED_FILES": "it is an archive holding files Macie could not read "
    "(the job's sensitive data discovery results name them)",
    "ARCHIVE_EXCEEDS_SIZE_LIMIT": "it is an archive larger than Macie's size quota for its type",
    "ARCHIVE_NESTING_LEVEL_OVER_LIMIT": "it is an archive nested deeper than Macie reads "
    "(10 layers)",
    "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT": "it is an archive that decompresses to more data "
    "than Macie's quota",
    "ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT": "it is an archive holding more files than "
    "Macie reads (1,000,000)",
    "INVALID_KMS_KEY": "its KMS key {kms_key} is disabled or pending deletion",
    "INVALID_OBJECT_STATE": "Macie does not read its storage class ({storage_class})",
    "PERMISSION_DENIED": "its permissions settings do not let Macie read it",
    "FILE_EXCEEDS_SIZE_LIMIT": "it is larger than Macie's size quota for its file type",
    "MALFORMED_FILE": "it is malformed or corrupted",
    "UNABLE_TO_PARSE_FILE": "Macie could not parse its structured data",
    "OBJECT_VERSION_MISMATCH": "it changed while Macie was analysing it",
    "SOURCE_OBJECT_NO_LONGER_AVAILABLE": "it was deleted while Macie was analysing it",
}

#: (bucket, key)
_Where = tuple[str, str]


class MacieScanner:
    """Classifies S3 objects with Amazon Macie (a :class:`~safeai.pii.Scanner`).

    Options: ``timeout_s`` for the jobs to complete (then they are cancelled);
    ``sampling_percentage`` of the objects a job analyses (below 100, the others are
    ``unknown``); the polling backoff (``poll_initial_s`` doubled by ``poll_factor`` up to
    ``poll_max_s``); ``max_keys_per_job``; ``reuse_findings`` (look up findings Macie already
    holds first); ``sleep`` and ``clock`` for tests.
    """

    name = "macie"

    def __init__(
        self,
        *,
        timeout_s: float = 1800.0,
        sampling_percentage: int = 100,
        poll_initial_s: float = 5.0,
        poll_max_s: float = 60.0,
        poll_factor: float = 2.0,
        max_keys_per_job: int = 50,
        reuse_findings: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        checks = {
            "timeout_s": (timeout_s, timeout_s > 0),
            "sampling_percentage": (sampling_percentage, 1 <= sampling_percentage <= 100),
            "poll_initial_s": (poll_initial_s, poll_initial_s > 0),
            "poll_max_s": (poll_max_s, poll_max_s >= poll_initial_s),
            "poll_factor": (poll_factor, poll_factor >= 1),
            "max_keys_per_job": (max_keys_per_job, max_keys_per_job >= 1),
        }
        for option, (value, valid) in checks.items():
            if not valid:
                raise PolicyError(f"invalid value {value!r}", field=option)
        self.timeout_s = timeout_s
        self.sampling_percentage = sampling_percentage
        self.poll_initial_s = poll_initial_s
        self.poll_max_s = poll_max_s
        self.poll_factor = poll_factor
        self.max_keys_per_job = max_keys_per_job
        self.reuse_findings = reuse_findings
        self._sleep = sleep
        self._clock = clock

    def scan(
        self,
        clients: Callable[[str], Any],
        objects: Sequence[S3Object],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ObjectVerdict]:
        """One verdict per object, in order (see the module docstring for how)."""
        if not objects:
            return []
        macie = clients("macie2")
        region = str(macie.meta.region_name)
        account = self._account(macie, region)
        total = len(objects)
        verdicts: dict[int, ObjectVerdict] = {}
        if self.reuse_findings:
            known = self._known_findings(macie, region, objects)
            for index, obj in enumerate(objects):
                detections = known.get((obj.bucket, obj.key, _etag(obj.etag)))
                if detections:
                    verdicts[index] = ObjectVerdict(obj, "pii", detections)
        rest = [(i, obj) for i, obj in enumerate(objects) if i not in verdicts]
        if progress is not None:
            progress(len(verdicts), total)
        if rest:
            destination = self._repository(macie, region)
            jobs = self._start_jobs(macie, account, region, [obj for _, obj in rest])
            failed = self._wait(macie, region, jobs, len(verdicts), total, progress)
            job_ids = list(jobs)
            findings = self._findings(macie, region, {"classificationDetails.jobId": job_ids})
            results = self._results(clients("s3"), destination, account, region, jobs)
            job_of = {(o.bucket, o.key): job for job, members in jobs.items() for o in members}
            for index, obj in rest:
                job_id = job_of[(obj.bucket, obj.key)]
                verdicts[index] = self._verdict(
                    obj, findings, results, account, job_id, job_id in failed
                )
        if progress is not None:
            progress(total, total)
        return [verdicts[i] for i in range(total)]

    # Macie's state.

    def _account(self, macie: Any, region: str) -> str:
        """The account Macie runs in (from its service-linked role), once Macie is enabled."""
        from botocore.exceptions import ClientError

        with fail_closed(CONTROL, f"macie2:{region}", "Macie's status", "macie2:GetMacieSession"):
            try:
                session = macie.get_macie_session()
            except ClientError as error:
                code = error_code(error)
                if code == "ResourceNotFoundException" or (
                    code == "AccessDeniedException" and "not enabled" in str(error)
                ):
                    raise PreflightError(
                        f"Amazon Macie is not enabled in {region}, so it cannot check the data "
                        f"for PII. Enable it: {_ENABLE.format(region=region)}",
                        control=CONTROL,
                        resource=f"macie2:{region}",
                    ) from error
                raise
        if session.get("status") != "ENABLED":
            raise PreflightError(
                f"Amazon Macie is {session.get('status')} (suspended) in {region}: its jobs do not "
                f"run. Resume it: aws macie2 update-macie-session --status ENABLED "
                f"--region {region}",
                control=CONTROL,
                resource=f"macie2:{region}",
            )
        return str(session["serviceRole"]).split(":")[4]

    def _repository(self, macie: Any, region: str) -> dict[str, Any]:
        with fail_closed(
            CONTROL,
            f"macie2:{region}",
            "where Macie stores its discovery results",
            "macie2:GetClassificationExportConfiguration",
        ):
            answer = macie.get_classification_export_configuration()
        destination = (answer.get("configuration") or {}).get("s3Destination")
        if not destination:
            raise PreflightError(
                f"Amazon Macie in {region} has no repository for its sensitive data discovery "
                f"results: without them no object can be proven clean (Macie reports only objects "
                f"with findings elsewhere). Configure one: aws macie2 "
                f"put-classification-export-configuration --configuration "
                f"'s3Destination={{bucketName=<bucket>,kmsKeyArn=<key ARN>}}' --region {region}",
                control=CONTROL,
                resource=f"macie2:{region}",
            )
        return dict(destination)

    # Jobs.

    def _start_jobs(
        self, macie: Any, account: str, region: str, objects: Sequence[S3Object]
    ) -> dict[str, list[S3Object]]:
        """Create the jobs (one unless there are more keys than ``max_keys_per_job``)."""
        ordered = sorted(objects, key=lambda o: (o.key, o.bucket))
        keys = list(dict.fromkeys(o.key for o in ordered))
        jobs: dict[str, list[S3Object]] = {}
        for start in range(0, len(keys), self.max_keys_per_job):
            chunk = set(keys[start : start + self.max_keys_per_job])
            members = [o for o in ordered if o.key in chunk]
            buckets = sorted({o.bucket for o in members})
            newest = datetime.fromtimestamp(
                math.ceil(max(o.last_modified for o in members)), tz=timezone.utc
            )
            request = {
                "jobType": "ONE_TIME",
                "name": f"safeai-pii-preflight-{uuid.uuid4().hex[:12]}",
                "description": f"safeai PII pre-flight of {len(members)} S3 objects",
                "samplingPercentage": self.sampling_percentage,
                "s3JobDefinition": {
                    "bucketDefinitions": [{"accountId": account, "buckets": buckets}],
                    "scoping": {
                        "includes": {
                            "and": [
                                _term("OBJECT_KEY", "STARTS_WITH", sorted(chunk)),
                                _term(
                                    "OBJECT_LAST_MODIFIED_DATE",
                                    "LTE",
                                    [newest.strftime("%Y-%m-%dT%H:%M:%SZ")],
                                ),
                            ]
                        }
                    },
                },
            }
            with fail_closed(
                CONTROL,
                f"s3://{','.join(buckets)}",
                "the objects for PII",
                "macie2:CreateClassificationJob",
            ):
                jobs[macie.create_classification_job(**request)["jobId"]] = members
        return jobs

    def _wait(
        self,
        macie: Any,
        region: str,
        jobs: dict[str, list[S3Object]],
        known: int,
        total: int,
        progress: Callable[[int, int], None] | None,
    ) -> set[str]:
        """Poll the jobs until they complete (answering those that reported an error); cancel
        them and refuse when time runs out."""
        deadline = self._clock() + self.timeout_s
        delay = self.poll_initial_s
        pending = dict.fromkeys(jobs, 0)
        failed = set()
        while True:
            for job_id in list(pending):
                with fail_closed(
                    CONTROL,
                    f"macie2 job {job_id}",
                    "the status",
                    "macie2:DescribeClassificationJob",
                ):
                    job = macie.describe_classification_job(jobId=job_id)
                status = job["jobStatus"]
                if status == "COMPLETE":
                    del pending[job_id]
                    if job.get("lastRunErrorStatus", {}).get("code") == "ERROR":
                        failed.add(job_id)
                elif status == "CANCELLED":
                    raise PreflightError(
                        f"the Macie job {job_id} was cancelled before it completed; the data "
                        f"was not checked",
                        control=CONTROL,
                        resource=f"macie2 job {job_id}",
                    )
                else:
                    left = job.get("statistics", {}).get("approximateNumberOfObjectsToProcess")
                    size = len(jobs[job_id])
                    pending[job_id] = size if left is None else min(size, math.ceil(left))
            if progress is not None:
                progress(known + sum(len(o) for o in jobs.values()) - sum(pending.values()), total)
            if not pending:
                return failed
            now = self._clock()
            if now >= deadline:
                self._cancel(macie, region, list(pending))
            self._sleep(min(delay, deadline - now))
            delay = min(delay * self.poll_factor, self.poll_max_s)

    def _cancel(self, macie: Any, region: str, job_ids: list[str]) -> NoReturn:
        from botocore.exceptions import BotoCoreError, ClientError

        failures = []
        for job_id in job_ids:
            try:
                macie.update_classification_job(jobId=job_id, jobStatus="CANCELLED")
            except (BotoCoreError, ClientError) as error:
                failures.append(f"{job_id} ({error})")
        message = (
            f"the Macie job {', '.join(job_ids)} did not complete within {self.timeout_s:g} s "
            f"and was cancelled; the data was not checked. Allow more time (timeout_s), or scan "
            f"fewer or smaller objects"
        )
        if failures:
            message += (
                f". Cancelling failed for {'; '.join(failures)}: cancel it yourself "
                f"(aws macie2 update-classification-job --job-status CANCELLED --job-id <id> "
                f"--region {region}), it is billed while it runs"
            )
        raise PreflightError(message, control=CONTROL, resource=f"macie2 job {job_ids[0]}")

    # What Macie reported.

    def _known_findings(
        self, macie: Any, region: str, objects: Sequence[S3Object]
    ) -> dict[tuple[str, str, str], tuple[Detection, ...]]:
        """Detections of the findings Macie already holds for these objects, by (bucket, key,
        ETag): the newest finding of each object version."""
        by_bucket: dict[str, list[str]] = {}
        for obj in objects:
            by_bucket.setdefault(obj.bucket, []).append(obj.key)
        found: dict[tuple[str, str, str], tuple[Detection, ...]] = {}
        for bucket, keys in by_bucket.items():
            unique = list(dict.fromkeys(keys))
            for start in range(0, len(unique), _BATCH):
                criterion = {
                    "category": ["CLASSIFICATION"],
                    "resourcesAffected.s3Bucket.name": [bucket],
                    "resourcesAffected.s3Object.key": unique[start : start + _BATCH],
                }
                for (where, etag), detections in self._findings(macie, region, criterion).items():
                    found[(where[0], where[1], etag)] = detections
        return found

    def _findings(
        self, macie: Any, region: str, criterion: dict[str, list[str]]
    ) -> dict[tuple[_Where, str], tuple[Detection, ...]]:
        """The findings matching ``criterion`` (field path -> values, any of them): detections
        by (object, ETag), the newest finding of each object version winning."""
        ids: list[str] = []
        with fail_closed(
            CONTROL, f"macie2:{region}", "the findings", "macie2:ListFindings, macie2:GetFindings"
        ):
            request: dict[str, Any] = {
                "findingCriteria": {"criterion": {k: {"eq": v} for k, v in criterion.items()}},
                "maxResults": _BATCH,
            }
            while True:
                page = macie.list_findings(**request)
                ids.extend(page.get("findingIds", []))
                if not page.get("nextToken"):
                    break
                request["nextToken"] = page["nextToken"]
            findings = []
            for start in range(0, len(ids), _BATCH):
                batch = macie.get_findings(findingIds=ids[start : start + _BATCH])
                findings.extend(batch.get("findings", []))
        findings.sort(key=lambda f: str(f.get("createdAt", "")))
        answer = {}
        for finding in findings:
            if finding.get("sample"):
                continue  # a sample finding (CreateSampleFindings) describes made-up data
            s3_object = finding.get("resourcesAffected", {}).get("s3Object", {})
            bucket = finding.get("resourcesAffected", {}).get("s3Bucket", {}).get("name", "")
            detections = _detections(finding)
            if detections:
                where = (bucket, s3_object.get("key", ""))
                answer[(where, _etag(s3_object.get("eTag", "")))] = detections
        return answer

    def _results(
        self,
        s3: Any,
        destination: dict[str, Any],
        account: str,
        region: str,
        jobs: dict[str, list[S3Object]],
    ) -> dict[_Where, dict[str, Any]]:
        """The jobs' sensitive data discovery results (one record per object), by object."""
        bucket = destination["bucketName"]
        prefix = str(destination.get("keyPrefix", "")).strip("/")
        records: dict[_Where, dict[str, Any]] = {}
        for job_id in jobs:
            folder = f"{prefix + '/' if prefix else ''}AWSLogs/{account}/Macie/{region}/{job_id}/"
            with fail_closed(
                CONTROL,
                f"s3://{bucket}/{folder}",
                f"the discovery results of Macie job {job_id}",
                f"s3:ListBucket and s3:GetObject on {bucket}, and kms:Decrypt with "
                f"{destination.get('kmsKeyArn')}",
            ):
                request: dict[str, Any] = {"Bucket": bucket, "Prefix": folder}
                while True:
                    page = s3.list_objects_v2(**request)
                    for item in page.get("Contents", []):
                        if item["Key"].endswith(".jsonl.gz"):
                            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                            location = f"s3://{bucket}/{item['Key']}"
                            for record in _records(body, location):
                                _index(records, record, job_id)
                    if not page.get("IsTruncated"):
                        break
                    request["ContinuationToken"] = page["NextContinuationToken"]
        return records

    def _verdict(
        self,
        obj: S3Object,
        findings: dict[tuple[_Where, str], tuple[Detection, ...]],
        results: dict[_Where, dict[str, Any]],
        account: str,
        job_id: str,
        job_failed: bool,
    ) -> ObjectVerdict:
        etag = _etag(obj.etag)
        detections = findings.get(((obj.bucket, obj.key), etag))
        if detections:
            return ObjectVerdict(obj, "pii", detections)
        record = results.get((obj.bucket, obj.key))
        if record is None:
            causes = ["it changed or was deleted while the job ran"]
            if self.sampling_percentage < 100:
                causes.insert(0, f"it was not in the {self.sampling_percentage}% sample")
            if job_failed:
                causes.insert(0, f"the job reported an error ({_JOB_LOG})")
            return ObjectVerdict(
                obj,
                "unknown",
                reason=f"Macie job {job_id} reported nothing about it: {', or '.join(causes)}",
            )
        details = record.get("classificationDetails", {})
        job = details.get("jobId", "")
        s3_object = record.get("resourcesAffected", {}).get("s3Object", {})
        if _etag(s3_object.get("eTag", "")) != etag:
            return ObjectVerdict(
                obj,
                "unknown",
                reason=f"Macie job {job} analysed another version of it (ETag "
                f"{s3_object.get('eTag')}): it changed since it was listed",
            )
        detections = _detections(record)
        if detections:
            return ObjectVerdict(obj, "pii", detections)
        status = details.get("result", {}).get("status", {})
        code, why = status.get("code"), status.get("reason")
        if code == "COMPLETE":
            return ObjectVerdict(obj, "clean")
        why_words = _why(code, why, s3_object, account)
        return ObjectVerdict(obj, "unknown", reason=f"Macie job {job}: {why_words}")


def _index(records: dict[_Where, dict[str, Any]], record: dict[str, Any], job_id: str) -> None:
    """File a discovery result of ``job_id`` under its object."""
    if record.get("classificationDetails", {}).get("jobId") != job_id:
        return
    resources = record.get("resourcesAffected", {})
    where = (
        resources.get("s3Bucket", {}).get("name", ""),
        resources.get("s3Object", {}).get("key", ""),
    )
    records[where] = record


def _term(key: str, comparator: str, values: list[str]) -> dict[str, Any]:
    return {"simpleScopeTerm": {"key": key, "comparator": comparator, "values": values}}


def _etag(etag: str) -> str:
    """An ETag as Macie writes it (S3 listings quote it)."""
    return etag.strip('"')


def _detections(record: dict[str, Any]) -> tuple[Detection, ...]:
    """The identifier types and counts of a finding or discovery result, summed by type."""
    result = record.get("classificationDetails", {}).get("result", {})
    counts: Counter[str] = Counter()
    for item in result.get("sensitiveData", []):
        for detection in item.get("detections", []):
            counts[detection["type"]] += int(detection.get("count", 0))
    for detection in result.get("customDataIdentifiers", {}).get("detections", []):
        counts[detection.get("name") or detection.get("arn", "CUSTOM")] += int(
            detection.get("count", 0)
        )
    return tuple(Detection(identifier, count) for identifier, count in sorted(counts.items()))


def _records(body: bytes, location: str) -> list[dict[str, Any]]:
    """The records of a discovery results file (gzipped JSON lines)."""
    try:
        text = gzip.decompress(body).decode("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise PreflightError(
            f"cannot read Macie's discovery results {location} ({error}); the data was not "
            f"checked (fail closed)",
            control=CONTROL,
            resource=location,
        ) from error


def _why(code: str | None, reason: str | None, s3_object: dict[str, Any], account: str) -> str:
    """Macie's reason for skipping (or only partly analysing) an object, in words."""
    encryption = s3_object.get("serverSideEncryption", {})
    kms_key = encryption.get("kmsMasterKeyId") or "(the object's key)"
    if reason == "INVALID_ENCRYPTION":
        return (
            f"Macie may not decrypt it: the key policy of its KMS key {kms_key} must allow "
            f"Macie's service-linked role AWSServiceRoleForAmazonMacie "
            f"(arn:aws:iam::{account}:{_SERVICE_ROLE}) to use the key (kms:Decrypt)"
        )
    if reason == "UNSUPPORTED_FILE_TYPE_EXCEPTION":
        text = _unsupported(str(s3_object.get("key", "")))
    else:
        text = _SKIP_REASONS.get(reason or "", f"Macie reported {reason or 'no reason'}").format(
            kms_key=kms_key, storage_class=s3_object.get("storageClass", "?")
        )
    if code == "PARTIAL":
        return f"Macie analysed only part of it: {text}"
    return f"skipped: {text}"


def _unsupported(key: str) -> str:
    """Why Macie did not read an object of an unsupported format, by what its name says, and
    which scanner (if any) does."""
    known = format_by_name(key)
    if known is None:
        return (
            "Macie does not read its file format (it reads text, Apache Avro and Parquet, PDF, "
            "Word and Excel documents, and .gz, .gzip, .tar and .zip archives of them)"
        )
    if known.macie:
        return (
            f"Macie could not read it, though it reads {known.name}: check that the object is "
            f"what its name says"
        )
    return known.unreadable("macie")
