"""``role``: the execution role a request passes is the policy's or an allowed one.
``passed_role``: a role a request hands to another service is an allowed one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._run import Problem
from ._fields import apply_field, one_of
from ._kind import Kind
from .policy_documents import as_strings

if TYPE_CHECKING:
    from .._policy import Policy
    from .._run import Names
    from ..controls import Control, Requirement

__all__ = ["PASSED_ROLE", "ROLE"]


def _check(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    if isinstance(value, str) and value in policy.role_arns:
        return None
    return Problem(control, path, value, _describe(control, policy))


def _inject(control: Control, policy: Policy) -> object:
    return policy.execution_role_arn


def _describe(control: Control, policy: Policy) -> str:
    return one_of(policy.role_arns, "Policy.execution_role_arn")


def _document(requirement: Requirement) -> str:
    return "`Policy.execution_role_arn` or one of `Policy.allowed_role_arns`"


def _names(value: object, found: Names) -> None:
    found.roles.update(as_strings(value))


ROLE = Kind(
    describe=_describe,
    document=_document,
    handle=apply_field,
    check=_check,
    inject=_inject,
    names=_names,
    judged_by=("role.trust", "role.least_privilege"),
)


def _check_passed(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    # One role, or a list of them (the EMR roles a Studio user may assume); an empty list
    # hands nothing over.
    roles = value if isinstance(value, list) else [value]
    if all(isinstance(role, str) and role in policy.role_arns for role in roles):
        return None
    return Problem(control, path, value, _describe(control, policy))


def _document_passed(requirement: Requirement) -> str:
    return (
        "absent, or one of `Policy.allowed_role_arns` (or `Policy.execution_role_arn`); never "
        "filled in"
    )


#: The role is another service's (it trusts Forecast, Bedrock, EMR or IoT, not SageMaker):
#: only whether the policy allows it is judged, not its trust or permissions.
PASSED_ROLE = Kind(
    describe=_describe,
    document=_document_passed,
    handle=apply_field,
    check=_check_passed,
)
