"""What auditing a whole AWS Organization costs: accounts per minute, API calls per resource,
peak memory, and how the time grows with the number of accounts.

Seeds the offline sandbox (moto in server mode, in this process) with an organization of 50
member accounts (``--quick``: 8), each holding 20 SageMaker resources (``--quick``: 4), half of
them compliant: training jobs and models, made through ``OrganizationAccountAccessRole``, which
moto's ``CreateAccount`` creates as AWS does. Then, from cold each time:

* the organization audit, ``accounts="organization"`` (4 accounts at a time), on the first 10,
  25 and all the accounts (the growth curve);
* the baseline, measured in the same run: the same accounts audited one after the other, one
  single-account audit each through the same role, as a loop over accounts would.

Requests are counted as they leave botocore (``RequestRecorder``) and checked against the
report's own count; memory is the peak of Python allocations (``tracemalloc``) during the audit,
the in-process moto server's included. The server shares the process and its two cores with the
audit, so the concurrency gain is smaller here than against AWS, where each call waits on the
network. Times are printed, never asserted.

    python benchmarks/bench_org_audit.py [--quick]
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import _common

if TYPE_CHECKING:
    import safeai
    from safeai._detective import AuditReport

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
TYPES = ("training-job", "model", "iam-user")
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-0000000000ff"


@dataclass(frozen=True)
class Plan:
    accounts: int
    resources: int
    curve: tuple[int, ...]


FULL = Plan(accounts=50, resources=20, curve=(10, 25, 50))
QUICK = Plan(accounts=8, resources=4, curve=(4, 8))


@dataclass(frozen=True)
class Run:
    report: AuditReport
    requests: int
    seconds: float
    peak_bytes: int


def _session(credentials: Any) -> Any:
    import boto3

    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def _member(account: str) -> Any:
    import boto3

    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
    )["Credentials"]
    return _session(credentials)


def _seed(policy: safeai.Policy, plan: Plan) -> list[str]:
    """The organization's member accounts, each with ``plan.resources`` resources."""
    import boto3

    organizations: Any = boto3.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    accounts = [
        organizations.create_account(AccountName=f"ml-{i}", Email=f"ml-{i}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for i in range(plan.accounts)
    ]
    for account in accounts:
        sm = _member(account).client("sagemaker")
        for i in range(plan.resources // 2):
            compliant = i % 2 == 0
            key = policy.kms_key_id if compliant else OTHER_KEY
            sm.create_model(
                ModelName=f"model-{i}",
                ExecutionRoleArn=policy.execution_role_arn,
                PrimaryContainer={"Image": IMAGE},
                VpcConfig={
                    "Subnets": list(policy.subnets),
                    "SecurityGroupIds": list(policy.security_group_ids),
                },
                EnableNetworkIsolation=compliant,
            )
            sm.create_training_job(
                TrainingJobName=f"job-{i}",
                RoleArn=policy.execution_role_arn,
                AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
                OutputDataConfig={"S3OutputPath": "s3://ml-data/out/", "KmsKeyId": key},
                ResourceConfig={
                    "InstanceType": "ml.m5.xlarge",
                    "InstanceCount": 1,
                    "VolumeSizeInGB": 30,
                    "VolumeKmsKeyId": key,
                },
                StoppingCondition={"MaxRuntimeInSeconds": 3600},
            )
    return accounts


def _measured(audit_once: Any) -> Run:
    """One audit from cold for its time and requests, then another for its memory: tracing
    allocations slows the audit (and the in-process server) too much to time the same run."""
    from safeai import preflight
    from safeai.testing import RequestRecorder

    preflight.clear_caches()
    services = frozenset({"sagemaker", "s3", "sts", "iam", "organizations"})
    with RequestRecorder(services=services) as recorder:
        start = time.perf_counter()
        report = audit_once()
        elapsed = time.perf_counter() - start
    preflight.clear_caches()
    tracemalloc.start()
    audit_once()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Run(report, len(recorder.requests), elapsed, peak)


def _organization(policy: safeai.Policy, accounts: list[str] | None) -> Run:
    import boto3

    from safeai._detective import audit

    return _measured(
        lambda: audit(
            boto3.Session(region_name=REGION),
            policy,
            regions=[REGION],
            resource_types=TYPES,
            buckets=False,
            accounts=accounts if accounts is not None else "organization",
            role_name=ROLE,
        )
    )


def _one_by_one(policy: safeai.Policy, accounts: list[str]) -> float:
    """The baseline: a single-account audit per account, in turn, through the same role."""
    from safeai._detective import audit

    start = time.perf_counter()
    for account in accounts:
        audit(_member(account), policy, regions=[REGION], resource_types=TYPES, buckets=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    plan = QUICK if args.quick else FULL
    _common.ensure_safeai_importable()
    from safeai.testing import Sandbox

    with Sandbox() as sandbox:
        policy = sandbox.policy
        start = time.perf_counter()
        accounts = _seed(policy, plan)
        seed_seconds = time.perf_counter() - start
        _organization(policy, accounts[:2])  # warm-up: imports, connection pools
        curve = [(n, _organization(policy, accounts[:n])) for n in plan.curve]
        whole = _organization(policy, None)
        baseline = _one_by_one(policy, accounts)

    report = whole.report
    member_resources = sum(1 for r in report.resources if r.resource_type != "iam-user")
    per_minute = len(report.accounts) / whole.seconds * 60
    calls_per_resource = whole.requests / max(1, len(report.resources))
    print(
        f"{plan.accounts} member accounts x {plan.resources} resources seeded in "
        f"{seed_seconds:.1f} s; organization audit: {len(report.accounts)} accounts, "
        f"{member_resources} SageMaker resources, {len(report.findings)} findings, "
        f"{len(report.errors)} errors, {len(report.unread_accounts)} unread"
    )
    print()
    _common.print_table(
        ["accounts", "seconds", "accounts/min", "API calls", "calls/resource", "peak MiB"],
        [
            [
                n,
                run.seconds,
                n / run.seconds * 60,
                run.requests,
                run.requests / max(1, len(run.report.resources)),
                run.peak_bytes / 2**20,
            ]
            for n, run in curve
        ],
    )
    first_n, first = curve[0]
    last_n, last = curve[-1]
    growth = (last.seconds / first.seconds) / (last_n / first_n)
    print()
    print(
        f"time per account from {first_n} to {last_n} accounts: x{growth:.2f} "
        "(1.00 = linear); peak memory "
        f"{first.peak_bytes / 2**20:.1f} -> {last.peak_bytes / 2**20:.1f} MiB"
    )
    print(
        f"whole organization ({len(report.accounts)} accounts with the management account): "
        f"{whole.seconds:.1f} s, {per_minute:.0f} accounts/min; one audit per account in turn: "
        f"{baseline:.1f} s; organization audit vs one by one: x{baseline / whole.seconds:.2f}"
    )
    print(
        f"requests recorded {whole.requests}, counted by the report {report.api_calls} "
        f"({'equal' if whole.requests == report.api_calls else 'DIFFERENT'})"
    )
    _common.emit_result(
        {
            "benchmark": "org_audit",
            "quick": args.quick,
            "accounts": len(report.accounts),
            "resources": len(report.resources),
            "findings": len(report.findings),
            "errors": len(report.errors),
            "seconds": round(whole.seconds, 3),
            "accounts_per_minute": round(per_minute, 1),
            "api_calls": whole.requests,
            "api_calls_reported": report.api_calls,
            "api_calls_per_resource": round(calls_per_resource, 3),
            "peak_mib": round(whole.peak_bytes / 2**20, 1),
            "curve": [
                {
                    "accounts": n,
                    "seconds": round(run.seconds, 3),
                    "peak_mib": round(run.peak_bytes / 2**20, 1),
                }
                for n, run in curve
            ],
            "time_per_account_growth": round(growth, 2),
            "one_by_one_seconds": round(baseline, 3),
            "speedup_vs_one_by_one": round(baseline / whole.seconds, 2),
            "seed_seconds": round(seed_seconds, 1),
            **_common.machine_info(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
