"""The control reference in ``docs/controls.md``, generated from the catalogue.

``render()`` returns the page; ``python -m safeai.controls._reference`` writes it and
``python -m safeai.controls._reference --check`` exits 1 when the file on disk is stale, so CI
notices a catalogue change that was not regenerated. Pure: reads only the catalogue records.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import CATALOGUE, OUT_OF_SCOPE
from .pipelines import (
    NESTED_STEP_LISTS,
    STEP_OPERATIONS,
    STEPS_REFERENCING_STEPS,
    STEPS_WITHOUT_RESOURCES,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ._schema import Anchors, Control, Requirement, Target
    from ._scope import OutOfScope

__all__ = ["main", "render"]

COMMAND = "python -m safeai.controls._reference"

#: Heading and one-line scope note per resource family (the slug prefix), in display order.
#: A family missing here is still rendered, after these, under its slug prefix.
_FAMILIES: dict[str, tuple[str, str]] = {
    "training": ("Training jobs", "`CreateTrainingJob`."),
    "processing": ("Processing jobs", "`CreateProcessingJob`."),
    "transform": (
        "Batch transform jobs",
        "`CreateTransformJob`. A transform job has no VPC or isolation fields of its own: they "
        "come from the model it names, which the guard reads and checks against the `model.*` "
        "controls (see [referenced resources](guard.md#referenced-resources)).",
    ),
    "tuning": (
        "Hyperparameter tuning jobs",
        "`CreateHyperParameterTuningJob`: `TrainingJobDefinition` and every entry of "
        "`TrainingJobDefinitions`.",
    ),
    "automl": ("AutoML jobs", "`CreateAutoMLJob` and `CreateAutoMLJobV2`."),
    "compilation": ("Compilation jobs (Neo)", "`CreateCompilationJob`."),
    "optimization": ("Inference optimization jobs", "`CreateOptimizationJob`."),
    "labeling": (
        "Labeling jobs",
        "`CreateLabelingJob`; the VPC and volume key apply to automated labeling only.",
    ),
    "cluster": ("HyperPod clusters", "`CreateCluster` and `UpdateCluster`."),
    "model": (
        "Models",
        "`CreateModel`. These controls are also evaluated, without injection, on the model a "
        "transform job or an endpoint configuration names.",
    ),
    "endpoint_config": (
        "Endpoint configurations",
        "`CreateEndpointConfig`. Endpoints carry no security fields: `CreateEndpoint` and "
        "`UpdateEndpoint` are checked through the configuration (and its models) they name, "
        "without injection.",
    ),
    "notebook": ("Notebook instances", "`CreateNotebookInstance`, `UpdateNotebookInstance`."),
    "domain": (
        "Studio domains and user profiles",
        "`CreateDomain`, `UpdateDomain`, `CreateUserProfile`, `UpdateUserProfile`.",
    ),
    "monitoring": (
        "Model monitoring",
        "Schedules with an inline job definition, and the four job definition operations a "
        "schedule can name instead.",
    ),
    "pipeline": (
        "Pipelines",
        "`CreatePipeline` and `UpdatePipeline`. A pipeline definition held in S3 "
        "(`PipelineDefinitionS3Location`) is read and sent inline, so what is checked is what "
        "runs.",
    ),
    "role": (
        "Execution roles (preflight)",
        "The roles guarded requests name, read from IAM before the request is sent.",
    ),
    "kms": ("KMS keys (preflight)", "The keys guarded requests name, read from KMS."),
    "network": (
        "Private network (preflight)",
        "The subnets and security groups guarded requests name, and their VPC's endpoints, "
        "read from EC2.",
    ),
    "s3": (
        "Amazon S3",
        "Object writes (and so boto3's transfer manager, managed copies, the resource API and "
        "presigned PUT URLs made by a guarded client) and the bucket settings a program can "
        "weaken. A forbidden operation is refused whole unless its control is waived. See "
        "[S3](s3.md).",
    ),
}

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
    """What the control demands, in words."""
    kind = requirement.kind
    if kind == "role":
        text = "`Policy.execution_role_arn` or one of `Policy.allowed_role_arns`"
    elif kind == "kms_key":
        text = (
            "`Policy.kms_key_id` or one of `Policy.allowed_kms_key_ids` (a key id matches its "
            "key ARN and an alias its alias ARN; an alias is never resolved to a key)"
        )
    elif kind == "vpc":
        text = (
            "a `VpcConfig` whose `Subnets` and `SecurityGroupIds` are non-empty subsets of "
            "`Policy.subnets` and `Policy.security_group_ids`"
        )
    elif kind == "subnet":
        text = "one subnet id from `Policy.subnets`"
    elif kind == "subnets":
        text = "a non-empty subset of `Policy.subnets`"
    elif kind == "security_groups":
        text = "a non-empty subset of `Policy.security_group_ids`"
    elif kind == "equals":
        text = f"exactly {_code(repr(requirement.value))}"
    elif kind == "tags":
        text = (
            "every tag in `Policy.tags` with the policy's value (added when absent) and every "
            "key in `Policy.required_tag_keys`; nothing when the policy sets neither. "
            "`AddTags` may not change and `DeleteTags` may not remove such a tag"
        )
    elif kind == "sse":
        text = (
            "`ServerSideEncryption` `aws:kms` (or `aws:kms:dsse`) with `SSEKMSKeyId` "
            "`Policy.kms_key_id` or an allowed key, filled in with `BucketKeyEnabled` when "
            "absent; `AES256`, another key and SSE-C (`SSECustomerAlgorithm`) are refused"
        )
    elif kind == "bucket_encryption":
        text = (
            "at least one rule, every rule's `ApplyServerSideEncryptionByDefault` `aws:kms` "
            "(or `aws:kms:dsse`) with `KMSMasterKeyID` `Policy.kms_key_id` or an allowed key "
            "(filled in when absent, with `BucketKeyEnabled`)"
        )
    elif kind == "acl":
        text = (
            "no canned ACL `public-read`, `public-read-write` or `authenticated-read`, and no "
            "`Grant*` header or `AccessControlPolicy` grant to the `AllUsers` or "
            "`AuthenticatedUsers` groups"
        )
    elif kind == "bucket_policy":
        text = (
            "a JSON policy with a statement denying every `s3:*` action to `*` when "
            "`aws:SecureTransport` is false, and no `Allow` to `*` (or with `NotPrincipal`) "
            "without a condition on a restricting key (`aws:SourceVpce`, `aws:PrincipalOrgID`, "
            "`aws:PrincipalAccount`, ...; `aws:SourceIp` ranges covering more than a /8 of IPv4 "
            "or a /32 of IPv6 together restrict nothing)"
        )
    elif kind == "resource_policy":
        text = (
            "a JSON resource policy with no `Allow` to `*` (or with `NotPrincipal`) without a "
            "condition on a restricting key, as for bucket policies"
        )
    elif kind == "baseline":
        text = (
            "once the bucket exists, the guard brings it to the secure baseline with "
            "`safeai.s3.secure_bucket` (see [S3](s3.md#the-secure-baseline)); in report mode it "
            "records what it would change"
        )
    elif kind == "preflight":
        text = (
            "checked against AWS by preflight on what guarded requests name (the role, key and "
            "network; the buckets a job reads), not on a request field (see "
            "[preflight](preflight.md))"
        )
    else:
        text = (
            "every step of the pipeline definition is secured as the request it stands for "
            "(see [pipeline step types](#pipeline-step-types))"
        )
    if not requirement.fill:
        text += "; never filled in: a missing value is refused"
    if requirement.enabled_by:
        text += f"; off when `Policy.{requirement.enabled_by}` is false"
    return text


def _notes(target: Target, requirement: Requirement) -> str:
    notes: list[str] = []
    if target.forbidden:
        notes.append("forbidden: every request is refused unless the control is waived")
    elif requirement.kind == "steps":
        notes.append("each step's `Arguments` filled in and checked")
    elif not target.inject:
        notes.append("check-only: a value present must comply, an absent one is left alone")
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
    grouped: dict[str, list[Control]] = {family: [] for family in _FAMILIES}
    for control in catalogue:
        grouped.setdefault(control.resource, []).append(control)
    return {family: controls for family, controls in grouped.items() if controls}


def _family_title(family: str) -> str:
    return _FAMILIES.get(family, (family, ""))[0]


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
    lines += ["", f"Remedy: {control.remedy}", ""]
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
        title = _family_title(family)
        note = _FAMILIES.get(family, ("", ""))[1]
        lines += [f"## {title}", ""]
        if note:
            lines += [note, ""]
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


def _default_output() -> Path:
    """``docs/controls.md`` of the source checkout this module lives in, else of the cwd."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "docs").is_dir():
        return root / "docs" / "controls.md"
    return Path("docs") / "controls.md"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the reference, or with ``--check`` return 1 when the file is stale."""
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Write or check the control reference, docs/controls.md."
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=None, help="default: docs/controls.md")
    arguments = parser.parse_args(argv)
    output: Path = arguments.output or _default_output()
    text = render()
    if arguments.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != text:
            print(f"{output} is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
