"""The PII pre-flight: before a job may read its S3 inputs, they are proven to hold no personal
data the policy forbids. One control per resource family that reads inputs, so a waiver or a
mode can name exactly the jobs it is for; preflight applies them (they have no request field)."""

from __future__ import annotations

from ._resources import pii_families
from ._schema import Anchors, Control, Requirement

__all__ = ["CONTROLS"]

CONTROLS: tuple[Control, ...] = tuple(
    Control(
        slug=f"{resource.family}.pii",
        title=f"{resource.title} read no S3 input holding personal data the policy forbids",
        requirement=Requirement("preflight"),
        targets=(),
        remedy="remove or mask the personal data in the objects listed, or add an identifier "
        "type the workload may read to Policy.pii_allowed_types; an object that could not be "
        "classified is never clean: follow the reason given with it (another scanner where one "
        "reads its format), or, for a format no scanner reads, waive the control with a reason "
        "for that data only (safeai.waive(..., inputs=[its s3:// location])) "
        'or set Policy.pii_unknown = "warn".',
        anchors=Anchors(),
    )
    for resource in pii_families()
)
