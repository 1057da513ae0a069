"""The PII pre-flight: before a job may read its S3 inputs, they are proven to hold no personal
data the policy forbids. One control per resource family that reads inputs, so a waiver or a
mode can name exactly the jobs it is for; preflight applies them (they have no request field)."""

from __future__ import annotations

from ._schema import Anchors, Control, Requirement

__all__ = ["CONTROLS"]

_WHAT = {
    "training": "Training jobs",
    "tuning": "Tuning jobs",
    "processing": "Processing jobs",
    "transform": "Batch transform jobs",
    "automl": "AutoML jobs",
    "labeling": "Labeling jobs",
    "pipeline": "Pipeline steps",
}

CONTROLS: tuple[Control, ...] = tuple(
    Control(
        slug=f"{family}.pii",
        title=f"{what} read no S3 input holding personal data the policy forbids",
        requirement=Requirement("preflight"),
        targets=(),
        remedy="remove or mask the personal data in the objects listed, add an identifier type "
        "the workload may read to Policy.pii_allowed_types, or waive the control with a reason; "
        "an object that could not be classified is never clean (Policy.pii_unknown).",
        anchors=Anchors(),
    )
    for family, what in _WHAT.items()
)
