"""The engine, run on a realistic minimal request of every SageMaker ``Create*`` operation, fills
in or refuses every security field outside a list, or the field is out of scope with a reason.

``test_coverage.py`` checks the catalogue's paths against botocore's model; this module checks
what the engine does with them (:mod:`safeai.controls._coverage`): a path that matches but that
the engine never fills nor refuses on a real request is a gap all the same. The classification is
computed once (cached) and each test reads it, re-running the engine where it checks a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

import safeai
from safeai import _paths
from safeai._engine import enforce
from safeai.controls import _coverage, by_slug
from safeai.controls._coverage import POLICY, Verdict, nested

ROOT = Path(__file__).resolve().parents[2]
SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")
#: The share of security fields the engine must fill or refuse (the issue's acceptance).
TARGET_PERCENT = 95.0

VERDICTS = _coverage.verdicts()


def _params(verdicts: list[Verdict] | tuple[Verdict, ...]) -> list[Any]:
    return [pytest.param(v, id=f"{v.field.operation}:{v.field.path}") for v in verdicts]


ALL = _params(VERDICTS)
FILLED = _params([v for v in VERDICTS if v.filled_by])
REFUSED = _params([v for v in VERDICTS if v.refused_by])


def _policy_values(verdict: Verdict) -> set[tuple[type, object]]:
    """What the policy supplies, read from the policy itself (not from the module under test),
    and the filling control's own value (a flag, a mode)."""
    values: list[object] = [
        POLICY.execution_role_arn,
        POLICY.kms_key_id,
        *POLICY.subnets,
        *POLICY.security_group_ids,
    ]
    control = by_slug(verdict.filled_by or "")
    assert control is not None, f"{verdict.filled_by} is no control of the catalogue"
    values.append(control.requirement.value)
    return {(type(value), value) for value in values if value is not None}


def _leaves(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _about(found: str, path: str) -> bool:
    return found == path or nested(path, found) or nested(found, path)


def test_there_is_something_to_measure() -> None:
    """Guards the walk and the classification: with nothing found, every test here would pass
    vacuously."""
    found = {(v.field.operation, v.field.path) for v in VERDICTS}
    assert ("CreateTrainingJob", "VpcConfig.Subnets") in found
    assert ("CreateNotebookInstance", "DirectInternetAccess") in found
    assert FILLED
    assert REFUSED


@pytest.mark.parametrize("verdict", ALL)
def test_every_security_field_is_filled_refused_or_out_of_scope(verdict: Verdict) -> None:
    assert verdict.anomaly is None, f"the engine misbehaved: {verdict.anomaly}"
    assert verdict.outcome != "uncovered", (
        f"{verdict.field.operation} {verdict.field.path} is neither filled nor refused by the "
        "engine on a minimal request, and no OUT_OF_SCOPE entry gives a reason"
        + (f" ({verdict.note})" if verdict.note else "")
    )
    if verdict.outcome == "out of scope":
        assert verdict.reason, "an out-of-scope field needs a reason"


@pytest.mark.parametrize("verdict", FILLED)
def test_a_filled_field_holds_the_policys_value(verdict: Verdict) -> None:
    field = verdict.field
    request = _coverage.minimal_request(field.operation, reaching=verdict.filled_reaching)
    assert _paths.lookup(request, _paths.split(field.path))[0] is _paths.MISSING
    secured, decisions = enforce(field.operation, request, POLICY, waivers={})
    value = _paths.lookup(secured, _paths.split(field.path))[0]
    assert value == verdict.filled_with
    allowed = _policy_values(verdict)
    assert _leaves(value), f"{field.path} holds an empty {value!r}"
    for leaf in _leaves(value):
        assert (type(leaf), leaf) in allowed, f"{field.path} holds {leaf!r}, not the policy's"
    assert any(
        d.control == verdict.filled_by and d.outcome == "injected" and _about(d.path, field.path)
        for d in decisions
    ), f"no decision records {verdict.filled_by} filling {field.path} in"


@pytest.mark.parametrize("verdict", REFUSED)
def test_a_refused_field_is_refused_by_its_control(verdict: Verdict) -> None:
    field = verdict.field
    control = by_slug(verdict.refused_by or "")
    assert control is not None
    assert field.operation in control.operations
    request = _coverage.refusal_request(field, verdict.refused_with)
    with pytest.raises(safeai.SecurityViolation) as refused:
        enforce(field.operation, request, POLICY, waivers={})
    naming = [
        (v.control, v.path)
        for v in _coverage.violations(refused.value)
        if v.control == verdict.refused_by and _about(v.path, field.path)
    ]
    assert naming, f"{field.path}={verdict.refused_with!r} was refused, but not by {control.slug}"


def test_the_figure_meets_the_target() -> None:
    figure = _coverage.figure()
    print(f"request coverage: {figure}")
    assert figure.percent >= TARGET_PERCENT, (
        f"the engine fills or refuses {figure} security fields of Create requests; the target "
        f"is {TARGET_PERCENT} %"
    )


def test_the_figure_counts_what_the_page_lists() -> None:
    figure = _coverage.figure()
    counted = [v for v in VERDICTS if v.security]
    assert figure.total == len(counted)
    assert figure.covered + figure.reasoned + figure.uncovered == figure.total
    assert f"**{figure.covered} of {figure.total}**" in _coverage.render()


@pytest.mark.parametrize("operation", _coverage.create_operations())
def test_minimal_requests_are_valid_before_and_after_the_engine(operation: str) -> None:
    """botocore would send the minimal request, and the one the engine secures: realistic
    requests, so what the engine does with them is what it does with a caller's."""
    shape = SAGEMAKER.operation_model(operation).input_shape
    assert shape is not None
    validator = ParamValidator()
    request = _coverage.minimal_request(operation)
    report = validator.validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    secured, _ = enforce(operation, request, POLICY, waivers={})
    report = validator.validate(secured, shape)
    assert not report.has_errors(), report.generate_report()


def test_minimal_requests_use_plausible_values() -> None:
    training = _coverage.minimal_request(
        "CreateTrainingJob", reaching="ResourceConfig.VolumeKmsKeyId"
    )
    assert training["RoleArn"] == POLICY.execution_role_arn
    assert training["OutputDataConfig"]["S3OutputPath"].startswith("s3://")
    assert "VolumeKmsKeyId" not in training["ResourceConfig"]
    assert training["ResourceConfig"], "the structure on the way holds something"
    processing = _coverage.minimal_request(
        "CreateProcessingJob", reaching="ProcessingResources.ClusterConfig.InstanceType"
    )
    assert "InstanceType" not in processing["ProcessingResources"]["ClusterConfig"]
    notebook = _coverage.minimal_request("CreateNotebookInstance")
    assert notebook["InstanceType"] == "ml.m5.xlarge"


def test_coverage_page_is_current() -> None:
    page = ROOT / "docs" / "coverage.md"
    assert page.read_text(encoding="utf-8") == _coverage.render(), (
        f"docs/coverage.md is stale: run `{_coverage.COMMAND}`"
    )


def test_coverage_page_check_mode(tmp_path: Path) -> None:
    output = tmp_path / "coverage.md"
    assert _coverage.main(["--check", "--output", str(output)]) == 1
    assert _coverage.main(["--output", str(output)]) == 0
    assert _coverage.main(["--check", "--output", str(output)]) == 0
    output.write_text(output.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert _coverage.main(["--check", "--output", str(output)]) == 1
