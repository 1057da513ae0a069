"""Roll safeai out the way platform teams do: report, then warn, then enforce.

Run it offline against the sandbox: ``python -m safeai.testing examples/rollout.py``.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from typing import Any

import boto3

import safeai

# A request an existing pipeline already sends (RoleArn is required, so it has one): no VPC, no
# keys, isolation explicitly off.
LEGACY_JOB: dict[str, Any] = {
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
        "TrainingInputMode": "File",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "EnableNetworkIsolation": False,
    "Tags": [{"Key": "owner", "Value": "ana"}],
}


class PrintAudit(logging.Handler):
    """What a log pipeline would receive: one structured record per guarded call."""

    def emit(self, record: logging.LogRecord) -> None:
        data = getattr(record, "safeai", {})
        if data.get("event") != "request":
            return
        print(f"  audit: mode={data['mode']} outcome={data['outcome']}")
        for decision in data["decisions"]:
            # The path names what was judged: a field, or what it names in AWS (a subnet's
            # route table, the VPC endpoint of one service, ...).
            print(f"    {decision['outcome']:<12} {decision['control']:<35} {decision['path']}")
        for violation in data.get("violations", []):  # what enforce refused
            print(f"    {'refused':<12} {violation['control']:<35} {violation['path']}")


def launch(policy: safeai.Policy, name: str) -> None:
    with safeai.guarded(policy):
        sagemaker: Any = boto3.client("sagemaker")
        sagemaker.create_training_job(
            TrainingJobName=name, RoleArn=policy.execution_role_arn, **LEGACY_JOB
        )


def main() -> None:
    audit = logging.getLogger("safeai.audit")
    audit.setLevel(logging.INFO)
    audit.addHandler(PrintAudit())
    policy = dataclasses.replace(
        safeai.Policy.load(), tags={"cost-center": "ml-42"}, required_tag_keys=("owner",)
    )

    print("week 1, report: the request leaves exactly as written; the log says what would change")
    launch(dataclasses.replace(policy, mode="report"), "legacy-report")

    print("week 2, warn: what is missing is filled in; what enforce would refuse is sent, loudly")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        launch(dataclasses.replace(policy, mode="warn"), "legacy-warn")
    for warning in caught:
        print(f"  {warning.category.__name__}: {str(warning.message).splitlines()[0]}")

    print("week 3, enforce: refused before anything is sent")
    try:
        launch(policy, "legacy-enforce")
    except safeai.SecurityViolation as violation:
        print(f"  refused: {violation.control} at {violation.path}")

    print("tightening control by control: enforce everywhere but isolation, still in warn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", safeai.SecurityWarning)
        launch(dataclasses.replace(policy, modes={"training.network_isolation": "warn"}), "mixed")
    print("  sent")


if __name__ == "__main__":
    main()
