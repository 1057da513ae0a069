"""The control reference in ``docs/controls.md``, generated from the catalogue.

``render()`` returns the page; ``python -m safeai.controls._reference`` writes it and
``python -m safeai.controls._reference --check`` exits 1 when the file on disk is stale, so CI
notices a catalogue change that was not regenerated. Pure: reads only the catalogue and the
resource registry.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import CATALOGUE, OUT_OF_SCOPE
from ._resources import RESOURCES, resource_of
from .pipelines import (
    NESTED_STEP_LISTS,
    STEP_OPERATIONS,
    STEPS_REFERENCING_STEPS,
    STEPS_WITHOUT_RESOURCES,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from ..kinds import Kind
    from ._schema import Anchors, Control, Requirement, Target
    from ._scope import OutOfScope

__all__ = ["generate_page", "main", "render"]

COMMAND = "python -m safeai.controls._reference"

_ANCHOR_LABELS: tuple[tuple[str, str], ...] = (
    ("security_hub", "Security Hub"),
    ("prowler", "Prowler"),
    ("checkov", "Checkov"),
    ("cdk_nag", "cdk-nag"),
    ("config_rules", "AWS Config rules"),
    ("iam_condition_keys", "IAM condition keys"),
)


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix else path


def _code(text: object) -> str:
    return f"`{text}`"


def _cell(text: str) -> str:
    """Text that is safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _requirement(requirement: Requirement) -> str:
    """What the control demands, in words: the requirement kind's own description."""
    # Imported here: the kinds import the catalogue, which stays data that imports nothing of
    # the layers reading it.
    text = _kind(requirement).document(requirement)
    if not requirement.fill:
        text += "; never filled in: a missing value is refused"
    if requirement.enabled_by:
        text += f"; off when `Policy.{requirement.enabled_by}` is false"
    return text


def _kind(requirement: Requirement) -> Kind:
    from ..kinds import KINDS

    return KINDS[requirement.kind]


def _notes(target: Target, requirement: Requirement) -> str:
    notes: list[str] = []
    if target.forbidden:
        notes.append("forbidden: every request is refused unless the control is waived")
    elif _kind(requirement).pipeline:
        notes.append("each step's `Arguments` filled in and checked")
    elif not target.inject:
        notes.append("check-only: a value present must comply, an absent one is left alone")
    elif target.check_only_with:
        where = " or ".join(f"`{_join(target.within, path)}`" for path in target.check_only_with)
        notes.append(f"check-only where {where} holds a value (the field belongs to what it names)")
    if target.within:
        notes.append(f"applies where `{target.within}` is present")
    if target.instance_types:
        where = " or ".join(f"`{_join(target.within, path)}`" for path in target.instance_types)
        notes.append(
            f"not injected when an instance type at {where} has local NVMe instance storage "
            "(encrypted in hardware; AWS refuses a volume key for it)"
        )
    return "; ".join(notes)


def _anchors(anchors: Anchors) -> list[str]:
    lines: list[str] = []
    for attribute, label in _ANCHOR_LABELS:
        ids: Sequence[str] = getattr(anchors, attribute)
        if ids:
            lines.append(f"{label}: {', '.join(_code(i) for i in ids)}")
    return lines


def _families(catalogue: Iterable[Control]) -> dict[str, list[Control]]:
    """The controls by resource family, in the registry's order (the conformance tests make
    sure every family has a record)."""
    grouped: dict[str, list[Control]] = {resource.family: [] for resource in RESOURCES}
    for control in catalogue:
        grouped.setdefault(control.resource, []).append(control)
    return {family: controls for family, controls in grouped.items() if controls}


def _anchor_id(slug: str) -> str:
    return slug.replace(".", "-").replace("_", "-")


def _control(control: Control) -> list[str]:
    lines = [
        f"### {control.slug} {{ #{_anchor_id(control.slug)} }}",
        "",
        f"**{control.title}.**",
        "",
        f"Requires: {_requirement(control.requirement)}.",
        "",
    ]
    if control.targets:
        lines += ["| operation | field path | notes |", "|---|---|---|"]
        lines.extend(
            f"| {_code(t.operation)} | {_code(t.path)} | {_cell(_notes(t, control.requirement))} |"
            for t in control.targets
        )
        lines.append("")
    lines += [f"Remedy: {control.remedy}", ""]
    if not control.waivable:
        lines += ["No waiver relaxes it: `safeai.waive` and `Policy.waivers` refuse its slug.", ""]
    anchors = _anchors(control.anchors)
    if anchors:
        lines += ["Anchors:", "", *(f"- {a}" for a in anchors), ""]
    else:
        lines += ["Anchors: none recorded in the catalogue.", ""]
    return lines


def _out_of_scope(entries: Sequence[OutOfScope]) -> list[str]:
    lines = [
        "## Out of scope",
        "",
        "Security-relevant request fields that no control enforces, each with the reason. The "
        "catalogue's coverage test walks botocore's SageMaker and S3 models and fails when such "
        "a field is neither covered by a control nor listed here.",
        "",
    ]
    if not entries:
        return [*lines, "None listed.", ""]
    lines += ["| operation | field path | reason |", "|---|---|---|"]
    lines.extend(
        f"| {_code(e.operation)} | {_code(e.path)} | {_cell(e.reason)} |"
        for e in sorted(entries, key=lambda e: (e.operation, e.path))
    )
    return [*lines, ""]


def _pipeline_steps() -> list[str]:
    lines = [
        "## Pipeline step types { #pipeline-step-types }",
        "",
        "`pipeline.steps` secures each step's `Arguments` with the controls of the operation "
        "below. A step of a type not listed here is refused.",
        "",
        "| step `Type` | secured as |",
        "|---|---|",
    ]
    lines.extend(f"| {_code(step)} | {_code(op)} |" for step, op in STEP_OPERATIONS.items())
    lines.extend(
        f"| {_code(step)} | refused unless its {_code(argument)} is the {_code(created)} of a "
        f"step of type {_code(creator)} in the same pipeline (secured there) |"
        for step, (argument, creator, created) in STEPS_REFERENCING_STEPS.items()
    )
    lines.extend(
        f"| {_code(step)} | the steps in {', '.join(_code(b) for b in branches)} |"
        for step, branches in NESTED_STEP_LISTS.items()
    )
    lines.extend(
        f"| {_code(step)} | passes unchanged: {_cell(reason)} |"
        for step, reason in STEPS_WITHOUT_RESOURCES.items()
    )
    return [*lines, ""]


def render(
    catalogue: Sequence[Control] = CATALOGUE, out_of_scope: Sequence[OutOfScope] = OUT_OF_SCOPE
) -> str:
    """The Markdown control reference for ``catalogue`` and ``out_of_scope``."""
    families = _families(catalogue)
    operations: dict[str, list[str]] = {}
    for control in catalogue:
        for operation in control.operations:
            operations.setdefault(operation, []).append(control.slug)
    lines = [
        f"<!-- GENERATED by `{COMMAND}` from safeai.controls.CATALOGUE: do not edit. -->",
        "",
        "# Control reference",
        "",
        '!!! note "Generated page"',
        f"    This page is generated from the catalogue. After changing a control, run "
        f"`{COMMAND}`; `{COMMAND} --check` (run by the tests) fails while it is stale.",
        "",
        f"{len(catalogue)} controls over {len(operations)} operations. Unless a target is marked "
        "check-only, a missing field is filled in from the policy and a present one must comply; "
        "a request that would need a value the policy does not set is refused. Slugs are stable "
        "public names: they appear in errors, audit records and waivers.",
        "",
        "## By operation",
        "",
        "| operation | controls |",
        "|---|---|",
    ]
    lines.extend(
        f"| {_code(op)} | " + ", ".join(f"[{_code(s)}](#{_anchor_id(s)})" for s in slugs) + " |"
        for op, slugs in sorted(operations.items())
    )
    lines.append("")
    for family, controls in families.items():
        resource = resource_of(family)
        title, scope = (resource.title, resource.scope) if resource else (family, "")
        lines += [f"## {title}", ""]
        if scope:
            lines += [scope, ""]
        lines += ["| control | what it secures |", "|---|---|"]
        lines.extend(
            f"| [{_code(c.slug)}](#{_anchor_id(c.slug)}) | {_cell(c.title)} |" for c in controls
        )
        lines.append("")
        for control in controls:
            lines.extend(_control(control))
    lines += _pipeline_steps()
    lines += _out_of_scope(out_of_scope)
    return "\n".join(lines).rstrip("\n") + "\n"


def _default_output(page: str) -> Path:
    """``docs/<page>`` of the source checkout this module lives in, else of the cwd."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "docs").is_dir():
        return root / "docs" / page
    return Path("docs") / page


def generate_page(
    argv: Sequence[str] | None, *, command: str, page: str, render: Callable[[], str]
) -> int:
    """The command line of a generated page (this reference, the coverage page): write
    ``docs/<page>`` with what ``render`` returns, or with ``--check`` return 1 when the file
    is stale."""
    parser = argparse.ArgumentParser(
        prog=command, description=f"Write or check the generated page docs/{page}."
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=None, help=f"default: docs/{page}")
    arguments = parser.parse_args(argv)
    output: Path = arguments.output or _default_output(page)
    text = render()
    if arguments.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != text:
            print(f"{output} is stale: run {command}", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Write the reference, or with ``--check`` return 1 when the file is stale."""
    return generate_page(argv, command=COMMAND, page="controls.md", render=render)


if __name__ == "__main__":
    raise SystemExit(main())
