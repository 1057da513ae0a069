"""Small constructors that keep the catalogue modules readable as tables."""

from __future__ import annotations

from ._schema import Requirement, Target

__all__ = [
    "ISOLATION",
    "KMS",
    "ROLE",
    "SECURITY_GROUPS",
    "SUBNET",
    "SUBNETS",
    "TRANSIT",
    "VPC",
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
