"""``safeai network check`` and ``safeai network provision``: the policy's network as preflight
sees it, and the PrivateLink endpoints it lacks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from .._decisions import Decision
from .._exceptions import SafeAIError

if TYPE_CHECKING:
    import argparse

    from .._policy import Policy


def register(commands: Any) -> None:
    """Add ``safeai network check|provision`` to the command parsers."""
    parser = commands.add_parser(
        "network",
        help="check the policy's subnets, security groups and VPC endpoints, or create the "
        "missing endpoints",
        description="Reads the policy (safeai.toml, [tool.safeai] or SAFEAI_* variables) and "
        "checks its network with the credentials and region of the environment.",
    )
    actions = parser.add_subparsers(dest="network_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="report each subnet, security group and endpoint; exit 1 on findings"
    )
    _common_arguments(check)
    check.set_defaults(run=lambda args, out: run_check(out, args))
    provision = actions.add_parser(
        "provision", help="create the missing VPC endpoints (S3 gateway and interface)"
    )
    _common_arguments(provision)
    mode = provision.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="print what would be created")
    mode.add_argument("--apply", action="store_true", help="create it")
    provision.add_argument(
        "--endpoint-security-group",
        action="append",
        metavar="SG",
        help="security group for new interface endpoints (it must allow HTTPS in from the "
        "subnets); default: the policy's security groups",
    )
    provision.set_defaults(run=lambda args, out: run_provision(out, args))


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="policy file (default: found as safeai does)")
    parser.add_argument(
        "--subnet", action="append", metavar="ID", help="check this subnet instead (repeatable)"
    )
    parser.add_argument(
        "--security-group",
        action="append",
        metavar="ID",
        help="check this security group instead (repeatable)",
    )


def _targets(args: argparse.Namespace) -> tuple[Policy, list[str], list[str], Any]:
    """The policy, the subnets and security groups to look at, and an EC2 client."""
    import boto3

    from .._policy import Policy

    policy = Policy.load(args.config)
    subnets = list(args.subnet or policy.subnets)
    groups = list(args.security_group or policy.security_group_ids)
    if not subnets:
        raise SafeAIError("no subnets: set Policy.subnets or pass --subnet")
    ec2 = boto3.Session(region_name=policy.effective_region).client("ec2")
    return policy, subnets, groups, ec2


def run_check(out: TextIO, args: argparse.Namespace) -> int:
    """Print one line per subnet, security group and endpoint; 1 when anything is wrong, 2
    when the check could not run."""
    from ..preflight.network import PRIVATE_SUBNETS, PRIVATELINK, SECURITY_GROUPS, check_network

    try:
        policy, subnets, groups, ec2 = _targets(args)
        # As for a hosting operation, so that the two-Availability-Zone rule is reported too.
        results = check_network(
            ec2,
            subnets=subnets,
            subnet_groups=[tuple(sorted(subnets))],
            security_groups=groups,
            required_endpoints=tuple(policy.required_vpc_endpoints),
            operation="CreateEndpointConfig",
            slugs=(PRIVATE_SUBNETS, SECURITY_GROUPS, PRIVATELINK),
            ttl=0,
        )
    except SafeAIError as error:
        out.write(f"error: {error}\n")
        return 2
    findings = 0
    width = max(len(slug) for slug in (PRIVATE_SUBNETS, SECURITY_GROUPS, PRIVATELINK))
    for result in results:
        if isinstance(result, Decision):
            out.write(f"ok       {result.control:<{width}}  {_place(result.path)}\n")
        else:
            findings += 1
            out.write(
                f"FINDING  {result.control:<{width}}  {_place(result.path)}: {result.found}\n"
            )
    if findings:
        out.write(f"\n{findings} finding(s). `safeai network provision --dry-run` shows the ")
        out.write("endpoints it would create.\n")
        return 1
    out.write(f"\nno findings: {len(results)} checks passed.\n")
    return 0


def _place(path: str) -> str:
    """``VpcConfig.Subnets -> subnet-1 route table rtb-2`` -> ``subnet-1 route table rtb-2``."""
    return path.partition(" -> ")[2] or path


def run_provision(out: TextIO, args: argparse.Namespace) -> int:
    """Print (``--dry-run``) or create (``--apply``) the missing endpoints as JSON; 2 when it
    could not run or AWS refused a creation (what was created before is still reported)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..preflight.network import plan_endpoints, read_network

    try:
        policy, subnets, groups, ec2 = _targets(args)
        network = read_network(ec2, subnets, groups, ttl=0)
    except SafeAIError as error:
        out.write(f"error: {error}\n")
        return 2
    except (BotoCoreError, ClientError) as error:
        out.write(f"error: cannot read the network: {error}\n")
        return 2
    planned, broken = plan_endpoints(
        network, tuple(policy.required_vpc_endpoints), list(args.endpoint_security_group or groups)
    )
    report: dict[str, Any] = {
        "applied": bool(args.apply),
        "missing_subnets": list(network.missing_subnets),
        "planned": planned,
        "created": [],
        "fix_by_hand": broken,
    }
    status = 0
    for request in planned if args.apply else ():
        try:
            answer = ec2.create_vpc_endpoint(**request)["VpcEndpoint"]
        except (BotoCoreError, ClientError) as error:
            report["error"] = f"creating {request['ServiceName']}: {error}"
            status = 2
            break
        report["created"].append({**request, "VpcEndpointId": answer["VpcEndpointId"]})
    out.write(json.dumps(report, indent=2) + "\n")
    return status
