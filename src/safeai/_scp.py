"""Service control policies that enforce a policy's baseline server-side.

The guard refuses a weaker request before it leaves the process; an SCP refuses it in AWS, for
every principal of the accounts it is attached to, whatever client they use. Both are built from
the same catalogue: each control's ``anchors.iam_condition_keys`` names the condition keys that
carry its field, ``operations`` the API calls, ``requirement`` what the value must be. This module
adds only what the catalogue cannot know: which actions IAM evaluates each key for
(:data:`SUPPORTED_ACTIONS`) and how a key's value is compared.

Every statement tests exactly one key. Conditions in one statement are ANDed, so a single
``Null`` block naming several keys denies only when *all* of them are missing (the mistake in a
published AWS example); one statement per key denies when *any* is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from ._exceptions import SafeAIError
from ._iam_actions import pack_statements, validate_actions
from .controls import CATALOGUE
from .kinds import KINDS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._policy import Policy
    from .controls import Control, Target

__all__ = ["SCP_LIMIT", "SUPPORTED_ACTIONS", "deny_statements", "scp"]

# AWS Organizations quotas (docs.aws.amazon.com/organizations/latest/userguide/
# orgs_reference_limits.html): "Maximum size of a policy document: Service control policies:
# 5120 characters"; white space is removed only when the console saves a policy, an SDK call
# saves it as given, so the documents are measured, and should be saved, as compact JSON.
SCP_LIMIT = 5_120


def _actions(*names: str) -> frozenset[str]:
    return frozenset(names)


_MONITORING = (
    "CreateDataQualityJobDefinition",
    "CreateModelBiasJobDefinition",
    "CreateModelExplainabilityJobDefinition",
    "CreateModelQualityJobDefinition",
    "CreateMonitoringSchedule",
    "UpdateMonitoringSchedule",
)
_VPC = (
    *_MONITORING,
    "CreateAutoMLJob",
    "CreateAutoMLJobV2",
    "CreateCluster",
    "CreateDomain",
    "CreateEndpointConfig",
    "CreateHyperParameterTuningJob",
    "CreateJob",
    "CreateModel",
    "CreateNotebookInstance",
    "CreateProcessingJob",
    "CreateTrainingJob",
    "UpdateCluster",
    "UpdateDomain",
)
#: The SageMaker actions the Service Authorization Reference lists each condition key for (read
#: from a copy of its JSON, iann0036/iam-dataset, commit 08eff2d7). A key is evaluated only for
#: these; a Deny on any other action would test a key that is never in its request context. The
#: reference marks ``sagemaker:VolumeKmsKey`` and ``sagemaker:OutputKmsKey`` deprecated: no
#: action lists them any more; the ``...KmsKeyArn`` keys replace them and compare the key ARN.
SUPPORTED_ACTIONS: dict[str, frozenset[str]] = {
    "sagemaker:VpcSubnets": _actions(*_VPC),
    "sagemaker:VpcSecurityGroupIds": _actions(*_VPC, "CreateUserProfile", "UpdateUserProfile"),
    "sagemaker:VolumeKmsKeyArn": _actions(
        *_MONITORING,
        "CreateAutoMLJob",
        "CreateAutoMLJobV2",
        "CreateDomain",
        "CreateEndpointConfig",
        "CreateHyperParameterTuningJob",
        "CreateLabelingJob",
        "CreateNotebookInstance",
        "CreateProcessingJob",
        "CreateTrainingJob",
        "CreateTransformJob",
    ),
    "sagemaker:OutputKmsKeyArn": _actions(
        *_MONITORING,
        "CreateAutoMLJob",
        "CreateAutoMLJobV2",
        "CreateHyperParameterTuningJob",
        "CreateJob",
        "CreateLabelingJob",
        "CreateProcessingJob",
        "CreateTrainingJob",
        "CreateTransformJob",
    ),
    "sagemaker:NetworkIsolation": _actions(
        *_MONITORING,
        "CreateEndpointConfig",
        "CreateHyperParameterTuningJob",
        "CreateModel",
        "CreateProcessingJob",
        "CreateTrainingJob",
    ),
    "sagemaker:InterContainerTrafficEncryption": _actions(
        *_MONITORING,
        "CreateAutoMLJob",
        "CreateAutoMLJobV2",
        "CreateHyperParameterTuningJob",
        "CreateProcessingJob",
        "CreateTrainingJob",
    ),
    "sagemaker:DirectInternetAccess": _actions("CreateNotebookInstance"),
    "sagemaker:RootAccess": _actions("CreateNotebookInstance", "UpdateNotebookInstance"),
    "sagemaker:MinimumInstanceMetadataServiceVersion": _actions(
        "CreateNotebookInstance", "UpdateNotebookInstance"
    ),
    "sagemaker:AppNetworkAccessType": _actions("CreateDomain", "UpdateDomain"),
    "sagemaker:DomainSharingOutputKmsKeyArn": _actions(
        "CreateDomain", "UpdateDomain", "CreateUserProfile", "UpdateUserProfile"
    ),
}
_PASSED_TO_SERVICE = "iam:PassedToService"


@dataclass
class _Key:
    """What one condition key must enforce: the control's requirement, on which actions."""

    control: Control
    actions: set[str] = field(default_factory=set)
    # Per action: True while every target the key stands for there is injected by safeai into a
    # part of the request that is always present, so a missing value is a weaker request.
    required: dict[str, bool] = field(default_factory=dict)


def scp(policy: Policy) -> list[dict[str, Any]]:
    """Service control policies that refuse, server-side, what the guard refuses client-side.

    One Deny statement per condition key for a wrong value, on the actions IAM evaluates the key
    for, and one for a missing value on the actions where safeai would have filled it in; plus a
    Deny of ``iam:PassRole`` to SageMaker for roles other than the policy's. Waived controls, and
    controls switched off by the policy (``network_isolation``, ``inter_container_encryption``),
    add nothing. The statements are packed, in a fixed order, into as few documents as fit the
    5,120-character SCP limit.

    Raises :class:`safeai.PolicyError` when the policy cannot be expressed: no subnets or security
    groups to compare with, a KMS key given as an alias (conditions compare key ARNs), or one
    statement alone over the limit.
    """
    statements, pass_role = _condition_statements(policy)
    if pass_role and policy.role_arns:
        statements.append(
            {
                "Sid": "DenyPassingOtherRolesToSageMaker",
                "Effect": "Deny",
                "Action": "iam:PassRole",
                "NotResource": sorted(policy.role_arns),
                "Condition": {"StringEquals": {_PASSED_TO_SERVICE: "sagemaker.amazonaws.com"}},
            }
        )
    validate_actions(
        action
        for statement in statements
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    )
    return pack_statements(
        statements,
        limit=SCP_LIMIT,
        what="SCP",
        fix="allow fewer values (allowed_kms_key_ids, subnets, security_group_ids, "
        "allowed_role_arns)",
    )


def deny_statements(policy: Policy) -> list[dict[str, Any]]:
    """The SCP's Deny statements on SageMaker's condition keys (one per key for a wrong value,
    one for a missing one), unpacked: the caller role carries the same ones."""
    return _condition_statements(policy)[0]


def _condition_statements(policy: Policy) -> tuple[list[dict[str, Any]], bool]:
    keys, pass_role = _plan(policy)
    statements = [
        statement for name, key in keys.items() for statement in _statements(name, key, policy)
    ]
    return statements, pass_role


def _plan(policy: Policy) -> tuple[dict[str, _Key], bool]:
    keys: dict[str, _Key] = {}
    pass_role = True
    for control in CATALOGUE:
        switch = control.requirement.enabled_by
        active = control.slug not in policy.waivers and not (switch and not getattr(policy, switch))
        for name in control.anchors.iam_condition_keys:
            if name == _PASSED_TO_SERVICE:
                # PassRole cannot be scoped to the calling SageMaker action: one waived role
                # control lifts the whole statement rather than refuse what the waiver allows.
                pass_role = pass_role and active
                continue
            supported = SUPPORTED_ACTIONS.get(name)
            if supported is None:
                raise SafeAIError(
                    f"{control.slug} names {name}, which safeai._scp.SUPPORTED_ACTIONS lacks"
                )
            if not active:
                continue
            for target in control.targets:
                if target.operation not in supported:
                    continue
                key = keys.setdefault(name, _Key(control))
                key.actions.add(target.operation)
                key.required[target.operation] = key.required.get(
                    target.operation, True
                ) and _absence_is_weaker(target)
    return keys, pass_role


def _absence_is_weaker(target: Target) -> bool:
    """Whether a request without this field is one safeai would have secured by filling it in.

    Not for check-only targets (on updates absence means "unchanged"), not below an optional
    container (a processing job with no outputs has no output key), and not where the instance
    type decides (AWS refuses a volume key on instance types with local NVMe storage).
    """
    return (
        target.inject
        and not target.instance_types
        and _always_present(target.operation, target.within)
    )


@cache
def _always_present(operation: str, within: str) -> bool:
    if not within:
        return True
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    shape: Any = model.operation_model(operation).input_shape
    for member in within.split("."):
        if member.endswith("[]") or member not in shape.required_members:
            return False
        shape = shape.members[member]
    return True


def _statements(name: str, key: _Key, policy: Policy) -> Iterator[dict[str, Any]]:
    short = name.split(":", 1)[1]
    yield _deny(f"DenyOther{short}", key.actions, _wrong_value(name, key.control, policy))
    missing = {action for action, required in key.required.items() if required}
    if missing:
        yield _deny(f"DenyMissing{short}", missing, {"Null": {name: "true"}})


def _deny(sid: str, actions: set[str], condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Action": sorted(f"sagemaker:{action}" for action in actions),
        "Resource": "*",
        "Condition": condition,
    }


def _wrong_value(name: str, control: Control, policy: Policy) -> dict[str, Any]:
    """The condition that holds when the key is present with a value the policy does not allow,
    as the control's requirement kind writes it (:data:`safeai.kinds.KINDS`).

    Negated operators on a single-valued key are true when the key is absent (IAM condition
    operators: "If the policy condition requires that the key is not matched ... and the right
    key is not present, the condition is true"), so the kinds pair them with a one-key ``Null:
    false``: absence is the missing-value statement's business, and is allowed on updates.
    """
    write = KINDS[control.requirement.kind].scp
    if write is None:
        raise SafeAIError(
            f"{control.slug} names {name}, but a {control.requirement.kind!r} requirement has "
            "no SCP condition (safeai.kinds)"
        )
    return write(name, control, policy)
