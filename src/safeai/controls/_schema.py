"""The record types of the catalogue: data only, validated once by the conformance tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Anchors", "Control", "Requirement", "Target"]

RequirementKind = Literal[
    "role",
    "passed_role",
    "kms_key",
    "vpc",
    "subnet",
    "subnets",
    "security_groups",
    "equals",
    "absent",
    "steps",
    "preflight",
    "client",
    "code_channel",
    "code_location",
    "tags",
    "sse",
    "bucket_encryption",
    "acl",
    "bucket_policy",
    "resource_policy",
    "baseline",
]


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a control demands of the value at its field.

    ``role``: the policy's execution role or an allowed role. ``passed_role``: a role handed
    to another service (one role or a list), one of the policy's allowed roles; check-only.
    ``kms_key``: the policy's key or an allowed key. ``vpc``: a
    ``{"Subnets", "SecurityGroupIds"}`` structure within the policy's subnets and security
    groups. ``subnet`` / ``subnets`` / ``security_groups``: one subnet id, or
    a list of ids, within the policy's. ``equals``: exactly ``value``. ``absent``: the member
    is not there (a feature the policy does not allow; check-only). ``steps``: a pipeline
    definition whose every step is secured as the request it stands for. ``preflight``: checked
    against AWS on what requests name (the role, the key, the network), not on a field.
    ``client``: checked by the guard on the client a request is sent through (its endpoint,
    region and credentials), not on a field. ``code_channel``: a network-isolated job's S3
    submit directory (SDK script mode) moved into a ``code`` input channel. ``code_location``:
    no network-isolated model container fetches its code from S3.
    ``tags``: a ``[{"Key", "Value"}]`` list holding the policy's tags and required keys.
    ``sse``: an S3 object write encrypted with SSE-KMS under the policy's key (the field is
    ``ServerSideEncryption``; its siblings ``SSEKMSKeyId``, ``BucketKeyEnabled`` and the SSE-C
    members are read and filled in with it). ``bucket_encryption``: a bucket's default
    encryption, every rule SSE-KMS under the policy's key. ``acl``: no canned ACL or grant opens
    a bucket or object to everyone or to every AWS account. ``bucket_policy``: a bucket policy
    that keeps a deny of plain-HTTP access and allows a public principal only under a
    restricting condition. ``resource_policy``: a JSON resource policy that allows a public
    principal only under a restricting condition. ``baseline``: the bucket a request creates is
    brought to the secure baseline once it exists (the guard does it after the call).

    ``enabled_by`` names a boolean policy field that switches the control off when False (for
    example ``network_isolation``). ``fill=False`` keeps the engine from filling a missing value
    in, where doing so would change what the request means (an image pulled from somewhere
    else): a missing value is then refused.
    """

    kind: RequirementKind
    value: object = None
    enabled_by: str | None = None
    fill: bool = True


@dataclass(frozen=True, slots=True)
class Target:
    """One place in one operation's request where a control applies.

    ``path`` is the full field path. ``within`` is the prefix of ``path`` that must already exist
    for the control to apply (``""`` for the top level); below it the engine creates what is
    missing. ``inject=False`` makes the target check-only: a value present must comply, an absent
    one is left alone (used on updates, where an absent field means "unchanged").
    ``instance_types`` are paths, relative to the ``within`` container, to the instance type(s)
    whose local NVMe storage SageMaker encrypts in hardware and for which AWS refuses a volume key.
    ``forbidden`` marks an operation that is itself the weakening (``DeleteBucketEncryption``):
    every request of it is refused unless the control is waived; ``path`` names what it acts on.
    ``check_only_with`` are paths, relative to the ``within`` container (they may step through
    lists), that make the target check-only where any of them holds a value: the field then
    belongs to what that value names. An endpoint configuration's ``ExecutionRoleArn`` is filled
    in for inference components, but left to the models where a variant names one.
    """

    operation: str
    path: str
    within: str = ""
    inject: bool = True
    instance_types: tuple[str, ...] = ()
    forbidden: bool = False
    check_only_with: tuple[str, ...] = ()

    @property
    def relative_path(self) -> str:
        """The path below the ``within`` container."""
        return self.path[len(self.within) + 1 :] if self.within else self.path


@dataclass(frozen=True, slots=True)
class Anchors:
    """Where this control appears in the tools teams already use (for docs, audit and SCPs)."""

    security_hub: tuple[str, ...] = ()
    prowler: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    iam_condition_keys: tuple[str, ...] = ()
    cdk_nag: tuple[str, ...] = ()
    #: AWS Config managed rule identifiers, in their lower-case hyphenated form.
    config_rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Control:
    """One security control: a stable slug, what it demands, where, and how to fix it.

    ``service`` is the botocore service name of the operations in ``targets``.
    ``waivable=False``: no waiver relaxes it (``safeai.waive`` and ``Policy.waivers`` refuse it),
    for a control whose violation means the request goes somewhere the policy does not describe.
    """

    slug: str
    title: str
    requirement: Requirement
    targets: tuple[Target, ...]
    remedy: str
    anchors: Anchors = field(default_factory=Anchors)
    service: str = "sagemaker"
    waivable: bool = True

    @property
    def resource(self) -> str:
        """The resource family, the part of the slug before the dot."""
        return self.slug.split(".", 1)[0]

    @property
    def operations(self) -> tuple[str, ...]:
        """The operations this control applies to, in catalogue order, without repeats."""
        return tuple(dict.fromkeys(t.operation for t in self.targets))
