"""Waivers in code: scoped to the thread or task, validated, and recorded."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

import pytest

import safeai

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/ml",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
)
OPEN = {"EnableNetworkIsolation": False}


def _outcome(slug: str) -> str:
    _, decisions = safeai.enforce("CreateTrainingJob", OPEN, POLICY)
    return {d.control: d.outcome for d in decisions}[slug]


def test_waiver_applies_inside_the_block_only(caplog: Any) -> None:
    with (
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        safeai.waive("training.network_isolation", reason="INC-1"),
    ):
        assert _outcome("training.network_isolation") == "waived"
    assert "waiver training.network_isolation: INC-1" in caplog.text
    with pytest.raises(safeai.SecurityViolation):
        safeai.enforce("CreateTrainingJob", OPEN, POLICY)


def test_waiver_does_not_leak_to_other_threads() -> None:
    seen: list[BaseException | None] = []

    def other_thread() -> None:
        try:
            safeai.enforce("CreateTrainingJob", OPEN, POLICY)
            seen.append(None)
        except safeai.SecurityViolation as error:
            seen.append(error)

    with safeai.waive("training.network_isolation", reason="INC-2"):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert _outcome("training.network_isolation") == "waived"
    assert isinstance(seen[0], safeai.SecurityViolation)


def test_nested_waivers_combine_and_unwind() -> None:
    with safeai.waive("training.network_isolation", reason="a"):
        with safeai.waive("training.vpc", reason="b"):
            _, decisions = safeai.enforce("CreateTrainingJob", OPEN, POLICY)
            waived = {d.control for d in decisions if d.outcome == "waived"}
            assert waived == {"training.network_isolation", "training.vpc"}
        assert _outcome("training.vpc") == "injected"


@pytest.mark.parametrize(
    ("slug", "reason", "message"),
    [
        ("training.isolation", "x", "is not a control slug"),
        ("training.vpc", "", "needs a written reason"),
        ("client.region", "x", "cannot be waived"),
    ],
)
def test_bad_waivers_are_refused(slug: str, reason: str, message: str) -> None:
    with pytest.raises(safeai.PolicyError, match=message), safeai.waive(slug, reason=reason):
        pass


@pytest.mark.parametrize("slug", ["client.tls", "client.region", "client.account"])
def test_a_policy_cannot_waive_what_no_waiver_relaxes(slug: str) -> None:
    with pytest.raises(safeai.PolicyError, match="cannot be waived"):
        dataclasses.replace(POLICY, waivers={slug: "we trust this network"})


def test_a_scoped_waiver_covers_its_location_and_what_is_below_it_only() -> None:
    from safeai._waivers import InputWaiver

    waiver = InputWaiver("training.pii", "x", (("ml-data", "images"), ("ml-data", "labels/")))
    assert waiver.covers("ml-data", "images")
    assert waiver.covers("ml-data", "images/train/a.rec")
    assert waiver.covers("ml-data", "labels/a.csv")
    assert not waiver.covers("ml-data", "images-customers/pii.csv")
    assert not waiver.covers("ml-data", "labels-2/a.csv")
    assert not waiver.covers("other", "images/a.rec")
    assert InputWaiver("s3.posture", "x", (("ml-data", ""),)).covers("ml-data", "any/key")
