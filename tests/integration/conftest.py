"""Settings and helpers every SageMaker SDK test needs against the sandbox.

The SDK is imported only inside tests, after the settings below are applied. Each recipe runs
through both doors (the ``door`` fixture): an explicit ``SecureSession(policy).sagemaker_session()``
and the process-wide ``safeai.guard(policy)`` with no session at all. Assertions are on the
requests that were sent (``RequestRecorder``) and on the guard's audit records, never on moto's
``Describe*`` answers.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import safeai
from safeai.controls._constraints import broken_constraints

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from safeai.testing import RequestRecorder, Sandbox


def _sdk_version() -> str | None:
    try:
        return version("sagemaker")
    except PackageNotFoundError:
        return None


#: The installed SageMaker Python SDK's version and major version (None: not installed).
VERSION = _sdk_version()
MAJOR = None if VERSION is None else int(VERSION.split(".")[0])
#: What a skip reason says is installed, e.g. "installed sagemaker 3.1.0".
INSTALLED = "sagemaker not installed" if VERSION is None else f"installed sagemaker {VERSION}"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"
#: The sandbox baseline's data bucket (checked against the baseline by the ``door`` fixture).
DATA = "s3://safeai-sandbox-ml-data"

v2_only = pytest.mark.skipif(MAJOR != 2, reason=f"SageMaker SDK v2 API; {INSTALLED}")
v3_only = pytest.mark.skipif(MAJOR != 3, reason=f"SageMaker SDK v3 API; {INSTALLED}")

# The SDK's telemetry sends an unsigned HTTPS request outside boto3 (no network here, and none
# in a private VPC either); the documented opt-out is this SDK configuration setting.
# --8<-- [start:sdk-config]
_SDK_CONFIG = """\
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""
# --8<-- [end:sdk-config]


@pytest.fixture(scope="session", autouse=True)
def _sdk_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    config = Path(tmp_path_factory.mktemp("sagemaker")) / "config.yaml"
    config.write_text(_SDK_CONFIG)
    settings = {
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
        # v3 calls iam:SimulatePrincipalPolicy to validate roles, which moto does not implement.
        "SAGEMAKER_VALIDATE_ROLE": "false",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _aws_would_accept_what_was_sent(recorder: RequestRecorder) -> Iterator[None]:
    """Every SageMaker request a recipe sent breaks no constraint AWS documents (a guard that
    made SDK workflows fail on AWS would be switched off)."""
    yield
    sent = [(r.operation, r.json()) for r in recorder.requests if r.service == "sagemaker"]
    assert broken_constraints(sent) == []


#: An MXNet RecordIO record header: the format built-in image algorithms train on.
RECORDIO = b"\x0a\x23\xd7\xce" + bytes(60)


def put_data(sandbox: Sandbox, policy: safeai.Policy, key: str, body: bytes) -> str:
    """Put ``body`` in the sandbox's data bucket at ``key``, SSE-KMS under the policy's key, as
    data a workflow reads; the ``s3://`` prefix of its folder."""
    assert sandbox.baseline is not None
    sandbox.boto_session().client("s3").put_object(
        Bucket=sandbox.baseline.bucket,
        Key=key,
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=policy.kms_key_id or "",
    )
    return f"s3://{sandbox.baseline.bucket}/{key.rsplit('/', 1)[0]}/"


# -- the two doors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Door:
    """How a recipe is guarded. ``session`` is the SDK session to pass to it: one built by
    ``SecureSession.sagemaker_session()``, or None under the process-wide guard (the SDK then
    builds its own sessions and clients, and the guard must reach them)."""

    name: str
    session: Any = None

    @property
    def boto_session(self) -> Any:
        """The guarded boto3 session behind ``session`` (for sagemaker-core's ``session=``)."""
        return None if self.session is None else self.session.boto_session


def telemetry_opted_out(session: Any) -> bool:
    modules = session.sagemaker_config["SageMaker"]["PythonSDK"]["Modules"]
    return modules["TelemetryOptOut"] is True


# --8<-- [start:doors]
@pytest.fixture(params=["secure-session", "guard"])
def door(request: pytest.FixtureRequest, sandbox: Sandbox, policy: safeai.Policy) -> Iterator[Door]:
    assert sandbox.baseline is not None
    assert f"s3://{sandbox.baseline.bucket}" == DATA
    if request.param == "secure-session":
        with safeai.SecureSession(policy) as secure:
            session = secure.sagemaker_session()
            assert telemetry_opted_out(session)
            yield Door(request.param, session)
    else:
        with safeai.guarded(policy):
            yield Door(request.param)


# --8<-- [end:doors]


@pytest.fixture
def role(policy: safeai.Policy) -> str:
    """The policy's execution role, which the recipes pass to the SDK as users do."""
    assert policy.execution_role_arn is not None
    return policy.execution_role_arn


# -- what a secured request holds ------------------------------------------------------------------


def secured_fields(operation: str, policy: safeai.Policy) -> dict[str, Any]:
    """The fields (dotted paths) a request of ``operation`` must carry under ``policy``, as this
    test suite expects them (stated here, not read from safeai's catalogue)."""
    role, key = policy.execution_role_arn, policy.kms_key_id
    vpc = {"Subnets": list(policy.subnets), "SecurityGroupIds": list(policy.security_group_ids)}
    job = {
        "RoleArn": role,
        "VpcConfig": vpc,
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "OutputDataConfig.KmsKeyId": key,
    }
    table: dict[str, dict[str, Any]] = {
        "CreateTrainingJob": {**job, "ResourceConfig.VolumeKmsKeyId": key},
        "CreateHyperParameterTuningJob": {f"TrainingJobDefinition.{p}": v for p, v in job.items()},
        "CreateProcessingJob": {
            "RoleArn": role,
            "NetworkConfig.VpcConfig": vpc,
            "NetworkConfig.EnableNetworkIsolation": True,
            "NetworkConfig.EnableInterContainerTrafficEncryption": True,
            "ProcessingOutputConfig.KmsKeyId": key,
            "ProcessingResources.ClusterConfig.VolumeKmsKeyId": key,
        },
        # VPC and isolation of a transform job are its model's (checked on CreateModel).
        "CreateTransformJob": {
            "TransformOutput.KmsKeyId": key,
            "TransformResources.VolumeKmsKeyId": key,
        },
        "CreateModel": {"ExecutionRoleArn": role, "VpcConfig": vpc, "EnableNetworkIsolation": True},
        "CreateEndpointConfig": {"KmsKeyId": key},
        # An endpoint's security is its endpoint configuration's (and their models').
        "CreateEndpoint": {},
        "CreatePipeline": {"RoleArn": role},
        "UpdatePipeline": {"RoleArn": role},
    }
    return table[operation]


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body.get(part) if isinstance(body, dict) else None
    return body


def expect_secured(operation: str, body: Mapping[str, Any], policy: safeai.Policy) -> None:
    """Assert that ``body``, a request of ``operation`` as sent, holds every control."""
    fields = secured_fields(operation, policy)
    if operation == "CreateHyperParameterTuningJob":
        # v2 sends HyperParameterTuningResourceConfig, v3 ResourceConfig.
        definition = body["TrainingJobDefinition"]
        resources = next(
            name
            for name in ("HyperParameterTuningResourceConfig", "ResourceConfig")
            if name in definition
        )
        fields[f"TrainingJobDefinition.{resources}.VolumeKmsKeyId"] = policy.kms_key_id
    wrong = {path: _at(body, path) for path, value in fields.items() if _at(body, path) != value}
    assert not wrong, f"{operation} was sent without its controls, found {wrong}"


#: Pipeline step type -> the operation whose request its ``Arguments`` hold.
STEP_OPERATIONS = {
    "Training": "CreateTrainingJob",
    "Processing": "CreateProcessingJob",
    "Transform": "CreateTransformJob",
    "Tuning": "CreateHyperParameterTuningJob",
    "Model": "CreateModel",
}


def expect_pipeline_secured(
    body: Mapping[str, Any], policy: safeai.Policy, steps: Mapping[str, str]
) -> None:
    """Assert that a CreatePipeline/UpdatePipeline request as sent runs as the policy's role and
    that its definition holds exactly ``steps`` (name -> type), each secured."""
    expect_secured("CreatePipeline", body, policy)
    definition = json.loads(body["PipelineDefinition"])
    sent = {step["Name"]: step for step in definition["Steps"]}
    assert {name: step["Type"] for name, step in sent.items()} == dict(steps)
    for step in sent.values():
        expect_secured(STEP_OPERATIONS[step["Type"]], step["Arguments"], policy)


# -- what the guard saw ----------------------------------------------------------------------------


class Audit(logging.Handler):
    """The guard's request records (``safeai.audit`` logger), kept while the test runs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        data = getattr(record, "safeai", None)
        if isinstance(data, dict) and data.get("event") == "request":
            self.records.append(data)

    def outcomes(self, operation: str) -> list[str]:
        return [r["outcome"] for r in self.records if r["operation"] == operation]


@pytest.fixture
def audit() -> Iterator[Audit]:
    logger = logging.getLogger("safeai.audit")
    handler, level = Audit(), logger.level
    logger.setLevel(logging.INFO)  # the guard builds records only when INFO is enabled
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def expect_sent_secured(
    recorder: RequestRecorder, audit: Audit, policy: safeai.Policy, *operations: str
) -> dict[str, dict[str, Any]]:
    """Assert that each of ``operations`` was sent once, secured, through a guarded client (the
    guard recorded it as secured: an unguarded client writes no audit record). Returns the
    bodies sent, by operation."""
    sent: dict[str, dict[str, Any]] = {}
    for operation in operations:
        requests = recorder.sent(operation)
        assert len(requests) == 1, f"{operation} was sent {len(requests)} times"
        sent[operation] = requests[0].json()
        expect_secured(operation, sent[operation], policy)
        assert audit.outcomes(operation) == ["secured"], f"{operation} passed no guard"
    return sent


def expect_nothing_created(recorder: RequestRecorder) -> None:
    created = [r.operation for r in recorder.requests if r.operation.startswith("Create")]
    assert created == [], f"sent although refused: {created}"


# -- where moto answers in a shape the SDK rejects -------------------------------------------------


@contextmanager
def moto_data_capture_answer() -> Iterator[None]:
    """sagemaker-core reads a resource back right after creating it. moto answers
    ``DescribeEndpointConfig`` and ``DescribeEndpoint`` with ``"DataCaptureConfig": {}``, which
    sagemaker-core's models reject (pydantic: required fields missing). The Create request was
    sent (and recorded) before; only that one validation error is let through."""
    from pydantic import ValidationError

    try:
        yield
    except ValidationError as error:
        if any(e["loc"][0] != "data_capture_config" for e in error.errors()):
            raise
