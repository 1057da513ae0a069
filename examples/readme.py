"""The README's "Use it" example: guard every boto3 client, then watch a training job written
with no security settings being secured, and an insecure one refused.

The README shows the lines between the ``readme`` markers, and what they print;
``tests/unit/test_docs.py`` keeps the README's copy equal to them. Run it offline against the
sandbox: ``python -m safeai.testing examples/readme.py``.
"""

from __future__ import annotations

# --8<-- [start:readme]
from typing import Any

import boto3

import safeai

policy = safeai.Policy.load()  # safeai.toml, [tool.safeai] in pyproject.toml, or SAFEAI_*
safeai.guard(policy)  # every boto3 client created from now on (and existing ones)

sm: Any = boto3.client("sagemaker")  # Any: the stubs want RoleArn, which safeai fills in
job: dict[str, Any] = {
    "TrainingJobName": "churn-xgboost",
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
        "TrainingInputMode": "File",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}
sm.create_training_job(**job)  # sent with RoleArn, VpcConfig, EnableNetworkIsolation,
# EnableInterContainerTrafficEncryption and both KMS keys filled in
sent = sm.describe_training_job(TrainingJobName="churn-xgboost")
print("role:", sent["RoleArn"])
print("network isolation:", sent["EnableNetworkIsolation"])
print("output key is the policy's:", sent["OutputDataConfig"]["KmsKeyId"] == policy.kms_key_id)

try:
    sm.create_training_job(**{**job, "TrainingJobName": "open"}, EnableNetworkIsolation=False)
except safeai.SecurityViolation as refusal:
    print(refusal)
# --8<-- [end:readme]
