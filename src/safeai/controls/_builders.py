"""Small constructors that keep the catalogue modules readable as tables."""

from __future__ import annotations

from ._schema import Requirement, Target

__all__ = [
    "ISOLATION",
    "KMS",
    "KMS_REMEDY",
    "PASSED_ROLE",
    "PASSED_ROLE_REMEDY",
    "ROLE",
    "ROLE_REMEDY",
    "SECURITY_GROUPS",
    "SUBNET",
    "SUBNETS",
    "TRANSIT",
    "VPC",
    "VPC_REMEDY",
    "at",
    "equals",
    "join",
]

ROLE = Requirement("role")
KMS = Requirement("kms_key")
VPC = Requirement("vpc")
SUBNET = Requirement("subnet")
SUBNETS = Requirement("subnets")
SECURITY_GROUPS = Requirement("security_groups")
ISOLATION = Requirement("equals", True, enabled_by="network_isolation")
TRANSIT = Requirement("equals", True, enabled_by="inter_container_encryption")
#: A role a request hands to another service (Forecast, Bedrock, EMR, IoT): never filled in.
PASSED_ROLE = Requirement("passed_role", fill=False)

ROLE_REMEDY = "omit {field} (safeai fills in the policy's execution role) or pass an allowed role."
VPC_REMEDY = (
    "omit {field} (safeai fills in the policy's private subnets and security groups) or use only "
    "subnets and security groups the policy lists."
)
KMS_REMEDY = (
    "omit {field} (safeai fills in the policy's KMS key) or use the policy's or an allowed key."
)
PASSED_ROLE_REMEDY = (
    "omit {field}, or add the role to Policy.allowed_role_arns once you have checked what it may "
    "do: the service it is handed to acts as it."
)


def equals(value: object) -> Requirement:
    """A field that must hold exactly ``value``."""
    return Requirement("equals", value)


def join(prefix: str, path: str) -> str:
    """``prefix.path``, or ``path`` alone when there is no prefix."""
    return f"{prefix}.{path}" if prefix else path


def at(
    operations: tuple[str, ...],
    path: str,
    *,
    prefix: str = "",
    within: str = "",
    inject: bool = True,
    instance_types: tuple[str, ...] = (),
    check_only_with: tuple[str, ...] = (),
) -> tuple[Target, ...]:
    """The same field (below ``prefix``) in several operations.

    ``within`` is relative to ``prefix``; when ``prefix`` is set the control applies only where
    the prefix exists (a tuning job's ``TrainingJobDefinitions[]`` entries, say).
    ``instance_types`` and ``check_only_with`` are as for :class:`Target`.
    """
    container = join(prefix, within) if within else prefix
    return tuple(
        Target(
            operation=op,
            path=join(prefix, path),
            within=container,
            inject=inject,
            instance_types=instance_types,
            check_only_with=check_only_with,
        )
        for op in operations
    )
