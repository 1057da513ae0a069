"""The one reader of IAM-style policy documents: bucket, resource, key and role policies.

Every layer that judges a policy document asks this module the same questions, so they cannot
disagree again: which statements a document holds, whom a statement names, whether it applies
to anyone (*public*), whether a condition confines it to fixed principals, networks or callers
(*confined*), whether it is the TLS-only deny a bucket keeps, and what its conditions say.
The engine (bucket and resource policies), preflight (KMS key policies, role trust and
permissions) and the sandbox's condition evaluation all read documents through it.

Pure: no I/O, no state.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Clause",
    "DuplicateKeyError",
    "arn_account",
    "as_list",
    "as_strings",
    "clauses",
    "confined",
    "confining",
    "grants_public",
    "is_public",
    "is_tls_deny",
    "parse_statements",
    "principals",
    "statements",
    "unique_keys",
]


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key: parsers disagree on which one wins, so what safeai read
    might not be what AWS reads."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A ``json.loads`` ``object_pairs_hook`` that refuses a repeated key."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


# -- reading documents and statements ---------------------------------------------------------


def parse_statements(raw: object) -> list[Mapping[str, Any]] | None:
    """The statements of a policy document sent as JSON text, strictly: None when the text is
    not JSON, repeats a key, or holds no ``Statement`` that is one statement object or a list
    of them. A request is refused on None (fail closed)."""
    try:
        document = json.loads(raw, object_pairs_hook=unique_keys) if isinstance(raw, str) else None
    except (json.JSONDecodeError, DuplicateKeyError):
        return None
    found = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(found, Mapping):
        return [found]
    if not isinstance(found, list) or not all(isinstance(s, Mapping) for s in found):
        return None
    return found


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a document AWS already stored (so already valid): one statement
    object or a list, as a list; anything that is not a statement object is left out."""
    found = document.get("Statement", [])
    if isinstance(found, Mapping):
        return [found]
    return [s for s in found if isinstance(s, Mapping)] if isinstance(found, list) else []


def as_list(value: object) -> list[Any]:
    """An element that may be one value or a list of them, as a list."""
    return value if isinstance(value, list) else [value]


def as_strings(value: object) -> list[str]:
    """An element that may be one string or a list of them (Action, Resource, ...) as a list of
    its strings; anything else holds none."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def principals(principal: object) -> list[tuple[str, str]]:
    """``"*"``, ``{"AWS": "*"}`` or ``{"Service": [...]}`` as (kind, value) pairs; the bare
    ``"*"`` has kind ``"*"``."""
    if isinstance(principal, str):
        return [("*", principal)]
    if isinstance(principal, Mapping):
        return [(str(kind), value) for kind, raw in principal.items() for value in as_strings(raw)]
    return []


def is_public(statement: Mapping[str, Any]) -> bool:
    """Whether a statement applies to anyone: a principal ``*`` of any kind (``"*"``,
    ``{"AWS": "*"}``, ``{"AWS": ["arn:...", "*"]}``), or any ``NotPrincipal`` (everyone but
    a few)."""
    if "NotPrincipal" in statement:
        return True
    return any(value == "*" for _kind, value in principals(statement.get("Principal")))


# -- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clause:
    """One key of one condition operator: ``{"ForAnyValue:StringLikeIfExists": {key: values}}``
    reads as qualifier ``ForAnyValue``, operator ``StringLike``, ``if_exists`` True."""

    #: ``ForAnyValue`` or ``ForAllValues`` (a set operator), or ``""``.
    qualifier: str
    #: The operator without its qualifier and ``IfExists``: ``StringEquals``, ``Bool``, ...
    operator: str
    if_exists: bool
    #: The key as written, for messages.
    key: str
    #: The key in lower case: condition keys are case-insensitive.
    name: str
    #: The values as text (JSON booleans and numbers too, as IAM compares them).
    values: tuple[str, ...]


def clauses(condition: object) -> list[Clause]:
    """Every (operator, key) clause of a statement's ``Condition``; a block that is not an
    object holds none (and so confines nothing)."""
    if not isinstance(condition, Mapping):
        return []
    found: list[Clause] = []
    for raw_operator, block in condition.items():
        if not isinstance(block, Mapping):
            continue
        qualifier, _, operator = str(raw_operator).rpartition(":")
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        for key, value in block.items():
            values = tuple(_text(item) for item in as_list(value))
            found.append(Clause(qualifier, operator, if_exists, str(key), str(key).lower(), values))
    return found


def _text(value: object) -> str:
    # JSON true/false as IAM reads them, not Python's "True"/"False".
    return str(value).lower() if isinstance(value, bool) else str(value)


#: Condition keys that confine a public principal to the organisation, an account, a network,
#: a calling service or the organisation's own VPC endpoints. ``kms:CallerAccount`` is the
#: key-policy way to name the calling account (AWS's own key policies pair it with ``*``).
_CONFINING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceVpce",
        "aws:SourceVpc",
        "aws:SourceIp",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:VpceAccount",
        "aws:VpceOrgID",
        "aws:VpceOrgPaths",
        "aws:userid",
        "kms:CallerAccount",
        "s3:DataAccessPointAccount",
        "s3:DataAccessPointArn",
    )
)
#: Operators that hold only for the values listed. A negated operator holds for everything
#: else, and ``Null``, ``Bool`` or a numeric or date operator names no principal or network.
_CONFINING_OPERATORS = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"}
)
#: Keys whose values are ARNs: a wildcard confines nothing unless the account is fixed.
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn", "s3:dataaccesspointarn"})
#: Keys whose values are organisation paths (``o-id/r-id/ou-id/...``): a wildcard after a fixed
#: organisation id still confines to that organisation.
_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths", "aws:vpceorgpaths"})
_ORG_PATH = re.compile(r"^o-[a-z0-9]{10,32}/")
_ACCOUNT = re.compile(r"^\d{12}$")
_OPEN_VALUES = frozenset({"*", "0.0.0.0/0", "::/0"})

#: The most addresses all the ``aws:SourceIp`` ranges of a condition may cover together and
#: still confine a statement, per IP version: one /8 of IPv4, one /32 of IPv6. Wider ranges
#: (``0.0.0.0/1``, ``0::/0``, or 256 /8s) admit (much of) everyone.
_WIDEST_SOURCES = {4: 2**24, 6: 2**96}
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def confining(clause: Clause) -> bool:
    """Whether ``clause`` holds only for fixed principals, networks or callers.

    A confining operator (not negated, not ``...IfExists``: an absent key passes those) on a
    confining key, alone or under ``ForAnyValue`` (false for an absent key; ``ForAllValues`` is
    true for one), with values that fix something: no wildcard, except in an ARN whose account
    is fixed or an organisation path whose organisation is; source addresses that together
    cover no more than :data:`_WIDEST_SOURCES`.
    """
    if clause.operator not in _CONFINING_OPERATORS or clause.if_exists:
        return False
    if clause.qualifier not in ("", "ForAnyValue"):
        return False
    if clause.name not in _CONFINING_KEYS or not clause.values:
        return False
    values = clause.values
    if any(value in _OPEN_VALUES for value in values):
        return False
    if clause.name == "aws:sourceip":
        return _narrow_sources(values)
    if clause.name in _ARN_KEYS:
        # ArnLike and ArnEquals match segment by segment, so a '*' stays within its segment;
        # StringLike's '*' also matches ':', so there only a value fixed up to its account
        # (the region included) confines: 'arn:aws:iam:*:123456789012:*' would match the role
        # path of another account's 'arn:aws:iam::999999999999:role/:123456789012:/x'.
        segmentwise = clause.operator.startswith("Arn")
        return all(arn_account(value, segmentwise=segmentwise) is not None for value in values)
    if clause.name in _ORG_PATH_KEYS:
        return all(_ORG_PATH.match(value) for value in values)
    return not any("*" in value or "?" in value for value in values)


def arn_account(value: str, *, segmentwise: bool = True) -> str | None:
    """The account an ARN (or an ARN pattern) names, when it names exactly one: a 12-digit
    account with no wildcard in the partition, service or account, so ``*`` can stand only
    for the region and the resource. ``segmentwise=False`` (a ``String...`` operator, whose
    ``*`` also matches ``:``) allows no wildcard in the region either. None otherwise."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    fixed = (parts[1], parts[2]) if segmentwise else (parts[1], parts[2], parts[3])
    if any("*" in part or "?" in part for part in fixed):
        return None
    return parts[4] if _ACCOUNT.match(parts[4]) else None


def _narrow_sources(values: tuple[str, ...]) -> bool:
    covered = {4: 0, 6: 0}
    for value in values:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        if isinstance(network, ipaddress.IPv6Network) and network.overlaps(_IPV4_MAPPED):
            # IPv4 callers match their IPv4-mapped IPv6 form too.
            covered[4] += min(network.num_addresses, 2**32)
        covered[network.version] += network.num_addresses
    return all(covered[version] <= widest for version, widest in _WIDEST_SOURCES.items())


def confined(statement: Mapping[str, Any]) -> bool:
    """Whether one of the statement's conditions confines it (see :func:`confining`). The
    clauses of a condition are ANDed, so one confining clause is enough."""
    return any(confining(clause) for clause in clauses(statement.get("Condition")))


def grants_public(statement: Mapping[str, Any]) -> bool:
    """Whether a statement allows anyone in and no condition confines it: what bucket,
    resource and key policies may not hold."""
    return statement.get("Effect") == "Allow" and is_public(statement) and not confined(statement)


# -- the TLS-only deny ------------------------------------------------------------------------


def is_tls_deny(statement: Mapping[str, Any], bucket: str | None) -> bool:
    """Whether ``statement`` denies everyone every S3 action on ``bucket`` and its objects over
    plain HTTP, and nothing narrows it: ``Principal`` ``*`` (no ``NotPrincipal``), ``s3:*``,
    both the bucket and its objects (or ``*``), and ``aws:SecureTransport`` false as its whole
    condition. A bucket of None matches no resource but ``*``."""
    if statement.get("Effect") != "Deny" or "NotPrincipal" in statement:
        return False
    principal = statement.get("Principal")
    if principal != "*" and not (
        isinstance(principal, Mapping)
        and set(principal) == {"AWS"}
        and principal["AWS"] in ("*", ["*"])
    ):
        return False
    if "NotAction" in statement or not {"s3:*", "*"} & set(as_strings(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        return False
    resources = set(as_strings(statement.get("Resource")))
    if "*" not in resources and not (
        bucket is not None and {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"} <= resources
    ):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or set(condition) != {"Bool"}:
        return False
    found = clauses(condition)
    return len(found) == 1 and (found[0].name, [v.lower() for v in found[0].values]) == (
        "aws:securetransport",
        ["false"],
    )
