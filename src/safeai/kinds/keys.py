"""``kms_key``: a request encrypts under the policy's KMS key or an allowed one.

Also what every other kind that names a key needs: whether two spellings of a key are the same
key (:func:`key_allowed`), and which instance types take no volume key at all.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .. import _paths
from .._exceptions import PolicyError
from .._iam_actions import partition
from .._run import Problem
from ._fields import apply_field, one_of
from ._kind import Kind
from .policy_documents import as_strings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._policy import Policy
    from .._run import Names
    from ..controls import Control, Requirement

__all__ = ["KMS_KEY", "describe_keys", "key_allowed", "same_key"]


def key_allowed(value: object, policy: Policy) -> bool:
    """Whether ``value`` names one of the policy's keys, however either is spelt."""
    return isinstance(value, str) and any(
        same_key(value, key, policy) for key in policy.kms_key_ids
    )


def describe_keys(policy: Policy) -> str:
    """The keys the policy allows, in words."""
    return one_of(policy.kms_key_ids, "Policy.kms_key_id")


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


def same_key(found: str, allowed: str, policy: Policy) -> bool:
    """Whether two spellings name the same key. A bare key id or alias name means the caller's
    region and account, which the guard holds to the policy's: so it matches an ARN only in
    the policy's region and account (and nothing, when the policy does not say which). An
    alias never matches a key id here: resolving it needs AWS, which the engine does not call."""
    home = (policy.effective_region, policy.account_id)

    def located(spelling: str) -> tuple[str, str, str | None, str | None]:
        kind, name, region, account = _key_parts(spelling)
        return kind, name, region or home[0], account or home[1]

    return located(found) == located(allowed)


def _check(control: Control, value: object, path: str, policy: Policy) -> Problem | None:
    if key_allowed(value, policy):
        return None
    return Problem(control, path, value, describe_keys(policy))


def _inject(control: Control, policy: Policy) -> object:
    return policy.kms_key_id


def _describe(control: Control, policy: Policy) -> str:
    return describe_keys(policy)


def _document(requirement: Requirement) -> str:
    return (
        "`Policy.kms_key_id` or one of `Policy.allowed_kms_key_ids` (a key id matches its "
        "key ARN and an alias its alias ARN; an alias is never resolved to a key)"
    )


def _names(value: object, found: Names) -> None:
    found.kms_keys.update(as_strings(value))


# -- instance storage: no volume key ---------------------------------------------------------

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


def _exempt(
    container: Mapping[str, Any], instance_types: tuple[tuple[str, ...], ...]
) -> str | None:
    """Why no volume key is needed: an instance type at one of ``instance_types`` has local
    NVMe storage."""
    for path in instance_types:
        if len(path) == 1:  # most: one type right in the container
            found = container.get(path[0])
            if isinstance(found, str) and _is_instance_store_type(found):
                return _INSTANCE_STORAGE_REASON
        elif path[0].removesuffix("[]") in container and any(
            isinstance(found, str) and _is_instance_store_type(found)
            for found in _paths.values(container, path)
        ):
            return _INSTANCE_STORAGE_REASON
    return None


@lru_cache(maxsize=256)
def _is_instance_store_type(instance_type: str) -> bool:
    parts = instance_type.split(".")
    # "ml.p6-b200.48xlarge": the family is what comes before the variant suffix.
    family = parts[1].split("-")[0] if len(parts) == 3 and parts[0] == "ml" else ""
    return family in _INSTANCE_STORE_FAMILIES or bool(_INSTANCE_STORE_SUFFIX.match(family))


# -- the SCP condition -----------------------------------------------------------------------


def _scp(name: str, control: Control, policy: Policy) -> dict[str, Any]:
    """Any key ARN but the policy's. The negated operator is true for an absent key, so a
    one-key ``Null: false`` leaves absence to the statement that denies a missing value."""
    return {"ArnNotEquals": {name: _key_arns(policy)}, "Null": {name: "false"}}


def _key_arns(policy: Policy) -> list[str]:
    region, account = policy.effective_region, policy.account_id
    arns = []
    for key in policy.kms_key_ids:
        if key.startswith("arn:") and ":key/" in key:
            arns.append(key)
        elif not key.startswith(("arn:", "alias/")) and region and account:
            arns.append(f"arn:{partition(region)}:kms:{region}:{account}:key/{key}")
        else:
            raise PolicyError(
                f"{key!r}: SCP conditions compare key ARNs (sagemaker:...KmsKeyArn) and cannot "
                "resolve an alias, nor a bare key id without the policy's region and account: "
                "give the key ARN",
                field="kms_key_id" if key == policy.kms_key_id else "allowed_kms_key_ids",
            )
    if not arns:
        raise PolicyError(
            "is not set, so the SCP has no key to allow: set it, or waive the KMS controls",
            field="kms_key_id",
        )
    return sorted(set(arns))


KMS_KEY = Kind(
    describe=_describe,
    document=_document,
    handle=apply_field,
    check=_check,
    inject=_inject,
    exempt=_exempt,
    names=_names,
    judged_by=("kms.key",),
    scp=_scp,
)
