"""The pure engine, control by control, with no AWS at all."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

import safeai
from safeai import _paths
from safeai._engine import evaluate
from safeai.controls import CATALOGUE, Control, Target

ROLE = "arn:aws:iam::111122223333:role/ml-training"
OTHER_ROLE = "arn:aws:iam::111122223333:role/ml-admin"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}"
ALLOWED_KEY = "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"
FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/ffffffff-12ab-34cd-56ef-1234567890ab"

POLICY = safeai.Policy(
    execution_role_arn=ROLE,
    kms_key_id=KEY,
    subnets=["subnet-0a1", "subnet-0b2"],
    security_group_ids=["sg-0c3", "sg-0d4"],
    allowed_kms_key_ids=[ALLOWED_KEY],
    private_registry=True,  # switch every opt-in control on
)

COMPLIANT: dict[str, object] = {
    "role": ROLE,
    "passed_role": ROLE,
    "kms_key": KEY_ID,
    "vpc": {"Subnets": ["subnet-0b2"], "SecurityGroupIds": ["sg-0c3"]},
    "subnet": "subnet-0b2",
    "subnets": ["subnet-0a1"],
    "security_groups": ["sg-0d4"],
}
WEAKER: dict[str, object] = {
    "role": OTHER_ROLE,
    "passed_role": OTHER_ROLE,
    "kms_key": FOREIGN_KEY,
    "vpc": {"Subnets": ["subnet-0a1", "subnet-fff"], "SecurityGroupIds": ["sg-0c3"]},
    "subnet": "subnet-fff",
    "subnets": ["subnet-fff"],
    "security_groups": ["sg-fff"],
}
EXPECTED_INJECTION: dict[str, object] = {
    "role": ROLE,
    # Never filled in: every target of the kind is check-only.
    "passed_role": None,
    "kms_key": KEY,
    "vpc": {"SecurityGroupIds": ["sg-0c3", "sg-0d4"], "Subnets": ["subnet-0a1", "subnet-0b2"]},
    "subnet": "subnet-0a1",
    "subnets": ["subnet-0a1", "subnet-0b2"],
    "security_groups": ["sg-0c3", "sg-0d4"],
}
WEAKER_EQUALS = {
    True: False,
    False: True,
    "Disabled": "Enabled",
    "2": "1",
    "VpcOnly": "PublicInternetOnly",
    "Enabled": "Suspended",
    "BucketOwnerEnforced": "ObjectWriter",
    "Vpc": "Platform",
    "DISABLED": "ENABLED",
}
#: Kinds whose handlers read several members of their container (tested in test_engine_s3 and
#: test_modes_and_tags); the tests here are for kinds that govern one field.
_STRUCTURE_KINDS = (
    "steps",
    "tags",
    "sse",
    "bucket_encryption",
    "acl",
    "bucket_policy",
    "resource_policy",
    "baseline",
    "code_channel",
    "code_location",
    "absent",  # compliant means no value at all: tests/unit/test_serverless.py
)

FIELD_TARGETS = [
    pytest.param(control, target, id=f"{control.slug}@{target.operation}:{target.path}")
    for control in CATALOGUE
    if control.requirement.kind not in _STRUCTURE_KINDS
    for target in control.targets
    if not target.forbidden
]


def _request(target: Target, value: object = _paths.MISSING) -> dict[str, Any]:
    """The smallest request in which ``target``'s container exists, holding ``value``."""
    request: dict[str, Any] = {"Marker": "kept"}
    node: dict[str, Any] = request
    concrete = ""
    for segment in target.within.split(".") if target.within else []:
        name = segment.removesuffix("[]")
        child: dict[str, Any] = {"Marker": "kept"}
        node[name] = [child] if segment.endswith("[]") else child
        concrete = _paths.join(concrete, f"{name}[0]" if segment.endswith("[]") else name)
        node = child
    if value is not _paths.MISSING:
        _paths.put(node, _paths.split(target.relative_path), value)
    return request


def _concrete(target: Target) -> str:
    parts = []
    for segment in target.within.split(".") if target.within else []:
        parts.append(f"{segment[:-2]}[0]" if segment.endswith("[]") else segment)
    return _paths.join(".".join(parts), target.relative_path)


def _found(secured: dict[str, Any], target: Target) -> object:
    ((_, container),) = _paths.containers(secured, _paths.split(target.within))
    return _paths.lookup(container, _paths.split(target.relative_path))[0]


def _values(control: Control) -> tuple[object, object, object]:
    requirement = control.requirement
    if requirement.kind == "equals":
        wanted = requirement.value
        if isinstance(wanted, dict):
            # A whole structure (every Block Public Access setting on): one member weaker.
            first, value = next(iter(wanted.items()))
            return wanted, {**wanted, first: WEAKER_EQUALS[value]}, wanted
        assert isinstance(wanted, bool | str)
        return wanted, WEAKER_EQUALS[wanted], wanted
    kind = requirement.kind
    return COMPLIANT[kind], WEAKER[kind], EXPECTED_INJECTION[kind]


@pytest.mark.parametrize(("control", "target"), FIELD_TARGETS)
def test_missing_is_injected_refused_or_left_alone_on_check_only_targets(
    control: Control, target: Target
) -> None:
    _, _, injected = _values(control)
    if target.inject and not control.requirement.fill:
        with pytest.raises(safeai.SecurityViolation) as refused:
            safeai.enforce(target.operation, _request(target), POLICY)
        assert (refused.value.control, refused.value.path) == (control.slug, _concrete(target))
        return
    secured, decisions = safeai.enforce(target.operation, _request(target), POLICY)
    mine = [d for d in decisions if d.control == control.slug and d.path == _concrete(target)]
    found = _found(secured, target)
    if target.inject:
        assert [d.outcome for d in mine] == ["injected"]
        assert found == injected
    else:
        assert mine == []
        assert found is _paths.MISSING


@pytest.mark.parametrize(("control", "target"), FIELD_TARGETS)
def test_compliant_value_is_kept(control: Control, target: Target) -> None:
    compliant, _, _ = _values(control)
    secured, decisions = safeai.enforce(target.operation, _request(target, compliant), POLICY)
    mine = [d for d in decisions if d.control == control.slug and d.path == _concrete(target)]
    assert [d.outcome for d in mine] == ["compliant"]
    assert _found(secured, target) == compliant


@pytest.mark.parametrize(("control", "target"), FIELD_TARGETS)
def test_weaker_value_is_refused_naming_control_field_and_fix(
    control: Control, target: Target
) -> None:
    _, weaker, _ = _values(control)
    if control.requirement.enabled_by is not None or control.requirement.kind != "vpc":
        expected_path = _concrete(target)
    else:
        expected_path = f"{_concrete(target)}.Subnets"
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(target.operation, _request(target, weaker), POLICY)
    violation = refused.value
    assert violation.control == control.slug
    assert violation.operation == target.operation
    assert violation.path == expected_path
    assert violation.remedy == control.remedy
    message = str(violation)
    assert control.slug in message
    assert control.remedy in message
    assert f'safeai.waive("{control.slug}"' in message


@pytest.mark.parametrize(("control", "target"), FIELD_TARGETS)
def test_waived_control_is_neither_injected_nor_required(control: Control, target: Target) -> None:
    _, weaker, _ = _values(control)
    policy = safeai.Policy(
        execution_role_arn=ROLE,
        kms_key_id=KEY,
        subnets=["subnet-0a1"],
        security_group_ids=["sg-0c3"],
        waivers={control.slug: "accepted by the platform team, ticket SEC-9"},
    )
    for value in (_paths.MISSING, weaker):
        secured, decisions = safeai.enforce(target.operation, _request(target, value), policy)
        mine = [d for d in decisions if d.control == control.slug and d.path == _concrete(target)]
        assert [(d.outcome, d.reason) for d in mine] == [
            ("waived", "accepted by the platform team, ticket SEC-9")
        ]
        assert _found(secured, target) == value


def test_policy_flags_switch_controls_off() -> None:
    policy = safeai.Policy(
        execution_role_arn=ROLE,
        kms_key_id=KEY,
        subnets=["subnet-0a1"],
        security_group_ids=["sg-0c3"],
        network_isolation=False,
        inter_container_encryption=False,
    )
    request = {"EnableNetworkIsolation": False, "OutputDataConfig": {"S3OutputPath": "s3://b"}}
    secured, decisions = safeai.enforce("CreateTrainingJob", request, policy)
    assert secured["EnableNetworkIsolation"] is False
    assert "EnableInterContainerTrafficEncryption" not in secured
    outcomes = {d.control: d.outcome for d in decisions}
    assert outcomes["training.network_isolation"] == "disabled"
    assert outcomes["training.inter_container_encryption"] == "disabled"


def test_a_private_registry_is_opt_in_and_never_filled_in() -> None:
    ecr = {"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/serve:1"}
    in_vpc = {
        "Image": "registry.internal:5000/serve:1",
        "ImageConfig": {"RepositoryAccessMode": "Vpc"},
    }
    request = {"ModelName": "m", "PrimaryContainer": ecr}
    default = dataclasses.replace(POLICY, private_registry=False)
    secured, decisions = safeai.enforce("CreateModel", request, default)
    assert secured["PrimaryContainer"] == ecr  # an ECR image is the norm: nothing changes
    assert {d.outcome for d in decisions if d.control == "model.private_registry"} == {"disabled"}
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateModel", {"ModelName": "m", "Containers": [in_vpc, ecr]}, POLICY)
    assert refused.value.control == "model.private_registry"
    assert refused.value.path == "Containers[1].ImageConfig.RepositoryAccessMode"
    assert "Policy.private_registry = false" in refused.value.remedy
    secured, _ = safeai.enforce(
        "CreateModel", {"ModelName": "m", "PrimaryContainer": in_vpc}, POLICY
    )
    assert secured["PrimaryContainer"] == in_vpc


def test_policy_without_a_needed_value_refuses_rather_than_sending() -> None:
    bare = safeai.Policy(kms_key_id=KEY)
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateModel", {"ModelName": "m"}, bare)
    assert "Policy.execution_role_arn" in str(refused.value)
    assert "does not set" in str(refused.value)


@pytest.mark.parametrize(
    "spelling",
    [KEY, KEY_ID, ALLOWED_KEY],
)
def test_key_spellings_that_name_an_allowed_key_comply(spelling: str) -> None:
    request = {"OutputDataConfig": {"S3OutputPath": "s3://b", "KmsKeyId": spelling}}
    _, decisions = safeai.enforce("CreateTrainingJob", request, POLICY)
    assert {d.control: d.outcome for d in decisions}["training.output_kms"] == "compliant"


@pytest.mark.parametrize(
    "spelling",
    [
        FOREIGN_KEY,
        "alias/ml",
        "arn:aws:kms:eu-west-1:111122223333:key/" + KEY_ID,
        "arn:aws:kms:us-east-1:111122223333:alias/" + KEY_ID,
    ],
)
def test_key_spellings_that_may_name_another_key_are_refused(spelling: str) -> None:
    request = {"OutputDataConfig": {"S3OutputPath": "s3://b", "KmsKeyId": spelling}}
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateTrainingJob", request, POLICY)
    assert refused.value.control == "training.output_kms"


def test_alias_in_the_policy_matches_its_alias_arn() -> None:
    policy = safeai.Policy(
        execution_role_arn=ROLE,
        kms_key_id="alias/ml-data",
        subnets=["subnet-0a1"],
        security_group_ids=["sg-0c3"],
        region="us-east-1",
    )
    request = {
        "OutputDataConfig": {
            "S3OutputPath": "s3://b",
            "KmsKeyId": "arn:aws:kms:us-east-1:111122223333:alias/ml-data",
        }
    }
    _, decisions = safeai.enforce("CreateTrainingJob", request, policy)
    assert {d.control: d.outcome for d in decisions}["training.output_kms"] == "compliant"


@pytest.mark.parametrize(
    "instance_type", ["ml.p4d.24xlarge", "ml.g5.2xlarge", "ml.m5d.large", "ml.p6-b200.48xlarge"]
)
def test_volume_key_is_not_injected_for_hardware_encrypted_instance_storage(
    instance_type: str,
) -> None:
    request = {"ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1}}
    secured, decisions = safeai.enforce("CreateTrainingJob", request, POLICY)
    assert "VolumeKmsKeyId" not in secured["ResourceConfig"]
    (decision,) = [d for d in decisions if d.control == "training.volume_kms"]
    assert decision.outcome == "compliant"
    assert decision.reason is not None
    assert "hardware" in decision.reason


def test_volume_key_is_injected_for_ebs_backed_instances() -> None:
    request = {"ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}}
    secured, _ = safeai.enforce("CreateTrainingJob", request, POLICY)
    assert secured["ResourceConfig"]["VolumeKmsKeyId"] == KEY


def test_every_tuning_definition_is_secured_and_errors_name_the_index() -> None:
    definition: dict[str, Any] = {"AlgorithmSpecification": {"TrainingInputMode": "File"}}
    request: dict[str, Any] = {"TrainingJobDefinitions": [dict(definition), dict(definition)]}
    secured, _ = safeai.enforce("CreateHyperParameterTuningJob", request, POLICY)
    for entry in secured["TrainingJobDefinitions"]:
        assert entry["RoleArn"] == ROLE
        assert entry["EnableNetworkIsolation"] is True
    request["TrainingJobDefinitions"][1]["RoleArn"] = OTHER_ROLE
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateHyperParameterTuningJob", request, POLICY)
    assert refused.value.path == "TrainingJobDefinitions[1].RoleArn"


def test_all_violations_of_a_request_are_reported_together() -> None:
    request = {"EnableNetworkIsolation": False, "RoleArn": OTHER_ROLE, "VpcConfig": "open"}
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateTrainingJob", request, POLICY)
    slugs = [refused.value.control] + [v.control for v in refused.value.additional]
    assert slugs == ["training.role", "training.vpc", "training.network_isolation"]
    assert "and 2 more in the same request" in str(refused.value)


def test_enforce_leaves_the_callers_request_unchanged() -> None:
    request: dict[str, Any] = {"ResourceConfig": {"InstanceType": "ml.m5.xlarge"}}
    before = json.dumps(request)
    secured, _ = safeai.enforce("CreateTrainingJob", request, POLICY)
    assert json.dumps(request) == before
    assert secured["ResourceConfig"] is not request["ResourceConfig"]


def test_operations_without_controls_pass_unchanged() -> None:
    request = {"TrainingJobName": "j"}
    assert safeai.enforce("DescribeTrainingJob", request, POLICY) == (request, [])


def test_evaluate_reports_missing_controls_without_injecting() -> None:
    described = {"ModelName": "m", "ExecutionRoleArn": ROLE, "EnableNetworkIsolation": True}
    findings = evaluate("CreateModel", described, POLICY)
    assert [f.control for f in findings] == ["model.vpc"]
    assert "VpcConfig" not in described


def _pipeline(*steps: dict[str, Any]) -> str:
    return json.dumps({"Version": "2020-12-01", "Steps": list(steps)})


def test_pipeline_steps_nested_in_conditions_and_loops_are_secured() -> None:
    train = {
        "Name": "T",
        "Type": "Training",
        "Arguments": {"OutputDataConfig": {"S3OutputPath": "s3://b"}},
    }
    definition = _pipeline(
        {
            "Name": "C",
            "Type": "Condition",
            "Arguments": {"IfSteps": [train], "ElseSteps": []},
        },
        {
            "Name": "Loop",
            "Type": "ForEach",
            "Arguments": {"ForEachBody": [{**train, "Name": "T2"}]},
        },
    )
    secured, decisions = safeai.enforce(
        "CreatePipeline", {"PipelineDefinition": definition}, POLICY
    )
    steps = json.loads(secured["PipelineDefinition"])["Steps"]
    assert steps[0]["Arguments"]["IfSteps"][0]["Arguments"]["EnableNetworkIsolation"] is True
    assert steps[1]["Arguments"]["ForEachBody"][0]["Arguments"]["RoleArn"] == ROLE
    paths = {d.path for d in decisions if d.control == "training.role"}
    assert paths == {
        "PipelineDefinition:Steps[C].Arguments.IfSteps[T].Arguments.RoleArn",
        "PipelineDefinition:Steps[Loop].Arguments.ForEachBody[T2].Arguments.RoleArn",
    }


def test_pipeline_definition_is_left_byte_for_byte_when_already_compliant() -> None:
    arguments = {
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://b", "KmsKeyId": KEY},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "VolumeKmsKeyId": KEY},
        "VpcConfig": {"Subnets": ["subnet-0a1"], "SecurityGroupIds": ["sg-0c3"]},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    definition = _pipeline({"Name": "T", "Type": "Training", "Arguments": arguments})
    weird_but_equal = definition.replace(", ", ",  ")
    secured, _ = safeai.enforce(
        "CreatePipeline", {"PipelineDefinition": weird_but_equal, "RoleArn": ROLE}, POLICY
    )
    assert secured["PipelineDefinition"] == weird_but_equal


@pytest.mark.parametrize(
    ("definition", "path_suffix"),
    [
        (_pipeline({"Name": "J", "Type": "Job", "Arguments": {}}), "Steps[J].Type"),
        (
            _pipeline({"Name": "E", "Type": "Endpoint", "Arguments": {"EndpointConfigName": "x"}}),
            "Steps[E].Arguments.EndpointConfigName",
        ),
        ("{not json", ""),
        ('{"Steps": [], "Steps": []}', ""),
    ],
    ids=["unknown-step-type", "endpoint-without-config-step", "invalid-json", "duplicate-key"],
)
def test_pipeline_definitions_that_cannot_be_proven_secure_are_refused(
    definition: str, path_suffix: str
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(
            "CreatePipeline", {"PipelineDefinition": definition, "RoleArn": ROLE}, POLICY
        )
    assert refused.value.control == "pipeline.steps"
    assert refused.value.path.endswith(path_suffix)


def test_endpoint_step_naming_a_config_step_of_the_same_pipeline_passes() -> None:
    config = {
        "Name": "Cfg",
        "Type": "EndpointConfig",
        "Arguments": {"EndpointConfigName": "cfg", "ProductionVariants": []},
    }
    endpoint = {"Name": "E", "Type": "Endpoint", "Arguments": {"EndpointConfigName": "cfg"}}
    secured, _ = safeai.enforce(
        "CreatePipeline", {"PipelineDefinition": _pipeline(config, endpoint)}, POLICY
    )
    steps = json.loads(secured["PipelineDefinition"])["Steps"]
    assert steps[0]["Arguments"]["KmsKeyId"] == KEY


def test_named_resources_lists_what_a_secured_request_names() -> None:
    from safeai._engine import named_resources

    train = {"Name": "T", "Type": "Training", "Arguments": {"OutputDataConfig": {}}}
    secured, _ = safeai.enforce("CreatePipeline", {"PipelineDefinition": _pipeline(train)}, POLICY)
    named = named_resources("CreatePipeline", secured)
    assert named.roles == {ROLE}
    assert named.kms_keys == set()  # an empty OutputDataConfig is not a place a key goes
    assert named.subnets == {"subnet-0a1", "subnet-0b2"}
    assert named.security_groups == {"sg-0c3", "sg-0d4"}
    assert named.subnet_groups == (("subnet-0a1", "subnet-0b2"),)
    notebook, _ = safeai.enforce("CreateNotebookInstance", {"NotebookInstanceName": "n"}, POLICY)
    assert named_resources("CreateNotebookInstance", notebook).subnet_groups == (("subnet-0a1",),)
    assert named_resources("CreateNotebookInstance", notebook).kms_keys == {KEY}


def test_tuples_and_other_mappings_are_secured_like_lists_and_dicts() -> None:
    from types import MappingProxyType

    definition = MappingProxyType({"RoleArn": OTHER_ROLE})
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(
            "CreateHyperParameterTuningJob", {"TrainingJobDefinitions": (definition,)}, POLICY
        )
    assert refused.value.path == "TrainingJobDefinitions[0].RoleArn"
    secured, _ = safeai.enforce(
        "CreateHyperParameterTuningJob",
        {"TrainingJobDefinitions": ({"AlgorithmSpecification": {}},)},
        POLICY,
    )
    assert secured["TrainingJobDefinitions"][0]["EnableNetworkIsolation"] is True


@pytest.mark.parametrize(
    ("policy_region", "spelling", "complies"),
    [
        ("us-east-1", "arn:aws:kms:us-east-1:111122223333:alias/ml-data", True),
        ("us-east-1", "arn:aws:kms:eu-west-1:111122223333:alias/ml-data", False),
        ("us-east-1", "arn:aws:kms:us-east-1:999999999999:alias/ml-data", False),
        (None, "arn:aws:kms:us-east-1:111122223333:alias/ml-data", False),
        (None, "alias/ml-data", True),
    ],
)
def test_a_bare_alias_in_the_policy_means_the_policys_own_account_and_region(
    policy_region: str | None, spelling: str, complies: bool
) -> None:
    policy = safeai.Policy(
        execution_role_arn=ROLE,
        kms_key_id="alias/ml-data",
        subnets=["subnet-0a1"],
        security_group_ids=["sg-0c3"],
        region=policy_region,
    )
    request = {"OutputDataConfig": {"S3OutputPath": "s3://b", "KmsKeyId": spelling}}
    if complies:
        safeai.enforce("CreateTrainingJob", request, policy)
    else:
        with pytest.raises(safeai.SecurityViolation):
            safeai.enforce("CreateTrainingJob", request, policy)


def test_a_pipeline_expression_where_a_structure_belongs_is_refused_not_filled() -> None:
    arguments = {"OutputDataConfig": {"Get": "Steps.Prepare.Output"}}
    definition = _pipeline({"Name": "T", "Type": "Training", "Arguments": arguments})
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce(
            "CreatePipeline", {"PipelineDefinition": definition, "RoleArn": ROLE}, POLICY
        )
    assert refused.value.control == "training.output_kms"
    assert refused.value.path == "PipelineDefinition:Steps[T].Arguments.OutputDataConfig"
    assert refused.value.found == {"Get": "Steps.Prepare.Output"}


def test_no_volume_key_for_a_heterogeneous_cluster_with_a_local_storage_group() -> None:
    groups = [
        {"InstanceGroupName": "cpu", "InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        {"InstanceGroupName": "gpu", "InstanceType": "ml.p4d.24xlarge", "InstanceCount": 1},
    ]
    secured, _ = safeai.enforce(
        "CreateTrainingJob", {"ResourceConfig": {"InstanceGroups": groups}}, POLICY
    )
    assert "VolumeKmsKeyId" not in secured["ResourceConfig"]
    ebs_only = [groups[0]]
    secured, _ = safeai.enforce(
        "CreateTrainingJob", {"ResourceConfig": {"InstanceGroups": ebs_only}}, POLICY
    )
    assert secured["ResourceConfig"]["VolumeKmsKeyId"] == KEY


def _resource_policy(principal: object, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sagemaker:InvokeEndpoint",
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize(
    ("operation", "name"),
    [
        ("PutEndpointPolicy", "EndpointName"),
        ("PutModelPackageGroupPolicy", "ModelPackageGroupName"),
    ],
)
@pytest.mark.parametrize(
    ("document", "refused"),
    [
        (_resource_policy({"AWS": "arn:aws:iam::444455556666:root"}), False),
        (_resource_policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), False),
        (_resource_policy("*"), True),
        (_resource_policy({"AWS": ["arn:aws:iam::444455556666:root", "*"]}), True),
        (_resource_policy("*", {"StringLike": {"aws:PrincipalOrgID": "*"}}), True),
        ("{not json", True),
    ],
    ids=["named", "confined", "everyone", "everyone-among-others", "wildcard-condition", "bad"],
)
def test_a_resource_policy_may_not_grant_the_public(
    operation: str, name: str, document: str, refused: bool
) -> None:
    slug = {
        "PutEndpointPolicy": "endpoint.resource_policy",
        "PutModelPackageGroupPolicy": "model_package_group.resource_policy",
    }[operation]
    request = {name: "shared", "ResourcePolicy": document}
    if not refused:
        secured, decisions = safeai.enforce(operation, request, POLICY)
        assert secured == request
        assert [(d.control, d.outcome) for d in decisions] == [(slug, "compliant")]
        return
    with pytest.raises(safeai.SecurityViolation) as found:
        safeai.enforce(operation, request, POLICY)
    assert found.value.control == slug
    assert found.value.path.startswith("ResourcePolicy")
