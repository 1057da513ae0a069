"""Predictions through the guard, on the sandbox: a guarded ``sagemaker-runtime`` client must reach
its endpoint through the policy VPC's interface endpoint (``runtime.private_link``), and an
asynchronous invocation's input is checked like a job's (``runtime.pii``, ``s3.posture``).

The sandbox's endpoint is loopback, not a VPC endpoint: enforce mode refuses it. Where a test
needs the call to pass, the check's resolver answers the sandbox's host with the private address
of the sagemaker.runtime interface endpoint the sandbox provisions in its VPC, as that
endpoint's private DNS would inside the VPC.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import uuid
import warnings
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from safeai.preflight import private_link
from safeai.s3 import secure_bucket
from safeai.testing import RequestRecorder

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safeai._types import PiiScanner
    from safeai.testing import Sandbox

REGION = "us-east-1"
PEOPLE = b"name,ssn,credit_card\nana,512-38-4471,4539 1488 0343 6467\nben,634-21-9087,none\n"
CLEAN = b'{"instances": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]}\n'


@pytest.fixture
def sent() -> Iterator[RequestRecorder]:
    with RequestRecorder(services=frozenset({"sagemaker-runtime"})) as recorder:
        yield recorder


@pytest.fixture
def runtime(sandbox: Sandbox) -> Any:
    """A fresh, unguarded sagemaker-runtime client on the sandbox (endpoint: 127.0.0.1)."""
    return boto3.Session(region_name=REGION).client("sagemaker-runtime")


@pytest.fixture
def endpoint_address(sandbox: Sandbox) -> str:
    """A private address of the sandbox VPC's sagemaker.runtime interface endpoint."""
    ec2 = sandbox.boto_session().client("ec2")
    baseline = sandbox.baseline
    assert baseline is not None
    [endpoint] = ec2.describe_vpc_endpoints(
        Filters=[
            {"Name": "service-name", "Values": [f"com.amazonaws.{REGION}.sagemaker.runtime"]},
            {"Name": "vpc-id", "Values": [baseline.vpc_id]},
        ]
    )["VpcEndpoints"]
    interfaces = ec2.describe_network_interfaces(
        NetworkInterfaceIds=endpoint["NetworkInterfaceIds"]
    )["NetworkInterfaces"]
    return str(interfaces[0]["PrivateIpAddress"])


@pytest.fixture
def inside_the_vpc(
    runtime: Any, endpoint_address: str, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The check resolves the sandbox's host as the endpoint's private DNS would, inside the VPC
    (only the check: the client still connects to the sandbox). The hosts it asked."""
    from urllib.parse import urlsplit

    host = urlsplit(runtime.meta.endpoint_url).hostname
    asked: list[str] = []

    def resolve(name: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append(name)
        if name == host:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (endpoint_address, port))]
        return socket.getaddrinfo(name, port, *args, **kwargs)

    monkeypatch.setattr(private_link, "getaddrinfo", resolve)
    return asked


def _data(sandbox: Sandbox, policy: safeai.Policy, body: bytes, key: str) -> str:
    """An object in a new bucket at the secure baseline; its s3:// location."""
    s3 = sandbox.boto_session().client("s3")
    bucket = f"requests-{uuid.uuid4().hex[:10]}"
    secure_bucket(bucket, client=s3, policy=policy)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=policy.kms_key_id or "",
    )
    return f"s3://{bucket}/{key}"


# -- runtime.private_link -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        (lambda c: c.invoke_endpoint(EndpointName="churn", Body=b"1,2,3"), "InvokeEndpoint"),
        (
            lambda c: c.invoke_endpoint_async(
                EndpointName="churn", InputLocation="s3://safeai-sandbox-ml-data/train/data.csv"
            ),
            "InvokeEndpointAsync",
        ),
        (
            lambda c: c.invoke_endpoint_with_response_stream(EndpointName="churn", Body=b"1"),
            "InvokeEndpointWithResponseStream",
        ),
    ],
    ids=["sync", "async", "stream"],
)
def test_a_call_outside_a_vpc_endpoint_is_refused_in_enforce_mode_and_nothing_is_sent(
    runtime: Any, policy: safeai.Policy, sent: RequestRecorder, call: Any, operation: str
) -> None:
    with safeai.guarded(policy, client=runtime), pytest.raises(safeai.SecurityViolation) as refused:
        call(runtime)
    assert refused.value.control == "runtime.private_link"
    assert refused.value.operation == operation
    assert refused.value.path == "client endpoint"
    message = str(refused.value)
    assert "127.0.0.1 (loopback" in message
    assert f"com.amazonaws.{REGION}.sagemaker.runtime" in message
    assert "vpce-" in message
    assert sent.requests == []


def test_a_process_guard_reaches_runtime_clients_made_after_it(
    sandbox: Sandbox, policy: safeai.Policy, sent: RequestRecorder
) -> None:
    with safeai.guarded(policy):
        made = boto3.Session(region_name=REGION).client("sagemaker-runtime")
        with pytest.raises(safeai.SecurityViolation, match=r"runtime\.private_link"):
            made.invoke_endpoint(EndpointName="churn", Body=b"1,2,3")
    assert sent.requests == []


def test_warn_mode_for_the_control_sends_with_a_warning(
    runtime: Any, policy: safeai.Policy, sent: RequestRecorder
) -> None:
    warned = dataclasses.replace(policy, modes={"runtime.private_link": "warn"})
    with (
        safeai.guarded(warned, client=runtime),
        pytest.warns(safeai.SecurityWarning, match=r"runtime\.private_link") as caught,
    ):
        answer = runtime.invoke_endpoint(EndpointName="churn", Body=b"1,2,3")
    assert answer["Body"].read()
    assert len(sent.sent("InvokeEndpoint")) == 1
    assert "127.0.0.1 (loopback" in str(caught[0].message)


def test_a_waiver_sends_and_is_recorded(
    runtime: Any, policy: safeai.Policy, sent: RequestRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        safeai.guarded(policy, client=runtime),
        safeai.waive("runtime.private_link", reason="a laptop demo against the sandbox"),
    ):
        runtime.invoke_endpoint(EndpointName="churn", Body=b"1,2,3")
    assert len(sent.sent("InvokeEndpoint")) == 1
    [record] = [
        r.safeai  # type: ignore[attr-defined]
        for r in caplog.records
        if getattr(r, "safeai", {}).get("event") == "request"
    ]
    assert record["outcome"] == "waived"
    assert record["operation"] == "InvokeEndpoint"
    assert {"control": "runtime.private_link", "reason": "a laptop demo against the sandbox"} in (
        record["waivers"]
    )


def test_through_the_vpcs_interface_endpoint_the_call_is_sent(
    runtime: Any, policy: safeai.Policy, sent: RequestRecorder, inside_the_vpc: list[str]
) -> None:
    with safeai.guarded(policy, client=runtime), warnings.catch_warnings():
        warnings.simplefilter("error", safeai.SecurityWarning)
        for _ in range(3):
            runtime.invoke_endpoint(EndpointName="churn", Body=b"1,2,3")
    assert len(sent.sent("InvokeEndpoint")) == 3
    assert inside_the_vpc == ["127.0.0.1"], "judged once for the client, not on every call"


def test_a_synchronous_payload_is_sent_unscanned(
    runtime: Any, policy: safeai.Policy, sent: RequestRecorder, inside_the_vpc: list[str]
) -> None:
    # A documented limit (docs/index.md): the guard checks the client and an asynchronous
    # invocation's S3 input, never the payload a call carries itself.
    with safeai.guarded(dataclasses.replace(policy, pii="block"), client=runtime):
        runtime.invoke_endpoint(EndpointName="churn", Body=PEOPLE, ContentType="text/csv")
    assert sent.last("InvokeEndpoint").body == PEOPLE


# -- an asynchronous invocation's input -----------------------------------------------------------


@pytest.mark.parametrize("scanner", ["local", "macie"])
def test_an_async_input_holding_personal_data_is_refused_under_runtime_pii(
    sandbox: Sandbox,
    runtime: Any,
    policy: safeai.Policy,
    sent: RequestRecorder,
    inside_the_vpc: list[str],
    scanner: PiiScanner,
) -> None:
    scanning = dataclasses.replace(policy, pii_scanner=scanner)
    clean = _data(sandbox, policy, CLEAN, "requests/clean.json")
    people = _data(sandbox, policy, PEOPLE, "requests/people.csv")
    with safeai.guarded(scanning, client=runtime):
        runtime.invoke_endpoint_async(EndpointName="churn", InputLocation=clean)
        with pytest.raises(safeai.SecurityViolation) as refused:
            runtime.invoke_endpoint_async(EndpointName="churn", InputLocation=people)
    assert refused.value.control == "runtime.pii"
    assert refused.value.path == "InputLocation"
    message = str(refused.value)
    assert "people.csv" in message
    assert "USA_SOCIAL_SECURITY_NUMBER" in message
    assert "512-38-4471" not in message
    assert [r.headers.get("X-Amzn-SageMaker-InputLocation") for r in sent.requests] == [clean]


def test_an_async_input_in_a_bucket_below_the_baseline_is_refused_under_s3_posture(
    sandbox: Sandbox,
    runtime: Any,
    policy: safeai.Policy,
    sent: RequestRecorder,
    inside_the_vpc: list[str],
) -> None:
    s3 = sandbox.boto_session().client("s3")
    bucket = f"plain-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="requests/r.json", Body=CLEAN)
    with (
        safeai.guarded(dataclasses.replace(policy, pii_scanner="local"), client=runtime),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        runtime.invoke_endpoint_async(
            EndpointName="churn", InputLocation=f"s3://{bucket}/requests/r.json"
        )
    assert "s3.posture" in {refused.value.control, *(v.control for v in refused.value.additional)}
    assert sent.requests == []


def test_a_waiver_of_the_async_inputs_pii_names_that_control(
    sandbox: Sandbox,
    runtime: Any,
    policy: safeai.Policy,
    sent: RequestRecorder,
    inside_the_vpc: list[str],
) -> None:
    people = _data(sandbox, policy, PEOPLE, "requests/people.csv")
    with (
        safeai.guarded(dataclasses.replace(policy, pii_scanner="local"), client=runtime),
        safeai.waive("runtime.pii", reason="synthetic records for a load test", inputs=[people]),
    ):
        runtime.invoke_endpoint_async(EndpointName="churn", InputLocation=people)
    assert len(sent.sent("InvokeEndpointAsync")) == 1
    assert sent.requests[0].headers["X-Amzn-SageMaker-InputLocation"] == people
