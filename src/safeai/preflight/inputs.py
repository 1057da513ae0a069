"""Preflight of the S3 data a job will read: the posture of each input bucket (``s3.posture``)
and the personal data in its objects (``<family>.pii``).

Bucket answers are cached like the other preflight checks; object verdicts by the fingerprint
cache of :mod:`safeai.pii`, so a re-launch on unchanged data makes only the listing calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._decisions import Decision
from .._exceptions import PreflightError, SecurityViolation
from .._inputs import S3Input, parse_s3_uri, pipeline_inputs, s3_inputs
from .._waivers import InputWaiver, active_input_waivers, active_waivers
from ._cache import CACHE, fail_closed, judged, scope, violation

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._policy import Policy

__all__ = ["InputFindings", "check_inputs", "clear_caches"]

POSTURE = "s3.posture"
_POSTURE_EXPECTED = (
    "default encryption SSE-KMS under an allowed key, all four Block Public Access settings, "
    "and a bucket policy denying plain-HTTP access"
)
#: Objects named in a finding; the rest are counted.
_LISTED = 10
#: A manifest larger than this is not read (its objects are unknown), to bound the cost.
_MANIFEST_LIMIT = 16 * 1024 * 1024
_UNCLASSIFIED_REMEDY = (
    "remove the cause given with each object where it names one (a KMS key policy, a "
    'permission, Policy.pii_scanner = "macie" or "local" where that scanner reads the format); '
    "a format no scanner reads (RecordIO, images, NumPy arrays, ...) cannot be cleared by any "
    "scan: if the data is known to hold no personal data, waive the control with that reason, "
    "for that data only (safeai.waive(control, reason=..., inputs=[its s3:// location]): the "
    'job\'s other inputs are still checked), or set Policy.pii_unknown = "warn" to send such '
    "jobs with a warning."
)


@dataclass
class InputFindings:
    """What the checks of a request's inputs found: violations to route by their control's
    mode, violations that only warn (unclassifiable objects under ``pii_unknown="warn"``),
    and a decision per check passed or waived."""

    violations: list[SecurityViolation] = field(default_factory=list)
    warnings: list[SecurityViolation] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


def check_inputs(
    clients: Callable[[str], Any],
    operation: str,
    params: Mapping[str, Any],
    policy: Policy,
    *,
    waivers: Mapping[str, str] | None = None,
) -> InputFindings:
    """Check every S3 input of a (secured) request; raises :class:`safeai.PreflightError`
    when AWS cannot answer (fail closed). ``waivers``: as resolved by the door (None: those
    active now); waivers scoped to S3 locations are read from the enclosing ``waive`` blocks."""
    findings = InputFindings()
    if operation == "StartPipelineExecution":
        # An execution reads the data as it is now, at the parameters it is given: the inputs
        # are checked again, each object only if it changed since (the verdict cache).
        inputs = _execution_inputs(clients("sagemaker"), params)
    elif operation == "RetryPipelineExecution":
        # A retry runs the failed steps again, on the data as it is now: the same check, at the
        # definition and parameters the execution was started with.
        inputs = _retried_inputs(clients("sagemaker"), params)
    else:
        inputs = s3_inputs(operation, params)
    if not inputs:
        return findings
    if waivers is None:
        waivers = active_waivers(policy)
    ttl = float(policy.preflight_ttl_seconds)
    # A manifest names the objects a job reads, in any bucket: those buckets' posture counts.
    expanded = [
        (item, *(_targets(clients("s3"), item) if item.kind != "unresolved" else ([], [])))
        for item in inputs
    ]
    placed = {(bucket, item.path) for item, targets, _ in expanded for bucket, _key in targets}
    posture_waivers = active_input_waivers(POSTURE)
    for bucket, path in sorted(placed):
        reason = waivers.get(POSTURE) or next(
            (w.reason for w in posture_waivers if w.covers_bucket(bucket)), None
        )
        if reason is not None:
            findings.decisions.append(
                Decision(POSTURE, path, "waived", value=bucket, reason=reason)
            )
            continue
        for result in _posture(clients("s3"), bucket, path, operation, policy, ttl):
            if isinstance(result, Decision):
                findings.decisions.append(result)
            else:
                findings.violations.append(result)
    if policy.pii != "off":
        for item, targets, unreadable in expanded:
            if item.scanned:
                _pii(clients, item, targets, unreadable, operation, policy, waivers, findings)
    return findings


def _execution_inputs(sagemaker: Any, params: Mapping[str, Any]) -> tuple[S3Input, ...]:
    name = str(params.get("PipelineName", ""))
    with fail_closed(
        "pipeline.pii", name, "the definition", f"sagemaker:DescribePipeline on {name}"
    ):
        # The version the execution runs, when it names one, not the latest.
        version = {
            member: params[member]
            for member in ("PipelineVersionId", "PipelineVersionAlias")
            if member in params
        }
        definition = sagemaker.describe_pipeline(PipelineName=name, **version).get(
            "PipelineDefinition"
        )
    values = {
        str(p.get("Name")): str(p.get("Value"))
        for p in params.get("PipelineParameters") or []
        if isinstance(p, Mapping)
    }
    return pipeline_inputs(definition, values)


def _retried_inputs(sagemaker: Any, params: Mapping[str, Any]) -> tuple[S3Input, ...]:
    arn = str(params.get("PipelineExecutionArn", ""))
    permissions = (
        f"sagemaker:DescribePipelineDefinitionForExecution and "
        f"sagemaker:ListPipelineParametersForExecution on {arn}"
    )
    with fail_closed("pipeline.pii", arn, "the execution's definition", permissions):
        definition = sagemaker.describe_pipeline_definition_for_execution(
            PipelineExecutionArn=arn
        ).get("PipelineDefinition")
        pages = sagemaker.get_paginator("list_pipeline_parameters_for_execution").paginate(
            PipelineExecutionArn=arn
        )
        values = {
            str(p.get("Name")): str(p.get("Value"))
            for page in pages
            for p in page.get("PipelineParameters") or []
        }
    return pipeline_inputs(definition, values)


# -- posture -----------------------------------------------------------------------------------


def _posture(
    s3: Any, bucket: str, path: str, operation: str, policy: Policy, ttl: float
) -> list[Decision | SecurityViolation]:
    from .._buckets import POSTURE as SETTINGS
    from .._buckets import read_settings, violations

    def read() -> dict[str, object]:
        permissions = (
            f"s3:GetEncryptionConfiguration, s3:GetBucketPublicAccessBlock and "
            f"s3:GetBucketPolicy on {bucket}"
        )
        with fail_closed(POSTURE, f"s3://{bucket}", "the posture", permissions):
            return read_settings(s3, bucket, SETTINGS)

    settings = CACHE.get(("s3-posture", scope(s3), bucket), ttl, read)
    problems = _problems(violations(bucket, settings, policy), settings)
    return judged(POSTURE, operation, path, f"s3://{bucket}", problems, _POSTURE_EXPECTED)


def _problems(found: list[SecurityViolation], settings: Mapping[str, object]) -> list[str]:
    """The violations of an input bucket's settings, in words, one per setting."""
    controls = {violation.control for violation in found}
    problems: list[str] = []
    if "s3.default_encryption" in controls:
        unset = settings.get("PutBucketEncryption") == {"Rules": []}
        problems.append(
            "no default encryption"
            if unset
            else "default encryption is not SSE-KMS under an allowed key"
        )
    off = [
        violation.path.rsplit(".", 1)[-1]
        for violation in found
        if violation.control == "s3.public_access"
    ]
    if off:
        problems.append(f"Block Public Access off: {', '.join(off)}")
    for policy_problem in found:
        if policy_problem.control != "s3.bucket_policy":
            continue
        if policy_problem.found == "<no TLS-only deny>":
            problems.append("no bucket policy statement denying plain-HTTP access")
        else:
            problems.append(f"the bucket policy allows the public at {policy_problem.path}")
    return problems


# -- personal data -----------------------------------------------------------------------------


def clear_caches() -> None:
    """Forget the verdicts kept in this process (a disk cache's file stays)."""
    from ..pii._scan import clear_caches as clear_verdicts

    clear_verdicts()


def _pii(
    clients: Callable[[str], Any],
    item: S3Input,
    targets: list[tuple[str, str]],
    unreadable: list[str],
    operation: str,
    policy: Policy,
    waivers: Mapping[str, str],
    findings: InputFindings,
) -> None:
    from ..pii._fingerprint import CONTROL, scan_targets
    from ..pii._scan import offending, scanner_for, unclassified, verdict_cache

    slug = f"{item.family}.pii"
    if slug in waivers:
        findings.decisions.append(
            Decision(slug, item.path, "waived", value=item.uri, reason=waivers[slug])
        )
        return
    if item.kind == "unresolved":
        _unknown(slug, operation, item, [item.note], policy, findings)
        return
    # A waiver scoped to S3 locations (waive(..., inputs=...)) covers what lies below them:
    # those locations are not scanned, and objects a wider input lists there are not judged.
    scoped = active_input_waivers(slug)
    waived: list[tuple[str, InputWaiver]] = []
    unwaived: list[tuple[str, str]] = []
    for bucket, key in targets:
        waiver = _waiver_of(scoped, bucket, key)
        if waiver is None:
            unwaived.append((bucket, key))
        else:
            waived.append((f"s3://{bucket}/{key}", waiver))
    try:
        verdicts = (
            scan_targets(
                unwaived, scanner_for(policy), clients, cache=verdict_cache(policy.pii_cache_dir)
            )
            if unwaived
            else []
        )
    except PreflightError as error:
        # The scanners name no request; this input's control is the one to waive or mode.
        message = (
            str(error)
            .removeprefix(f"{error.control}: ")
            .replace(f"waive {CONTROL}", f"waive {slug}")
        )
        raise PreflightError(message, control=slug, resource=error.resource) from error
    judged = []
    for verdict in verdicts:
        waiver = _waiver_of(scoped, verdict.object.bucket, verdict.object.key)
        if waiver is None:
            judged.append(verdict)
        else:
            waived.append((f"s3://{verdict.object.bucket}/{verdict.object.key}", waiver))
    verdicts = judged
    by_waiver: dict[InputWaiver, list[str]] = {}
    for location, waiver in waived:
        by_waiver.setdefault(waiver, []).append(location)
    findings.decisions.extend(
        Decision(slug, item.path, "waived", value=_listing(locations), reason=waiver.reason)
        for waiver, locations in by_waiver.items()
    )
    found = offending(verdicts, policy.pii_allowed_types)
    if found:
        listed = [
            f"s3://{v.object.bucket}/{v.object.key} ("
            + ", ".join(f"{d.identifier} x{d.count}" for d in detections)
            + (f"; {v.reason}" if v.reason else "")  # the archive's files it is in, say
            + ")"
            for v, detections in found
        ]
        allowed = ", ".join(sorted(policy.pii_allowed_types)) or "none"
        findings.violations.append(
            violation(
                slug,
                operation,
                item.path,
                f"{len(found)} object(s) under {item.uri} hold personal data: " + _listing(listed),
                f"no identifier types beyond Policy.pii_allowed_types ({allowed})",
            )
        )
    unknown = unreadable + [
        f"s3://{v.object.bucket}/{v.object.key} ({v.reason or 'not classified'})"
        for v in unclassified(verdicts)
    ]
    if unknown:
        _unknown(slug, operation, item, unknown, policy, findings)
    if not found and not unknown and (verdicts or not waived):
        findings.decisions.append(
            Decision(slug, item.path, "compliant", value=f"{item.uri} ({len(verdicts)} objects)")
        )


def _waiver_of(waivers: tuple[InputWaiver, ...], bucket: str, key: str) -> InputWaiver | None:
    """The innermost of ``waivers`` that covers ``key`` of ``bucket``, or None."""
    return next((w for w in reversed(waivers) if w.covers(bucket, key)), None)


def _unknown(
    slug: str,
    operation: str,
    item: S3Input,
    unknown: list[str],
    policy: Policy,
    findings: InputFindings,
) -> None:
    found = SecurityViolation(
        control=slug,
        operation=operation,
        path=item.path,
        found=f"{len(unknown)} object(s) under {item.uri or item.path} could not be classified: "
        + _listing(unknown),
        expected="objects the scanner can classify: an unclassified object is never clean "
        f'(Policy.pii_unknown = "{policy.pii_unknown}")',
        # Nothing was found in these objects, so the control's remedy (remove or mask the
        # personal data) does not apply: only what makes them readable, or a decision to trust.
        remedy=_UNCLASSIFIED_REMEDY,
    )
    (findings.warnings if policy.pii_unknown == "warn" else findings.violations).append(found)


def _listing(entries: list[str]) -> str:
    shown = "; ".join(entries[:_LISTED])
    more = len(entries) - _LISTED
    return f"{shown}; and {more} more" if more > 0 else shown


def _targets(s3: Any, item: S3Input) -> tuple[list[tuple[str, str]], list[str]]:
    """The (bucket, prefix) pairs to scan for an input, reading a manifest where it names the
    objects, and what could not be read."""
    if item.kind == "prefix":
        return [(item.bucket, item.prefix)], []
    with fail_closed(f"{item.family}.pii", item.uri, "the manifest", f"s3:GetObject on {item.uri}"):
        head = s3.head_object(Bucket=item.bucket, Key=item.prefix)
        if head["ContentLength"] > _MANIFEST_LIMIT:
            return [], [f"{item.uri} (a manifest over {_MANIFEST_LIMIT // 2**20} MiB)"]
        body = s3.get_object(Bucket=item.bucket, Key=item.prefix)["Body"].read()
    try:
        targets = _manifest_targets(item, body)
    except ValueError:  # invalid JSON or text: nothing says which objects the job reads
        return [], [f"{item.uri} (not a valid {item.kind.replace('_', ' ')})"]
    return list(dict.fromkeys(targets)), []


def _manifest_targets(item: S3Input, body: bytes) -> list[tuple[str, str]]:
    """The objects a manifest names; ValueError when it is not one."""
    if item.kind == "manifest":
        entries = json.loads(body)
        if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
            raise ValueError('a ManifestFile is a list starting with {"prefix": ...}')
        located = parse_s3_uri(str(entries[0].get("prefix", "")))
        if located is None:
            raise ValueError("a ManifestFile prefix is an s3:// URI")
        return [(located[0], located[1] + str(key)) for key in entries[1:]]
    targets = [(item.bucket, item.prefix)]  # the labels and text it holds
    for line in body.decode("utf-8").splitlines():
        record = json.loads(line) if line.strip() else {}
        for value in record.values() if isinstance(record, dict) else []:
            located = parse_s3_uri(value) if isinstance(value, str) else None
            if located is not None:
                targets.append(located)
    return targets
