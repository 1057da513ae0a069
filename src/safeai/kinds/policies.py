"""``bucket_policy`` and ``resource_policy``: a JSON policy document grants nothing to the
public unconfined; a bucket policy also keeps a TLS-only deny. The documents are read by
:mod:`safeai.kinds.policy_documents`, as every other policy document is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._run import Problem
from ._kind import Kind
from .policy_documents import grants_public, is_tls_deny, parse_statements

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

    from .._policy import Policy
    from .._run import Compiled, Run
    from ..controls import Control, Requirement

__all__ = ["BUCKET_POLICY", "RESOURCE_POLICY"]

_TLS_DENY = (
    "a statement denying every s3 action on the bucket and its objects when "
    "aws:SecureTransport is false"
)
_CONFINED = (
    "a named principal, or '*' under a condition that restricts it "
    "(aws:SourceVpce, aws:PrincipalOrgID, aws:PrincipalAccount, ...)"
)


def _check_bucket_policy(
    item: Compiled, container: MutableMapping[str, Any], where: str, run: Run
) -> None:
    _check(item, container, where, run, tls_deny=True)


def _check_resource_policy(
    item: Compiled, container: MutableMapping[str, Any], where: str, run: Run
) -> None:
    _check(item, container, where, run, tls_deny=False)


def _check(
    item: Compiled, container: MutableMapping[str, Any], where: str, run: Run, *, tls_deny: bool
) -> None:
    control = item.control
    path = item.path_in(where)
    raw = container.get(item.relative_path)
    if raw is None:
        return
    statements = parse_statements(raw)
    if statements is None:
        found = f"<{type(raw).__name__}, not a JSON policy with statements and no duplicate keys>"
        run.problem(Problem(control, path, found, "a JSON policy document"))
        return
    clean = True
    if tls_deny:
        bucket = container.get("Bucket")
        if not any(
            is_tls_deny(statement, bucket if isinstance(bucket, str) else None)
            for statement in statements
        ):
            run.problem(Problem(control, path, "<no TLS-only deny>", _TLS_DENY))
            clean = False
    if _public_grants(control, path, statements, run) and clean:
        run.decide(control, path, "compliant", value=f"<{item.kind_name.replace('_', ' ')}>")


def _public_grants(
    control: Control, path: str, statements: list[Mapping[str, Any]], run: Run
) -> bool:
    """Refuse every Allow to anyone that no condition confines; whether there was none."""
    clean = True
    for index, statement in enumerate(statements):
        if grants_public(statement):
            label = statement.get("Sid", index)
            found = statement.get("Principal", statement.get("NotPrincipal"))
            run.problem(Problem(control, f"{path}:Statement[{label}].Principal", found, _CONFINED))
            clean = False
    return clean


def _describe_bucket_policy(control: Control, policy: Policy) -> str:
    return f"a JSON policy with {_TLS_DENY}, and for a public principal {_CONFINED}"


def _describe_resource_policy(control: Control, policy: Policy) -> str:
    return f"a JSON policy whose every Allow has {_CONFINED}"


def _document_bucket_policy(requirement: Requirement) -> str:
    return (
        "a JSON policy with a statement denying every `s3:*` action to `*` when "
        "`aws:SecureTransport` is false, and no `Allow` to `*` (or with `NotPrincipal`) "
        "without a condition on a restricting key (`aws:SourceVpce`, `aws:PrincipalOrgID`, "
        "`aws:PrincipalAccount`, ...; `aws:SourceIp` ranges covering more than a /8 of IPv4 "
        "or a /32 of IPv6 together restrict nothing)"
    )


def _document_resource_policy(requirement: Requirement) -> str:
    return (
        "a JSON resource policy with no `Allow` to `*` (or with `NotPrincipal`) without a "
        "condition on a restricting key, as for bucket policies"
    )


BUCKET_POLICY = Kind(
    describe=_describe_bucket_policy,
    document=_document_bucket_policy,
    handle=_check_bucket_policy,
)
RESOURCE_POLICY = Kind(
    describe=_describe_resource_policy,
    document=_document_resource_policy,
    handle=_check_resource_policy,
)
