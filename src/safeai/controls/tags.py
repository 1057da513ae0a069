"""Tag controls: the policy's tags on every covered create request that takes ``Tags``, and
the tag keys every such request must carry.

The operations are the resource registry's (``Resource.tagged``); a coverage test derives the
same list from botocore's model, so a covered create operation that gains ``Tags`` is noticed.
"""

from __future__ import annotations

from ._resources import tag_resource_types, tagged_operations
from ._schema import Control, Requirement, Target

__all__ = ["CONTROLS", "TAGGED_OPERATIONS", "TAG_RESOURCE_TYPES"]

#: Resource family -> its operations that take ``Tags`` (from the resource registry).
TAGGED_OPERATIONS: dict[str, tuple[str, ...]] = tagged_operations()
#: The resource type in a SageMaker ARN -> its family, for AddTags and DeleteTags.
TAG_RESOURCE_TYPES: dict[str, str] = tag_resource_types()

CONTROLS: tuple[Control, ...] = tuple(
    Control(
        slug=f"{family}.tags",
        title=f"{family.replace('_', ' ').capitalize()} resources carry the policy's tags",
        requirement=Requirement("tags"),
        targets=tuple(Target(operation, "Tags") for operation in operations),
        remedy="omit the tag (safeai adds the policy's value) or give it the policy's value, "
        "and add every key in Policy.required_tag_keys.",
    )
    for family, operations in TAGGED_OPERATIONS.items()
)
