"""Property: a guarded client never sends a request weaker than the policy.

For random requests of every guarded operation, built from botocore's input shapes with the
security fields drawn absent, compliant or not (``tests/strategies.py``), the request that
leaves a real guarded botocore client (captured at ``before-send``, where the HTTP layer is
stubbed) either satisfies every control that is neither waived nor switched off, or was refused
with :class:`safeai.SecurityViolation` and nothing was sent. The oracle below is written
independently of safeai's engine: it reads the catalogue's records and re-implements each
requirement kind against literal policy values.

It also checks that the guard refuses only requests that really hold a non-compliant value, that
it changes nothing but the security fields it fills in, and that it never turns a request
botocore would accept into one it rejects.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ParamValidationError
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from safeai import Policy, PreflightError, SecurityViolation, guard, unguard
from safeai.controls import Control, Requirement, Target, for_operation, guarded_operations
from safeai.controls._constraints import broken_constraints
from tests.strategies import (
    PIPELINE_OPERATIONS,
    guarded_request_for,
    input_shape,
    operation_model,
    pipeline_request_for,
    request_for,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from botocore.awsrequest import AWSPreparedRequest
    from botocore.client import BaseClient

# -- the policy, in literal values the oracle checks against --------------------------------

REGION = "us-east-1"
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SafeAIExecution"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/SafeAIPipelines"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
ALIAS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/safeai-data"
SUBNETS = ("subnet-0aaa1111aaaa1111a", "subnet-0bbb2222bbbb2222b")
GROUPS = ("sg-0aaa1111aaaa1111a", "sg-0bbb2222bbbb2222b")

ACCEPTED_ROLES = frozenset({ROLE, OTHER_ROLE})
#: The key ARN and its bare id; the allowed alias ARN and its alias name.
ACCEPTED_KEYS = frozenset({KEY_ARN, KEY_ID, ALIAS_ARN, "alias/safeai-data"})

#: Instance families with local NVMe storage, for which AWS refuses a volume KMS key (from the
#: EC2 instance-store documentation; families botocore does not list yet do no harm here).
INSTANCE_STORE_FAMILIES = frozenset(
    {
        "c5d", "c5ad", "c6gd", "c6id", "c7gd", "m5d", "m5ad", "m5dn", "m6gd", "m6id", "m7gd",
        "r5d", "r5ad", "r5dn", "r6gd", "r6id", "r7gd", "g4dn", "g4ad", "g5", "g6", "g6e", "g7e",
        "gr6", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200",
        "trn1", "trn1n", "trn2", "dl1", "i3", "i4i", "x1",
    }
)  # fmt: skip

#: Operations with controls on their own fields (CreateEndpoint has only its tags; its security
#: lives in the configuration it names, which the functional tests cover).
COVERED = sorted(
    op
    for op in guarded_operations("sagemaker") - PIPELINE_OPERATIONS
    if any(control.requirement.kind != "tags" for control, _ in for_operation(op))
)
EXAMPLES_PER_OPERATION = 50
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Variant:
    """One drawn policy: the fixed values, some waivers, and the three switches."""

    waived: frozenset[str]
    network_isolation: bool
    inter_container_encryption: bool
    private_registry: bool
    policy: Policy = field(init=False, compare=False)

    def __post_init__(self) -> None:
        policy = Policy(
            execution_role_arn=ROLE,
            kms_key_id=KEY_ARN,
            subnets=SUBNETS,
            security_group_ids=GROUPS,
            allowed_role_arns=(OTHER_ROLE,),
            allowed_kms_key_ids=(ALIAS_ARN,),
            network_isolation=self.network_isolation,
            inter_container_encryption=self.inter_container_encryption,
            private_registry=self.private_registry,
            waivers=dict.fromkeys(sorted(self.waived), "property test waiver"),
            preflight=False,
        )
        object.__setattr__(self, "policy", policy)

    def active(self, requirement: Requirement, slug: str) -> bool:
        """Whether the control applies: not waived and not switched off by its flag."""
        if slug in self.waived:
            return False
        flag = requirement.enabled_by
        return flag is None or bool(getattr(self, flag))


def field_controls(operation: str) -> list[tuple[Control, Target]]:
    """The controls on request fields. Tag controls are left to their own tests: the policies
    drawn here set no tags, which makes those controls do nothing; so are the code kinds, which
    act on other members than their field (tests/unit/test_code_kinds.py)."""
    return [
        pair
        for pair in for_operation(operation)
        if pair[0].requirement.kind not in ("tags", "code_channel", "code_location")
    ]


def _slugs(operation: str) -> list[str]:
    operations = [operation]
    if operation in PIPELINE_OPERATIONS:
        operations.append("CreateTrainingJob")
    return sorted({control.slug for op in operations for control, _ in for_operation(op)})


def variants(operation: str) -> st.SearchStrategy[Variant]:
    switch = st.sampled_from((True, True, False))
    return st.builds(
        Variant,
        waived=st.frozensets(st.sampled_from(_slugs(operation)), max_size=3),
        network_isolation=switch,
        inter_container_encryption=switch,
        private_registry=st.booleans(),
    )


# -- the stubbed, guarded client ------------------------------------------------------------


class _Raw:
    """The raw body botocore reads from an ``AWSResponse``."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


#: What ``DescribeModel`` answers (CreateTransformJob checks the model it names): compliant
#: under every drawn variant, so that transform jobs reach the engine's own checks.
COMPLIANT_MODEL: Mapping[str, Any] = {
    "ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m",
    "ExecutionRoleArn": ROLE,
    "VpcConfig": {"Subnets": list(SUBNETS), "SecurityGroupIds": list(GROUPS)},
    "EnableNetworkIsolation": True,
}


_NETWORK: Mapping[str, Any] = {
    "VpcConfig": {"Subnets": list(SUBNETS), "SecurityGroupIds": list(GROUPS)},
    "EnableNetworkIsolation": True,
    "EnableInterContainerTrafficEncryption": True,
}
_CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeKmsKeyId": KEY_ARN}
_NO_STEPS = json.dumps({"Version": "2020-12-01", "Steps": []})
#: What the stored resources a call starts, opens or names answer (the registry's
#: ``Resource.stored``): compliant under every drawn variant, like ``COMPLIANT_MODEL``.
COMPLIANT_STORED: Mapping[str, Mapping[str, Any]] = {
    "DescribePipeline": {"RoleArn": ROLE, "PipelineDefinition": _NO_STEPS},
    "DescribePipelineDefinitionForExecution": {"PipelineDefinition": _NO_STEPS},
    "DescribeNotebookInstance": {
        "RoleArn": ROLE,
        "KmsKeyId": KEY_ARN,
        "SubnetId": SUBNETS[0],
        "SecurityGroups": list(GROUPS),
        "DirectInternetAccess": "Disabled",
        "RootAccess": "Disabled",
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    },
    **{
        f"Describe{kind}JobDefinition": {
            "RoleArn": ROLE,
            "NetworkConfig": _NETWORK,
            "JobResources": {"ClusterConfig": _CLUSTER},
            f"{kind}JobOutputConfig": {"MonitoringOutputs": [], "KmsKeyId": KEY_ARN},
        }
        for kind in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
    },
}


@dataclass
class Stub:
    client: BaseClient
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def before_send(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        raw: Any = request.body
        body = json.loads(raw) if raw else {}
        if operation == "DescribeModel":
            payload = dict(COMPLIANT_MODEL, ModelName=body.get("ModelName"))
            return AWSResponse(request.url, 200, HTTPHeaders(), _Raw(json.dumps(payload).encode()))
        if operation in COMPLIANT_STORED:
            stored = COMPLIANT_STORED[operation]
            return AWSResponse(request.url, 200, HTTPHeaders(), _Raw(json.dumps(stored).encode()))
        self.sent.append((operation, body))
        return AWSResponse(request.url, 200, HTTPHeaders(), _Raw(b"{}"))


@pytest.fixture(scope="module")
def stub() -> Stub:
    client = botocore.session.get_session().create_client(
        "sagemaker",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubbed = Stub(client)
    client.meta.events.register("before-send.sagemaker", stubbed.before_send)
    return stubbed


def _method(client: BaseClient, operation: str) -> Any:
    names = {api: name for name, api in client.meta.method_to_api_mapping.items()}
    return getattr(client, names[operation])


# -- the oracle -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    slug: str
    path: str
    detail: str


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _containers(body: Mapping[str, Any], within: str) -> list[tuple[str, dict[str, Any]]]:
    """The non-empty structures at ``within`` (``A[].B``), with concrete paths."""
    found: list[tuple[str, Any]] = [("", body)]
    for segment in within.split(".") if within else []:
        name = segment.removesuffix("[]")
        step: list[tuple[str, Any]] = []
        for path, node in found:
            child = node.get(name)
            if segment.endswith("[]"):
                if isinstance(child, list):
                    step += [(f"{_join(path, name)}[{i}]", item) for i, item in enumerate(child)]
            else:
                step.append((_join(path, name), child))
        found = [(path, node) for path, node in step if isinstance(node, dict) and node]
    return found


def _lookup(container: Mapping[str, Any], relative: str) -> tuple[str, Any]:
    node: Any = container
    for name in relative.split("."):
        if not isinstance(node, dict):
            return "blocked", node
        if name not in node:
            return "absent", None
        node = node[name]
    return "present", node


def _values(node: Any, path: str) -> list[Any]:
    nodes = [node]
    for segment in path.split("."):
        name = segment.removesuffix("[]")
        step: list[Any] = []
        for item in nodes:
            if isinstance(item, dict) and name in item:
                child = item[name]
                if not segment.endswith("[]"):
                    step.append(child)
                elif isinstance(child, list):
                    step += child
        nodes = step
    return nodes


def _instance_store(container: Mapping[str, Any], target: Target) -> bool:
    types = [found for path in target.instance_types for found in _values(container, path)]
    for instance_type in types:
        parts = instance_type.split(".") if isinstance(instance_type, str) else []
        if len(parts) == 3 and parts[0] == "ml" and parts[1] in INSTANCE_STORE_FAMILIES:
            return True
    return False


def _named(container: Mapping[str, Any], target: Target) -> bool:
    """Whether a ``check_only_with`` path holds a value: the target is then check-only."""
    return any(
        value is not None for path in target.check_only_with for value in _values(container, path)
    )


def _ids_within(value: object, allowed: tuple[str, ...]) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(item, str) and item in allowed for item in value)
    )


def _satisfies(requirement: Requirement, value: object) -> bool:
    kind = requirement.kind
    if kind == "role":
        return isinstance(value, str) and value in ACCEPTED_ROLES
    if kind == "passed_role":
        roles = value if isinstance(value, list) else [value]
        return all(isinstance(role, str) and role in ACCEPTED_ROLES for role in roles)
    if kind == "kms_key":
        return isinstance(value, str) and value in ACCEPTED_KEYS
    if kind == "subnet":
        return isinstance(value, str) and value in SUBNETS
    if kind == "subnets":
        return _ids_within(value, SUBNETS)
    if kind == "security_groups":
        return _ids_within(value, GROUPS)
    if kind == "vpc":
        return (
            isinstance(value, dict)
            and _ids_within(value.get("Subnets"), SUBNETS)
            and _ids_within(value.get("SecurityGroupIds"), GROUPS)
        )
    if kind == "equals":
        return type(value) is type(requirement.value) and value == requirement.value
    if kind == "resource_policy":
        return _grants_no_one(value)
    if kind == "absent":
        return False  # asked only of a present value, which is what the control refuses
    raise AssertionError(f"the oracle does not know requirement kind {kind!r}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _grants_no_one(value: object) -> bool:
    """A JSON resource policy with no unconditioned Allow to everyone. (Drawn policies never
    carry conditions; those are tested by example in test_engine.)"""
    try:
        document = (
            json.loads(value, object_pairs_hook=_no_duplicates) if isinstance(value, str) else None
        )
    except ValueError:
        return False
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return False
    return not any(
        s.get("Effect") == "Allow"
        and "Condition" not in s
        and ("NotPrincipal" in s or s.get("Principal") in ("*", {"AWS": "*"}))
        for s in statements
    )


def findings(
    operation: str, body: Mapping[str, Any], variant: Variant, *, sent: bool, prefix: str = ""
) -> list[Finding]:
    """Where ``body`` is weaker than the policy. With ``sent``, a field the guard should have
    filled in and did not counts too; without, only the values the request itself holds."""
    found: list[Finding] = []
    for control, target in field_controls(operation):
        requirement, slug = control.requirement, control.slug
        if not variant.active(requirement, slug):
            continue
        for where, container in _containers(body, target.within):
            path = _join(prefix, _join(where, target.relative_path))
            state, value = _lookup(container, target.relative_path)
            if requirement.kind == "steps":
                if state == "present":
                    found += _step_findings(value, variant, sent=sent, prefix=path)
                continue
            if state == "absent":
                if target.inject and not requirement.fill:
                    found.append(Finding(slug, path, "absent, and never filled in"))
                elif (
                    sent
                    and target.inject
                    and not _instance_store(container, target)
                    and not _named(container, target)
                ):
                    found.append(Finding(slug, path, "absent: it should have been filled in"))
            elif state == "blocked":
                found.append(Finding(slug, path, f"{value!r} on the way is not a structure"))
            elif not _satisfies(requirement, value):
                found.append(Finding(slug, path, f"{value!r} is not {requirement.kind}-compliant"))
    return found


def _step_findings(raw: object, variant: Variant, *, sent: bool, prefix: str) -> list[Finding]:
    try:
        definition = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        definition = None
    if not isinstance(definition, dict) or not isinstance(definition.get("Steps", []), list):
        return [Finding("pipeline.steps", prefix, f"{raw!r} is not a pipeline definition")]
    return _steps_findings(
        definition.get("Steps", []), variant, sent=sent, prefix=f"{prefix}:Steps"
    )


def _steps_findings(
    steps: list[Any], variant: Variant, *, sent: bool, prefix: str
) -> list[Finding]:
    found: list[Finding] = []
    for index, step in enumerate(steps):
        path = f"{prefix}[{index}]"
        kind = step.get("Type") if isinstance(step, dict) else None
        arguments = step.get("Arguments") if isinstance(step, dict) else None
        if kind == "Training" and isinstance(arguments, dict):
            found += findings("CreateTrainingJob", arguments, variant, sent=sent, prefix=path)
        elif kind == "Condition" and isinstance(arguments, dict):
            for branch in ("IfSteps", "ElseSteps"):
                nested = arguments.get(branch, [])
                found += _steps_findings(nested, variant, sent=sent, prefix=f"{path}.{branch}")
        elif kind != "Fail":
            found.append(Finding("pipeline.steps", path, f"unexpected step {step!r}"))
    return found


# -- what botocore accepts, and what the guard may change ----------------------------------

_FILLERS: Mapping[str, object] = {
    "role": ROLE,
    "kms_key": KEY_ARN,
    "vpc": {"Subnets": list(SUBNETS), "SecurityGroupIds": list(GROUPS)},
    "subnet": SUBNETS[0],
    "subnets": list(SUBNETS),
    "security_groups": list(GROUPS),
}


def _filled(operation: str, request: Mapping[str, Any], variant: Variant) -> dict[str, Any]:
    """``request`` with every field the guard ought to fill in filled in (with some compliant
    value): what botocore should be asked to validate."""
    filled = copy.deepcopy(dict(request))
    for control, target in field_controls(operation):
        requirement = control.requirement
        if not variant.active(requirement, control.slug) or not target.inject:
            continue
        if requirement.kind == "steps" or not requirement.fill:
            continue
        for _, container in _containers(filled, target.within):
            if _lookup(container, target.relative_path)[0] != "absent":
                continue
            if _instance_store(container, target) or _named(container, target):
                continue
            *parents, leaf = target.relative_path.split(".")
            node = container
            for name in parents:
                node = node.setdefault(name, {})
            node[leaf] = copy.deepcopy(_FILLERS.get(requirement.kind, requirement.value))
    return filled


def _valid(operation: str, request: Mapping[str, Any]) -> bool:
    return not ParamValidator().validate(request, input_shape(operation)).has_errors()


def _serialized(operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """``request`` as botocore would put it on the wire (timestamps, blobs and all)."""
    serializer = create_serializer("json", include_validation=False)
    body = serializer.serialize_to_request(dict(request), operation_model(operation))["body"]
    loaded = json.loads(body or b"{}")
    assert isinstance(loaded, dict)
    return loaded


def _fillable_paths(operation: str, variant: Variant, prefix: str = "") -> tuple[str, ...]:
    """The field paths (``A[].B``) the guard may add to a request of ``operation``."""
    return tuple(
        _join(prefix, target.path)
        for control, target in for_operation(operation)
        if target.inject
        and control.requirement.fill
        and control.requirement.kind != "steps"
        and variant.active(control.requirement, control.slug)
    )


def _leaves(value: Any, path: str) -> list[str]:
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in _leaves(item, _join(path, key))]
    if isinstance(value, list) and value:
        return [leaf for item in value for leaf in _leaves(item, f"{path}[]")]
    return [path]


def _covered(leaf: str, allowed: tuple[str, ...]) -> bool:
    return any(leaf == path or leaf.startswith((f"{path}.", f"{path}[]")) for path in allowed)


def differences(sent: Any, expected: Any, allowed: tuple[str, ...], path: str = "") -> list[str]:
    """How ``sent`` differs from ``expected``, other than fields added at ``allowed`` paths."""
    if isinstance(sent, dict) and isinstance(expected, dict):
        found: list[str] = []
        for key, item in expected.items():
            where = _join(path, key)
            if key not in sent:
                found.append(f"{where}: removed")
            else:
                found += differences(sent[key], item, allowed, where)
        for key in sent.keys() - expected.keys():
            found += [
                f"{leaf}: added"
                for leaf in _leaves(sent[key], _join(path, key))
                if not _covered(leaf, allowed)
            ]
        return found
    if isinstance(sent, list) and isinstance(expected, list) and len(sent) == len(expected):
        return [
            d
            for a, b in zip(sent, expected, strict=True)
            for d in differences(a, b, allowed, f"{path}[]")
        ]
    if type(sent) is not type(expected) or sent != expected:
        return [f"{path}: {expected!r} became {sent!r}"]
    return []


def _pipeline_differences(
    operation: str, sent: dict[str, Any], expected: dict[str, Any], variant: Variant
) -> list[str]:
    sent, expected = dict(sent), dict(expected)
    sent_definition = sent.pop("PipelineDefinition", None)
    expected_definition = expected.pop("PipelineDefinition", None)
    found = differences(sent, expected, _fillable_paths(operation, variant))
    if (sent_definition is None) != (expected_definition is None):
        return [*found, "PipelineDefinition: added or removed"]
    if sent_definition is None:
        return found
    allowed: tuple[str, ...] = ()
    if "pipeline.steps" not in variant.waived:
        allowed = tuple(
            path
            for step in ("Steps[]", "Steps[].Arguments.IfSteps[]", "Steps[].Arguments.ElseSteps[]")
            for path in _fillable_paths("CreateTrainingJob", variant, f"{step}.Arguments")
        )
    else:
        found += [] if sent_definition == expected_definition else ["PipelineDefinition: changed"]
    inner = differences(json.loads(sent_definition), json.loads(expected_definition), allowed)
    return found + [f"PipelineDefinition:{difference}" for difference in inner]


# -- the round trip -------------------------------------------------------------------------


def check_round_trip(stub: Stub, operation: str, request: dict[str, Any], variant: Variant) -> None:
    """Send ``request`` through the guarded client and check what left it (or that nothing did)."""
    original = copy.deepcopy(request)
    weaker = findings(operation, original, variant, sent=False)
    acceptable = _valid(operation, _filled(operation, original, variant))
    stub.sent.clear()
    handle = guard(variant.policy, client=stub.client)
    stopped: SecurityViolation | ParamValidationError | PreflightError | None = None
    try:
        _method(stub.client, operation)(**request)
    except (SecurityViolation, ParamValidationError, PreflightError) as error:
        stopped = error
    finally:
        unguard(handle)
    assert request == original, "the guard changed the caller's own structures"
    if isinstance(stopped, PreflightError):
        # A stored resource it names cannot be read (a job definition of no MonitoringType).
        event("could not be checked")
        assert stub.sent == [], "a request that could not be checked was sent"
        return
    if isinstance(stopped, SecurityViolation):
        event("refused")
        assert stub.sent == [], "a refused request was sent"
        refused = {stopped.control, *(extra.control for extra in stopped.additional)}
        assert weaker, f"refused a request that asks for nothing weaker: {stopped}"
        assert refused <= {finding.slug for finding in weaker}, (refused, weaker)
        return
    if stopped is not None:
        event("rejected by botocore")
        assert stub.sent == [], "a request botocore rejected was sent"
        assert not acceptable, f"the guard made an acceptable request invalid: {stopped}"
        return
    event("sent")
    assert [op for op, _ in stub.sent] == [operation]
    body = stub.sent[0][1]
    assert findings(operation, body, variant, sent=True) == [], "sent weaker than the policy"
    assert weaker == [], f"sent a request that holds non-compliant values: {weaker}"
    # What AWS rejects: the guard may pass on what the caller wrote, but never adds to it.
    added = set(broken_constraints([(operation, body)])) - set(
        broken_constraints([(operation, original)])
    )
    assert added == set(), f"the guard made a request AWS rejects: {sorted(added)}"
    expected = _serialized(operation, original)
    if operation in PIPELINE_OPERATIONS:
        changed = _pipeline_differences(operation, body, expected, variant)
    else:
        changed = differences(body, expected, _fillable_paths(operation, variant))
    assert changed == [], "the guard changed more than the fields it fills in"


# -- the properties -------------------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(guarded_operations("sagemaker")))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_drawn_requests_pass_botocore_validation(operation: str, data: st.DataObject) -> None:
    request = data.draw(request_for(operation))
    report = ParamValidator().validate(request, input_shape(operation))
    assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("operation", COVERED)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_guard_never_sends_a_weaker_request(
    stub: Stub, operation: str, data: st.DataObject
) -> None:
    variant = data.draw(variants(operation), label="policy")
    request = data.draw(guarded_request_for(operation, variant.policy), label="request")
    check_round_trip(stub, operation, request, variant)


@pytest.mark.parametrize("operation", sorted(PIPELINE_OPERATIONS))
@settings(PROPERTY_SETTINGS, max_examples=2 * EXAMPLES_PER_OPERATION)
@given(data=st.data())
def test_guard_never_sends_a_weaker_pipeline(
    stub: Stub, operation: str, data: st.DataObject
) -> None:
    variant = data.draw(variants(operation), label="policy")
    request = data.draw(pipeline_request_for(operation, variant.policy), label="request")
    check_round_trip(stub, operation, request, variant)
