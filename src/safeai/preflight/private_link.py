"""Predictions over PrivateLink (``runtime.private_link``): a guarded ``sagemaker-runtime`` client
reaches its endpoint through an interface VPC endpoint of the policy's VPC.

The client passes when its endpoint's host is

* an endpoint-specific DNS name, ``vpce-<id>-<suffix>[-<zone>].runtime.sagemaker.<region>.vpce.
  amazonaws.com``, of an available interface endpoint of ``com.amazonaws.<region>.sagemaker.
  runtime`` in the VPC of the policy's subnets (in the policy's region); or
* any other name (the default ``runtime.sagemaker.<region>.amazonaws.com``, answered by the
  endpoint's private DNS inside the VPC) that resolves **only** to private addresses of the
  network interfaces of such an endpoint.

Anything else (a public address, a custom host that resolves elsewhere, a local emulator on
loopback) is a violation that names the host, what it resolved to and the addresses it should
have resolved to. What EC2 says is read with the cached reads of :mod:`.network` (the subnets,
then the VPC's endpoints, one ``DescribeVpcEndpoints`` filtered by VPC, shared with
``network.privatelink``) and one ``DescribeNetworkInterfaces`` of the endpoint's interfaces; an
EC2 or DNS failure refuses (fail closed, :class:`safeai.PreflightError`).

The verdict is kept in the preflight cache per client and policy for the policy's
``preflight_ttl_seconds``: a client is judged once per TTL, not on every call, and
``safeai.preflight.clear_caches()`` forgets it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import weakref
from dataclasses import dataclass
from functools import partial
from socket import getaddrinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._exceptions import PreflightError, SecurityViolation
from ..controls.runtime import PRIVATE_LINK
from ._cache import CACHE, fail_closed, scope
from .network import read_network

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping

    from .._policy import Policy

    #: ``socket.getaddrinfo``, or a stand-in with its signature and answers.
    Resolver = Callable[..., Iterable[tuple[Any, ...]]]

__all__ = ["Finding", "check_private_link", "judge_private_link", "runtime_service"]

SLUG = PRIVATE_LINK.slug
#: Where the violation says the problem is: the client's endpoint, not a request field.
PATH = "client endpoint"
_PERMISSIONS = (
    "ec2:DescribeSubnets, ec2:DescribeRouteTables, ec2:DescribeVpcEndpoints and "
    "ec2:DescribeNetworkInterfaces"
)
#: An endpoint-specific DNS name of an interface VPC endpoint, regional or zonal
#: (``vpce-0a1b…-abcd1234[-us-east-1a].runtime.sagemaker.us-east-1.vpce.amazonaws.com``).
_VPCE_HOST = re.compile(
    r"^(?P<id>vpce-[0-9a-f]+)-[a-z0-9]+(?:-[a-z0-9-]+)?\.(?P<service>[a-z0-9.-]+?)"
    r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.vpce\.amazonaws\.com(?:\.cn)?$"
)
#: How the service appears in an endpoint-specific DNS name (``runtime.sagemaker``).
_DNS_SERVICE = "runtime.sagemaker"


def runtime_service(region: str) -> str:
    """The PrivateLink service name of SageMaker Runtime in ``region``."""
    return f"com.amazonaws.{region}.sagemaker.runtime"


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a client does not reach its endpoint through PrivateLink: what was found (the host
    and what it resolved to) and what was expected (the endpoint and its addresses)."""

    found: str
    expected: str


def check_private_link(
    client: Any,
    policy: Policy,
    *,
    operation: str,
    ec2: Callable[[], Any],
    resolve: Resolver | None = None,
) -> list[SecurityViolation]:
    """``runtime.private_link`` on a guarded ``sagemaker-runtime`` ``client`` under ``policy``:
    one violation (for ``operation``, at ``client endpoint``) when the client does not reach
    its endpoint through an interface VPC endpoint of the policy's VPC, else none; none when
    ``policy.preflight`` is off (the check reads EC2).

    ``ec2()`` returns an EC2 client with the caller's credentials and region, called only when
    the verdict is not cached. ``resolve`` resolves a host name like :func:`socket.getaddrinfo`
    (the default, looked up in this module when the check runs). The verdict is cached per
    client and policy for ``policy.preflight_ttl_seconds`` in the preflight cache.

    Raises :class:`safeai.PreflightError` (filed under ``runtime.private_link``) when EC2 or DNS
    cannot answer: fail closed, unless the control's mode is warn or report.
    """
    if not policy.preflight:
        return []
    resolver = getaddrinfo if resolve is None else resolve
    # The client itself (held weakly: a dead client's entry is never found again and ages out),
    # the policy and the resolver decide the verdict.
    key = (SLUG, weakref.ref(client), policy, resolver)
    finding = CACHE.get(
        key,
        float(policy.preflight_ttl_seconds),
        partial(judge_private_link, client, policy, ec2=ec2, resolve=resolver),
    )
    if finding is None:
        return []
    return [
        SecurityViolation(
            control=SLUG,
            operation=operation,
            path=PATH,
            found=finding.found,
            expected=finding.expected,
            remedy=PRIVATE_LINK.remedy,
            waivable=PRIVATE_LINK.waivable,
        )
    ]


def judge_private_link(
    client: Any, policy: Policy, *, ec2: Callable[[], Any], resolve: Resolver
) -> Finding | None:
    """The uncached verdict of :func:`check_private_link`: None when the client passes."""
    parts = urlsplit(str(client.meta.endpoint_url))
    host = (parts.hostname or "").lower()
    region = policy.effective_region or str(client.meta.region_name)
    service = runtime_service(region)
    if not policy.subnets:
        return Finding(
            f"{host}: the policy names no subnets, so it has no VPC to reach the endpoint from",
            f"an interface VPC endpoint of {service} in the VPC of Policy.subnets",
        )
    reader = ec2()
    found = _endpoints(reader, host, policy, service)
    if isinstance(found, Finding):
        return found
    vpcs, endpoints = found
    where = f"{service} in {', '.join(vpcs)}"
    named = _VPCE_HOST.match(host)
    if named is not None:
        return _judge_vpce_host(host, named, region, policy, endpoints, where)
    usable = [e for e in endpoints if _available(e)]
    addresses = _resolved(host, parts.port or 443, resolve, float(policy.preflight_ttl_seconds))
    if not usable:
        return Finding(
            f"{_described_host(host, addresses, frozenset())}, and the VPC has no "
            f"available interface endpoint of {service}"
            + (f" ({_states(endpoints)})" if endpoints else ""),
            f"an available interface VPC endpoint of {where} with private DNS, reached through "
            "its private DNS name or its vpce-... DNS name",
        )
    private = _interface_addresses(reader, usable, float(policy.preflight_ttl_seconds))
    if addresses and set(addresses) <= private:
        return None
    ids = ", ".join(str(e.get("VpcEndpointId")) for e in usable)
    return Finding(
        _described_host(host, addresses, private),
        f"the interface VPC endpoint {ids} of {where}: a host that resolves only to its "
        f"addresses ({', '.join(sorted(private)) or 'none listed'}: its private DNS, inside the "
        f"VPC) or its DNS name https://vpce-...{_DNS_SERVICE}.{region}.vpce.amazonaws.com",
    )


def _judge_vpce_host(
    host: str,
    named: re.Match[str],
    region: str,
    policy: Policy,
    endpoints: list[Mapping[str, Any]],
    where: str,
) -> Finding | None:
    """The verdict on an endpoint-specific DNS name: an available endpoint of SageMaker
    Runtime, of the policy's region, in the policy's VPC (and account)."""
    endpoint_id = named["id"]
    problems: list[str] = []
    if named["service"] != _DNS_SERVICE:
        problems.append(f"an endpoint of another service ({named['service']})")
    if named["region"] != region:
        problems.append(f"in {named['region']}, not the policy's region {region}")
    endpoint = next((e for e in endpoints if e.get("VpcEndpointId") == endpoint_id), None)
    if endpoint is None:
        problems.append(f"{endpoint_id} is not an interface endpoint of {where}")
    else:
        if not _available(endpoint):
            problems.append(f"{endpoint_id} is {endpoint.get('State')}")
        owner = endpoint.get("OwnerId")
        if policy.account_id and owner and owner != policy.account_id:
            problems.append(f"{endpoint_id} belongs to account {owner}")
    if not problems:
        return None
    return Finding(
        f"{host}: {'; '.join(problems)}",
        f"the DNS name of an available interface VPC endpoint of {where}",
    )


# -- what EC2 says ------------------------------------------------------------------------------


def _endpoints(
    ec2: Any, host: str, policy: Policy, service: str
) -> tuple[list[str], list[Mapping[str, Any]]] | Finding:
    """(the VPCs of the policy's subnets, their interface endpoints of ``service``), read with
    :mod:`.network`'s cached reads; a Finding when none of the subnets exists."""
    ttl = float(policy.preflight_ttl_seconds)
    with fail_closed(SLUG, host, "the VPC endpoints the client must reach", _PERMISSIONS):
        network = read_network(ec2, policy.subnets, (), ttl=ttl)
    if not network.vpcs:
        return Finding(
            f"{host}: none of the policy's subnets exists ({', '.join(network.missing_subnets)}), "
            "so its VPC is unknown",
            f"an interface VPC endpoint of {service} in the VPC of Policy.subnets",
        )
    endpoints: list[Mapping[str, Any]] = [
        endpoint
        for vpc in network.vpcs.values()
        for endpoint in vpc.endpoints
        if endpoint.get("ServiceName") == service
        and str(endpoint.get("VpcEndpointType", "")).lower() == "interface"
    ]
    return sorted(network.vpcs), endpoints


def _interface_addresses(
    ec2: Any, endpoints: Iterable[Mapping[str, Any]], ttl: float
) -> frozenset[str]:
    """The private IPv4 and IPv6 addresses of the endpoints' network interfaces (cached)."""
    interfaces = frozenset(
        str(eni) for endpoint in endpoints for eni in endpoint.get("NetworkInterfaceIds", [])
    )
    if not interfaces:
        return frozenset()

    def read() -> tuple[dict[str, Any], ...]:
        pages = ec2.get_paginator("describe_network_interfaces").paginate(
            Filters=[{"Name": "network-interface-id", "Values": sorted(interfaces)}]
        )
        return tuple(pages.build_full_result().get("NetworkInterfaces", []))

    with fail_closed(SLUG, ", ".join(sorted(interfaces)), "the addresses", _PERMISSIONS):
        found = CACHE.get(("ec2.interfaces", scope(ec2), interfaces), ttl, read)
    addresses: set[str] = set()
    for interface in found:
        addresses.update(
            str(a["PrivateIpAddress"])
            for a in interface.get("PrivateIpAddresses", [])
            if a.get("PrivateIpAddress")
        )
        if interface.get("PrivateIpAddress"):
            addresses.add(str(interface["PrivateIpAddress"]))
        addresses.update(
            str(a["Ipv6Address"])
            for a in interface.get("Ipv6Addresses", [])
            if a.get("Ipv6Address")
        )
    return frozenset(_normal(address) for address in addresses)


def _available(endpoint: Mapping[str, Any]) -> bool:
    return str(endpoint.get("State", "")).lower() == "available"


def _states(endpoints: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"{e.get('VpcEndpointId')} {e.get('State')}" for e in endpoints)


# -- what DNS says ------------------------------------------------------------------------------


def _resolved(host: str, port: int, resolve: Resolver, ttl: float) -> tuple[str, ...]:
    """The addresses ``host`` resolves to, sorted (cached for ``ttl``)."""

    def ask() -> tuple[str, ...]:
        try:
            answers = resolve(host, port, type=socket.SOCK_STREAM)
        except OSError as error:  # socket.gaierror and kin: the name cannot be looked up
            raise PreflightError(
                f"cannot resolve {host} to check that it is an interface VPC endpoint "
                f"({error}); the request was refused (fail closed). Waive {SLUG} with a reason "
                "to call it anyway",
                control=SLUG,
                resource=host,
            ) from error
        return tuple(sorted({_normal(str(answer[4][0])) for answer in answers}))

    return CACHE.get(("dns", host, port, resolve), ttl, ask)


def _normal(address: str) -> str:
    """An address in its canonical form, without an IPv6 zone (``fe80::1%eth0``)."""
    try:
        return str(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return address


def _described_host(host: str, addresses: Collection[str], endpoint: Collection[str]) -> str:
    """``runtime.sagemaker.us-east-1.amazonaws.com resolves to 52.94.1.1 (public)``, or for an
    address given as the host, ``127.0.0.1 (loopback: ...)``."""
    if tuple(addresses) == (_normal(host.strip("[]")),):
        return _described(addresses, endpoint)
    return f"{host} resolves to {_described(addresses, endpoint)}"


def _described(addresses: Collection[str], endpoint: Collection[str]) -> str:
    """``127.0.0.1 (loopback), 52.94.1.1 (public)``: each address and what kind it is."""
    if not addresses:
        return "no address"
    return ", ".join(f"{address} ({_kind(address, endpoint)})" for address in addresses)


def _kind(address: str, endpoint: Collection[str]) -> str:
    if address in endpoint:
        return "the endpoint's"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "not an address"
    if parsed.is_loopback:
        return "loopback: a local emulator, not AWS"
    if parsed.is_private:
        return "private, not the endpoint's"
    return "public"
