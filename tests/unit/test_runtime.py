"""Predictions over PrivateLink without AWS: ``runtime.private_link`` judged on a client's endpoint
against EC2 answers given by botocore's Stubber and a stand-in resolver; the registry's
``runtime`` row and what derives from it (``runtime.pii``, the guarded service)."""

from __future__ import annotations

import dataclasses
import socket
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

import safeai
from safeai import _securing, preflight
from safeai._decide import DecisionRouter
from safeai.controls import by_slug, input_family, resource_of, secured_operations, services
from safeai.controls._resources import input_places, pii_families
from safeai.preflight import private_link
from safeai.preflight.private_link import check_private_link
from tests.stubs import stubbed_client

if TYPE_CHECKING:
    from collections.abc import Iterator

    from botocore.stub import Stubber

ACCOUNT = "111122223333"
POLICY = safeai.Policy(
    execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/ml",
    kms_key_id=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1", "subnet-0b2"],
    security_group_ids=["sg-0c3"],
    region="us-east-1",
)
VPC = "vpc-0aa"
ENDPOINT = "vpce-0123456789abcdef0"
SERVICE = "com.amazonaws.us-east-1.sagemaker.runtime"
DEFAULT_HOST = "runtime.sagemaker.us-east-1.amazonaws.com"
VPCE_HOST = f"{ENDPOINT}-abcd1234.runtime.sagemaker.us-east-1.vpce.amazonaws.com"
ENI_ADDRESSES = ("10.20.1.17", "10.20.2.23")


class _Runtime:
    """Just enough of a sagemaker-runtime client: its endpoint and region (held weakly by the
    verdict cache, as a botocore client is)."""

    def __init__(self, endpoint_url: str = f"https://{DEFAULT_HOST}") -> None:
        self.meta = SimpleNamespace(endpoint_url=endpoint_url, region_name="us-east-1")


class _Resolver:
    """A stand-in for socket.getaddrinfo: fixed answers by host, and the hosts it was asked."""

    def __init__(self, answers: dict[str, tuple[str, ...]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in self.answers[host]
        ]


def _endpoint(**overrides: Any) -> dict[str, Any]:
    return {
        "VpcEndpointId": ENDPOINT,
        "VpcEndpointType": "Interface",
        "VpcId": VPC,
        "ServiceName": SERVICE,
        "State": "available",
        "PrivateDnsEnabled": True,
        "NetworkInterfaceIds": ["eni-01", "eni-02"],
        "OwnerId": ACCOUNT,
        **overrides,
    }


@pytest.fixture
def ec2() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("ec2") as stubbed:
        yield stubbed
    preflight.clear_caches()


def _vpc(stubber: Stubber, *endpoints: dict[str, Any]) -> None:
    """The answers of the network reads: the policy's subnets, then their VPC's route tables
    and endpoints."""
    stubber.add_response(
        "describe_subnets",
        {
            "Subnets": [
                {"SubnetId": s, "VpcId": VPC, "AvailabilityZone": f"us-east-1{z}"}
                for s, z in (("subnet-0a1", "a"), ("subnet-0b2", "b"))
            ]
        },
    )
    stubber.add_response("describe_route_tables", {"RouteTables": []})
    stubber.add_response("describe_vpc_endpoints", {"VpcEndpoints": list(endpoints)})


def _interfaces(stubber: Stubber, addresses: tuple[str, ...] = ENI_ADDRESSES) -> None:
    stubber.add_response(
        "describe_network_interfaces",
        {
            "NetworkInterfaces": [
                {
                    "NetworkInterfaceId": f"eni-0{i}",
                    "PrivateIpAddress": address,
                    "PrivateIpAddresses": [{"PrivateIpAddress": address, "Primary": True}],
                }
                for i, address in enumerate(addresses, start=1)
            ]
        },
    )


def _check(
    client: Any, ec2: Any, resolver: Any, policy: safeai.Policy = POLICY
) -> list[safeai.SecurityViolation]:
    return check_private_link(
        client, policy, operation="InvokeEndpoint", ec2=lambda: ec2, resolve=resolver
    )


# -- the catalogue and the registry --------------------------------------------------------------


def test_the_control_is_checked_on_sagemaker_runtime_clients_and_can_be_waived() -> None:
    control = by_slug("runtime.private_link")
    assert control is not None
    assert control.requirement.kind == "client"
    assert control.service == "sagemaker-runtime"
    assert control.waivable
    assert "sagemaker.runtime" in control.remedy
    assert "vpce-" in control.remedy
    assert "sagemaker-runtime" in services(), "the guard attaches to sagemaker-runtime clients"
    with safeai.waive("runtime.private_link", reason="a notebook outside the VPC, until May"):
        pass


def test_the_runtime_row_starts_the_three_invocations_and_names_the_async_input() -> None:
    resource = resource_of("runtime")
    assert resource is not None
    assert resource.service == "sagemaker-runtime"
    assert resource.starts == (
        "InvokeEndpoint",
        "InvokeEndpointAsync",
        "InvokeEndpointWithResponseStream",
    )
    assert resource.creates == resource.updates == resource.changes == ()
    assert resource.unaudited
    assert input_family("InvokeEndpointAsync") == "runtime"
    assert input_family("InvokeEndpoint") is None
    family, places = input_places()["InvokeEndpointAsync"]
    assert (family, [(p.container, p.uri, p.scanned) for p in places]) == (
        "runtime",
        [("", "InputLocation", True)],
    )
    assert resource in pii_families()
    pii = by_slug("runtime.pii")
    assert pii is not None
    assert pii.requirement.kind == "preflight"


def test_the_async_input_location_is_an_s3_input_of_the_runtime_family() -> None:
    from safeai._inputs import s3_inputs

    [found] = s3_inputs(
        "InvokeEndpointAsync",
        {"EndpointName": "e", "InputLocation": "s3://ml-data/requests/r-1.json"},
    )
    assert (found.bucket, found.prefix, found.kind, found.path, found.family) == (
        "ml-data",
        "requests/r-1.json",
        "prefix",
        "InputLocation",
        "runtime",
    )


def test_a_mode_per_control_makes_the_finding_a_warning() -> None:
    [found] = check_private_link(
        _Runtime("https://127.0.0.1:4566"),
        dataclasses.replace(POLICY, subnets=()),
        operation="InvokeEndpoint",
        ec2=lambda: pytest.fail("no subnets: nothing to read"),
    )
    warned = dataclasses.replace(POLICY, modes={"runtime.private_link": "warn"})
    assert DecisionRouter(warned).route([found]) == [found]
    with pytest.raises(safeai.SecurityViolation) as refused:
        DecisionRouter(POLICY).route([found])
    assert refused.value.control == "runtime.private_link"
    waived = dataclasses.replace(POLICY, waivers={"runtime.private_link": "CI, outside any VPC"})
    assert DecisionRouter(waived).route([found]) == []


# -- the private DNS of the VPC's endpoint -------------------------------------------------------


def test_the_default_host_resolving_to_the_endpoints_interfaces_passes(
    ec2: tuple[Any, Stubber],
) -> None:
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    _interfaces(stubber)
    resolver = _Resolver({DEFAULT_HOST: ENI_ADDRESSES})
    assert _check(_Runtime(), client, resolver) == []
    assert resolver.asked == [DEFAULT_HOST]


@pytest.mark.parametrize(
    ("addresses", "said"),
    [
        (("52.94.133.131",), "52.94.133.131 (public)"),
        (("10.20.1.17", "52.94.133.131"), "52.94.133.131 (public)"),
        (("10.99.0.5",), "10.99.0.5 (private, not the endpoint's)"),
    ],
    ids=["public", "one-public-one-endpoint", "another-private-address"],
)
def test_a_host_resolving_anywhere_else_is_refused_naming_host_addresses_and_endpoint(
    ec2: tuple[Any, Stubber], addresses: tuple[str, ...], said: str
) -> None:
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    _interfaces(stubber)
    [found] = _check(_Runtime(), client, _Resolver({DEFAULT_HOST: addresses}))
    assert found.control == "runtime.private_link"
    assert found.operation == "InvokeEndpoint"
    assert found.path == "client endpoint"
    assert found.waivable
    assert str(found.found).startswith(f"{DEFAULT_HOST} resolves to ")
    assert said in str(found.found)
    expected = str(found.expected)
    assert ENDPOINT in expected
    assert SERVICE in expected
    assert VPC in expected
    assert "10.20.1.17, 10.20.2.23" in expected
    assert "vpce-" in found.remedy


def test_a_local_emulator_on_loopback_is_refused_as_loopback(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    _interfaces(stubber)
    [found] = _check(
        _Runtime("https://127.0.0.1:4566"), client, _Resolver({"127.0.0.1": ("127.0.0.1",)})
    )
    assert found.found == "127.0.0.1 (loopback: a local emulator, not AWS)"


def test_a_custom_host_that_resolves_to_the_endpoint_passes(ec2: tuple[Any, Stubber]) -> None:
    # A private hosted zone's alias of the endpoint: the traffic goes through it all the same.
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    _interfaces(stubber)
    resolver = _Resolver({"runtime.ml.internal": ENI_ADDRESSES[:1]})
    assert _check(_Runtime("https://runtime.ml.internal"), client, resolver) == []


@pytest.mark.parametrize(
    ("endpoints", "said"),
    [
        ((), "no available interface endpoint"),
        ((_endpoint(State="pendingAcceptance"),), f"{ENDPOINT} pendingAcceptance"),
        ((_endpoint(ServiceName="com.amazonaws.us-east-1.sagemaker.api"),), "no available"),
        ((_endpoint(VpcEndpointType="Gateway"),), "no available"),
    ],
    ids=["none", "pending", "another-service", "gateway"],
)
def test_a_vpc_without_a_usable_runtime_endpoint_is_refused(
    ec2: tuple[Any, Stubber], endpoints: tuple[dict[str, Any], ...], said: str
) -> None:
    client, stubber = ec2
    _vpc(stubber, *endpoints)
    [found] = _check(_Runtime(), client, _Resolver({DEFAULT_HOST: ("52.94.133.131",)}))
    assert said in str(found.found)
    assert "52.94.133.131 (public)" in str(found.found)


# -- an endpoint-specific DNS name ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [VPCE_HOST, f"{ENDPOINT}-abcd1234-us-east-1a.runtime.sagemaker.us-east-1.vpce.amazonaws.com"],
    ids=["regional", "zonal"],
)
def test_the_dns_name_of_the_vpcs_endpoint_passes_without_dns_or_interfaces(
    ec2: tuple[Any, Stubber], host: str
) -> None:
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    resolver = _Resolver({})
    assert _check(_Runtime(f"https://{host}"), client, resolver) == []
    assert resolver.asked == []


@pytest.mark.parametrize(
    ("host", "endpoint", "said"),
    [
        (
            "vpce-0fedcba9876543210-abcd1234.runtime.sagemaker.us-east-1.vpce.amazonaws.com",
            _endpoint(),
            f"vpce-0fedcba9876543210 is not an interface endpoint of {SERVICE} in {VPC}",
        ),
        (
            f"{ENDPOINT}-abcd1234.runtime.sagemaker.eu-west-1.vpce.amazonaws.com",
            _endpoint(),
            "in eu-west-1, not the policy's region us-east-1",
        ),
        (
            f"{ENDPOINT}-abcd1234.api.sagemaker.us-east-1.vpce.amazonaws.com",
            _endpoint(),
            "an endpoint of another service (api.sagemaker)",
        ),
        (VPCE_HOST, _endpoint(State="deleting"), f"{ENDPOINT} is deleting"),
        (VPCE_HOST, _endpoint(OwnerId="999999999999"), "belongs to account 999999999999"),
    ],
    ids=["another-vpc", "another-region", "another-service", "deleting", "another-account"],
)
def test_the_dns_name_of_any_other_endpoint_is_refused(
    ec2: tuple[Any, Stubber], host: str, endpoint: dict[str, Any], said: str
) -> None:
    client, stubber = ec2
    _vpc(stubber, endpoint)
    [found] = _check(_Runtime(f"https://{host}"), client, _Resolver({}))
    assert str(found.found).startswith(f"{host}: ")
    assert said in str(found.found)


def test_a_policy_without_subnets_has_no_vpc_to_reach_the_endpoint_from() -> None:
    [found] = check_private_link(
        _Runtime(),
        dataclasses.replace(POLICY, subnets=()),
        operation="InvokeEndpointAsync",
        ec2=lambda: pytest.fail("nothing to read"),
        resolve=_Resolver({}),
    )
    assert "names no subnets" in str(found.found)
    assert found.operation == "InvokeEndpointAsync"


def test_subnets_that_do_not_exist_leave_the_vpc_unknown(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    stubber.add_response("describe_subnets", {"Subnets": []})
    [found] = _check(_Runtime(), client, _Resolver({}))
    assert "none of the policy's subnets exists (subnet-0a1, subnet-0b2)" in str(found.found)


# -- fail closed, and once per client per TTL ----------------------------------------------------


def test_ec2_that_cannot_answer_refuses_under_the_control(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    stubber.add_client_error("describe_subnets", "UnauthorizedOperation", http_status_code=403)
    with pytest.raises(safeai.PreflightError) as failed:
        _check(_Runtime(), client, _Resolver({}))
    assert failed.value.control == "runtime.private_link"
    assert "ec2:DescribeVpcEndpoints" in str(failed.value)
    assert "ec2:DescribeNetworkInterfaces" in str(failed.value)


def test_a_host_that_does_not_resolve_refuses_under_the_control(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    with pytest.raises(safeai.PreflightError) as failed:
        _check(_Runtime(), client, _Resolver({}))
    assert failed.value.control == "runtime.private_link"
    assert DEFAULT_HOST in str(failed.value)


def test_without_preflight_nothing_is_read_or_refused() -> None:
    off = dataclasses.replace(POLICY, preflight=False)
    assert (
        check_private_link(
            _Runtime("https://127.0.0.1"),
            off,
            operation="InvokeEndpoint",
            ec2=lambda: pytest.fail("preflight is off"),
            resolve=_Resolver({}),
        )
        == []
    )


def test_a_client_is_judged_once_per_ttl_and_again_after_the_caches_are_cleared(
    ec2: tuple[Any, Stubber],
) -> None:
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    _interfaces(stubber)
    resolver = _Resolver({DEFAULT_HOST: ENI_ADDRESSES})
    runtime = _Runtime()
    made: list[str] = []

    def reader() -> Any:
        made.append("ec2")
        return client

    for _ in range(5):
        assert (
            check_private_link(
                runtime, POLICY, operation="InvokeEndpoint", ec2=reader, resolve=resolver
            )
            == []
        )
    assert (made, resolver.asked) == (["ec2"], [DEFAULT_HOST]), "once, not per call"
    # Another client with the same endpoint is judged on its own; the reads are shared.
    assert (
        check_private_link(
            _Runtime(), POLICY, operation="InvokeEndpoint", ec2=reader, resolve=resolver
        )
        == []
    )
    assert resolver.asked == [DEFAULT_HOST]
    stubber.assert_no_pending_responses()
    preflight.clear_caches()
    _vpc(stubber, _endpoint())
    _interfaces(stubber)
    assert (
        check_private_link(
            runtime, POLICY, operation="InvokeEndpoint", ec2=reader, resolve=resolver
        )
        == []
    )
    assert resolver.asked == [DEFAULT_HOST, DEFAULT_HOST]


def test_a_zero_ttl_judges_every_call(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    fresh = dataclasses.replace(POLICY, preflight_ttl_seconds=0)
    resolver = _Resolver({DEFAULT_HOST: ENI_ADDRESSES})
    for _ in range(2):
        _vpc(stubber, _endpoint())
        _interfaces(stubber)
        assert _check(_Runtime(), client, resolver, fresh) == []
    assert resolver.asked == [DEFAULT_HOST, DEFAULT_HOST]


def test_the_default_resolver_is_looked_up_when_the_check_runs(
    ec2: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = ec2
    _vpc(stubber, _endpoint())
    _interfaces(stubber)
    monkeypatch.setattr(private_link, "getaddrinfo", _Resolver({DEFAULT_HOST: ENI_ADDRESSES}))
    assert (
        check_private_link(_Runtime(), POLICY, operation="InvokeEndpoint", ec2=lambda: client) == []
    )


# -- the guard (awaits the wiring in safeai._securing) -------------------------------------------


def test_a_prediction_is_checked_on_its_client_and_routed_by_the_controls_mode() -> None:
    # InvokeEndpoint has no fields to secure: the guard checks the client alone, as it checks
    # the credentials of a read. InvokeEndpointAsync is secured whole (its input is checked).
    state = _securing.ClientState()
    runtime: Any = _Runtime("https://127.0.0.1:4566")
    # Nothing to read: no VPC to reach, and no role whose account to compare with.
    outside = dataclasses.replace(POLICY, subnets=(), execution_role_arn=None)
    with pytest.raises(safeai.SecurityViolation) as refused:
        _securing.check_signing_credentials(runtime, state, "InvokeEndpoint", {}, outside, {})
    assert refused.value.control == "runtime.private_link"
    warned = dataclasses.replace(outside, modes={"runtime.private_link": "warn"})
    with pytest.warns(safeai.SecurityWarning, match=r"runtime\.private_link"):
        _securing.check_signing_credentials(runtime, state, "InvokeEndpoint", {}, warned, {})
    # Other services' reads are not judged by it.
    _securing.check_signing_credentials(runtime, state, "DescribeModel", {}, outside, {})
    # The client is checked as a secured request's is: its region first.
    runtime.meta.region_name = "eu-west-1"
    with pytest.raises(safeai.SecurityViolation) as refused:
        _securing.check_signing_credentials(runtime, state, "InvokeEndpoint", {}, outside, {})
    assert refused.value.control == "client.region"
    assert "InvokeEndpointAsync" in secured_operations()


def test_safeai_controls_lists_the_private_link_control_for_every_prediction() -> None:
    # Awaits the change in safeai.controls._refusing (it lists the client.* controls only).
    from safeai.controls._refusing import refusing_controls

    for operation in ("InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"):
        where = {r.control.slug: r.checked_on for r in refusing_controls(operation)}
        assert where["runtime.private_link"] == where["client.tls"] == "client", operation
    assert {"runtime.pii", "s3.posture"} <= {
        r.control.slug for r in refusing_controls("InvokeEndpointAsync")
    }
