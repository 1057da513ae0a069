"""Request coverage, measured by running the engine: ``docs/coverage.md``, generated.

The catalogue is hand-written; botocore's SageMaker model is not, and it grows with every
release. :func:`security_fields` walks the request shape of every operation that creates or
changes something and collects each member whose *name* marks it as security-relevant (a role, a
KMS key, a VPC, subnet or security group, network isolation, inter-container encryption, direct
internet access, root access, the instance metadata service, the Studio network access type).
``tests/unit/test_coverage.py`` checks statically that each one is matched by a catalogue target
or listed in :data:`safeai.controls.OUT_OF_SCOPE`.

A matching path proves little about what the engine does with a real request, so this module
asks the engine itself. For every SageMaker ``Create*`` operation it builds a realistic minimal
request (:func:`minimal_request`: every required member, filled recursively with a plausible
value) and secures it with :func:`safeai._engine.enforce` under a policy that sets everything
(:data:`POLICY`). Each security field outside a list is then:

- **filled**: on the minimal request, with the structures above the field present, the secured
  request holds a value at the field that the policy supplied;
- **refused**: set to a weaker value derived from its shape and name (another account's role or
  key, a subnet or security group the policy does not list, each value of a flag or an
  enumeration), the request is refused with a violation at the field, above it or, for a
  structure, below it;
- **out of scope**: neither, and an ``OUT_OF_SCOPE`` entry gives the reason;
- **uncovered**: anything else.

A field below a structure that a control judges whole (``VpcConfig.Subnets``) counts with the
structure when it is not filled or refused on its own. Whatever the verdict, what the engine did
wrong (failing on a request, filling in a value the policy did not supply) is kept as the
verdict's ``anomaly``: a bug in the engine or the catalogue, which the tests fail on.

``python -m safeai.controls._coverage`` writes the page; ``--check`` exits 1 when the file on
disk is stale. Not imported by ``safeai`` or ``safeai.controls``: it reads botocore's model and
runs the engine, which the catalogue (data only) must not.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import botocore.session
from botocore.model import ListShape, MapShape, StringShape, StructureShape

from .. import _paths
from .._engine import enforce
from .._exceptions import SecurityViolation
from .._policy import Policy
from . import OUT_OF_SCOPE, by_slug, for_operation
from ._reference import _anchor_id, _cell, _code, generate_page

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from botocore.model import ServiceModel, Shape

    from .._decisions import Decision
    from ._scope import OutOfScope

__all__ = [
    "POLICY",
    "Field",
    "Figure",
    "Verdict",
    "classify",
    "create_operations",
    "excuses",
    "figure",
    "main",
    "minimal_request",
    "nested",
    "only_supplied",
    "plausible_value",
    "refusal_request",
    "render",
    "security_fields",
    "supplied",
    "verdicts",
    "violations",
    "weaker_values",
]

COMMAND = "python -m safeai.controls._coverage"

# -- the walk: which request fields are security-relevant --------------------------------------

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
    shape: Shape, prefix: str, ancestors: frozenset[str], relevant: re.Pattern[str]
) -> Iterator[tuple[str, Shape]]:
    """Every security-relevant member below ``shape``, with its path.

    ``ancestors`` holds the structures on the way down, so a recursive shape is entered once per
    branch. A list element adds ``[]`` to the path and a map value ``{}``.
    """
    if isinstance(shape, ListShape):
        yield from _walk(shape.member, f"{prefix}[]", ancestors, relevant)
    elif isinstance(shape, MapShape):
        yield from _walk(shape.value, f"{prefix}{{}}", ancestors, relevant)
    elif isinstance(shape, StructureShape) and shape.name not in ancestors:
        inside = ancestors | {shape.name}
        for name, member in shape.members.items():
            path = f"{prefix}.{name}" if prefix else name
            if re.search(relevant, name):
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


def excuses(entry: OutOfScope, field: Field) -> bool:
    """Whether the out-of-scope ``entry`` names ``field``: the same operation, and the field's
    path, a path above it, or ``"*"``."""
    return entry.operation == field.operation and (
        entry.path in ("*", field.path) or nested(field.path, entry.path)
    )


# -- realistic minimal requests ----------------------------------------------------------------

#: The account, region and resources the policy names; the requests use them where a required
#: member needs a role, a key or a network, so a minimal request is a compliant one.
ACCOUNT = "111122223333"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ml-execution"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#: Private subnets in two Availability Zones, and the security groups of the workloads.
SUBNETS = ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002")
SECURITY_GROUPS = ("sg-0a1b2c3d4e5f60001", "sg-0a1b2c3d4e5f60002")

#: What someone else would name: the weaker values a control must refuse.
FOREIGN_ACCOUNT = "999999999999"
FOREIGN_ROLE = f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/outside"
FOREIGN_KEY = f"arn:aws:kms:{REGION}:{FOREIGN_ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab"
FOREIGN_SUBNET = "subnet-0fffffffffffffff1"
FOREIGN_GROUP = "sg-0fffffffffffffff1"

#: A policy that sets everything, every opt-in control on: no field goes unfilled for want of a
#: value, so what is left unfilled is the catalogue's doing.
POLICY = Policy(
    execution_role_arn=ROLE,
    kms_key_id=KEY,
    subnets=SUBNETS,
    security_group_ids=SECURITY_GROUPS,
    network_isolation=True,
    inter_container_encryption=True,
    private_registry=True,
    region=REGION,
)

#: Member names whose value names a role, a KMS key, a subnet, a security group.
_ROLE_NAME = re.compile(r"Role(Arn|ARN|Arns|ARNs)?$|^Role|ExecutionRole")
_KEY_NAME = re.compile(r"Kms|KMS")
_SUBNET_NAME = re.compile(r"Subnet", re.IGNORECASE)
_GROUP_NAME = re.compile(r"SecurityGroup", re.IGNORECASE)
#: The resource an ARN pattern names: ``arn:aws[a-z\-]*:sagemaker:...:[0-9]{12}:model/.*``, or
#: the first of several: ``...:(endpoint|inference-component)/...``.
_ARN_PARTS = re.compile(
    r"^arn:[^:]*:(?P<service>[a-z0-9-]+):.*?:\(?(?P<resource>[a-z][a-z0-9-]*)(?=[/|)\\])"
)
#: The literal start of a pattern: ``d-`` of a domain id's ``d-(-*[a-z0-9]){1,61}``.
_LITERAL_START = re.compile(r"^\^?(?P<start>[A-Za-z0-9:-]+)(?![*+?{])")
#: A pattern that lists its only values: ``(1|2)``, ``^(Enabled|Disabled)$``.
_ALTERNATIVES = re.compile(r"^\^?\(?(?P<values>[\w.-]+(\|[\w.-]+)+)\)?\$?$")
_S3_NAME = re.compile(r"S3|Uri$|URI$|Path$|Location$|Prefix$")
_IMAGE_NAME = re.compile(r"Image$|ImageUri$|^Image")
_INSTANCE_TYPE = "ml.m5.xlarge"
_S3_URI = "s3://amzn-s3-demo-bucket/safeai"
_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/training:latest"
_TIMESTAMP = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)


@cache
def _model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@cache
def _pattern(text: str) -> re.Pattern[str] | None:
    """botocore's patterns are Java regular expressions; most compile in Python as well."""
    try:
        return re.compile(text)
    except re.error:
        return None


def _fits(value: str, shape: Shape) -> bool:
    metadata = shape.metadata
    if len(value) < metadata.get("min", 0) or len(value) > metadata.get("max", len(value)):
        return False
    pattern = _pattern(metadata["pattern"]) if "pattern" in metadata else None
    return pattern is None or pattern.fullmatch(value) is not None


def _words(name: str) -> str:
    """``LabelingJobAlgorithmSpecificationArn`` -> ``labeling-job-algorithm-specification``."""
    stem = re.sub(r"(Arn|ARN|Arns|ARNs)$", "", name)
    return re.sub(r"(?<!^)(?=[A-Z])", "-", stem).lower() or "resource"


def _arn(name: str, shape: Shape) -> str:
    """An ARN of the kind the member's pattern names, in the policy's account and region."""
    found = _ARN_PARTS.match(shape.metadata.get("pattern", ""))
    service, resource = (
        (found["service"], found["resource"]) if found else ("sagemaker", _words(name))
    )
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}/"


def _named_strings(name: str, shape: Shape) -> list[str]:
    """Plausible values for a string member, most specific first."""
    candidates: list[str] = []
    if _ROLE_NAME.search(name):
        candidates.append(ROLE)
    if _KEY_NAME.search(name):
        candidates.append(KEY)
    if _SUBNET_NAME.search(name):
        candidates.append(SUBNETS[0])
    if _GROUP_NAME.search(name):
        candidates.append(SECURITY_GROUPS[0])
    if name.endswith(("Arn", "ARN")):
        # A resource name, or a generated id (a cluster's twelve characters, a partner app's).
        arn = _arn(name, shape)
        candidates += [f"{arn}example", f"{arn}a1b2c3d4e5f6", f"{arn}app-A1B2C3D4E5F6"]
    if _IMAGE_NAME.search(name):
        candidates.append(_IMAGE)
    if _S3_NAME.search(name):
        candidates.append(_S3_URI)
    if "InstanceType" in name:
        candidates.append(_INSTANCE_TYPE)
    if "Region" in name:
        candidates.append(REGION)
    if "Account" in name:
        candidates.append(ACCOUNT)
    if "Email" in name:
        candidates.append("ml-team@example.com")
    if name.endswith(("Url", "URL", "Endpoint")):
        candidates.append("https://example.com")
    alternatives = _ALTERNATIVES.match(shape.metadata.get("pattern", ""))
    if alternatives:
        candidates.extend(alternatives["values"].split("|"))
    start = _LITERAL_START.match(shape.metadata.get("pattern", ""))
    if start:
        candidates.append(f"{start['start']}example")
    candidates += ["example", "example-1", "1", "1.0.0"]
    return candidates


def _string(name: str, shape: Shape) -> str:
    if isinstance(shape, StringShape) and shape.enum:
        # A machine learning instance type without local NVMe storage, where the enum has one.
        return _INSTANCE_TYPE if _INSTANCE_TYPE in shape.enum else shape.enum[0]
    candidates = _named_strings(name, shape)
    fitting = next((value for value in candidates if _fits(value, shape)), None)
    if fitting is not None:
        return fitting
    # Nothing fits the pattern: the first candidate, brought to the allowed length.
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 2048)
    return candidates[0].ljust(low, "x")[:high]


def _number(shape: Shape) -> int:
    low, high = shape.metadata.get("min", 1), shape.metadata.get("max")
    value = max(int(low), 1)
    return value if high is None else min(value, int(high))


def plausible_value(name: str, shape: Shape, ancestors: frozenset[str] = frozenset()) -> object:
    """A realistic value for the member ``name`` of type ``shape``: required members only, for a
    structure; as many elements as a list or a map needs at least (one, when it may be empty)."""
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        return _minimal_structure(shape, ancestors)
    if isinstance(shape, ListShape):
        count = max(int(shape.metadata.get("min", 1)), 1)
        if _SUBNET_NAME.search(name):
            return list(SUBNETS)
        if _GROUP_NAME.search(name):
            return list(SECURITY_GROUPS)
        return [plausible_value(name, shape.member, ancestors) for _ in range(count)]
    if isinstance(shape, MapShape):
        key = plausible_value(name, shape.key, ancestors)
        return {key: plausible_value(name, shape.value, ancestors)}
    if kind == "string":
        return _string(name, shape)
    if kind in ("integer", "long"):
        return _number(shape)
    if kind in ("float", "double"):
        return float(_number(shape))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return _TIMESTAMP
    if kind == "blob":
        return b"example"
    return {}  # a document


def _minimal_structure(shape: StructureShape, ancestors: frozenset[str]) -> dict[str, Any]:
    """The required members of ``shape``; of a union, its first member (a union takes one)."""
    if shape.name in ancestors:
        return {}
    inside = ancestors | {shape.name}
    names = list(shape.required_members)
    if shape.is_tagged_union and not names and shape.members:
        names = [next(iter(shape.members))]
    return {name: plausible_value(name, shape.members[name], inside) for name in names}


def _filler(shape: StructureShape, without: str) -> str | None:
    """A member that gives an otherwise empty structure something to hold: the first plain one
    that is not security-relevant, so that adding it decides nothing."""
    return next(
        (
            name
            for name, member in shape.members.items()
            if name != without
            and not _SECURITY_RELEVANT.search(name)
            and member.type_name not in ("structure", "list", "map")
        ),
        None,
    )


def minimal_request(
    operation: str, *, reaching: str = "", service: str = "sagemaker"
) -> dict[str, Any]:
    """A realistic minimal request of ``operation``: every required member, recursively, with a
    plausible value (enumerations' values, lengths, simple patterns, ARNs of the policy's
    account, ``s3://`` URIs, ``ml.m5.xlarge``; the policy's role, key, subnets and groups where a
    required member names one).

    ``reaching`` (a path without list steps) adds the structures on the way to that field, each
    holding at least one member besides it (the engine applies a control only where its
    container holds something), and leaves the field itself out even when it is required: the
    request a caller who relies on the engine to fill it in would send.
    """
    shape = _model(service).operation_model(operation).input_shape
    if shape is None:
        return {}
    request = _minimal_structure(shape, frozenset())
    segments = _paths.split(reaching)
    node, node_shape = request, shape
    for depth, name in enumerate(segments):
        member_shape = node_shape.members[name]
        last = depth == len(segments) - 1
        if last:
            node.pop(name, None)
            if not node and node is not request:
                filler = _filler(node_shape, name)
                if filler is not None:
                    node[filler] = plausible_value(filler, node_shape.members[filler])
            break
        if not isinstance(member_shape, StructureShape):
            raise ValueError(f"{operation}: {reaching} steps through {name}, not a structure")
        if node_shape.is_tagged_union:
            # A union holds one member: the one on the way.
            for other in [key for key in node if key != name]:
                del node[other]
        child = node.get(name)
        if not isinstance(child, dict):
            child = _minimal_structure(member_shape, frozenset())
            node[name] = child
        node, node_shape = child, member_shape
    return request


def _shape_at(operation: str, path: str) -> Shape:
    """The shape of the member at ``path`` (no list steps) of ``operation``'s request."""
    shape: Shape | None = _model("sagemaker").operation_model(operation).input_shape
    for name in _paths.split(path):
        if not isinstance(shape, StructureShape):
            raise ValueError(f"{operation}: {path} steps through a {shape!r}, not a structure")
        shape = shape.members[name]
    if shape is None:
        raise ValueError(f"{operation} takes no request")
    return shape


def _policy_names(value: object) -> bool:
    """Whether ``value`` is made of the policy's role, key, subnets and security groups."""
    names = {ROLE, KEY, *SUBNETS, *SECURITY_GROUPS}
    leaves = list(_leaves(value))
    return bool(leaves) and all(isinstance(leaf, str) and leaf in names for leaf in leaves)


def _leaves(value: object) -> Iterator[object]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _add_policy_names(
    structure: dict[str, Any], shape: StructureShape, *, without: str = ""
) -> None:
    """Give ``structure`` each security-relevant member the policy's names fill (a
    ``VpcConfig``'s ``Subnets`` and ``SecurityGroupIds``), but ``without``: compliant but for
    the member a probe sets, so that a refusal is that member's doing."""
    for name, member in shape.members.items():
        if name == without or name in structure or not _SECURITY_RELEVANT.search(name):
            continue
        compliant = plausible_value(name, member)
        if _policy_names(compliant):
            structure[name] = compliant


# -- weaker values -----------------------------------------------------------------------------


def weaker_values(name: str, shape: Shape) -> list[object]:
    """Values of the member ``name`` that a control must refuse, from its shape and name:
    another account's role or key, a subnet or security group the policy does not list, each
    value of a flag or an enumeration (one of them is the weaker one), a structure holding one
    such value at a time. Several, where the name alone cannot say which is weaker."""
    if isinstance(shape, StructureShape):
        structures: list[object] = []
        for relative, member in _walk(shape, "", frozenset(), _SECURITY_RELEVANT):
            if "[]" in relative or "{}" in relative:
                continue
            for value in weaker_values(relative.rpartition(".")[2], member):
                structure = _minimal_structure(shape, frozenset())
                _add_policy_names(structure, shape)
                _paths.put(structure, _paths.split(relative), value)
                structures.append(structure)
        return structures
    if isinstance(shape, ListShape):
        return [[value] for value in weaker_values(name, shape.member)]
    if shape.type_name == "boolean":
        return [False, True]
    if isinstance(shape, StringShape):
        if shape.enum:
            return list(shape.enum)
        named: list[object] = []
        if _ROLE_NAME.search(name):
            named.append(FOREIGN_ROLE)
        if _KEY_NAME.search(name):
            named.append(FOREIGN_KEY)
        if _SUBNET_NAME.search(name):
            named.append(FOREIGN_SUBNET)
        if _GROUP_NAME.search(name):
            named.append(FOREIGN_GROUP)
        alternatives = _ALTERNATIVES.match(shape.metadata.get("pattern", ""))
        if alternatives:
            named.extend(alternatives["values"].split("|"))
        return named
    return []


# -- classification ----------------------------------------------------------------------------

Outcome = Literal["filled and refused", "filled", "refused", "out of scope", "uncovered"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the engine does with one security field of a minimal request.

    ``filled_by`` is the control that filled the field in, ``filled_with`` what the field held
    then and ``filled_reaching`` the path the minimal request reached (the field, or a structure
    above it that the control fills in whole); ``refused_by`` the control that refused
    ``refused_with`` there; ``reason`` the out-of-scope entry's, when neither
    (``security=False``: the entry says the field is no security setting, and the figure leaves
    it out). ``note`` explains a verdict (the structure a field counts with, why a minimal
    request could not be filled); ``anomaly`` says what the engine did wrong (failed, or filled
    in a value the policy did not supply): a bug to fix.
    """

    field: Field
    filled_by: str | None = None
    filled_with: object = None
    filled_reaching: str = ""
    refused_by: str | None = None
    refused_with: object = None
    reason: str | None = None
    security: bool = True
    note: str | None = None
    anomaly: str | None = None

    @property
    def outcome(self) -> Outcome:
        """The verdict in words."""
        if self.filled_by and self.refused_by:
            return "filled and refused"
        if self.filled_by:
            return "filled"
        if self.refused_by:
            return "refused"
        return "out of scope" if self.reason is not None else "uncovered"

    @property
    def covered(self) -> bool:
        """Filled or refused: the engine secures the field."""
        return bool(self.filled_by or self.refused_by)


@dataclass(frozen=True, slots=True)
class _Finding:
    """What one probe of the engine found: the control that acted and the value, or why none
    did (``note``), or what went wrong (``anomaly``)."""

    control: str | None = None
    value: object = None
    note: str | None = None
    anomaly: str | None = None
    reaching: str = ""


def create_operations() -> tuple[str, ...]:
    """Every SageMaker ``Create*`` operation of the installed botocore, in model order."""
    return tuple(
        operation
        for operation in _model("sagemaker").operation_names
        if operation.startswith("Create")
    )


def _create_fields() -> list[Field]:
    """The security fields outside lists of every SageMaker ``Create*`` operation."""
    operations = set(create_operations())
    return [
        field
        for field in security_fields()
        if field.operation in operations and "[]" not in field.path and "{}" not in field.path
    ]


def _related(found: str, path: str) -> bool:
    """Whether a decision or violation at ``found`` is about ``path``: there, above it (the
    structure it belongs to) or below it (a member of the structure it is)."""
    return found == path or nested(path, found) or nested(found, path)


def supplied(slug: str) -> frozenset[tuple[type, object]]:
    """What the policy supplies through the control ``slug``: its role, key, subnets and groups,
    or the control's own required value (a flag, a mode), each with its type (True is not 1)."""
    values: list[object] = [ROLE, KEY, *SUBNETS, *SECURITY_GROUPS]
    control = by_slug(slug)
    if control is not None and isinstance(control.requirement.value, str | bool | int):
        values.append(control.requirement.value)
    return frozenset((type(value), value) for value in values)


def only_supplied(value: object, slug: str) -> bool:
    """Whether every leaf of ``value`` is something the policy supplies through ``slug``."""
    allowed = supplied(slug)
    leaves = list(_leaves(value))
    return bool(leaves) and all((type(leaf), leaf) in allowed for leaf in leaves)


def violations(error: SecurityViolation) -> tuple[SecurityViolation, ...]:
    """The violation and those raised with it."""
    return (error, *error.additional)


def _secure(operation: str, request: dict[str, Any]) -> tuple[dict[str, Any], list[Decision]]:
    return enforce(operation, request, POLICY, waivers={})


def _fill(field: Field) -> _Finding:
    """The control that fills ``field`` in, and what the field holds then.

    The minimal request reaches the field itself first; then, deepest first, each structure above
    it that a catalogue target names (a ``VpcConfig`` is filled in whole, and a request holding
    one without its ``Subnets`` is refused, not completed).
    """
    targets = {target.path for _, target in for_operation(field.operation)}
    above = sorted((path for path in targets if nested(field.path, path)), key=len, reverse=True)
    first = _Finding()
    for reaching in [field.path, *above]:
        found = _fill_reaching(field, reaching)
        if found.control is not None or found.anomaly is not None:
            return found
        first = first if first.note else found
    return first


def _fill_reaching(field: Field, reaching: str) -> _Finding:
    request = minimal_request(field.operation, reaching=reaching)
    try:
        secured, decisions = _secure(field.operation, request)
    except SecurityViolation as error:
        where = ", ".join(f"{v.control} at {v.path}" for v in violations(error))
        return _Finding(note=f"its minimal request is refused: {where}")
    except Exception as error:  # noqa: BLE001 - any failure is what this measures
        return _Finding(anomaly=f"enforce failed on the minimal request: {error!r}")
    segments = _paths.split(field.path)
    value, depth = _paths.lookup(secured, segments)
    if value is _paths.MISSING or depth != len(segments):
        return _Finding()
    filled = [
        decision
        for decision in decisions
        if decision.outcome == "injected" and _related(decision.path, field.path)
    ]
    if not filled:
        return _Finding(anomaly=f"holds {value!r} after enforce, but no decision filled it in")
    slug = filled[0].control
    if not only_supplied(value, slug):
        return _Finding(anomaly=f"{slug} filled in {value!r}, which the policy did not supply")
    return _Finding(slug, value, reaching=reaching)


def refusal_request(field: Field, value: object = _paths.MISSING) -> dict[str, Any]:
    """The minimal request reaching ``field``, its security-relevant siblings holding the
    policy's names (a ``VpcConfig``'s ``Subnets`` beside its ``SecurityGroupIds``), and the
    field holding ``value`` when one is given: compliant but for the field, so that a refusal
    there is the field's doing."""
    request = minimal_request(field.operation, reaching=field.path)
    parent_path, _, name = field.path.rpartition(".")
    parent_shape = _shape_at(field.operation, parent_path)
    parent = _paths.lookup(request, _paths.split(parent_path))[0] if parent_path else request
    if isinstance(parent_shape, StructureShape) and isinstance(parent, dict):
        _add_policy_names(parent, parent_shape, without=name)
    if value is not _paths.MISSING:
        _paths.put(request, _paths.split(field.path), value)
    return request


def _raised(operation: str, request: dict[str, Any]) -> tuple[SecurityViolation, ...]:
    try:
        _secure(operation, request)
    except SecurityViolation as error:
        return violations(error)
    return ()


def _key(violation: SecurityViolation) -> tuple[str, str, str]:
    return violation.control, violation.path, repr(violation.found)


def _refuse(field: Field) -> _Finding:
    """The control that refuses a weaker value at ``field``, and the value.

    A refusal counts when it is about the field (there, above or below) and the same request
    without the field does not raise it too (a ``VpcConfig`` without its ``Subnets`` is refused,
    for the missing member).
    """
    shape = _shape_at(field.operation, field.path)
    try:
        baseline = {_key(v) for v in _raised(field.operation, refusal_request(field))}
    except Exception as error:  # noqa: BLE001 - any failure is what this measures
        return _Finding(anomaly=f"enforce failed on the minimal request: {error!r}")
    for value in weaker_values(field.path.rpartition(".")[2], shape):
        try:
            raised = _raised(field.operation, refusal_request(field, value))
        except Exception as error:  # noqa: BLE001 - any failure is what this measures
            return _Finding(anomaly=f"enforce failed on {field.path}={value!r}: {error!r}")
        naming = [v for v in raised if _related(v.path, field.path) and _key(v) not in baseline]
        if naming:
            return _Finding(naming[0].control, value)
    return _Finding()


def classify(field: Field) -> Verdict:
    """Run the engine on ``field``'s minimal requests and say what it does (module docstring)."""
    filled, refused = _fill(field), _refuse(field)
    anomaly = filled.anomaly or refused.anomaly
    if filled.control or refused.control:
        return Verdict(
            field,
            filled_by=filled.control,
            filled_with=filled.value,
            filled_reaching=filled.reaching,
            refused_by=refused.control,
            refused_with=refused.value,
            anomaly=anomaly,
        )
    entry = next((e for e in OUT_OF_SCOPE if excuses(e, field)), None)
    reason, security = (entry.reason, entry.security) if entry else (None, True)
    return Verdict(field, reason=reason, security=security, note=filled.note, anomaly=anomaly)


@cache
def verdicts() -> tuple[Verdict, ...]:
    """A verdict for every security field outside a list of every SageMaker ``Create*``
    operation, in model order. A field below a structure that a control judges whole (a
    ``VpcConfig``) counts with that structure when the engine neither fills nor refuses it
    on its own."""
    found = {field: classify(field) for field in _create_fields()}
    for field, verdict in found.items():
        whole = None if verdict.covered else _judged_whole(field, found)
        if whole is not None:
            found[field] = Verdict(
                field,
                filled_by=whole.filled_by,
                refused_by=whole.refused_by,
                note=f"counts with its structure {whole.field.path}",
                anomaly=verdict.anomaly,
            )
    return tuple(found.values())


def _judged_whole(field: Field, found: Mapping[Field, Verdict]) -> Verdict | None:
    """The covered verdict of a structure above ``field`` that a catalogue target of the
    operation names exactly (so its control judges the structure as a whole)."""
    targets = {target.path for _, target in for_operation(field.operation)}
    return next(
        (
            verdict
            for other, verdict in found.items()
            if other.operation == field.operation
            and nested(field.path, other.path)
            and other.path in targets
            and verdict.covered
        ),
        None,
    )


@dataclass(frozen=True, slots=True)
class Figure:
    """The coverage figure: covered (filled or refused) over every security field counted."""

    covered: int
    total: int
    reasoned: int
    uncovered: int

    @property
    def percent(self) -> float:
        """Covered over counted, in per cent."""
        return 100.0 * self.covered / self.total if self.total else 100.0

    def __str__(self) -> str:
        return f"{self.covered} of {self.total} ({self.percent:.1f} %)"


def figure(found: Sequence[Verdict] | None = None) -> Figure:
    """The figure over ``found`` (default: :func:`verdicts`). Fields an out-of-scope entry marks
    as no security setting are left out."""
    counted = [v for v in (verdicts() if found is None else found) if v.security]
    covered = sum(v.covered for v in counted)
    reasoned = sum(v.outcome == "out of scope" for v in counted)
    return Figure(covered, len(counted), reasoned, len(counted) - covered - reasoned)


# -- the page ----------------------------------------------------------------------------------


def _control_link(slug: str) -> str:
    return f"[{_code(slug)}](controls.md#{_anchor_id(slug)})"


def _explanation(verdict: Verdict) -> str:
    if verdict.covered:
        slugs = dict.fromkeys(s for s in (verdict.filled_by, verdict.refused_by) if s)
        text = ", ".join(_control_link(slug) for slug in slugs)
    elif verdict.reason is not None:
        text = verdict.reason
    else:
        text = ""
    for remark in (verdict.note, verdict.anomaly and f"engine bug: {verdict.anomaly}"):
        if remark:
            text = f"{text} ({remark})" if text else remark
    return _cell(text)


_NOT_SECURITY = "not a security setting"
#: The verdicts in the order the page counts them.
_ORDER: tuple[str, ...] = (
    "filled and refused",
    "filled",
    "refused",
    "out of scope",
    "uncovered",
    _NOT_SECURITY,
)


def _outcome(verdict: Verdict) -> str:
    return _NOT_SECURITY if not verdict.security else verdict.outcome


def render(found: Sequence[Verdict] | None = None) -> str:
    """The Markdown coverage page for ``found`` (default: :func:`verdicts`)."""
    found = verdicts() if found is None else found
    total = figure(found)
    counts = dict.fromkeys(_ORDER, 0)
    for verdict in found:
        counts[_outcome(verdict)] += 1
    by_operation: dict[str, list[Verdict]] = {}
    for verdict in found:
        by_operation.setdefault(verdict.field.operation, []).append(verdict)
    operations = create_operations()
    lines = [
        f"<!-- GENERATED by `{COMMAND}` from botocore's SageMaker model and safeai.controls: "
        "do not edit. -->",
        "",
        "# Request coverage",
        "",
        '!!! note "Generated page"',
        f"    This page is generated by running the engine on botocore's model. After changing a "
        f"control or upgrading botocore, run `{COMMAND}`; `{COMMAND} --check` (run by the "
        "tests) fails while it is stale.",
        "",
        f"For each of the {len(operations)} SageMaker `Create*` operations in botocore's model, "
        "a realistic minimal request (every required member, filled recursively with a "
        "plausible value) is secured by the engine under a policy that sets a role, a KMS key, "
        "two subnets, security groups, network isolation, inter-container encryption and a "
        "private registry. Each security-relevant field outside a list (found by the name walk "
        "of the coverage test) is then:",
        "",
        "- **filled**: the secured request holds a value there that the policy supplied "
        "(with the structures above the field present);",
        "- **refused**: set to a weaker value (another account's role or key, a subnet or "
        "security group the policy does not list, the other value of a flag or an "
        "enumeration), the request is refused with a violation naming the field or the "
        "structure it belongs to;",
        "- **out of scope**: neither, for the reason given in the catalogue's out-of-scope list;",
        "- **uncovered**: anything else.",
        "",
        "Fields inside lists (a tuning job's `TrainingJobDefinitions[]`) are not counted here: "
        "the catalogue's static coverage test checks them.",
        "",
        "## The figure",
        "",
        f"**{total.covered} of {total.total}** security fields covered: **{total.percent:.1f} %**"
        f" (filled or refused); {total.reasoned} out of scope with a reason; "
        f"{total.uncovered} uncovered. Not counted: "
        f"{counts[_NOT_SECURITY]} fields the walk's name match finds that the out-of-scope list "
        "says are no security setting.",
        "",
        "| verdict | fields |",
        "|---|---|",
    ]
    lines.extend(f"| {outcome} | {count} |" for outcome, count in counts.items())
    lines += ["", "## By operation", ""]
    for operation, rows in by_operation.items():
        lines += [
            f"### {operation}",
            "",
            "| operation | field path | verdict | control or reason |",
            "|---|---|---|---|",
        ]
        lines.extend(
            f"| {_code(operation)} | {_code(v.field.path)} | {_outcome(v)} | {_explanation(v)} |"
            for v in rows
        )
        lines.append("")
    without = [operation for operation in operations if operation not in by_operation]
    in_lists: dict[str, int] = {}
    for field in security_fields():
        if field.operation in without:
            in_lists[field.operation] = in_lists.get(field.operation, 0) + 1
    lines += [
        "## Operations with no security field",
        "",
        f"{len(without)} `Create*` operations have no security-relevant field outside a list "
        "(the fields some have inside lists are checked by the static coverage test):",
        "",
    ]
    lines.extend(
        f"- {_code(operation)}"
        + (f": {in_lists[operation]} inside lists" if operation in in_lists else "")
        for operation in without
    )
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the coverage page, or with ``--check`` return 1 when the file is stale."""
    return generate_page(argv, command=COMMAND, page="coverage.md", render=render)


if __name__ == "__main__":
    raise SystemExit(main())
