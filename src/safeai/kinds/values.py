"""``equals``: a field holds exactly the control's value (a flag, a mode, a version).
``absent``: a field is not there at all (a feature the policy does not allow)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._run import Problem
from ._fields import apply_field
from ._kind import Kind

if TYPE_CHECKING:
    from .._policy import Policy
    from ..controls import Control, Requirement

__all__ = ["ABSENT", "EQUALS"]


def _check(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    wanted = control.requirement.value
    # The type too: True == 1 in Python, but botocore sends them differently.
    if type(value) is type(wanted) and value == wanted:
        return None
    return Problem(control, path, value, _describe(control, policy))


def _inject(control: Control, policy: Policy) -> object:
    return control.requirement.value


def _describe(control: Control, policy: Policy) -> str:
    return repr(control.requirement.value)


def _document(requirement: Requirement) -> str:
    return f"exactly `{requirement.value!r}`"


def _scp(name: str, control: Control, policy: Policy) -> dict[str, Any]:
    """A boolean key compares with ``Bool``, which is false for an absent key; a negated string
    operator is true for one, so a one-key ``Null: false`` leaves absence to the statement that
    denies a missing value (and allows it on updates)."""
    wanted = control.requirement.value
    if isinstance(wanted, bool):
        return {"Bool": {name: "false" if wanted else "true"}}
    return {"StringNotEquals": {name: str(wanted)}, "Null": {name: "false"}}


EQUALS = Kind(
    describe=_describe,
    document=_document,
    handle=apply_field,
    check=_check,
    inject=_inject,
    scp=_scp,
)


def _check_absent(control: Control, value: object, path: str, policy: Policy) -> Problem:
    # Called only for a present value: any value asks for the feature.
    return Problem(control, path, value, _describe_absent(control, policy))


def _describe_absent(control: Control, policy: Policy) -> str:
    return "no such member: the feature it asks for is not allowed"


def _document_absent(requirement: Requirement) -> str:
    return "the member is absent (check-only: a request that sets it is refused)"


#: Check-only by nature: nothing is ever filled in (no ``inject``).
ABSENT = Kind(
    describe=_describe_absent, document=_document_absent, handle=apply_field, check=_check_absent
)
