"""Rollout modes through the event-hook door, on real botocore clients with the HTTP layer
stubbed: the bytes each client puts on the wire are compared directly."""

from __future__ import annotations

import dataclasses
import json
import logging
import warnings
from typing import TYPE_CHECKING, Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import safeai
from safeai.controls import for_operation, guarded_operations
from safeai.preflight import clear_caches
from tests.strategies import request_for

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"
POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/ml",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1", "subnet-0b2"],
    security_group_ids=["sg-0c3"],
    preflight=False,
    tags={"cost-center": "ml-42"},
)


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class Wire:
    """A botocore SageMaker client whose requests are captured and answered with ``{}``, or
    with the answer given for their operation."""

    def __init__(
        self, answers: dict[str, dict[str, Any]] | None = None, config: Config | None = None
    ) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.answers = answers or {}
        self.client: Any = botocore.session.get_session().create_client(
            "sagemaker",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )
        self.client.meta.events.register("before-send.sagemaker", self._answer)

    def _answer(self, request: Any, event_name: str, **_: Any) -> Any:
        body = request.body if isinstance(request.body, bytes) else b""
        operation = event_name.rsplit(".", 1)[-1]
        self.sent.append((operation, body))
        answer = self.answers.get(operation, {})
        # An answer with "__type" is an error, as the SageMaker JSON protocol sends one.
        status = 400 if "__type" in answer else 200
        return AWSResponse(request.url, status, HTTPHeaders(), _Raw(json.dumps(answer).encode()))

    def call(self, operation: str, request: dict[str, Any]) -> bytes:
        before = len(self.sent)
        getattr(self.client, botocore.xform_name(operation))(**request)
        (sent,) = [body for op, body in self.sent[before:] if op == operation]
        return sent


@pytest.fixture(scope="module")
def raw() -> Wire:
    return Wire()


@pytest.fixture(scope="module")
def reporting() -> Wire:
    """A client guarded in report mode inside each example (guards never outlive a test)."""
    return Wire()


@pytest.fixture
def reported() -> Iterator[Wire]:
    wire = Wire()
    with safeai.guarded(dataclasses.replace(POLICY, mode="report"), client=wire.client):
        yield wire


def _covered() -> list[str]:
    return sorted(
        op
        for op in guarded_operations("sagemaker")
        if op not in ("CreatePipeline", "UpdatePipeline")
    )


@pytest.mark.parametrize("operation", _covered())
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_report_mode_sends_exactly_what_the_caller_wrote(
    operation: str, data: st.DataObject, raw: Wire, reporting: Wire
) -> None:
    request = data.draw(request_for(operation))
    try:
        unguarded = raw.call(operation, json.loads(json.dumps(request, default=str)))
    except botocore.exceptions.ParamValidationError:
        return  # a request botocore itself rejects is no test of the guard
    with safeai.guarded(dataclasses.replace(POLICY, mode="report"), client=reporting.client):
        guarded = reporting.call(operation, json.loads(json.dumps(request, default=str)))
    assert guarded == unguarded


def test_report_mode_records_what_enforce_would_do(reported: Wire, caplog: Any) -> None:
    request = {
        "ModelName": "m",
        "ExecutionRoleArn": "arn:aws:iam::111122223333:role/ml",
        "EnableNetworkIsolation": False,
    }
    with caplog.at_level(logging.INFO, logger="safeai.audit"):
        reported.call("CreateModel", request)
    (record,) = [r.safeai for r in caplog.records if r.name == "safeai.audit"]
    assert record["mode"] == "report"
    assert record["outcome"] == "reported"
    outcomes = {d["control"]: d["outcome"] for d in record["decisions"]}
    assert outcomes == {
        "model.role": "compliant",
        "model.vpc": "would_inject",
        "model.network_isolation": "would_refuse",
        "model.tags": "would_inject",
    }


def test_warn_mode_injects_and_warns_once_per_violation(caplog: Any) -> None:
    wire = Wire()
    request = {
        "ModelName": "m",
        "ExecutionRoleArn": "arn:aws:iam::111122223333:role/other",
        "EnableNetworkIsolation": False,
    }
    with (
        safeai.guarded(dataclasses.replace(POLICY, mode="warn"), client=wire.client),
        warnings.catch_warnings(record=True) as caught,
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        warnings.simplefilter("always")
        sent = json.loads(wire.call("CreateModel", request))
    assert sent["EnableNetworkIsolation"] is False
    assert sent["ExecutionRoleArn"] == "arn:aws:iam::111122223333:role/other"
    assert sent["VpcConfig"]["Subnets"] == ["subnet-0a1", "subnet-0b2"]
    messages = sorted(str(w.message).split(":")[0] for w in caught)
    assert messages == ["model.network_isolation", "model.role"]
    assert all(issubclass(w.category, safeai.SecurityWarning) for w in caught)
    assert issubclass(safeai.SecurityWarning, UserWarning)
    (record,) = [r.safeai for r in caplog.records if r.name == "safeai.audit"]
    assert record["outcome"] == "warned"
    assert {d["control"] for d in record["decisions"] if d["outcome"] == "warned"} == {
        "model.role",
        "model.network_isolation",
    }


def test_a_control_in_enforce_mode_still_refuses_under_a_report_policy() -> None:
    wire = Wire()
    policy = dataclasses.replace(
        POLICY, mode="report", modes={"model.network_isolation": "enforce"}
    )
    with (
        safeai.guarded(policy, client=wire.client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        wire.call("CreateModel", {"ModelName": "m", "EnableNetworkIsolation": False})
    assert refused.value.control == "model.network_isolation"
    assert wire.sent == []


def test_the_region_check_follows_the_policy_mode() -> None:
    wire = Wire()
    elsewhere = dataclasses.replace(POLICY, mode="report", region=None, kms_key_id=None)
    other_region = dataclasses.replace(elsewhere, region="eu-west-1")
    with safeai.guarded(other_region, client=wire.client):
        wire.call("CreateModel", {"ModelName": "m"})
    assert [op for op, _ in wire.sent] == ["CreateModel"]


def test_every_tagged_operation_is_in_the_catalogue() -> None:
    tagged = {
        target.operation
        for op in guarded_operations()
        for control, target in for_operation(op)
        if control.requirement.kind == "tags"
    }
    assert "CreateTrainingJob" in tagged
    assert "CreateEndpoint" in tagged


def test_an_inference_component_is_checked_through_the_model_it_names() -> None:
    wire = Wire()  # answers DescribeModel with {}: a model with no VPC, role or isolation
    with (
        safeai.guarded(POLICY, client=wire.client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        wire.call(
            "CreateInferenceComponent",
            {
                "InferenceComponentName": "ic",
                "EndpointName": "e",
                "VariantName": "v",
                "Specification": {
                    "ModelName": "open-model",
                    "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
                },
            },
        )
    assert refused.value.control.startswith("model.")
    assert refused.value.path.startswith("Specification.ModelName='open-model' -> ")
    assert [op for op, _ in wire.sent] == ["DescribeModel"]


def _inline_component(endpoint: str) -> dict[str, Any]:
    return {
        "InferenceComponentName": "ic",
        "EndpointName": endpoint,
        "VariantName": "v",
        "Specification": {
            "Container": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
        },
    }


#: What an endpoint on a configuration with no role, VPC or isolation answers.
_OPEN_HOSTING: dict[str, dict[str, Any]] = {
    "DescribeEndpoint": {"EndpointConfigName": "open-config"},
    "DescribeEndpointConfig": {"EndpointConfigName": "open-config", "ProductionVariants": []},
}


def _refusals(wire: Wire, operation: str, request: dict[str, Any]) -> list[Any]:
    """Every violation the guard refuses ``request`` for (it must refuse it)."""
    with (
        safeai.guarded(POLICY, client=wire.client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        wire.call(operation, request)
    return [refused.value, *refused.value.additional]


def test_an_inline_container_is_checked_as_a_model_under_its_endpoints_configuration() -> None:
    wire = Wire(_OPEN_HOSTING)
    found = _refusals(wire, "CreateInferenceComponent", _inline_component("open-endpoint"))
    assert sorted(v.control for v in found) == [
        "model.network_isolation",
        "model.role",
        "model.vpc",
    ]
    assert all(
        v.path.startswith(
            "Specification.Container on EndpointName='open-endpoint' "
            "(EndpointConfigName='open-config') -> "
        )
        for v in found
    )
    assert "update the endpoint to a compliant configuration" in found[0].remedy
    assert [op for op, _ in wire.sent] == ["DescribeEndpoint", "DescribeEndpointConfig"]


def _transform_pipeline(model_name: object, *extra_steps: dict[str, Any]) -> dict[str, Any]:
    transform = {
        "ModelName": model_name,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://d/in"}}
        },
        "TransformOutput": {"S3OutputPath": "s3://d/out"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    steps = [*extra_steps, {"Name": "Score", "Type": "Transform", "Arguments": transform}]
    return {
        "PipelineName": "p",
        "RoleArn": POLICY.execution_role_arn,
        "PipelineDefinition": json.dumps({"Version": "2020-12-01", "Steps": steps}),
    }


def test_a_pipeline_step_naming_an_existing_model_is_checked_through_it() -> None:
    wire = Wire()  # DescribeModel answers {}: a model with no role, VPC or isolation
    with (
        safeai.guarded(POLICY, client=wire.client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        wire.call("CreatePipeline", _transform_pipeline("legacy-model"))
    assert refused.value.control.startswith("model.")
    assert refused.value.path.startswith(
        "PipelineDefinition:Steps[Score].Arguments.ModelName='legacy-model' -> "
    )
    assert [op for op, _ in wire.sent] == ["DescribeModel"]


def test_a_pipeline_step_whose_model_is_a_parameter_cannot_be_proven() -> None:
    wire = Wire()
    with (
        safeai.guarded(POLICY, client=wire.client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        wire.call("CreatePipeline", _transform_pipeline({"Get": "Parameters.Model"}))
    assert refused.value.control == "pipeline.steps"
    assert refused.value.path == "PipelineDefinition:Steps[Score].Arguments.ModelName"
    assert wire.sent == []


_MODEL_STEP = {
    "Name": "Make",
    "Type": "Model",
    "Arguments": {"ModelName": "made-here", "PrimaryContainer": {"Image": "img:1"}},
}
_NO_SUCH_MODEL = {"__type": "ValidationException", "message": 'Could not find model "made-here".'}


def test_a_pipeline_step_using_the_model_a_model_step_creates_needs_no_lookup() -> None:
    wire = Wire()
    with safeai.guarded(POLICY, client=wire.client):
        wire.call(
            "CreatePipeline", _transform_pipeline({"Get": "Steps.Make.ModelName"}, _MODEL_STEP)
        )
    assert [op for op, _ in wire.sent] == ["CreatePipeline"]


def test_a_model_name_is_looked_up_even_when_a_model_step_creates_it() -> None:
    # A branch not taken, or a Model step failing on the name, leaves the existing model in use.
    existing = Wire()  # DescribeModel answers {}: an existing model with no role, VPC or isolation
    with safeai.guarded(POLICY, client=existing.client), pytest.raises(safeai.SecurityViolation):
        existing.call("CreatePipeline", _transform_pipeline("made-here", _MODEL_STEP))
    clear_caches()  # the same name, in another (stubbed) account state
    absent = Wire({"DescribeModel": _NO_SUCH_MODEL})
    with safeai.guarded(POLICY, client=absent.client):
        absent.call("CreatePipeline", _transform_pipeline("made-here", _MODEL_STEP))
    assert [op for op, _ in absent.sent] == ["DescribeModel", "CreatePipeline"]
    nobody = Wire({"DescribeModel": _NO_SUCH_MODEL})  # and no Model step creates it
    with safeai.guarded(POLICY, client=nobody.client), pytest.raises(safeai.PreflightError):
        nobody.call("CreatePipeline", _transform_pipeline("made-here"))


def test_another_steps_output_may_name_any_model_and_is_refused() -> None:
    lambda_step = {
        "Name": "Pick",
        "Type": "Lambda",
        "FunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:pick",
        "Arguments": {},
    }
    wire = Wire()
    with (
        safeai.guarded(POLICY, client=wire.client),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        wire.call(
            "CreatePipeline",
            _transform_pipeline({"Get": "Steps.Pick.OutputParameters['model']"}, lambda_step),
        )
    assert refused.value.control == "pipeline.steps"


def test_every_entry_of_specifications_is_checked() -> None:
    wire = Wire(_OPEN_HOSTING)  # DescribeModel answers {}: a model with no role, VPC or isolation
    component = _inline_component("plural-endpoint")
    inline = component.pop("Specification")
    named = {"ModelName": "open-model", "InstanceType": "ml.g5.xlarge"}
    component["Specifications"] = [{**inline, "InstanceType": "ml.g5.xlarge"}, named]
    found = _refusals(wire, "CreateInferenceComponent", component)
    assert {v.path.split(" ", 1)[0] for v in found} == {
        "Specifications[0].Container",
        "Specifications[1].ModelName='open-model'",
    }
    assert "CreateInferenceComponent" not in [op for op, _ in wire.sent]


def test_a_model_and_a_container_in_one_specification_are_both_checked() -> None:
    wire = Wire(_OPEN_HOSTING)  # DescribeModel answers {}: a model with no role, VPC or isolation
    component = _inline_component("both-endpoint")
    component["Specification"]["ModelName"] = "open-model"
    found = _refusals(wire, "CreateInferenceComponent", component)
    assert {v.path.split(" ", 1)[0] for v in found} == {
        "Specification.ModelName='open-model'",
        "Specification.Container",
    }


def test_a_null_model_name_does_not_hide_an_inline_container() -> None:
    wire = Wire(_OPEN_HOSTING, config=Config(parameter_validation=False))
    component = _inline_component("null-endpoint")
    component["Specification"]["ModelName"] = None
    (refused, *_) = _refusals(wire, "CreateInferenceComponent", component)
    assert refused.path.startswith("Specification.Container on EndpointName='null-endpoint'")


def test_an_inline_container_on_a_compliant_configuration_is_sent() -> None:
    config = {
        "EndpointConfigName": "private-config",
        "ExecutionRoleArn": POLICY.execution_role_arn,
        "VpcConfig": {"Subnets": list(POLICY.subnets), "SecurityGroupIds": ["sg-0c3"]},
        "EnableNetworkIsolation": True,
    }
    wire = Wire(
        {
            "DescribeInferenceComponent": {"EndpointName": "private-endpoint"},
            "DescribeEndpoint": {"EndpointConfigName": "private-config"},
            "DescribeEndpointConfig": config,
        }
    )
    with safeai.guarded(POLICY, client=wire.client):
        wire.call("CreateInferenceComponent", _inline_component("private-endpoint"))
        update = _inline_component("ignored")
        del update["EndpointName"], update["VariantName"]
        wire.call("UpdateInferenceComponent", update)
    assert [op for op, _ in wire.sent] == [
        "DescribeEndpoint",
        "DescribeEndpointConfig",
        "CreateInferenceComponent",
        "DescribeInferenceComponent",
        "DescribeEndpoint",  # an endpoint can change configuration: read each time
        "UpdateInferenceComponent",
    ]
