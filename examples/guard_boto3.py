"""Guard every boto3 SageMaker client in the process, then launch a training job.

Run it offline against the sandbox: ``python -m safeai.testing examples/guard_boto3.py``.
"""

from __future__ import annotations

from typing import Any

import boto3

import safeai


def main() -> None:
    policy = safeai.Policy.load()  # safeai.toml, [tool.safeai] in pyproject.toml, or SAFEAI_*
    with safeai.guarded(policy):
        # Typed as Any: the boto3 stubs mark RoleArn as required, and safeai fills it in.
        sagemaker: Any = boto3.client("sagemaker")
        sagemaker.create_training_job(
            TrainingJobName="churn-xgboost-1",
            AlgorithmSpecification={
                "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
                "TrainingInputMode": "File",
            },
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": "s3://safeai-sandbox-ml-data/train/",
                        }
                    },
                }
            ],
            OutputDataConfig={"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
            ResourceConfig={
                "InstanceType": "ml.m5.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 30,
            },
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
        job = sagemaker.describe_training_job(TrainingJobName="churn-xgboost-1")
        print("network isolation:", job["EnableNetworkIsolation"])
        print("subnets:", job["VpcConfig"]["Subnets"])
        print("output key:", job["OutputDataConfig"]["KmsKeyId"])


if __name__ == "__main__":
    main()
