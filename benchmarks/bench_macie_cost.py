"""What a Macie PII pre-flight costs in API calls and Macie jobs, with the fingerprint cache.

A training prefix of CSV files (a few with personal data) in the offline sandbox (moto in server
mode, in this process, with safeai's Macie emulation), scanned with
``safeai.pii._fingerprint.scan_targets`` and ``MacieScanner`` the way a guarded launch would:

* first launch: an empty cache directory;
* re-launch: a new cache on the same directory (a new process), data unchanged (target: only
  the listing calls, no Macie job);
* one object changed: one file rewritten, then a re-launch (target: one job, scoped to it);
* re-launch without the cache, for comparison: Macie's own findings prove the PII objects, the
  clean ones need a new job.

Requests that leave botocore for ``macie2`` and ``s3`` are counted with
``safeai.testing.RequestRecorder``; "objects in job scope" counts the ``OBJECT_KEY`` values the
``CreateClassificationJob`` requests sent (what Macie would bill for). Macie's jobs take minutes
on AWS; here they complete on the second poll, and the scanner polls every 10 ms.

    python benchmarks/bench_macie_cost.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import _common

if TYPE_CHECKING:
    from collections.abc import Callable

REGION = "us-east-1"
ACCOUNT = "123456789012"
SERVICES = frozenset({"macie2", "s3"})
PEOPLE = "name,ssn,visits\n" + "".join(
    f"user{i},{512 + i}-38-{4471 + i},{i % 9}\n" for i in range(20)
)


@dataclass(frozen=True)
class Plan:
    objects: int
    with_pii: int


FULL = Plan(objects=200, with_pii=5)
QUICK = Plan(objects=20, with_pii=2)


@dataclass(frozen=True)
class Cost:
    calls: Counter[str]
    jobs: int
    scoped: int
    seconds: float
    statuses: Counter[str]


def _measure(action: Callable[[], list[Any]]) -> Cost:
    from safeai.testing import RequestRecorder

    with RequestRecorder(services=SERVICES) as recorder:
        start = time.perf_counter()
        verdicts = action()
        seconds = time.perf_counter() - start
    creates = [r.json() for r in recorder.sent("CreateClassificationJob")]
    scoped = sum(
        len(term["simpleScopeTerm"]["values"])
        for request in creates
        for term in request["s3JobDefinition"]["scoping"]["includes"]["and"]
        if term["simpleScopeTerm"]["key"] == "OBJECT_KEY"
    )
    return Cost(
        calls=Counter(f"{r.service}:{r.operation}" for r in recorder.requests),
        jobs=len(creates),
        scoped=scoped,
        seconds=seconds,
        statuses=Counter(v.status for v in verdicts),
    )


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    plan = QUICK if args.quick else FULL
    _common.ensure_safeai_importable()
    import boto3

    from safeai.pii._fingerprint import VerdictCache, scan_targets
    from safeai.pii._macie import MacieScanner
    from safeai.testing import Sandbox
    from safeai.testing import _macie as macie_emulation

    macie_emulation.install()
    with Sandbox(), tempfile.TemporaryDirectory(prefix="safeai-pii-cache-") as directory:
        session: Any = boto3.Session(region_name=REGION)
        made: dict[str, Any] = {}

        def clients(service: str) -> Any:
            if service not in made:
                made[service] = session.client(service)
            return made[service]

        s3, kms = clients("s3"), clients("kms")
        data, results = f"bench-data-{uuid.uuid4().hex[:8]}", f"bench-macie-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=data)
        s3.create_bucket(Bucket=results)
        key = kms.create_key(Description="Macie discovery results")["KeyMetadata"]["Arn"]
        clients("macie2").put_classification_export_configuration(
            configuration={"s3Destination": {"bucketName": results, "kmsKeyArn": key}}
        )
        for i in range(plan.objects):
            body = PEOPLE if i < plan.with_pii else f"label,f1\n{i},{i * 7 % 13}\n"
            s3.put_object(Bucket=data, Key=f"train/part-{i:04d}.csv", Body=body.encode())
        target = [(data, "train/")]

        def launch(cache: VerdictCache) -> Callable[[], list[Any]]:
            scanner = MacieScanner(poll_initial_s=0.01, poll_max_s=0.01)
            return lambda: scan_targets(target, scanner, clients, cache=cache)

        costs = {
            "first": _measure(launch(VerdictCache(directory))),
            "relaunch": _measure(launch(VerdictCache(directory))),
        }
        s3.put_object(Bucket=data, Key=f"train/part-{plan.objects - 1:04d}.csv", Body=b"l\n1\n")
        costs["changed"] = _measure(launch(VerdictCache(directory)))
        costs["uncached"] = _measure(launch(VerdictCache()))  # in memory, empty

    labels = {
        "first": "first launch (empty cache)",
        "relaunch": "re-launch, data unchanged",
        "changed": "re-launch, one object changed",
        "uncached": "re-launch without the cache",
    }
    print(f"{plan.objects} objects under one prefix, {plan.with_pii} with personal data")
    print()
    _common.print_table(
        ["launch", "API calls", "macie2", "s3", "Macie jobs", "objects in job scope", "ms"],
        [
            [
                labels[name],
                sum(cost.calls.values()),
                sum(n for api, n in cost.calls.items() if api.startswith("macie2:")),
                sum(n for api, n in cost.calls.items() if api.startswith("s3:")),
                cost.jobs,
                cost.scoped,
                round(cost.seconds * 1000),
            ]
            for name, cost in costs.items()
        ],
    )
    print()
    _common.print_table(
        ["first launch calls by API", "count"],
        [[api, n] for api, n in sorted(costs["first"].calls.items())],
    )
    relaunch_ok = costs["relaunch"].jobs == 0 and set(costs["relaunch"].calls) == {
        "s3:ListObjectsV2"
    }
    changed_ok = costs["changed"].jobs == 1 and costs["changed"].scoped == 1
    print()
    print(
        f"re-launch on unchanged data: listing only, no Macie job: {'yes' if relaunch_ok else 'NO'}"
    )
    print(f"after one object changed: one job scoped to it: {'yes' if changed_ok else 'NO'}")
    _common.emit_result(
        {
            "benchmark": "macie_cost",
            "quick": args.quick,
            "objects": plan.objects,
            "objects_with_pii": plan.with_pii,
            **{
                f"{name}_{figure}": value
                for name, cost in costs.items()
                for figure, value in (
                    ("calls", sum(cost.calls.values())),
                    ("jobs", cost.jobs),
                    ("scoped_objects", cost.scoped),
                    ("ms", round(cost.seconds * 1000, 1)),
                    ("statuses", dict(cost.statuses)),
                )
            },
            "first_calls_by_api": dict(sorted(costs["first"].calls.items())),
            "relaunch_lists_only": relaunch_ok,
            "changed_one_scoped_job": changed_ok,
            **_common.machine_info(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
