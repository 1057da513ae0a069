"""The table of requirement kinds, and the engine's use of it."""

from __future__ import annotations

from typing import get_args

import pytest

import safeai
from safeai import _engine
from safeai.controls import CATALOGUE
from safeai.controls._schema import RequirementKind
from safeai.kinds import KINDS, apply_field

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/ml",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=("subnet-a",),
    security_group_ids=("sg-a",),
    region="us-east-1",
)


def test_every_requirement_kind_has_an_entry_and_nothing_else_does() -> None:
    assert set(KINDS) == set(get_args(RequirementKind))


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_kind_that_governs_one_field_can_check_it(name: str) -> None:
    kind = KINDS[name]
    if kind.handle is apply_field:
        assert kind.check is not None
    else:
        # Only a field kind fills in a value or is exempt where an instance type says so.
        assert kind.inject is None
        assert kind.exempt is None


def test_a_kind_whose_controls_name_condition_keys_writes_an_scp_condition() -> None:
    # iam:PassedToService is the SCP generator's own PassRole statement, not a kind's.
    without = {
        control.slug
        for control in CATALOGUE
        if set(control.anchors.iam_condition_keys) - {"iam:PassedToService"}
        and KINDS[control.requirement.kind].scp is None
    }
    assert without == set()


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_says_what_it_requires(name: str) -> None:
    control = next((c for c in CATALOGUE if c.requirement.kind == name), None)
    if control is None:
        pytest.skip(f"no control of kind {name} in the catalogue")
    assert KINDS[name].describe(control, POLICY)
    assert KINDS[name].document(control.requirement)


def test_compiled_targets_carry_their_kind() -> None:
    for item in _engine._compiled("CreateTrainingJob"):
        assert item.kind is KINDS[item.kind_name]


# -- waivers come in resolved ------------------------------------------------------------------

REQUEST = {"RoleArn": "arn:aws:iam::999999999999:role/other"}


def test_waivers_given_are_the_waivers_applied() -> None:
    reason = "a shared role, reviewed"
    secured, decisions = safeai.enforce(
        "CreateProcessingJob", REQUEST, POLICY, waivers={"processing.role": reason}
    )
    assert secured["RoleArn"] == REQUEST["RoleArn"]
    assert ("processing.role", "waived", reason) in {
        (d.control, d.outcome, d.reason) for d in decisions
    }


def test_waivers_given_replace_those_active_now() -> None:
    with (
        safeai.waive("processing.role", reason="active now"),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        safeai.enforce("CreateProcessingJob", REQUEST, POLICY, waivers={})
    assert refused.value.control == "processing.role"


def test_no_waivers_given_means_those_active_now() -> None:
    with safeai.waive("processing.role", reason="active now"):
        _, decisions = safeai.enforce("CreateProcessingJob", REQUEST, POLICY)
    assert ("processing.role", "waived") in {(d.control, d.outcome) for d in decisions}


def test_evaluate_takes_waivers_too() -> None:
    found = _engine.evaluate("CreateProcessingJob", REQUEST, POLICY, waivers={})
    assert "processing.role" in {violation.control for violation in found}
    waived = _engine.evaluate(
        "CreateProcessingJob", REQUEST, POLICY, waivers={"processing.role": "reviewed"}
    )
    assert "processing.role" not in {violation.control for violation in waived}
