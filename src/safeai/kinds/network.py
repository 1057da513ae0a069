"""``vpc``, ``subnet``, ``subnets``, ``security_groups``: a request runs only in the policy's
private subnets, behind its security groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import _paths
from .._exceptions import PolicyError, SafeAIError
from .._run import Problem
from ._fields import apply_field, one_of, subset
from ._kind import Kind
from .policy_documents import as_strings

if TYPE_CHECKING:
    from .._policy import Policy
    from .._run import Names
    from ..controls import Control, Requirement

__all__ = ["SECURITY_GROUPS", "SUBNET", "SUBNETS", "VPC"]

_SUBNETS = "Policy.subnets"
_GROUPS = "Policy.security_group_ids"


# -- vpc: a {"Subnets", "SecurityGroupIds"} structure ----------------------------------------


def _check_vpc(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    if not isinstance(value, Mapping):
        return Problem(control, path, value, _describe_vpc(control, policy))
    for member, allowed, policy_field in (
        ("Subnets", policy.subnets, _SUBNETS),
        ("SecurityGroupIds", policy.security_group_ids, _GROUPS),
    ):
        found = value.get(member, _paths.MISSING)
        if not subset(found, allowed):
            return Problem(
                control, f"{path}.{member}", found, one_of(allowed, policy_field, plural=True)
            )
    return None


def _inject_vpc(control: Control, policy: Policy) -> object:
    if policy.subnets and policy.security_group_ids:
        return {
            "SecurityGroupIds": list(policy.security_group_ids),
            "Subnets": list(policy.subnets),
        }
    return None


def _describe_vpc(control: Control, policy: Policy) -> str:
    subnets = one_of(policy.subnets, _SUBNETS, plural=True)
    groups = one_of(policy.security_group_ids, _GROUPS, plural=True)
    return f"Subnets {subnets}; SecurityGroupIds {groups}"


def _document_vpc(requirement: Requirement) -> str:
    return (
        "a `VpcConfig` whose `Subnets` and `SecurityGroupIds` are non-empty subsets of "
        "`Policy.subnets` and `Policy.security_group_ids`"
    )


def _names_vpc(value: object, found: Names) -> None:
    if isinstance(value, Mapping):
        subnets = as_strings(value.get("Subnets"))
        found.subnets.update(subnets)
        found.security_groups.update(as_strings(value.get("SecurityGroupIds")))
        found.subnet_groups.append(tuple(sorted(subnets)))


# -- subnet: one subnet id -------------------------------------------------------------------


def _check_subnet(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    if isinstance(value, str) and value in policy.subnets:
        return None
    return Problem(control, path, value, _describe_subnet(control, policy))


def _inject_subnet(control: Control, policy: Policy) -> object:
    return policy.subnets[0] if policy.subnets else None


def _describe_subnet(control: Control, policy: Policy) -> str:
    return one_of(policy.subnets, _SUBNETS)


def _document_subnet(requirement: Requirement) -> str:
    return "one subnet id from `Policy.subnets`"


# -- subnets: a list of subnet ids -----------------------------------------------------------


def _check_subnets(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    if subset(value, policy.subnets):
        return None
    return Problem(control, path, value, _describe_subnets(control, policy))


def _inject_subnets(control: Control, policy: Policy) -> object:
    return list(policy.subnets) or None


def _describe_subnets(control: Control, policy: Policy) -> str:
    return one_of(policy.subnets, _SUBNETS, plural=True)


def _document_subnets(requirement: Requirement) -> str:
    return "a non-empty subset of `Policy.subnets`"


def _names_subnets(value: object, found: Names) -> None:
    subnets = as_strings(value)
    found.subnets.update(subnets)
    found.subnet_groups.append(tuple(sorted(subnets)))


# -- security_groups: a list of security group ids -------------------------------------------


def _check_groups(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    if subset(value, policy.security_group_ids):
        return None
    return Problem(control, path, value, _describe_groups(control, policy))


def _inject_groups(control: Control, policy: Policy) -> object:
    return list(policy.security_group_ids) or None


def _describe_groups(control: Control, policy: Policy) -> str:
    return one_of(policy.security_group_ids, _GROUPS, plural=True)


def _document_groups(requirement: Requirement) -> str:
    return "a non-empty subset of `Policy.security_group_ids`"


def _names_groups(value: object, found: Names) -> None:
    found.security_groups.update(as_strings(value))


# -- the SCP condition -----------------------------------------------------------------------

#: The list-valued condition keys and the policy field holding the values they may take.
_SET_FIELDS = {
    "sagemaker:VpcSubnets": "subnets",
    "sagemaker:VpcSecurityGroupIds": "security_group_ids",
}


def _scp(name: str, control: Control, policy: Policy) -> dict[str, Any]:
    """Any value outside the policy's list. ``ForAnyValue`` is false for an absent key, so no
    ``Null`` is needed here."""
    policy_field = _SET_FIELDS.get(name)
    if policy_field is None:
        raise SafeAIError(
            f"{control.slug} names {name}, which holds neither subnets nor security groups: "
            "safeai cannot write its SCP condition"
        )
    values = sorted(getattr(policy, policy_field))
    if not values:
        raise PolicyError(
            f"is empty, so the SCP has nothing to compare {name} with: list them, or waive "
            f"{control.slug}",
            field=policy_field,
        )
    return {"ForAnyValue:StringNotEquals": {name: values}}


#: The preflight controls that judge the subnets and security groups a request names.
_NETWORK = ("network.private_subnets", "network.security_groups", "network.privatelink")

VPC = Kind(
    describe=_describe_vpc,
    document=_document_vpc,
    handle=apply_field,
    check=_check_vpc,
    inject=_inject_vpc,
    names=_names_vpc,
    judged_by=_NETWORK,
    scp=_scp,
)
SUBNET = Kind(
    describe=_describe_subnet,
    document=_document_subnet,
    handle=apply_field,
    check=_check_subnet,
    inject=_inject_subnet,
    names=_names_subnets,
    judged_by=_NETWORK,
    scp=_scp,
)
SUBNETS = Kind(
    describe=_describe_subnets,
    document=_document_subnets,
    handle=apply_field,
    check=_check_subnets,
    inject=_inject_subnets,
    names=_names_subnets,
    judged_by=_NETWORK,
    scp=_scp,
)
SECURITY_GROUPS = Kind(
    describe=_describe_groups,
    document=_document_groups,
    handle=apply_field,
    check=_check_groups,
    inject=_inject_groups,
    names=_names_groups,
    judged_by=_NETWORK,
    scp=_scp,
)
