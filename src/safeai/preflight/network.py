"""The network a request places its workload in: private subnets of one VPC
(``network.private_subnets``), security groups closed to the internet
(``network.security_groups``), and the PrivateLink endpoints that let a private workload reach
AWS (``network.privatelink``).

Four ``ec2:Describe*`` calls answer everything (subnets; the VPC's route tables and endpoints;
the security groups), each cached; the rules are pure functions of their answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from ..controls._resources import hosting_operations
from ._cache import CACHE, fail_closed, judged, scope, violation

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

    from ._cache import Results

__all__ = [
    "HOSTING_OPERATIONS",
    "PRIVATELINK",
    "PRIVATE_SUBNETS",
    "SECURITY_GROUPS",
    "Network",
    "check_network",
    "gateway_status",
    "interface_status",
    "internet_routes",
    "open_ingress",
    "plan_endpoints",
    "read_network",
    "route_table_for",
    "subnet_findings",
]

PRIVATE_SUBNETS = "network.private_subnets"
SECURITY_GROUPS = "network.security_groups"
PRIVATELINK = "network.privatelink"
#: Operations whose subnets host an endpoint: they must span two Availability Zones, or one
#: zone's outage takes the endpoint down.
HOSTING_OPERATIONS = hosting_operations()
_PERMISSIONS = (
    "ec2:DescribeSubnets, ec2:DescribeRouteTables, ec2:DescribeVpcEndpoints and "
    "ec2:DescribeSecurityGroups"
)
_ANYWHERE = frozenset({"0.0.0.0/0", "::/0"})


# -- the rules: pure functions of EC2 answers ------------------------------------------------


def route_table_for(
    subnet_id: str, vpc_id: str, tables: Iterable[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The route table a subnet uses: the one explicitly associated with it, else the VPC's
    main table."""
    main = None
    for table in tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                return table
            if association.get("Main") and table.get("VpcId") == vpc_id:
                main = table
    return main


def internet_routes(table: Mapping[str, Any]) -> list[str]:
    """The routes of a table that send 0.0.0.0/0 or ::/0 to an internet gateway (a NAT gateway
    or an egress-only gateway keeps a subnet private: nothing can connect in)."""
    found = []
    for route in table.get("Routes", []):
        destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
        gateway = str(route.get("GatewayId", ""))
        if destination in _ANYWHERE and gateway.startswith("igw-"):
            found.append(f"{destination} -> {gateway}")
    return found


def subnet_findings(subnet: Mapping[str, Any], table: Mapping[str, Any] | None) -> list[str]:
    """What makes a subnet public: public IPs on launch, or a default route to the internet."""
    findings = []
    if subnet.get("MapPublicIpOnLaunch"):
        findings.append("MapPublicIpOnLaunch is on")
    if table is None:
        findings.append("no route table (neither associated nor a main table)")
    else:
        findings += [f"route {route}" for route in internet_routes(table)]
    return findings


def open_ingress(group: Mapping[str, Any]) -> list[str]:
    """The ingress rules of a security group that accept 0.0.0.0/0 or ::/0."""
    found = []
    for permission in group.get("IpPermissions", []):
        sources = [r.get("CidrIp") for r in permission.get("IpRanges", [])]
        sources += [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
        protocol = str(permission.get("IpProtocol", "-1"))
        ports = (
            "all traffic"
            if protocol == "-1"
            else f"{protocol} {permission.get('FromPort')}-{permission.get('ToPort')}"
        )
        found += [f"ingress {ports} from {source}" for source in sources if source in _ANYWHERE]
    return found


def _available(endpoint: Mapping[str, Any]) -> bool:
    return str(endpoint.get("State", "")).lower() == "available"


def _of_kind(endpoint: Mapping[str, Any], service: str, kind: str) -> bool:
    return (
        endpoint.get("ServiceName") == service
        and str(endpoint.get("VpcEndpointType", "")).lower() == kind
    )


def gateway_status(
    endpoints: Iterable[Mapping[str, Any]], service: str, route_tables: Collection[str]
) -> tuple[list[str], list[str]]:
    """(the available gateway endpoints of ``service`` on any of ``route_tables``, the route
    tables none of them is on)."""
    wanted = set(route_tables)
    used = [
        e
        for e in endpoints
        if _of_kind(e, service, "gateway")
        and _available(e)
        and wanted & set(e.get("RouteTableIds", []))
    ]
    covered = {table for e in used for table in e.get("RouteTableIds", [])}
    return [str(e["VpcEndpointId"]) for e in used], sorted(wanted - covered)


def interface_status(
    endpoints: Iterable[Mapping[str, Any]], service: str
) -> tuple[str | None, str | None]:
    """(an available interface endpoint of ``service`` with private DNS, or None; why there is
    none: ``"missing"`` when the VPC has no interface endpoint of the service at all)."""
    candidates = [e for e in endpoints if _of_kind(e, service, "interface")]
    for endpoint in candidates:
        if _available(endpoint) and endpoint.get("PrivateDnsEnabled"):
            return str(endpoint["VpcEndpointId"]), None
    if not candidates:
        return None, "missing"
    states = ", ".join(
        f"{e.get('VpcEndpointId')} {e.get('State')}, private DNS "
        f"{'on' if e.get('PrivateDnsEnabled') else 'off'}"
        for e in candidates
    )
    return None, f"not usable: {states}"


# -- the I/O -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Vpc:
    route_tables: tuple[dict[str, Any], ...]
    endpoints: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Network:
    """What EC2 says about the subnets and security groups a request names."""

    region: str
    subnets: dict[str, dict[str, Any]]
    missing_subnets: tuple[str, ...]
    vpcs: dict[str, _Vpc]
    groups: dict[str, dict[str, Any]]
    missing_groups: tuple[str, ...]


def _describe(ec2: Any, operation: str, key: str, **kwargs: Any) -> tuple[dict[str, Any], ...]:
    result = ec2.get_paginator(operation).paginate(**kwargs).build_full_result()
    return tuple(result.get(key, []))


def _read_vpc(ec2: Any, vpc: str) -> _Vpc:
    where = [{"Name": "vpc-id", "Values": [vpc]}]
    return _Vpc(
        _describe(ec2, "describe_route_tables", "RouteTables", Filters=where),
        _describe(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=where),
    )


def read_network(
    ec2: Any, subnets: Collection[str], security_groups: Collection[str], *, ttl: float
) -> Network:
    """Describe the subnets, their VPCs' route tables and endpoints, and the security groups.

    Filters rather than id lists, so an id that does not exist is simply absent from the
    answer (an id list fails the whole call on the first unknown id).
    """
    where = scope(ec2)
    found_subnets = CACHE.get(
        ("ec2.subnets", where, frozenset(subnets)),
        ttl,
        lambda: _describe(
            ec2,
            "describe_subnets",
            "Subnets",
            Filters=[{"Name": "subnet-id", "Values": sorted(subnets)}],
        ),
    )
    by_id = {s["SubnetId"]: s for s in found_subnets}
    vpcs = {
        vpc: CACHE.get(("ec2.vpc", where, vpc), ttl, partial(_read_vpc, ec2, vpc))
        for vpc in sorted({s["VpcId"] for s in found_subnets})
    }
    found_groups: tuple[dict[str, Any], ...] = ()
    if security_groups:
        found_groups = CACHE.get(
            ("ec2.groups", where, frozenset(security_groups)),
            ttl,
            lambda: _describe(
                ec2,
                "describe_security_groups",
                "SecurityGroups",
                Filters=[{"Name": "group-id", "Values": sorted(security_groups)}],
            ),
        )
    groups = {g["GroupId"]: g for g in found_groups}
    return Network(
        region=str(ec2.meta.region_name),
        subnets=by_id,
        missing_subnets=tuple(sorted(set(subnets) - set(by_id))),
        vpcs=vpcs,
        groups=groups,
        missing_groups=tuple(sorted(set(security_groups) - set(groups))),
    )


def check_network(
    ec2: Any,
    *,
    subnets: Collection[str],
    subnet_groups: Sequence[Sequence[str]],
    security_groups: Collection[str],
    required_endpoints: Sequence[str],
    operation: str,
    slugs: Collection[str],
    ttl: float,
) -> Results:
    """Check the network controls in ``slugs``: a Decision per subnet, security group and
    endpoint that passes, a SecurityViolation per finding. Subnet groups of a hosting operation
    must span two Availability Zones.

    Raises :class:`safeai.PreflightError` when EC2 cannot answer.
    """
    active = [slug for slug in (PRIVATE_SUBNETS, SECURITY_GROUPS, PRIVATELINK) if slug in slugs]
    if not active or not (subnets or security_groups):
        return []
    with fail_closed(active[0], ", ".join(sorted(subnets)), "the network", _PERMISSIONS):
        network = read_network(ec2, subnets, security_groups, ttl=ttl)
    zones = 2 if operation in HOSTING_OPERATIONS else 1
    results: Results = []
    if PRIVATE_SUBNETS in slugs:
        results += _subnet_results(network, subnet_groups, operation, zones)
    if SECURITY_GROUPS in slugs:
        results += _group_results(network, operation)
    if PRIVATELINK in slugs:
        results += _endpoint_results(network, required_endpoints, operation)
    return results


def _subnet_results(
    network: Network, subnet_groups: Sequence[Sequence[str]], operation: str, zones: int
) -> Results:
    expected = (
        "private subnets of one VPC: no 0.0.0.0/0 or ::/0 route to an internet gateway, "
        "MapPublicIpOnLaunch off"
    )
    results: Results = [
        violation(
            PRIVATE_SUBNETS, operation, f"VpcConfig.Subnets -> {subnet}", "no such subnet", expected
        )
        for subnet in network.missing_subnets
    ]
    if len(network.vpcs) > 1:
        results.append(
            violation(
                PRIVATE_SUBNETS,
                operation,
                "VpcConfig.Subnets",
                f"subnets in {len(network.vpcs)} VPCs: {', '.join(network.vpcs)}",
                expected,
            )
        )
    for group in subnet_groups if zones > 1 else ():
        found = [network.subnets[s] for s in group if s in network.subnets]
        spread = sorted({s["AvailabilityZone"] for s in found})
        if len(found) == len(group) and len(spread) < zones:
            results.append(
                violation(
                    PRIVATE_SUBNETS,
                    operation,
                    "VpcConfig.Subnets",
                    f"{list(group)} in {len(spread)} Availability Zone ({', '.join(spread)})",
                    f"subnets in at least {zones} Availability Zones, so that an endpoint "
                    "survives the loss of one",
                )
            )
    for subnet_id, subnet in sorted(network.subnets.items()):
        vpc = network.vpcs[subnet["VpcId"]]
        table = route_table_for(subnet_id, subnet["VpcId"], vpc.route_tables)
        path = f"VpcConfig.Subnets -> {subnet_id}"
        if table is not None:
            path += f" route table {table['RouteTableId']}"
        results += judged(
            PRIVATE_SUBNETS, operation, path, subnet_id, subnet_findings(subnet, table), expected
        )
    return results


def _group_results(network: Network, operation: str) -> Results:
    expected = "no ingress from 0.0.0.0/0 or ::/0, in the subnets' VPC"
    results: Results = [
        violation(
            SECURITY_GROUPS,
            operation,
            f"VpcConfig.SecurityGroupIds -> {group}",
            "no such security group",
            expected,
        )
        for group in network.missing_groups
    ]
    for group_id, group in sorted(network.groups.items()):
        findings = open_ingress(group)
        if network.vpcs and group.get("VpcId") not in network.vpcs:
            findings.append(f"in {group.get('VpcId')}, not in {', '.join(network.vpcs)}")
        results += judged(
            SECURITY_GROUPS,
            operation,
            f"VpcConfig.SecurityGroupIds -> {group_id}",
            group_id,
            findings,
            expected,
        )
    return results


def _tables_of(network: Network, vpc_id: str) -> list[str]:
    """The route tables the request's subnets in ``vpc_id`` use."""
    vpc = network.vpcs[vpc_id]
    tables = {
        table["RouteTableId"]
        for subnet_id, subnet in network.subnets.items()
        if subnet["VpcId"] == vpc_id
        and (table := route_table_for(subnet_id, vpc_id, vpc.route_tables)) is not None
    }
    return sorted(tables)


def _endpoint_results(network: Network, required: Sequence[str], operation: str) -> Results:
    results: Results = []
    for vpc_id, vpc in network.vpcs.items():
        s3 = f"com.amazonaws.{network.region}.s3"
        used, uncovered = gateway_status(vpc.endpoints, s3, _tables_of(network, vpc_id))
        results += judged(
            PRIVATELINK,
            operation,
            f"VpcConfig.Subnets -> {vpc_id} endpoint {s3}",
            ", ".join(used) or vpc_id,
            [f"no available S3 gateway endpoint on route table {t}" for t in uncovered],
            "an available S3 gateway endpoint on the subnets' route tables",
        )
        for suffix in required:
            service = f"com.amazonaws.{network.region}.{suffix}"
            endpoint, problem = interface_status(vpc.endpoints, service)
            results += judged(
                PRIVATELINK,
                operation,
                f"VpcConfig.Subnets -> {vpc_id} endpoint {service}",
                endpoint or vpc_id,
                [] if problem is None else [f"interface endpoint {problem}"],
                "an available interface endpoint with private DNS",
            )
    return results


def plan_endpoints(
    network: Network, required: Sequence[str], security_groups: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``create_vpc_endpoint`` requests that would give each VPC the endpoints it lacks,
    and the endpoints that exist but are unusable (to fix by hand: creating a second one with
    private DNS would clash with the first).

    Interface endpoints go in one of the request's subnets per Availability Zone (an endpoint
    takes at most one subnet per zone), with ``security_groups``.
    """
    requests: list[dict[str, Any]] = []
    broken: list[str] = []
    for vpc_id, vpc in network.vpcs.items():
        s3 = f"com.amazonaws.{network.region}.s3"
        _used, uncovered = gateway_status(vpc.endpoints, s3, _tables_of(network, vpc_id))
        if uncovered:
            requests.append(
                {
                    "VpcId": vpc_id,
                    "VpcEndpointType": "Gateway",
                    "ServiceName": s3,
                    "RouteTableIds": uncovered,
                }
            )
        by_zone: dict[str, str] = {}
        for subnet_id, subnet in sorted(network.subnets.items()):
            if subnet["VpcId"] == vpc_id:
                by_zone.setdefault(subnet["AvailabilityZone"], subnet_id)
        for suffix in required:
            service = f"com.amazonaws.{network.region}.{suffix}"
            _endpoint, problem = interface_status(vpc.endpoints, service)
            if problem == "missing":
                requests.append(
                    {
                        "VpcId": vpc_id,
                        "VpcEndpointType": "Interface",
                        "ServiceName": service,
                        "SubnetIds": sorted(by_zone.values()),
                        "SecurityGroupIds": list(security_groups),
                        "PrivateDnsEnabled": True,
                    }
                )
            elif problem is not None:
                broken.append(f"{vpc_id} {service}: {problem}")
    return requests, broken
