"""``tags``: a created resource carries the policy's tags and required tag keys, and
``AddTags``/``DeleteTags`` may not change or remove them afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import _paths
from .._run import Problem
from ..controls import by_slug
from ..controls._resources import TAG_CHANGES
from ..controls.tags import TAG_RESOURCE_TYPES
from ._kind import Kind

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from .._policy import Policy
    from .._run import Compiled, Run
    from ..controls import Control, Requirement

__all__ = ["TAGS", "TAG_CHANGES", "check_tag_changes"]


def _applies(run: Run) -> bool:
    # Nothing to add or require; and a Describe answer (no injection) carries no tags either.
    return run.inject and bool(run.policy.tags or run.policy.required_tag_keys)


def _apply(item: Compiled, container: MutableMapping[str, Any], where: str, run: Run) -> None:
    policy, control = run.policy, item.control
    path = item.path_in(where)
    tags = container.get("Tags", [])
    if not isinstance(tags, list) or not all(
        isinstance(tag, Mapping) and isinstance(tag.get("Key"), str) for tag in tags
    ):
        run.problem(Problem(control, path, tags, "a list of {Key, Value} tags"))
        return
    present = {tag["Key"]: tag.get("Value") for tag in tags}
    clean = True
    for key, wanted in policy.tags.items():
        if key in present and present[key] != wanted:
            run.problem(Problem(control, f"{path}[Key={key}]", present[key], repr(wanted)))
            clean = False
    for key in policy.required_tag_keys:
        if key not in present and key not in policy.tags:
            expected = f"a tag {key!r} (Policy.required_tag_keys); the policy gives it no value"
            run.problem(Problem(control, f"{path}[Key={key}]", _paths.MISSING, expected))
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


def check_tag_changes(operation: str, params: Mapping[str, Any], run: Run) -> None:
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
                run.problem(Problem(control, f"Tags[{index}]", tag, f"{key}={policy.tags[key]!r}"))
        return
    protected = {*policy.tags, *policy.required_tag_keys}
    for index, key in enumerate(params.get("TagKeys") or []):
        if key in protected:
            run.problem(
                Problem(control, f"TagKeys[{index}]", key, "a tag key the policy does not set")
            )


def _describe(control: Control, policy: Policy) -> str:
    wanted = ", ".join(f"{key}={value!r}" for key, value in policy.tags.items())
    keys = ", ".join(policy.required_tag_keys)
    return f"a list of {{Key, Value}} tags holding [{wanted}] and the keys [{keys}]"


def _document(requirement: Requirement) -> str:
    return (
        "every tag in `Policy.tags` with the policy's value (added when absent) and every "
        "key in `Policy.required_tag_keys`; nothing when the policy sets neither. "
        "`AddTags` may not change and `DeleteTags` may not remove such a tag"
    )


TAGS = Kind(describe=_describe, document=_document, handle=_apply, applies=_applies)
