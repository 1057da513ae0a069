"""Preflight: the only code that calls AWS to check what a request names (fail closed).

:func:`verify` checks the role, the KMS keys and the network a secured request names, one module
per AWS service (:mod:`.iam`, :mod:`.kms`, :mod:`.network`); answers are cached for the policy's
``preflight_ttl_seconds``, concurrent checks of the same thing run once, and independent checks
run at the same time. :func:`clear_caches` forgets everything (the referenced resources of
:mod:`safeai._references` too).

The check modules are imported on the first :func:`verify`, not with this package: the guard
imports it for :func:`caller_account` alone.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any

from .._decide import waived_decision
from .._engine import named_resources
from .._exceptions import SecurityViolation
from .._waivers import active_waivers
from . import account
from .account import caller_account

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from concurrent.futures import ThreadPoolExecutor

    from .._decisions import Decision
    from .._engine import NamedResources
    from .._policy import Policy
    from ._cache import Results

__all__ = ["SLUGS", "caller_account", "clear_caches", "verify"]

TRUST, LEAST_PRIVILEGE, KEY = "role.trust", "role.least_privilege", "kms.key"
PRIVATE_SUBNETS, SECURITY_GROUPS = "network.private_subnets", "network.security_groups"
PRIVATELINK = "network.privatelink"
#: The controls preflight checks against AWS, in the order their results are reported.
SLUGS = (TRUST, LEAST_PRIVILEGE, KEY, PRIVATE_SUBNETS, SECURITY_GROUPS, PRIVATELINK)
_WORKERS = 4
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def clear_caches() -> None:
    """Forget everything the guard has learnt from AWS: accounts, roles, keys, networks, input
    verdicts, and the resources requests name (endpoint configurations, models)."""
    from .._readers import clear_caches as clear_references
    from ._cache import CACHE
    from .inputs import clear_caches as clear_verdicts

    account.clear_caches()
    CACHE.clear()
    clear_verdicts()
    clear_references()


def verify(
    clients: Callable[[str], Any],
    operation: str,
    params: Mapping[str, Any],
    policy: Policy,
    *,
    waivers: Mapping[str, str] | None = None,
) -> list[Decision]:
    """Check what a secured request names (its roles, KMS keys, subnets and security groups)
    against AWS, for every preflight control not waived.

    ``waivers`` are the request's, resolved at the door (``None``: the policy's and those of the
    enclosing ``safeai.waive`` blocks).

    ``clients(service)`` returns a client (``"iam"``, ``"kms"``, ``"ec2"``) with the caller's
    credentials, region and endpoint; it is called in this thread, only for the services
    needed. Returns one ``compliant`` Decision per check passed (``value``: the resource) and a
    ``waived`` one (with the reason) per resource a waived control would have checked; nothing
    when ``policy.preflight`` is False.

    Raises :class:`safeai.SecurityViolation` for a finding (the first, with the others as
    ``additional``), and :class:`safeai.PreflightError` with the AWS error chained when AWS
    cannot answer (access denied, throttled after botocore's retries, timed out): fail closed.
    """
    if not policy.preflight:
        return []
    from .iam import check_role
    from .kms import check_key
    from .network import check_network

    named = named_resources(operation, params)
    if waivers is None:
        waivers = active_waivers(policy)
    active = frozenset(slug for slug in SLUGS if slug not in waivers)
    ttl = float(policy.preflight_ttl_seconds)
    decisions = _waived(named, waivers)
    checks: list[Callable[[], Results]] = []
    if active & {TRUST, LEAST_PRIVILEGE} and named.roles:
        iam = clients("iam")
        checks += [
            partial(check_role, iam, role, operation=operation, slugs=active, ttl=ttl)
            for role in sorted(named.roles)
        ]
    if KEY in active and named.kms_keys:
        kms = clients("kms")
        checks += [
            partial(check_key, kms, key, operation=operation, slugs=active, ttl=ttl)
            for key in sorted(named.kms_keys)
        ]
    if active & {PRIVATE_SUBNETS, SECURITY_GROUPS, PRIVATELINK} and (
        named.subnets or named.security_groups
    ):
        checks.append(
            partial(
                check_network,
                clients("ec2"),
                subnets=named.subnets,
                subnet_groups=named.subnet_groups,
                security_groups=named.security_groups,
                required_endpoints=tuple(policy.required_vpc_endpoints),
                operation=operation,
                slugs=active,
                ttl=ttl,
            )
        )
    violations: list[SecurityViolation] = []
    for result in _run_all(checks):
        if isinstance(result, SecurityViolation):
            violations.append(result)
        else:
            decisions.append(result)
    if violations:
        raise SecurityViolation.combined(violations)
    return decisions


def _waived(named: NamedResources, waivers: Mapping[str, str]) -> list[Decision]:
    """A ``waived`` decision per resource each waived preflight control would have checked."""
    places = {
        TRUST: ("RoleArn", named.roles),
        LEAST_PRIVILEGE: ("RoleArn", named.roles),
        KEY: ("KmsKeyId", named.kms_keys),
        PRIVATE_SUBNETS: ("VpcConfig.Subnets", named.subnets),
        SECURITY_GROUPS: ("VpcConfig.SecurityGroupIds", named.security_groups),
        PRIVATELINK: ("VpcConfig.Subnets", named.subnets),
    }
    return [
        waived_decision(waivers, slug, places[slug][0], resource)
        for slug in SLUGS
        if slug in waivers
        for resource in sorted(places[slug][1])
    ]


def _run_all(checks: list[Callable[[], Results]]) -> Results:
    """Run independent checks at the same time and return their results in order; once all
    have finished, the first failing check's error (a PreflightError, or a bug) is raised."""
    from concurrent.futures import wait

    if len(checks) <= 1:
        return [result for check in checks for result in check()]
    futures = [_executor().submit(check) for check in checks]
    wait(futures)
    return [result for future in futures for result in future.result()]


def _executor() -> ThreadPoolExecutor:
    """The small pool the checks run in, started the first time two checks need it."""
    from concurrent.futures import ThreadPoolExecutor

    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="safeai-preflight")
        return _pool
