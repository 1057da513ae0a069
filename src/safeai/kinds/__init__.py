"""What each ``Requirement.kind`` means, one module per kind or per small group of them.

:data:`KINDS` is the one table the engine, the control reference (``docs/controls.md``) and the
SCP generator read a requirement through: how to check and fill in a field, how to say what is
required, which SCP condition enforces it. Explicit, so nothing registers itself at import.
Policy documents (bucket, resource, key, trust and permission policies) are read by one
analyser, :mod:`safeai.kinds.policy_documents`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from ._fields import apply_field
from ._kind import Kind
from .buckets import ACL, BASELINE, BUCKET_ENCRYPTION
from .code import CODE_CHANNEL, CODE_LOCATION
from .identity import PASSED_ROLE, ROLE
from .keys import KMS_KEY
from .network import SECURITY_GROUPS, SUBNET, SUBNETS, VPC
from .pipelines import STEPS
from .policies import BUCKET_POLICY, RESOURCE_POLICY
from .preflight import CLIENT, PREFLIGHT
from .s3_objects import SSE
from .tags import TAGS
from .values import ABSENT, EQUALS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._policy import Policy
    from ..controls import Control

__all__ = ["KINDS", "Kind", "apply_field", "describe"]

#: Every requirement kind of ``safeai.controls._schema.RequirementKind``, by name.
KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        "role": ROLE,
        "passed_role": PASSED_ROLE,
        "kms_key": KMS_KEY,
        "vpc": VPC,
        "subnet": SUBNET,
        "subnets": SUBNETS,
        "security_groups": SECURITY_GROUPS,
        "equals": EQUALS,
        "absent": ABSENT,
        "steps": STEPS,
        "preflight": PREFLIGHT,
        "client": CLIENT,
        "code_channel": CODE_CHANNEL,
        "code_location": CODE_LOCATION,
        "tags": TAGS,
        "sse": SSE,
        "bucket_encryption": BUCKET_ENCRYPTION,
        "acl": ACL,
        "bucket_policy": BUCKET_POLICY,
        "resource_policy": RESOURCE_POLICY,
        "baseline": BASELINE,
    }
)


def describe(control: Control, policy: Policy) -> str:
    """What ``policy`` requires of ``control``'s field, in words (for errors and decisions)."""
    return KINDS[control.requirement.kind].describe(control, policy)
