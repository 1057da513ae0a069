"""The formats of an audit report, on a report built by hand (no AWS).

SARIF is checked against what GitHub code scanning requires of an upload (docs: "SARIF support
for code scanning"): the properties it marks required, non-empty, within its limits.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import subprocess
import sys
from typing import Any

import pytest

import safeai
from safeai import _detective
from safeai._audit import REDACTED
from safeai._audit_model import AuditedResource, AuditError, AuditReport, Finding
from safeai._detective import _shown
from safeai._paths import MISSING
from safeai._report_formats import artifact_uri
from safeai.controls import Anchors, by_slug

REGION = "eu-west-1"
MODEL_ARN = f"arn:aws:sagemaker:{REGION}:111122223333:model/open"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:111122223333:training-job/<script>x</script>"
CLEAN_ARN = f"arn:aws:sagemaker:{REGION}:111122223333:training-job/clean"
DELETED_BUCKET_ARN = "arn:aws:s3:::ml-data-deleted"


def _finding(slug: str, arn: str, path: str, found: object, kind: str) -> Finding:
    control = by_slug(slug)
    assert control is not None
    return Finding(
        control=slug,
        title=control.title,
        resource_type=kind,
        resource_arn=arn,
        region=REGION,
        path=path,
        found=found,
        expected="True",
        remedy=control.remedy,
        anchors=control.anchors,
    )


def _report(*, errors: bool = False, findings: bool = True) -> AuditReport:
    found = (
        (
            _finding(
                "model.network_isolation", MODEL_ARN, "EnableNetworkIsolation", False, "model"
            ),
            _finding("model.vpc", MODEL_ARN, "VpcConfig", None, "model"),
            _finding(
                "training.vpc",
                JOB_ARN,
                "VpcConfig.Subnets",
                ["subnet-<b>public</b>"],
                "training-job",
            ),
        )
        if findings
        else ()
    )
    failures = (
        (
            AuditError(
                REGION,
                "pipeline",
                "ListPipelines",
                None,
                "AccessDeniedException",
                "User is not authorized to perform: sagemaker:ListPipelines",
            ),
        )
        if errors
        else ()
    )
    return AuditReport(
        findings=found,
        resources=(
            AuditedResource("training-job", CLEAN_ARN, REGION),
            AuditedResource("training-job", JOB_ARN, REGION),
            AuditedResource("model", MODEL_ARN, REGION),
        ),
        errors=failures,
        api_calls=7,
        duration_seconds=0.25,
        regions=(REGION,),
        resource_types=("training-job", "model", "pipeline"),
    )


# -- the report itself ---------------------------------------------------------------------------


def test_exit_code_and_counts() -> None:
    assert _report().exit_code == 1
    assert _report(findings=False).exit_code == 0
    assert _report(errors=True).exit_code == 2
    assert _report(errors=True, findings=False).exit_code == 2
    assert _report().resource_counts == {"training-job": 2, "model": 1, "pipeline": 0}


def test_found_values_are_redacted_by_their_field() -> None:
    assert _shown("EnableNetworkIsolation", False) is False
    assert _shown("RoleArn", MISSING) is None
    environment = _shown(
        "PipelineDefinition:Steps[train].Arguments.Environment", {"API_TOKEN": "s3cr3t"}
    )
    assert environment == {"API_TOKEN": REDACTED}
    assert _shown("EndpointConfigName='c' -> HyperParameters", {"a": "1"}) == {"a": REDACTED}
    assert _shown("Steps[0].Arguments.ClientSecret", "hunter2") == REDACTED


def test_the_model_is_a_leaf_that_the_detective_re_exports() -> None:
    """A report can be built, rendered and stored without boto3 or the audit's readers."""
    probe = (
        "import sys, safeai._audit_model as model; "
        "report = model.AuditReport((), (), (), 0, 0.0, ('eu-west-1',), ()); "
        "report.to_sarif(); report.to_json(); report.to_html(); report.to_table(); "
        "loaded = [m for m in ('boto3', 'botocore', 'safeai._detective', 'safeai._hooks') "
        "if m in sys.modules]; "
        "print(loaded)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert _detective.AuditReport is AuditReport
    assert (_detective.Finding, _detective.AuditedResource, _detective.AuditError) == (
        Finding,
        AuditedResource,
        AuditError,
    )
    assert safeai.AuditReport is AuditReport


# -- JSON ----------------------------------------------------------------------------------------


def test_json_holds_every_finding_error_and_count() -> None:
    document = json.loads(_report(errors=True).to_json())
    assert document["exit_code"] == 2
    assert document["summary"] == {
        "resources": 3,
        "findings": 3,
        "errors": 1,
        "api_calls": 7,
        "duration_seconds": 0.25,
    }
    assert document["resource_types"]["training-job"] == {"evaluated": 2, "with_findings": 1}
    first = document["findings"][0]
    assert first["control"] == "model.network_isolation"
    assert first["found"] is False
    assert first["anchors"]["security_hub"] == ["SageMaker.5"]
    assert first["anchors"]["checkov"] == ["CKV_AWS_370"]
    assert document["errors"][0]["code"] == "AccessDeniedException"
    assert document["errors"][0]["resource"] is None
    assert {r["arn"] for r in document["resources"]} == {CLEAN_ARN, JOB_ARN, MODEL_ARN}


# -- SARIF ---------------------------------------------------------------------------------------


def _sarif(report: AuditReport) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(report.to_sarif())
    return log


def _required_text(value: Any, limit: int | None = None) -> None:
    assert isinstance(value, str)
    assert value.strip(), "GitHub refuses an empty string for a required property"
    if limit is not None:
        assert len(value) <= limit


def test_sarif_log_has_what_github_requires() -> None:
    log = _sarif(_report(errors=True))
    assert log["version"] == "2.1.0"
    _required_text(log["$schema"])
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    _required_text(driver["name"])
    rules = driver["rules"]
    assert len({rule["id"] for rule in rules}) == len(rules)
    for rule in rules:
        _required_text(rule["id"])
        _required_text(rule["shortDescription"]["text"], 1024)
        _required_text(rule["fullDescription"]["text"], 1024)
        _required_text(rule["help"]["text"])
        assert len(rule["name"]) <= 255
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"])
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert "security" in rule["properties"]["tags"]
        assert 0.0 < float(rule["properties"]["security-severity"]) <= 10.0
        assert rule["properties"]["precision"] in ("very-high", "high", "medium", "low")
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("none", "note", "warning", "error")
        _required_text(result["message"]["text"])
        assert 1 <= len(result["locations"]) <= 10
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        _required_text(uri)
        assert not re.match(r"^[a-z][a-z0-9+.-]*:", uri), "a relative path, not an absolute URI"
        region = physical["region"]
        for field in ("startLine", "startColumn", "endLine", "endColumn"):
            assert isinstance(region[field], int)
            assert region[field] >= 1
        _required_text(result["partialFingerprints"]["primaryLocationLineHash"])
    _required_text(run["automationDetails"]["id"])
    assert run["automationDetails"]["id"].endswith("/"), "a category, no run id"


def test_sarif_rules_carry_help_and_anchors() -> None:
    rules = {rule["id"]: rule for rule in _sarif(_report())["runs"][0]["tool"]["driver"]["rules"]}
    isolation = rules["model.network_isolation"]
    assert isolation["name"] == "ModelNetworkIsolation"
    assert isolation["help"]["text"].startswith("Fix: omit EnableNetworkIsolation")
    assert "Security Hub SageMaker.5" in isolation["help"]["text"]
    assert {"SageMaker.5", "CKV_AWS_370", "sagemaker_models_network_isolation_enabled"} <= set(
        isolation["properties"]["tags"]
    )
    assert isolation["properties"]["anchors"]["checkov"] == ["CKV_AWS_370"]
    assert "notebook.imdsv2" in rules, "every control that applies to a request is a rule"


def test_sarif_results_locate_the_resource_by_arn() -> None:
    result = _sarif(_report())["runs"][0]["results"][0]
    location = result["locations"][0]
    assert location["logicalLocations"] == [
        {"name": "open", "fullyQualifiedName": MODEL_ARN, "kind": "resource"}
    ]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == (
        "aws/sagemaker/eu-west-1/111122223333/model/open"
    )
    assert result["properties"]["path"] == "EnableNetworkIsolation"
    assert MODEL_ARN in result["message"]["text"]


def test_sarif_fingerprints_are_stable_and_distinct() -> None:
    first = _sarif(_report())["runs"][0]["results"]
    again = _sarif(_report())["runs"][0]["results"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in first]
    assert hashes == [r["partialFingerprints"]["primaryLocationLineHash"] for r in again]
    assert len(set(hashes)) == len(hashes)


def test_sarif_reports_errors_as_an_unsuccessful_invocation() -> None:
    (invocation,) = _sarif(_report(errors=True))["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert "ListPipelines failed (AccessDeniedException)" in notification["message"]["text"]
    (clean,) = _sarif(_report(findings=False))["runs"][0]["invocations"]
    assert clean == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_sarif_reports_a_finding_of_a_control_with_no_targets() -> None:
    """``s3.named_bucket`` applies to no request (it is found by reading the account), yet an
    audit that names a deleted bucket reports it: it must still be a rule, and its result must
    point at that rule and at the bucket."""
    named_bucket = by_slug("s3.named_bucket")
    assert named_bucket is not None
    assert not named_bucket.targets
    report = AuditReport(
        findings=(
            _finding(
                "s3.named_bucket",
                DELETED_BUCKET_ARN,
                "Bucket",
                "no bucket named 'ml-data-deleted' (NoSuchBucket)",
                "s3-bucket",
            ),
        ),
        resources=(AuditedResource("s3-bucket", DELETED_BUCKET_ARN, REGION),),
        errors=(),
        api_calls=1,
        duration_seconds=0.1,
        regions=(REGION,),
        resource_types=("s3-bucket",),
    )
    (run,) = _sarif(report)["runs"]
    rules = run["tool"]["driver"]["rules"]
    (result,) = run["results"]
    rule = rules[result["ruleIndex"]]
    assert rule["id"] == result["ruleId"] == "s3.named_bucket"
    assert rule["name"] == "S3NamedBucket"
    assert rule["help"]["text"].startswith("Fix: a bucket name is free")
    assert "request shape" not in rule["fullDescription"]["text"], "it applies to no request"
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "aws/s3/ml-data-deleted"
    assert location["logicalLocations"] == [
        {"name": "ml-data-deleted", "fullyQualifiedName": DELETED_BUCKET_ARN, "kind": "resource"}
    ]


def test_sarif_reports_a_finding_of_a_control_the_catalogue_does_not_hold() -> None:
    """A finding always points at a rule, built from the finding if need be."""
    finding = Finding(
        control="custom.check",
        title="A check of the organisation's own",
        resource_type="model",
        resource_arn=MODEL_ARN,
        region=REGION,
        path="Tags",
        found=None,
        expected="a cost-centre tag",
        remedy="tag the model.",
        anchors=Anchors(),
    )
    report = _report(findings=False)
    (run,) = _sarif(dataclasses.replace(report, findings=(finding,)))["runs"]
    (result,) = run["results"]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["id"] == "custom.check"
    assert rule["help"]["text"] == "Fix: tag the model."


@pytest.mark.parametrize(
    ("arn", "uri"),
    [
        (MODEL_ARN, "aws/sagemaker/eu-west-1/111122223333/model/open"),
        ("arn:aws:s3:::ml-data", "aws/s3/ml-data"),
        (
            "arn:aws-cn:sagemaker:cn-north-1:1:pipeline/a b",
            "aws-cn/sagemaker/cn-north-1/1/pipeline/a%20b",
        ),
    ],
)
def test_artifact_uri(arn: str, uri: str) -> None:
    assert artifact_uri(arn) == uri


# -- HTML ----------------------------------------------------------------------------------------


def test_html_is_one_escaped_self_contained_page() -> None:
    page = _report(errors=True).to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert html.escape(JOB_ARN) in page
    assert "subnet-&lt;b&gt;public&lt;/b&gt;" in page
    assert not re.search(r"""(src|href)\s*=""", page), "no external resources"
    assert "Errors: not audited" in page
    assert "AccessDeniedException" in page
    assert "Security Hub SageMaker.5" in page


# -- table ---------------------------------------------------------------------------------------


def test_table_columns_are_aligned() -> None:
    text = _report(errors=True).to_table()
    lines = text.splitlines()
    header = lines[0]
    assert header.split() == ["CONTROL", "RESOURCE", "PATH", "FOUND"]
    starts = [header.index(name) for name in ("RESOURCE", "PATH", "FOUND")]
    for row in lines[1:4]:
        for start in starts:
            assert row[start - 2 : start] == "  "
            assert row[start] != " "
    assert "(absent)" in lines[2]
    assert '["subnet-<b>public</b>"]' in lines[3]
    assert "training-job   2          1" in text
    assert "ListPipelines" in text
    assert lines[-1] == (
        "3 finding(s) on 2 of 3 resource(s) in eu-west-1; 1 error(s); 7 API calls in 0.2 s; "
        "NOT a complete audit: some resources could not be read."
    )
