"""The Security Hub and Prowler mapping page (docs/security-hub-prowler.md) stays true to the
catalogue: every control it names exists and is linked to its anchor on the control reference,
every audit type it names is one the audit lists, a row without a preventing control says why
not, and every SageMaker Security Hub id or Prowler check a control's anchors name is in the page
with that control among its preventers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safeai._detective import AUDITED_TYPES, BUCKETS
from safeai.controls import CATALOGUE

PAGE = Path(__file__).resolve().parents[2] / "docs" / "security-hub-prowler.md"
SLUGS = {control.slug: control for control in CATALOGUE}
AUDIT_TYPES = {*AUDITED_TYPES, BUCKETS}

# [`notebook.vpc`](controls.md#notebook-vpc): a control, linked to its heading's anchor.
_LINKED = re.compile(
    r"\[`(?P<slug>[a-z0-9_]+\.[a-z0-9_]+)`\]\(controls\.md#(?P<anchor>[a-z0-9-]+)\)"
)
_CODE = re.compile(r"`([^`]+)`")
_REASON = re.compile(r"^not (audited|covered): \S")


def _tables() -> dict[str, list[dict[str, str]]]:
    """Each ``## `` section's table, as rows keyed by the header's column names."""
    tables: dict[str, list[dict[str, str]]] = {}
    section = ""
    header: list[str] = []
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section, header = line[3:].strip(), []
            continue
        if not line.startswith("|"):
            header = [] if not line.strip() else header
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not header:
            header = cells
        elif not set(line) <= set("|-: "):
            tables.setdefault(section, []).append(dict(zip(header, cells, strict=True)))
    return tables


TABLES = _tables()
SECURITY_HUB = TABLES["Security Hub CSPM"]
PROWLER = TABLES["Prowler"]
ROWS = [(row["id"], row) for row in SECURITY_HUB] + [
    (row["check id"].strip("`"), row) for row in PROWLER
]


def _preventers(row: dict[str, str]) -> set[str]:
    return {match["slug"] for match in _LINKED.finditer(row["prevented by"])}


def test_the_page_has_both_tables_with_one_row_per_id() -> None:
    assert [row["id"] for row in SECURITY_HUB] == [f"SageMaker.{n}" for n in range(1, 26)]
    checks = [row["check id"].strip("`") for row in PROWLER]
    assert len(checks) == len(set(checks)) > 0
    assert all(check.startswith("sagemaker_") for check in checks)


@pytest.mark.parametrize(("check", "row"), ROWS, ids=[check for check, _ in ROWS])
def test_a_row_names_real_controls_and_audit_types_or_says_why_not(
    check: str, row: dict[str, str]
) -> None:
    prevented, detected = row["prevented by"], row["detected by"]
    for match in _LINKED.finditer(prevented):
        assert match["slug"] in SLUGS, f"{check}: no control {match['slug']}"
        assert match["anchor"] == re.sub(r"[._]", "-", match["slug"]), f"{check}: anchor"
    if not _preventers(row):
        assert prevented == "none", f"{check}: {prevented!r} names no linked control"
        assert detected.startswith("not covered: "), f"{check}: no control and no reason"
    if _REASON.match(detected):
        return
    types = [t.strip() for t in detected.split(",")]
    assert types, check
    for name in types:
        code = _CODE.fullmatch(name)
        assert code, f"{check}: {name!r} is neither an audit type nor a reason"
        assert code[1] in AUDIT_TYPES, f"{check}: the audit lists no {code[1]!r}"


def _anchored() -> list[tuple[str, str]]:
    """(id, slug): each SageMaker Security Hub id and Prowler check a control's anchors name."""
    pairs = []
    for control in CATALOGUE:
        for hub in control.anchors.security_hub:
            if hub.startswith("SageMaker."):
                pairs.append((hub, control.slug))
        for check in control.anchors.prowler:
            if check.startswith("sagemaker_"):
                pairs.append((check, control.slug))
    return pairs


ANCHORED = _anchored()


def test_the_catalogue_anchors_sagemaker_ids() -> None:
    assert len(ANCHORED) > 10


@pytest.mark.parametrize(("check", "slug"), ANCHORED, ids=[f"{c}-{s}" for c, s in ANCHORED])
def test_an_anchored_id_is_prevented_by_its_control_on_the_page(check: str, slug: str) -> None:
    rows = dict(ROWS)
    assert check in rows, f"{check} (an anchor of {slug}) is not on the page"
    assert slug in _preventers(rows[check]), f"{check}: the page does not name {slug}"
