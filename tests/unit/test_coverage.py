"""Every security-relevant request field is either enforced or knowingly left out.

The catalogue is hand-written; botocore's SageMaker model is not, and it grows with every
release. This test walks the request shape of every operation that creates or changes something
and collects each member whose *name* marks it as security-relevant (a role, a KMS key, a VPC,
subnet or security group, network isolation, inter-container encryption, direct internet access,
root access, the instance metadata service, the Studio network access type). Each one must be
covered by a control or listed in ``OUT_OF_SCOPE`` with a reason, so a botocore upgrade that adds
such a field turns CI red until someone decides which it is.

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
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session

from safeai.controls import CATALOGUE, OUT_OF_SCOPE, OutOfScope

if TYPE_CHECKING:
    from collections.abc import Iterator


#: Operations that create or change a resource, or start work: the ones a request can weaken.
_MUTATING_PREFIXES = ("Create", "Update", "Start", "Put", "Import", "Add", "Attach")
#: Member names that mark a security-relevant field. ``Role$`` takes in members named ``Role``
#: or ending in it (``ExecutionRole``, ``ClusterRole``, ``ValidationRole``).
_SECURITY_RELEVANT = re.compile(
    r"RoleArn|RoleARN|Role$|ExecutionRole|KmsKey|VpcConfig|Subnet|SecurityGroup|"
    r"NetworkIsolation|InterContainer|DirectInternet|RootAccess|InstanceMetadata|"
    r"AppNetworkAccess|ResourcePolicy|RemoteAccess|RemoteDebug|NetworkInterface",
    re.IGNORECASE,
)
#: In S3: encryption, ACLs and grants, bucket policies, public access, ownership, versioning.
#: (``BucketKeyEnabled`` is not among them: a Bucket Key saves KMS requests, it protects nothing.)
_S3_SECURITY_RELEVANT = re.compile(
    r"ServerSideEncryption|^SSE|KMS|Kms|^ACL$|^Grant|AccessControl|^Policy$|PublicAccessBlock|"
    r"Ownership|VersioningConfiguration"
)
_S3_MUTATING_PREFIXES = (*_MUTATING_PREFIXES, "Copy", "Upload", "Restore", "Write", "Complete")
#: What each service's walk looks for, and in which operations.
_WALKS = {
    "sagemaker": (_SECURITY_RELEVANT, _MUTATING_PREFIXES),
    "s3": (_S3_SECURITY_RELEVANT, _S3_MUTATING_PREFIXES),
}
#: Requirement kinds that read the siblings of their field too (the members these match).
_SIBLINGS = {
    "sse": re.compile(r"^(SSECustomer|SSEKMS)"),
    "acl": re.compile(r"^(Grant|AccessControlPolicy)"),
}


@dataclass(frozen=True, slots=True)
class Field:
    """A security-relevant member found in an operation's request shape."""

    operation: str
    path: str
    type_name: str


def nested(path: str, parent: str) -> bool:
    """Whether ``path`` lies strictly below ``parent`` (a member, or a list or map element)."""
    return path.startswith((f"{parent}.", f"{parent}[]", f"{parent}{{}}"))


def _walk(
    shape: Any, prefix: str, ancestors: frozenset[str], relevant: re.Pattern[str]
) -> Iterator[tuple[str, Any]]:
    """Every security-relevant member below ``shape``, with its path.

    ``ancestors`` holds the structures on the way down, so a recursive shape is entered once per
    branch. A list element adds ``[]`` to the path and a map value ``{}``.
    """
    if shape.type_name == "list":
        yield from _walk(shape.member, f"{prefix}[]", ancestors, relevant)
    elif shape.type_name == "map":
        yield from _walk(shape.value, f"{prefix}{{}}", ancestors, relevant)
    elif shape.type_name == "structure" and shape.name not in ancestors:
        inside = ancestors | {shape.name}
        for name, member in shape.members.items():
            path = f"{prefix}.{name}" if prefix else name
            if relevant.search(name):
                yield path, member
            yield from _walk(member, path, inside, relevant)


@cache
def security_fields() -> tuple[Field, ...]:
    """The security-relevant fields of every mutating operation of the guarded services, in
    model order."""
    found: list[Field] = []
    for service, (relevant, prefixes) in _WALKS.items():
        model = botocore.session.get_session().get_service_model(service)
        for operation in model.operation_names:
            if not operation.startswith(prefixes):
                continue
            request = model.operation_model(operation).input_shape
            if request is None:
                continue
            found.extend(
                Field(operation, path, shape.type_name)
                for path, shape in _walk(request, "", frozenset(), relevant)
            )
    return tuple(found)


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


def _excuses(entry: OutOfScope, field: Field) -> bool:
    return entry.operation == field.operation and (
        entry.path in ("*", field.path) or nested(field.path, entry.path)
    )


def test_every_security_field_is_covered_or_out_of_scope() -> None:
    """A field that is neither enforced nor listed is a gap nobody has decided about."""
    covered = covered_fields()
    undecided = [
        f"{field.operation} {field.path}"
        for field in security_fields()
        if field not in covered and not any(_excuses(entry, field) for entry in OUT_OF_SCOPE)
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
        and not any(_excuses(entry, field) and field not in covered for field in security_fields())
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
