"""What a guard costs per SageMaker call: guarded vs raw ``create_training_job``.

Both clients are real botocore clients. Only the HTTP layer is stubbed: a ``before-send``
handler answers every request with a canned 200 response, so parameter validation,
serialization, signing and response parsing all run as they do against AWS.

* raw: an unguarded client sends the request already secured by hand (the exact bytes the
  guard would send), so the two arms put identical requests on the wire;
* guarded: a client guarded with ``safeai.guard(policy, client=...)`` sends the bare request
  and the guard injects the role, KMS keys, VPC, isolation and transit encryption;
* guarded + audit: the same, with the ``safeai.audit`` logger at INFO (into a NullHandler);
* engine alone: ``safeai.enforce("CreateTrainingJob", request, policy)`` with no botocore.

Raw and guarded batches are interleaved (the order rotates every round) and every call is
timed on its own with ``time.perf_counter_ns``. Figures are printed, never asserted.

    python benchmarks/bench_guard_overhead.py [--quick]
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import _common

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from botocore.awsrequest import AWSPreparedRequest, AWSResponse
    from botocore.client import BaseClient

    import safeai

RATIO_TARGET = 1.10
REGION = "us-east-1"
TRAINING_JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/j"
RESPONSE_BODY = json.dumps({"TrainingJobArn": TRAINING_JOB_ARN}).encode()

POLICY_ARGS: dict[str, Any] = {
    "execution_role_arn": "arn:aws:iam::123456789012:role/ml",
    "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "subnets": ["subnet-0a1", "subnet-0b2"],
    "security_group_ids": ["sg-0c3"],
    "preflight": False,
}

#: A minimal valid CreateTrainingJob request; the guard adds the security fields.
REQUEST: dict[str, Any] = {
    "TrainingJobName": "j",
    "RoleArn": "arn:aws:iam::123456789012:role/ml",
    "AlgorithmSpecification": {
        "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest",
        "TrainingInputMode": "File",
    },
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://bucket/train/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/output/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "HyperParameters": {"epochs": "10", "lr": "0.01"},
}


@dataclass(frozen=True)
class Plan:
    rounds: int
    calls: int
    warmup: int
    engine_batch: int


FULL = Plan(rounds=30, calls=200, warmup=300, engine_batch=2000)
QUICK = Plan(rounds=4, calls=40, warmup=40, engine_batch=300)


# -- the stubbed HTTP layer --------------------------------------------------------------------


class _CannedBody:
    """The ``raw`` of an AWSResponse: botocore reads ``content`` through ``stream()``."""

    __slots__ = ("_body",)

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
    """``before-send`` handler: return a canned CreateTrainingJob answer instead of sending."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    headers = HTTPHeaders.from_dict(
        {
            "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
            "content-type": "application/x-amz-json-1.1",
            "content-length": str(len(RESPONSE_BODY)),
        }
    )
    return AWSResponse(request.url, 200, headers, _CannedBody(RESPONSE_BODY))


def _client() -> Any:
    """A real SageMaker client whose requests never leave the process. (``Any``: its operation
    methods are generated at run time.)"""
    import boto3

    session = boto3.Session(region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    client: BaseClient = session.client("sagemaker")
    # The stubs type event handlers as returning None; a before-send handler may return a response.
    answer: Callable[..., None] = _answer  # type: ignore[assignment]
    client.meta.events.register("before-send.sagemaker", answer)
    return client


def _sent_body(client: Any, request: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body ``client`` puts on the wire for ``request`` (one extra call)."""
    seen: dict[str, Any] = {}

    def capture(request: AWSPreparedRequest, **_: Any) -> None:
        body = request.body
        sent: dict[str, Any] = json.loads(body if isinstance(body, bytes | str) else b"{}")
        seen["body"] = sent

    client.meta.events.register_first("before-send.sagemaker", capture, unique_id="bench.capture")
    try:
        client.create_training_job(**request)
    finally:
        client.meta.events.unregister("before-send.sagemaker", unique_id="bench.capture")
    sent: dict[str, Any] = seen["body"]
    return sent


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Arm:
    """One thing measured: a call, what to do around each batch, and its per-call samples."""

    name: str
    call: Callable[[], object]
    before: Callable[[], None] = lambda: None
    after: Callable[[], None] = lambda: None
    samples_ns: list[int] = field(default_factory=list)
    batch_medians_ns: list[float] = field(default_factory=list)

    def run_batch(self, calls: int) -> None:
        call, clock = self.call, time.perf_counter_ns
        batch: list[int] = []
        self.before()
        try:
            gc.collect()
            for _ in range(calls):
                start = clock()
                call()
                batch.append(clock() - start)
        finally:
            self.after()
        self.samples_ns.extend(batch)
        self.batch_medians_ns.append(_common.median(batch))

    def median_us(self) -> float:
        return _common.median(self.samples_ns) / 1000

    def p90_us(self) -> float:
        return _common.percentile(self.samples_ns, 0.9) / 1000


def _audit_switch() -> tuple[Callable[[], None], Callable[[], None]]:
    """Turn the ``safeai.audit`` logger on (INFO, into a NullHandler) and back off."""
    audit = logging.getLogger("safeai.audit")
    handler = logging.NullHandler()
    level, propagate = audit.level, audit.propagate

    def on() -> None:
        audit.addHandler(handler)
        audit.propagate = False
        audit.setLevel(logging.INFO)

    def off() -> None:
        audit.removeHandler(handler)
        audit.propagate = propagate
        audit.setLevel(level)

    return on, off


def _engine_us_per_call(policy: safeai.Policy, batch: int, rounds: int) -> tuple[float, float]:
    """Median and p90 over ``rounds`` batches of the mean µs per ``safeai.enforce`` call."""
    import safeai

    enforce, clock = safeai.enforce, time.perf_counter_ns
    for _ in range(batch):
        enforce("CreateTrainingJob", REQUEST, policy)
    per_call: list[float] = []
    for _ in range(rounds):
        gc.collect()
        start = clock()
        for _ in range(batch):
            enforce("CreateTrainingJob", REQUEST, policy)
        per_call.append((clock() - start) / batch / 1000)
    return _common.median(per_call), _common.percentile(per_call, 0.9)


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    plan = QUICK if args.quick else FULL
    _common.ensure_safeai_importable()
    import botocore

    import safeai

    policy = safeai.Policy(**POLICY_ARGS)
    secured, decisions = safeai.enforce("CreateTrainingJob", REQUEST, policy)

    raw_client = _client()
    guarded_client = _client()
    handle = safeai.guard(policy, client=guarded_client)

    # Not a speed check: make sure the guard really runs and both arms send the same request.
    raw_body, guarded_body = _sent_body(raw_client, secured), _sent_body(guarded_client, REQUEST)
    if raw_body != guarded_body or "VolumeKmsKeyId" not in guarded_body["ResourceConfig"]:
        print("error: the guarded client did not send the secured request", file=sys.stderr)
        return 1

    audit_on, audit_off = _audit_switch()
    arms = [
        Arm("raw (request secured by hand)", lambda: raw_client.create_training_job(**secured)),
        Arm("guarded", lambda: guarded_client.create_training_job(**REQUEST)),
        Arm(
            "guarded + audit (INFO, NullHandler)",
            lambda: guarded_client.create_training_job(**REQUEST),
            before=audit_on,
            after=audit_off,
        ),
    ]
    raw, guarded, audited = arms

    for arm in arms:  # warm-up: caches, the event emitter's handler lookups, the allocator
        arm.run_batch(plan.warmup)
        arm.samples_ns.clear()
        arm.batch_medians_ns.clear()

    started = time.perf_counter()
    for index in range(plan.rounds):
        shift = index % len(arms)  # rotate the order so no arm always runs first
        for arm in arms[shift:] + arms[:shift]:
            arm.run_batch(plan.calls)
    elapsed = time.perf_counter() - started

    engine_median, engine_p90 = _engine_us_per_call(policy, plan.engine_batch, plan.rounds)
    safeai.unguard(handle)

    ratio = guarded.median_us() / raw.median_us()
    audit_ratio = audited.median_us() / raw.median_us()
    round_ratios = [
        g / r for g, r in zip(guarded.batch_medians_ns, raw.batch_medians_ns, strict=True)
    ]
    overhead_us = guarded.median_us() - raw.median_us()

    print(
        f"create_training_job, stubbed HTTP: {plan.rounds} rounds x {plan.calls} calls per arm, "
        f"interleaved ({elapsed:.1f} s); {len(decisions)} controls applied per request"
    )
    print()
    _common.print_table(
        ["arm", "median us/call", "p90 us/call", "vs raw"],
        [
            [raw.name, raw.median_us(), raw.p90_us(), "1.000"],
            [guarded.name, guarded.median_us(), guarded.p90_us(), f"{ratio:.3f}"],
            [audited.name, audited.median_us(), audited.p90_us(), f"{audit_ratio:.3f}"],
            ["engine alone: safeai.enforce()", engine_median, engine_p90, ""],
        ],
    )
    print()
    verdict = "meets" if ratio <= RATIO_TARGET else "MISSES"
    print(
        f"ratio of medians guarded/raw = {ratio:.3f} ({verdict} the target <= {RATIO_TARGET}); "
        f"guard overhead {overhead_us:.1f} us/call, of which the engine is ~{engine_median:.1f}"
    )
    print(
        f"per-round ratios: min {min(round_ratios):.3f}, median "
        f"{_common.median(round_ratios):.3f}, max {max(round_ratios):.3f}"
    )
    _common.emit_result(
        {
            "benchmark": "guard_overhead",
            "quick": args.quick,
            "rounds": plan.rounds,
            "calls_per_round": plan.calls,
            "raw_median_us": round(raw.median_us(), 2),
            "raw_p90_us": round(raw.p90_us(), 2),
            "guarded_median_us": round(guarded.median_us(), 2),
            "guarded_p90_us": round(guarded.p90_us(), 2),
            "audit_median_us": round(audited.median_us(), 2),
            "audit_p90_us": round(audited.p90_us(), 2),
            "ratio": round(ratio, 4),
            "audit_ratio": round(audit_ratio, 4),
            "round_ratio_median": round(_common.median(round_ratios), 4),
            "overhead_us": round(overhead_us, 2),
            "engine_us_per_call": round(engine_median, 2),
            "engine_p90_us_per_call": round(engine_p90, 2),
            "ratio_target": RATIO_TARGET,
            "meets_target": ratio <= RATIO_TARGET,
            "botocore": botocore.__version__,
            **_common.machine_info(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
