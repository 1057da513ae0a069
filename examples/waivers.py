"""Waive one control, with a written reason, for one block of code; the waiver is audited.

Run it offline against the sandbox: ``python -m safeai.testing examples/waivers.py``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import boto3

import safeai

TRAINING_JOB: dict[str, Any] = {
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
        "TrainingInputMode": "File",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "EnableNetworkIsolation": False,  # the container installs packages at start-up
}


class PrintWaivers(logging.Handler):
    """Print the waivers of each audit record (a real setup ships the records to a SIEM)."""

    def emit(self, record: logging.LogRecord) -> None:
        audit = getattr(record, "safeai", {})
        if audit.get("event") == "waiver":
            print(f"  audit: waiver granted: {audit['control']}: {audit['reason']}")
        for waiver in audit.get("waivers", []):
            print(f"  audit: {audit['operation']} sent under waiver {waiver['control']}")


def main() -> None:
    audit = logging.getLogger("safeai.audit")
    audit.setLevel(logging.INFO)
    audit.addHandler(PrintWaivers())

    policy = safeai.Policy.load()
    with safeai.guarded(policy):
        sagemaker = boto3.client("sagemaker")

        # 1. Without a waiver the request is refused.
        try:
            sagemaker.create_training_job(TrainingJobName="churn-1", **TRAINING_JOB)
        except safeai.SecurityViolation as violation:
            print("refused:", violation.control)

        # 2. A waiver in code covers this thread (or asyncio task) inside the block only.
        with safeai.waive("training.network_isolation", reason="pip at start-up; INC-4711"):
            sagemaker.create_training_job(TrainingJobName="churn-2", **TRAINING_JOB)
        job = sagemaker.describe_training_job(TrainingJobName="churn-2")
        print("churn-2 network isolation:", job["EnableNetworkIsolation"])
        print("churn-2 subnets:", job["VpcConfig"]["Subnets"])  # other controls still apply

    # 3. A waiver in the policy (safeai.toml [waivers]) covers every request it guards.
    waived = dataclasses.replace(
        policy, waivers={"training.network_isolation": "legacy image until Q3; RISK-52"}
    )
    session = boto3.Session()
    with safeai.guarded(waived, session=session):  # only clients of this session
        session.client("sagemaker").create_training_job(TrainingJobName="churn-3", **TRAINING_JOB)
    print("churn-3 sent")


if __name__ == "__main__":
    main()
