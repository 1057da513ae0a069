"""The decision router: modes, waivers and decisions for every caller that finds violations."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import pytest

import safeai
from safeai._decide import DecisionRouter, warn_about
from safeai._exceptions import PreflightError, SecurityViolation

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/ml",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
    preflight=False,
)


def _violation(control: str, *, waivable: bool = True) -> SecurityViolation:
    return SecurityViolation(
        control=control,
        operation="CreateEndpoint",
        path=f"{control} path",
        found="weak",
        expected="strong",
        remedy="make it strong.",
        waivable=waivable,
    )


def _router(**policy: Any) -> DecisionRouter:
    return DecisionRouter(dataclasses.replace(POLICY, **policy), decisions=[])


def test_enforced_violations_are_refused_together() -> None:
    router = _router()
    with pytest.raises(SecurityViolation) as refused:
        router.route([_violation("model.vpc"), _violation("model.role")])
    assert refused.value.control == "model.vpc"
    assert [v.control for v in refused.value.additional] == ["model.role"]
    assert router.decisions == [], "a refused request records its violations, not decisions"


def test_warn_is_returned_and_report_only_recorded() -> None:
    router = _router(modes={"model.vpc": "warn", "model.role": "report"})
    let_through = router.route([_violation("model.vpc"), _violation("model.role")])
    assert [v.control for v in let_through] == ["model.vpc"]
    assert [(d.control, d.outcome, d.value) for d in router.decisions or []] == [
        ("model.vpc", "warned", "weak"),
        ("model.role", "would_refuse", "weak"),
    ]
    assert all(d.reason == "required: strong" for d in router.decisions or [])


def test_one_enforced_violation_refuses_whatever_the_others_modes() -> None:
    router = _router(modes={"model.vpc": "warn"})
    with pytest.raises(SecurityViolation) as refused:
        router.route([_violation("model.vpc"), _violation("model.role")])
    assert refused.value.control == "model.role"
    assert not refused.value.additional


def test_a_waiver_wins_over_every_mode_and_is_recorded() -> None:
    router = _router(waivers={"model.vpc": "legacy VPC until Q3; RISK-9"})
    assert router.route([_violation("model.vpc")]) == []
    [decision] = router.decisions or []
    assert (decision.control, decision.outcome, decision.reason) == (
        "model.vpc",
        "waived",
        "legacy VPC until Q3; RISK-9",
    )
    assert router.disposition("model.vpc") == "waived"
    assert router.mode("model.vpc") == "enforce", "the mode itself is left alone"


def test_waivers_are_resolved_once_when_the_router_is_built() -> None:
    with safeai.waive("model.vpc", reason="resolved at the door"):
        router = DecisionRouter(POLICY)
    assert router.route([_violation("model.vpc")]) == [], "outside the block, still waived"
    given = DecisionRouter(POLICY, waivers={"model.role": "given by the door"})
    with safeai.waive("model.vpc", reason="too late"), pytest.raises(SecurityViolation):
        given.route([_violation("model.vpc")])


def test_a_violation_that_is_not_waivable_ignores_waivers_but_follows_modes() -> None:
    waivers = {"client.region": "no such thing"}
    with pytest.raises(SecurityViolation):
        DecisionRouter(POLICY, waivers=waivers).route([_violation("client.region", waivable=False)])
    warned = dataclasses.replace(POLICY, mode="warn")
    router = DecisionRouter(warned, waivers=waivers, decisions=[])
    assert len(router.route([_violation("client.region", waivable=False)])) == 1
    assert [d.outcome for d in router.decisions or []] == ["warned"]


def test_a_check_that_could_not_run_refuses_unless_its_mode_refuses_nothing() -> None:
    error = PreflightError("cannot read model 'm'", control="model.vpc")
    with pytest.raises(PreflightError):
        _router().unchecked(error)
    reported = _router(modes={"model.vpc": "report"})
    reported.unchecked(error)
    assert [d.outcome for d in reported.decisions or []] == ["would_refuse"]
    warned = _router(mode="warn")
    with pytest.warns(safeai.SecurityWarning, match="sent in warn mode"):
        warned.unchecked(error)
    assert [d.outcome for d in warned.decisions or []] == ["warned"]


def test_a_check_that_could_not_run_is_not_excused_by_a_waiver() -> None:
    error = PreflightError("cannot read the definition", control="pipeline.pii")
    with pytest.raises(PreflightError):
        DecisionRouter(POLICY, waivers={"pipeline.pii": "reason"}).unchecked(error)


def test_warn_only_violations_are_recorded_as_warned_in_every_mode() -> None:
    router = _router()
    found = [_violation("training.pii")]
    assert router.warned(found) == found
    assert [d.outcome for d in router.decisions or []] == ["warned"]


def test_without_a_decision_list_nothing_is_collected() -> None:
    router = DecisionRouter(dataclasses.replace(POLICY, mode="report"))
    assert router.route([_violation("model.vpc")]) == []
    assert router.decisions is None


def test_warnings_name_the_control_the_place_and_the_fix() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_about([_violation("model.vpc")], stacklevel=1)
    [warning] = caught
    assert warning.category is safeai.SecurityWarning
    text = str(warning.message)
    assert text.startswith("model.vpc: CreateEndpoint sent in warn mode")
    assert "fix: make it strong." in text
    assert warning.filename == __file__, "stacklevel counts from the caller"
