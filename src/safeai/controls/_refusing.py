"""Every control that can refuse an operation, and where the guard checks it.

A view of the catalogue and the resource registry, for ``safeai controls --operation`` and for
anyone asking "what could stop this call?". The request's own fields are only part of the
answer: the guard also checks the client the request travels through, preflight reads the role,
keys and network the request names, the S3 data its job reads is checked for personal data and
its buckets' posture, and the stored resources it names are read and checked too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from ._resources import (
    RESOURCES,
    TAG_CHANGES,
    input_family,
    pii_families,
    step_operations,
)
from .client import CONTROLS as CLIENT_CONTROLS
from .runtime import OPERATIONS as RUNTIME_OPERATIONS
from .runtime import PRIVATE_LINK

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._schema import Control

__all__ = ["CHECKED_ON", "CheckedOn", "RefusingControl", "refusing_controls"]

#: Where the guard checks a control, in the order :func:`refusing_controls` lists them.
CheckedOn = Literal["request", "step", "client", "preflight", "inputs", "reference"]

#: What each place means, in words (the headings of ``safeai controls --operation``).
CHECKED_ON: dict[CheckedOn, str] = {
    "request": "on the request's fields",
    "step": "on the fields of the pipeline's steps",
    "client": "on the client the request is sent through",
    "preflight": "against AWS, on the roles, keys and network the request names",
    "inputs": "on the S3 data the job reads",
    "reference": "on the stored resources the request names",
}


@dataclass(frozen=True, slots=True)
class RefusingControl:
    """A control that can refuse an operation, and where the guard checks it."""

    control: Control
    checked_on: CheckedOn


@cache
def refusing_controls(operation: str) -> tuple[RefusingControl, ...]:
    """Every control that can refuse ``operation`` under some policy, each once (where it is
    first checked), grouped in the order of :data:`CHECKED_ON`. Empty when the guard does not
    act on ``operation`` (a guarded client still refuses any call over plain HTTP:
    ``client.tls``)."""
    # Imported here: the package's __init__, which defines them, re-exports this module.
    from . import for_operation

    if not _guarded(operation):
        return ()
    fields = [control for control, _ in for_operation(operation)]
    if operation in TAG_CHANGES:
        # Checked against the tag control of the family the ARN it names belongs to.
        fields += _tag_controls()
    steps = [control for step in _step_operations(operation) for control, _ in for_operation(step)]
    client = CLIENT_CONTROLS
    if operation in RUNTIME_OPERATIONS:
        # A prediction's client must also reach the endpoint through PrivateLink.
        client = (*client, PRIVATE_LINK)
    found: list[tuple[Control, CheckedOn]] = [
        *((control, "request") for control in fields),
        *((control, "step") for control in steps),
        *((control, "client") for control in client),
        *((control, "preflight") for control in _preflight(fields + steps)),
        *((control, "inputs") for control in _inputs(operation)),
        *((control, "reference") for control in _references(operation)),
    ]
    first: dict[str, RefusingControl] = {}
    for control, checked_on in found:
        first.setdefault(control.slug, RefusingControl(control, checked_on))
    return tuple(first.values())


def _tag_controls() -> list[Control]:
    from . import CATALOGUE

    return [control for control in CATALOGUE if control.requirement.kind == "tags"]


def _guarded(operation: str) -> bool:
    """Whether the guard acts on ``operation``'s requests."""
    from . import secured_operations

    # A prediction has no fields to secure, but its client is checked on every call.
    return operation in secured_operations() or operation in RUNTIME_OPERATIONS


def _step_operations(operation: str) -> tuple[str, ...]:
    """The operations whose requests ``operation``'s pipeline steps stand for, if it has any."""
    from . import for_operation

    if not any(control.requirement.kind == "steps" for control, _ in for_operation(operation)):
        return ()
    return tuple(dict.fromkeys(step_operations().values()))


def _preflight(controls: list[Control]) -> list[Control]:
    """The preflight controls that judge what ``controls``' fields name (``Kind.judged_by``)."""
    from ..kinds import KINDS

    slugs = dict.fromkeys(
        slug for control in controls for slug in KINDS[control.requirement.kind].judged_by
    )
    return _controls(slugs)


def _inputs(operation: str) -> list[Control]:
    family = input_family(operation)
    if family is None:
        return []
    # A family whose requests name only the stores it keeps its own data in has no ``.pii``.
    scanned = any(resource.family == family for resource in pii_families())
    return _controls((f"{family}.pii", "s3.posture") if scanned else ("s3.posture",))


def _references(operation: str) -> list[Control]:
    from . import CATALOGUE

    reads = {family for r in RESOURCES if operation in r.references for family in r.reads}
    # A stored resource is checked as it is, without injection, and a Describe answer carries
    # no tags: the tag controls never refuse through a reference.
    return [
        control
        for control in CATALOGUE
        if control.resource in reads and control.targets and control.requirement.kind != "tags"
    ]


def _controls(slugs: Iterable[str]) -> list[Control]:
    """The catalogue's records of ``slugs``; a slug the catalogue lacks is a bug in this view."""
    from . import by_slug

    found: list[Control] = []
    for slug in slugs:
        control = by_slug(slug)
        if control is None:
            raise LookupError(f"the catalogue has no control {slug!r}")
        found.append(control)
    return found
