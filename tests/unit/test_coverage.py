"""Every security-relevant request field is either enforced or knowingly left out.

The catalogue is hand-written; botocore's SageMaker model is not, and it grows with every
release. This test walks the request shape of every operation that creates or changes something
and collects each member whose *name* marks it as security-relevant (a role, a KMS key, a VPC,
subnet or security group, network isolation, inter-container encryption, direct internet access,
root access, the instance metadata service, the Studio network access type). Each one must be
covered by a control or listed in ``OUT_OF_SCOPE`` with a reason, so a botocore upgrade that adds
such a field turns CI red until someone decides which it is. The walk is
:func:`safeai.controls._coverage.security_fields`, shared with the dynamic check
(``test_request_coverage.py``), which runs the engine on a minimal request for each field.

A field counts as covered when:

1. a catalogue target of the same operation has exactly its path; or
2. it lies below a target whose requirement governs the whole structure (``vpc``, or ``equals``
   with a structure value): ``VpcConfig.Subnets`` is checked as part of ``VpcConfig``; or
3. it is a structure and every security-relevant field below it is covered (by 1, 2 or 3):
   ``InstanceMetadataServiceConfiguration`` is covered by the control on its minimum version.

A field that is not covered must match an ``OUT_OF_SCOPE`` entry of the same operation whose
path is the field's path, a path above it, or ``"*"`` (the whole operation).
"""

from __future__ import annotations

import re
from typing import Any

from safeai.controls import CATALOGUE, OUT_OF_SCOPE
from safeai.controls._coverage import Field, excuses, nested, security_fields

#: Requirement kinds that read the siblings of their field too (the members these match).
_SIBLINGS = {
    "sse": re.compile(r"^(SSECustomer|SSEKMS)"),
    "acl": re.compile(r"^(Grant|AccessControlPolicy)"),
}


def _kind(slug: str) -> Any:
    return next(c for c in CATALOGUE if c.slug == slug).requirement


def _governs_subtree(slug: str) -> bool:
    requirement = _kind(slug)
    return requirement.kind in ("vpc", "bucket_encryption") or (
        requirement.kind == "equals" and isinstance(requirement.value, dict)
    )


def _governs_sibling(slug: str, target_path: str, field_path: str) -> bool:
    """Whether the control at ``target_path`` reads ``field_path`` with it: a member beside it
    (or below such a member) that its kind reads."""
    sibling = _SIBLINGS.get(_kind(slug).kind)
    parent = target_path.rpartition(".")[0]
    if sibling is None or (parent != field_path.rpartition(".")[0] and parent):
        return False
    return bool(sibling.match(field_path.split(".")[len(parent.split(".")) if parent else 0]))


def covered_fields() -> frozenset[Field]:
    """The fields the catalogue covers, by the three rules of the module docstring."""
    targets = [(c.slug, t.operation, t.path) for c in CATALOGUE for t in c.targets]
    covered: set[Field] = set()
    # Deepest first, so that rule 3 sees the verdict on every field below a structure.
    for field in sorted(security_fields(), key=lambda f: f.path.count("."), reverse=True):
        mine = [(slug, path) for slug, operation, path in targets if operation == field.operation]
        if (
            any(path == field.path for _, path in mine)
            or any(nested(field.path, path) and _governs_subtree(slug) for slug, path in mine)
            or any(_governs_sibling(slug, path, field.path) for slug, path in mine)
        ):
            covered.add(field)
            continue
        below = [
            other
            for other in security_fields()
            if other.operation == field.operation and nested(other.path, field.path)
        ]
        checked_inside = any(nested(path, field.path) for _, path in mine)
        if (
            field.type_name == "structure"
            and (below or checked_inside)
            and all(f in covered for f in below)
        ):
            covered.add(field)
    return frozenset(covered)


def test_every_security_field_is_covered_or_out_of_scope() -> None:
    """A field that is neither enforced nor listed is a gap nobody has decided about."""
    covered = covered_fields()
    undecided = [
        f"{field.operation} {field.path}"
        for field in security_fields()
        if field not in covered and not any(excuses(entry, field) for entry in OUT_OF_SCOPE)
    ]
    assert not undecided, (
        f"{len(undecided)} security-relevant field(s) are neither covered by a control nor "
        "listed in safeai.controls._scope.OUT_OF_SCOPE:\n" + "\n".join(undecided)
    )


def test_no_out_of_scope_entry_is_stale() -> None:
    """An entry that matches no field any more (botocore renamed or dropped it, or a control
    now covers it) would hide nothing and mislead the reader."""
    covered = covered_fields()
    stale = [
        f"{entry.operation} {entry.path}"
        for entry in OUT_OF_SCOPE
        if entry.path != "*"
        and not any(excuses(entry, field) and field not in covered for field in security_fields())
    ]
    assert not stale, "OUT_OF_SCOPE entries that match no uncovered field:\n" + "\n".join(stale)


def test_the_walk_finds_what_the_catalogue_covers() -> None:
    """Guards the walk itself: if the pattern or the shape traversal broke, it would find
    nothing, and the coverage test would pass vacuously."""
    found = {(field.operation, field.path) for field in security_fields()}
    assert ("CreateTrainingJob", "VpcConfig.Subnets") in found
    assert ("CreateHyperParameterTuningJob", "TrainingJobDefinitions[].RoleArn") in found
    assert ("CreateNotebookInstance", "InstanceMetadataServiceConfiguration") in found
    assert ("PutObject", "SSECustomerKey") in found
    assert ("PutBucketAcl", "AccessControlPolicy.Grants[].Grantee") in found
    assert covered_fields(), "no field is covered: the catalogue or the walk is broken"
