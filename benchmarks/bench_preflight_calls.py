"""What preflight costs in AWS API calls: a cold check of the sandbox baseline, then warm ones.

Runs ``safeai.preflight.verify`` the way the guard does before a ``CreateTrainingJob`` (the
request secured by ``safeai.enforce`` first), against the offline sandbox (moto in server mode,
in this process), and counts the requests that leave botocore for IAM, KMS, EC2 and STS with
``safeai.testing.RequestRecorder``:

* account check: the guard's ``caller_account`` (``sts:GetCallerIdentity``), cold and warm;
* cold: the first check after ``clear_caches()``;
* warm: the same request again, and a ``CreateModel`` naming the same role and network;
* single-flight: four threads checking at once from cold;
* TTL 0: a policy that caches nothing, for comparison.

Then times cold and warm checks (clients made once, as a guard keeps them). Call counts are
exact; times are printed, never asserted.

    python benchmarks/bench_preflight_calls.py [--quick]
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import _common

if TYPE_CHECKING:
    from collections.abc import Callable

    import safeai

REGION = "us-east-1"
SERVICES = frozenset({"iam", "kms", "ec2", "sts"})
THREADS = 4

#: A bare training job: the engine fills in the role, keys and VPC from the policy.
TRAINING: dict[str, Any] = {
    "TrainingJobName": "bench-preflight",
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
        "TrainingInputMode": "File",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}
MODEL: dict[str, Any] = {
    "ModelName": "bench-preflight",
    "PrimaryContainer": {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"},
}


@dataclass(frozen=True)
class Plan:
    rounds: int


FULL = Plan(rounds=15)
QUICK = Plan(rounds=3)


def _factory() -> Callable[[str], Any]:
    """One client per service, made on first use and kept (what a guard does)."""
    import boto3

    session: Any = boto3.Session(region_name=REGION)
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service)
        return made[service]

    return client


def _counted(action: Callable[[], object]) -> Counter[str]:
    """The ``service:Operation`` requests ``action`` sends."""
    from safeai.testing import RequestRecorder

    with RequestRecorder(services=SERVICES) as recorder:
        action()
    return Counter(f"{r.service}:{r.operation}" for r in recorder.requests)


def _median_ms(action: Callable[[], object], before: Callable[[], None], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        before()
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return _common.median(samples)


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    plan = QUICK if args.quick else FULL
    _common.ensure_safeai_importable()
    import safeai
    from safeai import preflight
    from safeai.testing import Sandbox

    with Sandbox() as sandbox:
        policy = sandbox.policy
        training, _ = safeai.enforce("CreateTrainingJob", TRAINING, policy)
        model, _ = safeai.enforce("CreateModel", MODEL, policy)
        clients = _factory()
        for service in ("iam", "kms", "ec2", "sagemaker"):
            clients(service)

        def check(
            params: dict[str, Any], operation: str, with_policy: safeai.Policy
        ) -> list[safeai.Decision]:
            return preflight.verify(clients, operation, params, with_policy)

        def training_check() -> list[safeai.Decision]:
            return check(training, "CreateTrainingJob", policy)

        preflight.clear_caches()
        counts: dict[str, Counter[str]] = {}
        counts["account_cold"] = _counted(
            lambda: preflight.caller_account(clients("sagemaker"), lambda: clients("sts"))
        )
        counts["account_warm"] = _counted(
            lambda: preflight.caller_account(clients("sagemaker"), lambda: clients("sts"))
        )
        counts["cold"] = cold = _counted(training_check)
        decisions = training_check()
        counts["warm"] = _counted(training_check)
        counts["model_warm"] = _counted(lambda: check(model, "CreateModel", policy))

        preflight.clear_caches()

        def concurrent() -> None:
            factories = [_factory() for _ in range(THREADS)]
            for factory in factories:
                for service in ("iam", "kms", "ec2"):
                    factory(service)
            barrier = threading.Barrier(THREADS)

            def one(factory: Callable[[str], Any]) -> None:
                barrier.wait()
                preflight.verify(factory, "CreateTrainingJob", training, policy)

            threads = [threading.Thread(target=one, args=(f,)) for f in factories]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        counts["single_flight"] = _counted(concurrent)
        assert sandbox.baseline is not None
        uncached = sandbox.baseline.policy(preflight_ttl_seconds=0)
        counts["ttl0_first"] = _counted(lambda: check(training, "CreateTrainingJob", uncached))
        counts["ttl0_second"] = _counted(lambda: check(training, "CreateTrainingJob", uncached))

        cold_ms = _median_ms(training_check, preflight.clear_caches, plan.rounds)
        warm_ms = _median_ms(training_check, lambda: None, plan.rounds * 20)

    total = {name: sum(counted.values()) for name, counted in counts.items()}
    print(f"preflight of a sandbox-baseline CreateTrainingJob: {len(decisions)} checks")
    print()
    _common.print_table(
        ["what", "AWS calls"],
        [
            ["account check (guard), cold", total["account_cold"]],
            ["account check (guard), warm", total["account_warm"]],
            ["verify, cold", total["cold"]],
            ["verify, warm (same request)", total["warm"]],
            ["verify, warm (CreateModel, same role and network)", total["model_warm"]],
            [f"verify, {THREADS} threads at once from cold", total["single_flight"]],
            ["verify, TTL 0 (first)", total["ttl0_first"]],
            ["verify, TTL 0 (second)", total["ttl0_second"]],
        ],
    )
    print()
    _common.print_table(
        ["cold calls by API", "count"], [[api, n] for api, n in sorted(cold.items())]
    )
    print()
    print(
        f"time per verify: cold {cold_ms:.1f} ms (median of {plan.rounds}), warm {warm_ms:.3f} "
        f"ms (median of {plan.rounds * 20}); clients made once"
    )
    meets = total["warm"] == 0 and total["model_warm"] == 0
    print(f"second guarded launch makes zero preflight calls: {'yes' if meets else 'NO'}")
    _common.emit_result(
        {
            "benchmark": "preflight_calls",
            "quick": args.quick,
            "account_cold_calls": total["account_cold"],
            "account_warm_calls": total["account_warm"],
            "cold_calls": total["cold"],
            "warm_calls": total["warm"],
            "warm_calls_other_operation": total["model_warm"],
            "single_flight_calls": total["single_flight"],
            "single_flight_threads": THREADS,
            "ttl0_calls": [total["ttl0_first"], total["ttl0_second"]],
            "cold_calls_by_api": dict(sorted(cold.items())),
            "cold_ms": round(cold_ms, 2),
            "warm_ms": round(warm_ms, 4),
            "checks": len(decisions),
            "warm_is_zero": meets,
            **_common.machine_info(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
