"""The pure enforcement engine: a request and a policy in, a secured request and decisions out.

It never calls AWS and keeps no state, so every door (event hooks, SecureSession, the CLI, the
audit) shares it, and it can be tested exhaustively without a network.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from . import _paths
from ._decisions import Decision
from ._exceptions import SecurityViolation
from ._waivers import active_waivers
from .controls import Control, Target, by_slug, for_operation, guarded_operations
from .controls.pipelines import (
    NESTED_STEP_LISTS,
    STEP_OPERATIONS,
    STEPS_REFERENCING_STEPS,
    STEPS_WITHOUT_RESOURCES,
)
from .controls.tags import TAG_RESOURCE_TYPES

if TYPE_CHECKING:
    from ._policy import Policy
    from ._types import Outcome

__all__ = [
    "Decision",
    "NamedResources",
    "enforce",
    "evaluate",
    "handled_operations",
    "is_tls_deny",
    "named_resources",
    "secure_in_place",
]


@dataclass(frozen=True, slots=True)
class _Problem:
    control: Control
    path: str
    found: object
    #: What the policy requires, in words; None: derived from the control and the policy.
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A target with its paths split once, not on every request."""

    control: Control
    target: Target
    within: tuple[str, ...]
    relative: tuple[str, ...]
    relative_path: str
    instance_types: tuple[tuple[str, ...], ...]
    #: Copied from the control and target: read for every item of every request.
    kind: str
    enabled_by: str | None
    forbidden: bool


@cache
def _compiled(operation: str) -> tuple[_Compiled, ...]:
    return tuple(
        _Compiled(
            control,
            target,
            _paths.split(target.within),
            _paths.split(target.relative_path),
            target.relative_path,
            tuple(_paths.split(path) for path in target.instance_types),
            control.requirement.kind,
            control.requirement.enabled_by,
            target.forbidden,
        )
        for control, target in for_operation(operation)
    )


class _Run:
    """The state of one enforcement: what was decided, what is wrong, what was injected.

    A plain slotted class, not a dataclass: one is built for every guarded request.
    """

    __slots__ = (
        "decisions",
        "inject",
        "injected",
        "policy",
        "problems",
        "reports",
        "waivers",
        "warned",
    )

    def __init__(self, policy: Policy, *, inject: bool, decisions: list[Decision] | None) -> None:
        self.policy = policy
        self.inject = inject
        self.decisions = decisions
        self.waivers = active_waivers(policy)
        #: What enforce refuses; in warn mode what was let through goes to ``warned`` instead.
        self.problems: list[_Problem] = []
        self.warned: list[_Problem] = []
        self.injected = 0
        #: Whether any control may be in report mode (most policies: none).
        self.reports = inject and (policy.mode == "report" or "report" in policy.modes.values())

    def reporting(self, control: Control) -> bool:
        """Whether ``control`` only records what enforce would do (report mode)."""
        return self.reports and self.policy.mode_of(control.slug) == "report"

    def problem(self, problem: _Problem) -> None:
        """Route a violation by its control's mode. ``evaluate`` (no injection) always
        collects: a finding on an existing resource is a finding in every mode."""
        mode = self.policy.mode_of(problem.control.slug) if self.inject else "enforce"
        if mode == "enforce":
            self.problems.append(problem)
            return
        outcome: Outcome = "warned" if mode == "warn" else "would_refuse"
        if mode == "warn":
            self.warned.append(problem)
        self.decide(
            problem.control,
            problem.path,
            outcome,
            value=problem.found,
            reason=f"required: {problem.expected or _describe(problem.control, self.policy)}",
        )

    def decide(
        self,
        control: Control,
        path: str,
        outcome: Outcome,
        value: object = None,
        reason: str | None = None,
    ) -> None:
        if self.decisions is not None:
            self.decisions.append(Decision(control.slug, path, outcome, value, reason))


def enforce(
    operation_name: str, params: Mapping[str, Any], policy: Policy
) -> tuple[dict[str, Any], list[Decision]]:
    """Secure one request without sending it.

    Returns the secured request (a new structure; ``params`` is left as it was) and one
    :class:`Decision` per control and place. Raises :class:`safeai.SecurityViolation` when the
    request asks for something weaker than the policy; the first violation is raised and the
    others are attached as ``additional``. Operations no control covers pass unchanged.
    """
    secured = copy_structure(params)
    decisions: list[Decision] = []
    secure_in_place(operation_name, secured, policy, decisions=decisions)
    return secured, decisions


def secure_in_place(
    operation_name: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    *,
    decisions: list[Decision] | None = None,
) -> list[SecurityViolation]:
    """Like :func:`enforce`, but changes ``params`` itself (the event hooks need that) and
    appends decisions to ``decisions`` only when a list is given.

    Returns the violations that controls in warn mode let through (the caller warns about
    them); raises for those in enforce mode.
    """
    run = _Run(policy, inject=True, decisions=decisions)
    _secure(operation_name, params, run, prefix="")
    if run.problems:
        raise _violation(operation_name, run.problems, policy)
    return [_violation(operation_name, [problem], policy) for problem in run.warned]


def evaluate(
    operation_name: str, document: Mapping[str, Any], policy: Policy
) -> list[SecurityViolation]:
    """Check an existing resource (a ``Describe*`` answer) against the controls of the
    operation that creates it. Nothing is injected: a missing control is a finding."""
    run = _Run(policy, inject=False, decisions=None)
    _secure(operation_name, copy_structure(document), run, prefix="")
    return [_violation(operation_name, [problem], policy) for problem in run.problems]


@dataclass(frozen=True, slots=True)
class NamedResources:
    """The roles, keys, subnets and security groups a request names, for preflight to check.

    ``subnet_groups`` keeps each place's subnets together (a ``VpcConfig``, a notebook's one
    subnet), because "spans two Availability Zones" is a property of one placement.
    """

    roles: frozenset[str] = frozenset()
    kms_keys: frozenset[str] = frozenset()
    subnets: frozenset[str] = frozenset()
    security_groups: frozenset[str] = frozenset()
    subnet_groups: tuple[tuple[str, ...], ...] = ()


def named_resources(operation_name: str, params: Mapping[str, Any]) -> NamedResources:
    """What a (secured) request names at its controls' fields, pipeline steps included.

    Only string values count: anything else was refused by the engine already.
    """
    found: dict[str, set[str]] = {"role": set(), "kms_key": set(), "subnet": set(), "sg": set()}
    groups: list[tuple[str, ...]] = []
    _collect(operation_name, params, found, groups)
    return NamedResources(
        roles=frozenset(found["role"]),
        kms_keys=frozenset(found["kms_key"]),
        subnets=frozenset(found["subnet"]),
        security_groups=frozenset(found["sg"]),
        subnet_groups=tuple(dict.fromkeys(groups)),
    )


def _strings(value: object) -> list[str]:
    """The strings of a field that holds one string or a list of them (anything else: none)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _collect(
    operation: str,
    params: Mapping[str, Any],
    found: dict[str, set[str]],
    groups: list[tuple[str, ...]],
) -> None:
    for item in _compiled(operation):
        kind = item.control.requirement.kind
        for _where, container in _paths.containers(dict(params), item.within):
            value, depth = _paths.lookup(container, item.relative)
            if value is _paths.MISSING or depth != len(item.relative):
                continue
            if kind in ("role", "kms_key"):
                found[kind].update(_strings(value))
            elif kind in ("subnet", "subnets"):
                found["subnet"].update(_strings(value))
                groups.append(tuple(sorted(_strings(value))))
            elif kind == "security_groups":
                found["sg"].update(_strings(value))
            elif kind == "vpc" and isinstance(value, Mapping):
                subnets = _strings(value.get("Subnets"))
                found["subnet"].update(subnets)
                found["sg"].update(_strings(value.get("SecurityGroupIds")))
                groups.append(tuple(sorted(subnets)))
            elif kind == "steps" and isinstance(value, str):
                _collect_steps(value, found, groups)


def _collect_steps(
    definition: str, found: dict[str, set[str]], groups: list[tuple[str, ...]]
) -> None:
    try:
        parsed = json.loads(definition)
    except json.JSONDecodeError:
        return
    if not isinstance(parsed, Mapping) or not isinstance(parsed.get("Steps"), list):
        return
    for _path, step in pipeline_steps(parsed["Steps"], ""):
        operation = STEP_OPERATIONS.get(step.get("Type", ""))
        arguments = step.get("Arguments")
        if operation is not None and isinstance(arguments, Mapping):
            _collect(operation, arguments, found, groups)


def copy_structure(value: Any) -> Any:
    """Copy the structures of a request as plain dicts and lists, sharing everything else
    (streams, bytes). botocore accepts any mapping for a structure and a tuple for a list and
    sends them alike, so the engine must see them alike: as dicts and lists."""
    # Exact types first, and leaves kept without a call: this runs on every member of every
    # guarded request, and a call or an ``isinstance`` against the Mapping ABC costs more than
    # the copy of a leaf.
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in _LEAVES else copy_structure(item)
            for key, item in value.items()
        }
    if kind is list or kind is tuple:
        return [item if type(item) in _LEAVES else copy_structure(item) for item in value]
    if kind in _LEAVES:
        return value
    if isinstance(value, Mapping):
        return {key: copy_structure(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [copy_structure(item) for item in value]
    return value


_LEAVES = frozenset({str, int, float, bool, bytes, type(None)})


def copy_members(params: MutableMapping[str, Any]) -> None:
    """Replace every structure in ``params`` with a plain copy (see :func:`copy_structure`)."""
    for member, value in params.items():
        if type(value) not in _LEAVES:
            params[member] = copy_structure(value)


def _violation(operation: str, problems: list[_Problem], policy: Policy) -> SecurityViolation:
    def build(problem: _Problem) -> SecurityViolation:
        return SecurityViolation(
            control=problem.control.slug,
            operation=operation,
            path=problem.path,
            found=problem.found,
            expected=problem.expected or _describe(problem.control, policy),
            remedy=problem.control.remedy,
        )

    return SecurityViolation.combined([build(problem) for problem in problems])


def _secure(operation: str, params: MutableMapping[str, Any], run: _Run, *, prefix: str) -> None:
    top_level = (("", params),)
    tagging = run.inject and bool(run.policy.tags or run.policy.required_tag_keys)
    for item in _compiled(operation):
        control, kind = item.control, item.kind
        if kind == "tags" and not tagging:  # Describe answers carry no tags either
            continue
        places = _paths.containers(params, item.within) if item.within else top_level
        for where, container in places:
            # Only pipeline steps (a non-empty prefix) hold expressions.
            if prefix and _is_expression(container):
                # A pipeline parameter or function where a structure belongs: its value at run
                # time is unknown now, and filling fields into it would corrupt it.
                run.problem(_Problem(control, _paths.join(prefix, where), dict(container)))
                continue
            if run.waivers and control.slug in run.waivers:
                run.decide(
                    control, _path(prefix, where, item), "waived", reason=run.waivers[control.slug]
                )
                continue
            flag = item.enabled_by
            if flag is not None and not getattr(run.policy, flag):
                run.decide(
                    control,
                    _path(prefix, where, item),
                    "disabled",
                    reason=f"Policy.{flag} is False",
                )
                continue
            if item.forbidden:
                found = container.get(item.relative_path, _paths.MISSING)
                expected = f"no {operation} request: it removes what {control.slug} requires"
                run.problem(_Problem(control, _path(prefix, where, item), found, expected))
            elif kind == "steps":
                _secure_pipeline(container, item, run, prefix=_path(prefix, where, item))
            elif kind == "tags":
                _apply_tags(item, container, _path(prefix, where, item), run)
            elif kind in _HANDLERS:
                _HANDLERS[kind](item, container, _paths.join(prefix, where), run)
            elif kind != "baseline":  # the guard applies the baseline once the bucket exists
                _apply(item, container, prefix, where, run)
    if operation in _TAG_CHANGES:
        _check_tag_changes(operation, params, run)


# -- S3 ----------------------------------------------------------------------------------------

_KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
_SSE_EXPECTED = "'aws:kms' (SSE-KMS; 'aws:kms:dsse' is accepted too)"
_SSE_C = (
    "no SSE-C: a key the caller holds is one AWS cannot audit, rotate or revoke; use SSE-KMS "
    "under the policy's key"
)


def _kms_key_ok(value: object, policy: Policy) -> bool:
    return isinstance(value, str) and any(
        _same_key(value, key, policy) for key in policy.kms_key_ids
    )


def _fill(
    item: _Compiled,
    container: MutableMapping[str, Any],
    path: str,
    fill: dict[str, Any],
    run: _Run,
) -> None:
    """Add the members ``fill`` names to ``container`` (or report them, in report mode). On an
    existing resource (``evaluate``), their absence is a finding."""
    control = item.control
    if not run.inject:
        run.problem(_Problem(control, path, _paths.MISSING, f"{fill!r} or its equivalent"))
        return
    if run.reporting(control):
        run.decide(control, path, "would_inject", value=fill)
        return
    container.update(fill)
    run.injected += 1
    run.decide(control, path, "injected", value=fill)


def _apply_sse(item: _Compiled, container: MutableMapping[str, Any], where: str, run: _Run) -> None:
    """An object write: SSE-KMS under the policy's key, with an S3 Bucket Key."""
    control, policy = item.control, run.policy
    for member in ("SSECustomerAlgorithm", "SSECustomerKey"):
        if member in container:
            found = container[member] if member == "SSECustomerAlgorithm" else "<SSE-C key>"
            run.problem(_Problem(control, _paths.join(where, member), found, _SSE_C))
            return
    algorithm = container.get("ServerSideEncryption", _paths.MISSING)
    if algorithm is not _paths.MISSING and algorithm not in _KMS_ALGORITHMS:
        path = _paths.join(where, "ServerSideEncryption")
        run.problem(_Problem(control, path, algorithm, _SSE_EXPECTED))
        return
    key = container.get("SSEKMSKeyId", _paths.MISSING)
    if key is not _paths.MISSING and not _kms_key_ok(key, policy):
        key_path = _paths.join(where, "SSEKMSKeyId")
        run.problem(_Problem(control, key_path, key, _describe_kms(policy)))
        return
    fill: dict[str, Any] = {}
    if algorithm is _paths.MISSING:
        fill["ServerSideEncryption"] = "aws:kms"
    if key is _paths.MISSING:
        if policy.kms_key_id is None:
            key_path = _paths.join(where, "SSEKMSKeyId")
            run.problem(_Problem(control, key_path, key, _describe_kms(policy)))
            return
        # aws:kms without a key id would use the AWS managed aws/s3 key, which no key policy of
        # the organisation governs.
        fill["SSEKMSKeyId"] = policy.kms_key_id
    if "BucketKeyEnabled" not in container and algorithm != "aws:kms:dsse":
        # DSSE-KMS takes no Bucket Key; with SSE-KMS it cuts the KMS requests by orders of
        # magnitude. An explicit False is the caller's cost decision and is left alone.
        fill["BucketKeyEnabled"] = True
    path = _paths.join(where, "ServerSideEncryption")
    if fill:
        _fill(item, container, path, fill, run)
    else:
        run.decide(control, path, "compliant", value=algorithm)


def _describe_kms(policy: Policy) -> str:
    return _one_of(policy.kms_key_ids, "Policy.kms_key_id")


_DEFAULT = "ApplyServerSideEncryptionByDefault"


def _apply_bucket_encryption(
    item: _Compiled, container: MutableMapping[str, Any], where: str, run: _Run
) -> None:
    """``PutBucketEncryption``: every rule's default is SSE-KMS under the policy's key."""
    control, policy = item.control, run.policy
    path = _paths.join(where, item.relative_path)
    config = container.get(item.relative_path)
    rules = config.get("Rules") if isinstance(config, Mapping) else None
    if not isinstance(rules, list) or not rules:
        run.problem(_Problem(control, f"{path}.Rules", rules, "at least one encryption rule"))
        return
    for index, rule in enumerate(rules):
        rule_path = f"{path}.Rules[{index}]"
        if not isinstance(rule, MutableMapping):
            run.problem(_Problem(control, rule_path, rule, "an encryption rule"))
            continue
        default_path = f"{rule_path}.{_DEFAULT}"
        default = rule.get(_DEFAULT)
        if default is None and run.inject:
            # In report mode a scratch structure: what would be filled in is recorded only.
            default = {} if run.reporting(control) else rule.setdefault(_DEFAULT, {})
        if not isinstance(default, MutableMapping):
            run.problem(_Problem(control, default_path, default, "an encryption default"))
            continue
        algorithm = default.get("SSEAlgorithm", _paths.MISSING)
        key = default.get("KMSMasterKeyID", _paths.MISSING)
        if algorithm is not _paths.MISSING and algorithm not in _KMS_ALGORITHMS:
            run.problem(_Problem(control, f"{default_path}.SSEAlgorithm", algorithm, _SSE_EXPECTED))
            continue
        if key is not _paths.MISSING and not _kms_key_ok(key, policy):
            run.problem(
                _Problem(control, f"{default_path}.KMSMasterKeyID", key, _describe_kms(policy))
            )
            continue
        if key is _paths.MISSING and policy.kms_key_id is None:
            run.problem(
                _Problem(control, f"{default_path}.KMSMasterKeyID", key, _describe_kms(policy))
            )
            continue
        fill: dict[str, Any] = {}
        if algorithm is _paths.MISSING:
            fill["SSEAlgorithm"] = "aws:kms"
        if key is _paths.MISSING:
            fill["KMSMasterKeyID"] = policy.kms_key_id
        if fill:
            _fill(item, default, default_path, fill, run)
        if run.inject and "BucketKeyEnabled" not in rule and algorithm != "aws:kms:dsse":
            # A cost setting, not a security one: filled in, never a finding on its own.
            _fill(item, rule, f"{rule_path}.BucketKeyEnabled", {"BucketKeyEnabled": True}, run)
        if not fill:
            run.decide(control, default_path, "compliant", value=dict(default))


_PUBLIC_GROUPS = (
    "acs.amazonaws.com/groups/global/allusers",
    "acs.amazonaws.com/groups/global/authenticatedusers",
)
_PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
_GRANT_HEADERS = ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")
_PRIVATE_ACL = "a canned ACL or grant that opens nothing to AllUsers or AuthenticatedUsers"


def _check_acl(item: _Compiled, container: MutableMapping[str, Any], where: str, run: _Run) -> None:
    """Canned ACLs, grant headers and ACL documents: none may name everyone."""
    control = item.control
    clean = True
    acl = container.get("ACL")
    if acl is not None and (not isinstance(acl, str) or acl in _PUBLIC_CANNED_ACLS):
        run.problem(_Problem(control, _paths.join(where, "ACL"), acl, _PRIVATE_ACL))
        clean = False
    for header in _GRANT_HEADERS:
        grant = container.get(header)
        if isinstance(grant, str) and any(group in grant.lower() for group in _PUBLIC_GROUPS):
            run.problem(_Problem(control, _paths.join(where, header), grant, _PRIVATE_ACL))
            clean = False
    document = container.get("AccessControlPolicy")
    grants = document.get("Grants") if isinstance(document, Mapping) else None
    for index, grant in enumerate(grants if isinstance(grants, list) else []):
        grantee = grant.get("Grantee") if isinstance(grant, Mapping) else None
        uri = grantee.get("URI") if isinstance(grantee, Mapping) else None
        if isinstance(uri, str) and any(group in uri.lower() for group in _PUBLIC_GROUPS):
            path = _paths.join(where, f"AccessControlPolicy.Grants[{index}].Grantee.URI")
            run.problem(_Problem(control, path, uri, _PRIVATE_ACL))
            clean = False
    if clean and run.decisions is not None and ("ACL" in container or document is not None):
        run.decide(control, _paths.join(where, "ACL"), "compliant", value=acl)


#: Condition keys that confine a public principal to the organisation, an account, a network
#: or a calling service. Their ``...IfExists`` forms confine nothing (an absent key passes).
_RESTRICTING_KEYS = frozenset(
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
        "aws:userid",
        "s3:DataAccessPointAccount",
        "s3:DataAccessPointArn",
    )
)
_TLS_DENY = (
    "a statement denying every s3 action on the bucket and its objects when "
    "aws:SecureTransport is false"
)


def _policy_statements(raw: object) -> list[Mapping[str, Any]] | None:
    """The statements of a JSON policy document, or None when it is not one (or repeats a
    key: parsers disagree on which duplicate wins)."""
    try:
        document = json.loads(raw, object_pairs_hook=_unique_keys) if isinstance(raw, str) else None
    except (json.JSONDecodeError, _DuplicateKeyError):
        document = None
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, Mapping) for s in statements):
        return None
    return statements


def _public_grants(
    control: Control, path: str, statements: list[Mapping[str, Any]], run: _Run
) -> bool:
    """Refuse every Allow to anyone that no condition confines; whether there was none."""
    clean = True
    for index, statement in enumerate(statements):
        if statement.get("Effect") == "Allow" and _public(statement) and not _restricted(statement):
            label = statement.get("Sid", index)
            run.problem(
                _Problem(
                    control,
                    f"{path}:Statement[{label}].Principal",
                    statement.get("Principal", statement.get("NotPrincipal")),
                    "a named principal, or '*' under a condition that restricts it "
                    "(aws:SourceVpce, aws:PrincipalOrgID, aws:PrincipalAccount, ...)",
                )
            )
            clean = False
    return clean


def _check_policy(
    item: _Compiled, container: MutableMapping[str, Any], where: str, run: _Run
) -> None:
    """A JSON policy document grants nothing to the public unconfined: a resource policy (an
    endpoint's, a model package group's), or a bucket policy, which also keeps a TLS-only deny."""
    control = item.control
    path = _paths.join(where, item.relative_path)
    raw = container.get(item.relative_path)
    if raw is None:
        return
    statements = _policy_statements(raw)
    if statements is None:
        found = f"<{type(raw).__name__}, not a JSON policy with statements and no duplicate keys>"
        run.problem(_Problem(control, path, found, "a JSON policy document"))
        return
    clean = True
    if item.kind == "bucket_policy":
        bucket = container.get("Bucket")
        if not any(
            is_tls_deny(statement, bucket if isinstance(bucket, str) else None)
            for statement in statements
        ):
            run.problem(_Problem(control, path, "<no TLS-only deny>", _TLS_DENY))
            clean = False
    if _public_grants(control, path, statements, run) and clean:
        run.decide(control, path, "compliant", value=f"<{item.kind.replace('_', ' ')}>")


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _public(statement: Mapping[str, Any]) -> bool:
    """Whether a statement applies to anyone: Principal '*' (or AWS '*'), or any NotPrincipal."""
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in _as_list(value) for value in principal.values())
    return False


#: Operators that confine a key to the values listed (wildcards aside); a negated operator,
#: ``Null`` or a set operator on the same key confines nothing.
_CONFINING_OPERATORS = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"}
)
_OPEN_VALUES = frozenset({"*", "0.0.0.0/0", "::/0"})


def _restricted(statement: Mapping[str, Any]) -> bool:
    """Whether a condition confines the statement to fixed principals, networks or callers:
    a confining operator on a restricting key, with values that are not wildcards."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if operator not in _CONFINING_OPERATORS or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            name = str(key).lower()
            values = [str(v) for v in _as_list(value)]
            if name in _RESTRICTING_KEYS and values and _confining(name, values):
                return True
    return False


#: The most addresses all the ``aws:SourceIp`` ranges of a condition may cover together and
#: still confine a statement, per IP version: one /8 of IPv4, one /32 of IPv6. Wider ranges
#: (``0.0.0.0/1``, ``0::/0``, or 256 /8s) admit (much of) everyone.
_WIDEST_SOURCES = {4: 2**24, 6: 2**96}
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def _confining(key: str, values: list[str]) -> bool:
    """Whether a condition's values name something fixed: no wildcards, and for source
    addresses, networks that together cover no more than :data:`_WIDEST_SOURCES`."""
    if any(value in _OPEN_VALUES or "*" in value or "?" in value for value in values):
        return False
    if key != "aws:sourceip":
        return True
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


_TLS_CONDITION = {"aws:securetransport": ["false"]}


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
    if "NotAction" in statement or not {"s3:*", "*"} & set(_strings(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        return False
    resources = set(_strings(statement.get("Resource")))
    if "*" not in resources and not (
        bucket is not None and {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"} <= resources
    ):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or set(condition) != {"Bool"}:
        return False
    block = condition["Bool"]
    if not isinstance(block, Mapping):
        return False
    found = {str(k).lower(): [str(v).lower() for v in _as_list(v)] for k, v in block.items()}
    return found == _TLS_CONDITION


#: Requirement kinds with a handler of their own, given the whole container.
_HANDLERS = {
    "sse": _apply_sse,
    "bucket_encryption": _apply_bucket_encryption,
    "acl": _check_acl,
    "bucket_policy": _check_policy,
    "resource_policy": _check_policy,
}


# -- tags ----------------------------------------------------------------------------------------

_TAG_CHANGES = frozenset({"AddTags", "DeleteTags"})


def handled_operations() -> frozenset[str]:
    """Every operation the engine acts on: the catalogue's, and the tag changes it checks."""
    return guarded_operations() | _TAG_CHANGES


def _apply_tags(item: _Compiled, container: MutableMapping[str, Any], path: str, run: _Run) -> None:
    policy, control = run.policy, item.control
    tags = container.get("Tags", [])
    if not isinstance(tags, list) or not all(
        isinstance(tag, Mapping) and isinstance(tag.get("Key"), str) for tag in tags
    ):
        run.problem(_Problem(control, path, tags, "a list of {Key, Value} tags"))
        return
    present = {tag["Key"]: tag.get("Value") for tag in tags}
    clean = True
    for key, wanted in policy.tags.items():
        if key in present and present[key] != wanted:
            run.problem(_Problem(control, f"{path}[Key={key}]", present[key], repr(wanted)))
            clean = False
    for key in policy.required_tag_keys:
        if key not in present and key not in policy.tags:
            expected = f"a tag {key!r} (Policy.required_tag_keys); the policy gives it no value"
            run.problem(_Problem(control, f"{path}[Key={key}]", _paths.MISSING, expected))
            clean = False
    missing = [
        {"Key": key, "Value": value} for key, value in policy.tags.items() if key not in present
    ]
    if missing and run.reporting(control):
        run.decide(control, path, "would_inject", value=missing)
    elif missing:
        container["Tags"] = [*tags, *missing]
        run.injected += 1
        run.decide(control, path, "injected", value=missing)
    elif clean:
        run.decide(control, path, "compliant", value=tags)


def _check_tag_changes(operation: str, params: Mapping[str, Any], run: _Run) -> None:
    """``AddTags``/``DeleteTags`` must not change or remove a tag the policy sets or requires."""
    policy = run.policy
    arn = params.get("ResourceArn")
    resource_type = arn.split(":", 5)[-1].split("/", 1)[0] if isinstance(arn, str) else ""
    family = TAG_RESOURCE_TYPES.get(resource_type)
    control = by_slug(f"{family}.tags") if family else None
    if control is None or (not policy.tags and not policy.required_tag_keys):
        return
    if control.slug in run.waivers:
        run.decide(control, "Tags", "waived", reason=run.waivers[control.slug])
        return
    if operation == "AddTags":
        for index, tag in enumerate(params.get("Tags") or []):
            key = tag.get("Key") if isinstance(tag, Mapping) else None
            if isinstance(key, str) and key in policy.tags and tag.get("Value") != policy.tags[key]:
                run.problem(_Problem(control, f"Tags[{index}]", tag, f"{key}={policy.tags[key]!r}"))
        return
    protected = {*policy.tags, *policy.required_tag_keys}
    for index, key in enumerate(params.get("TagKeys") or []):
        if key in protected:
            run.problem(
                _Problem(control, f"TagKeys[{index}]", key, "a tag key the policy does not set")
            )


def _is_expression(node: Mapping[str, Any]) -> bool:
    """A SageMaker Pipelines expression: ``{"Get": ...}`` or ``{"Std:Join": ...}`` and kin."""
    if len(node) != 1:
        return False
    (key,) = node
    return key == "Get" or (isinstance(key, str) and key.startswith("Std:"))


def _path(prefix: str, where: str, item: _Compiled) -> str:
    """The concrete path of ``item`` in the container found at ``where``."""
    return _paths.join(prefix, _paths.join(where, item.relative_path))


def _apply(
    item: _Compiled, container: MutableMapping[str, Any], prefix: str, where: str, run: _Run
) -> None:
    control = item.control
    recording = run.decisions is not None
    relative = item.relative
    if len(relative) == 1:  # most fields sit right in their container: skip the walk
        value: object = container.get(relative[0], _paths.MISSING)
        depth = 1
    else:
        value, depth = _paths.lookup(container, relative)
    if value is _paths.MISSING:
        if not item.target.inject:
            return
        if item.instance_types and _has_instance_storage(container, item.instance_types):
            if recording:
                run.decide(
                    control,
                    _path(prefix, where, item),
                    "compliant",
                    reason=_INSTANCE_STORAGE_REASON,
                )
            return
        injected = _injection(control, run.policy) if run.inject else None
        if injected is None:
            run.problem(_Problem(control, _path(prefix, where, item), value))
            return
        if run.reports and run.reporting(control):
            run.decide(control, _path(prefix, where, item), "would_inject", value=injected)
            return
        if len(relative) == 1:
            container[relative[0]] = injected
        else:
            _paths.put(container, relative, injected)
        run.injected += 1
        if recording:
            run.decide(control, _path(prefix, where, item), "injected", value=injected)
        return
    path = _path(prefix, where, item)
    if depth != len(item.relative):
        reached = path[: len(path) - len(item.relative_path)]
        run.problem(_Problem(control, reached + ".".join(item.relative[:depth]), value))
        return
    problem = _check(control, value, path, run.policy)
    if problem is None:
        if recording:
            run.decide(control, path, "compliant", value=value)
    else:
        run.problem(problem)


# -- requirements ------------------------------------------------------------------------------

_INSTANCE_STORE_FAMILIES = frozenset(
    {
        "g5",
        "g6",
        "g6e",
        "gr6",
        "p5",
        "p5e",
        "p5en",
        "p6",
        "p6e",
        "trn1",
        "trn1n",
        "trn2",
        "i3",
        "i4i",
        "x1",
        "dl1",
    }
)
# A "d" after the generation marks local NVMe storage: c5d, m5ad, g4dn, p3dn, p4d, m6id, r5dn.
_INSTANCE_STORE_SUFFIX = re.compile(r"^[a-z]+\d+[a-z]*d[a-z]*$")


_INSTANCE_STORAGE_REASON = (
    "instance storage is encrypted by the instance's hardware module; AWS refuses a volume key "
    "for these instance types"
)


def _has_instance_storage(
    container: Mapping[str, Any], instance_types: tuple[tuple[str, ...], ...]
) -> bool:
    for path in instance_types:
        if len(path) == 1:  # most: one type right in the container
            found = container.get(path[0])
            if isinstance(found, str) and _is_instance_store_type(found):
                return True
        elif path[0].removesuffix("[]") in container and any(
            isinstance(found, str) and _is_instance_store_type(found)
            for found in _paths.values(container, path)
        ):
            return True
    return False


@lru_cache(maxsize=256)
def _is_instance_store_type(instance_type: str) -> bool:
    parts = instance_type.split(".")
    # "ml.p6-b200.48xlarge": the family is what comes before the variant suffix.
    family = parts[1].split("-")[0] if len(parts) == 3 and parts[0] == "ml" else ""
    return family in _INSTANCE_STORE_FAMILIES or bool(_INSTANCE_STORE_SUFFIX.match(family))


def _injection(control: Control, policy: Policy) -> object:
    requirement = control.requirement
    if not requirement.fill:
        return None
    kind = requirement.kind
    if kind == "role":
        return policy.execution_role_arn
    if kind == "kms_key":
        return policy.kms_key_id
    if kind == "vpc":
        if policy.subnets and policy.security_group_ids:
            return {
                "SecurityGroupIds": list(policy.security_group_ids),
                "Subnets": list(policy.subnets),
            }
        return None
    if kind == "subnet":
        return policy.subnets[0] if policy.subnets else None
    if kind == "subnets":
        return list(policy.subnets) or None
    if kind == "security_groups":
        return list(policy.security_group_ids) or None
    return requirement.value


def _describe(control: Control, policy: Policy) -> str:
    """What the policy requires here, in words, naming the policy field when it is unset."""
    kind = control.requirement.kind
    if kind == "role":
        return _one_of(policy.role_arns, "Policy.execution_role_arn")
    if kind == "kms_key":
        return _one_of(policy.kms_key_ids, "Policy.kms_key_id")
    if kind in ("vpc", "subnet", "subnets"):
        subnets = _one_of(policy.subnets, "Policy.subnets", plural=kind != "subnet")
        if kind != "vpc":
            return subnets
        groups = _one_of(policy.security_group_ids, "Policy.security_group_ids", plural=True)
        return f"Subnets {subnets}; SecurityGroupIds {groups}"
    if kind == "security_groups":
        return _one_of(policy.security_group_ids, "Policy.security_group_ids", plural=True)
    return repr(control.requirement.value)


def _one_of(allowed: tuple[str, ...] | Any, field: str, *, plural: bool = False) -> str:
    if not allowed:
        return f"a value from {field}, which the policy does not set"
    listed = ", ".join(allowed)
    return f"a non-empty subset of [{listed}]" if plural else f"one of [{listed}]"


def _check(control: Control, value: object, path: str, policy: Policy) -> _Problem | None:
    kind = control.requirement.kind
    if kind == "role":
        ok = isinstance(value, str) and value in policy.role_arns
    elif kind == "kms_key":
        ok = isinstance(value, str) and any(
            _same_key(value, key, policy) for key in policy.kms_key_ids
        )
    elif kind == "subnet":
        ok = isinstance(value, str) and value in policy.subnets
    elif kind == "subnets":
        ok = _subset(value, policy.subnets)
    elif kind == "security_groups":
        ok = _subset(value, policy.security_group_ids)
    elif kind == "vpc":
        return _check_vpc(control, value, path, policy)
    else:
        wanted = control.requirement.value
        ok = type(value) is type(wanted) and value == wanted
    return None if ok else _Problem(control, path, value)


def _subset(value: object, allowed: tuple[str, ...] | Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and item in allowed for item in value)
    )


def _check_vpc(control: Control, value: object, path: str, policy: Policy) -> _Problem | None:
    if not isinstance(value, Mapping):
        return _Problem(control, path, value)
    for member, allowed, policy_field in (
        ("Subnets", policy.subnets, "Policy.subnets"),
        ("SecurityGroupIds", policy.security_group_ids, "Policy.security_group_ids"),
    ):
        found = value.get(member, _paths.MISSING)
        if not _subset(found, allowed):
            return _Problem(
                control, f"{path}.{member}", found, _one_of(allowed, policy_field, plural=True)
            )
    return None


_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([^:]+):(\d{12}):(key|alias)/(.+)$")


def _key_parts(value: str) -> tuple[str, str, str | None, str | None]:
    """(kind, name, region, account) of a key id, key ARN, alias name or alias ARN."""
    match = _KMS_ARN.match(value)
    if match:
        region, account, kind, name = match.groups()
        return kind, name, region, account
    if value.startswith("alias/"):
        return "alias", value.removeprefix("alias/"), None, None
    return "key", value, None, None


def _same_key(found: str, allowed: str, policy: Policy) -> bool:
    """Whether two spellings name the same key. A bare key id or alias name means the caller's
    region and account, which the guard holds to the policy's: so it matches an ARN only in
    the policy's region and account (and nothing, when the policy does not say which). An
    alias never matches a key id here: resolving it needs AWS, which the engine does not call."""
    home = (policy.effective_region, policy.account_id)

    def located(spelling: str) -> tuple[str, str, str | None, str | None]:
        kind, name, region, account = _key_parts(spelling)
        return kind, name, region or home[0], account or home[1]

    return located(found) == located(allowed)


# -- pipelines ---------------------------------------------------------------------------------


def _secure_pipeline(
    container: MutableMapping[str, Any], item: _Compiled, run: _Run, *, prefix: str
) -> None:
    steps_control = item.control
    member = item.relative[0]
    raw = container.get(member)
    if raw is None:
        return
    try:
        definition = (
            json.loads(raw, object_pairs_hook=_unique_keys) if isinstance(raw, str) else None
        )
    except json.JSONDecodeError as error:
        run.problem(_Problem(steps_control, prefix, f"invalid JSON ({error.msg})", _PIPELINE_JSON))
        return
    except _DuplicateKeyError as error:
        # Parsers disagree on which duplicate wins, so what safeai checked might not be what
        # SageMaker runs.
        run.problem(
            _Problem(steps_control, prefix, f"duplicate key {error.args[0]!r}", _PIPELINE_JSON)
        )
        return
    if not isinstance(definition, dict) or not isinstance(definition.get("Steps", []), list):
        # Not the raw text: a definition holds steps' Environment and HyperParameters values.
        found = f"<{type(definition).__name__}, not a definition with a Steps list>"
        run.problem(_Problem(steps_control, prefix, found, _PIPELINE_JSON))
        return
    injected_before = run.injected
    steps = list(pipeline_steps(definition.get("Steps", []), f"{prefix}:Steps"))
    for step_path, step in steps:
        step_type = step.get("Type")
        arguments = step.get("Arguments")
        if step_type in STEPS_WITHOUT_RESOURCES or step_type in NESTED_STEP_LISTS:
            continue
        if step_type in STEPS_REFERENCING_STEPS:
            problem = _unsecured_reference(
                steps_control, str(step_type), step_path, arguments, steps
            )
            if problem is not None:
                run.problem(problem)
            continue
        operation = STEP_OPERATIONS.get(step_type) if isinstance(step_type, str) else None
        if operation is None:
            run.problem(_Problem(steps_control, f"{step_path}.Type", step_type, _KNOWN_STEP_TYPES))
            continue
        if not isinstance(arguments, MutableMapping):
            run.problem(
                _Problem(steps_control, f"{step_path}.Arguments", arguments, "a request object")
            )
            continue
        _secure(operation, arguments, run, prefix=f"{step_path}.Arguments")
    if run.injected != injected_before:
        container[member] = json.dumps(definition)


_PIPELINE_JSON = "a JSON pipeline definition with no duplicate keys"


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


_KNOWN_STEP_TYPES = "a step type safeai knows: " + ", ".join(
    sorted(
        {*STEP_OPERATIONS, *STEPS_WITHOUT_RESOURCES, *NESTED_STEP_LISTS, *STEPS_REFERENCING_STEPS}
    )
)


def _unsecured_reference(
    control: Control,
    step_type: str,
    step_path: str,
    arguments: object,
    steps: list[tuple[str, MutableMapping[str, Any]]],
) -> _Problem | None:
    """A step that names a resource is secure only when a step of this pipeline creates that
    resource (and so was secured above); anything else cannot be proven here."""
    argument, creator_type, creator_argument = STEPS_REFERENCING_STEPS[step_type]
    name = arguments.get(argument) if isinstance(arguments, Mapping) else None
    created = {
        step["Arguments"].get(creator_argument)
        for _, step in steps
        if step.get("Type") == creator_type
        and isinstance(step.get("Arguments"), Mapping)
        and isinstance(step["Arguments"].get(creator_argument), str)
    }
    if isinstance(name, str) and name in created:
        return None
    return _Problem(
        control,
        f"{step_path}.Arguments.{argument}",
        name,
        f"the name of a resource a {creator_type} step of this pipeline creates",
    )


def pipeline_steps(steps: list[Any], prefix: str) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
    """Every step, nested Condition branches included, with a readable path."""
    for index, step in enumerate(steps):
        if not isinstance(step, MutableMapping):
            continue
        label = step.get("Name", index)
        path = f"{prefix}[{label!s}]"
        yield path, step
        branches = NESTED_STEP_LISTS.get(step.get("Type", ""), ())
        arguments = step.get("Arguments")
        for branch in branches:
            nested = arguments.get(branch) if isinstance(arguments, Mapping) else None
            if isinstance(nested, list):
                yield from pipeline_steps(nested, f"{path}.Arguments.{branch}")
