"""A training job on clean data is launched; one on data with planted personal data is refused.

Run it offline against the sandbox: ``python -m safeai.testing examples/pii_preflight.py``.
"""

from __future__ import annotations

from typing import Any

import boto3

import safeai
from safeai.s3 import secure_bucket

ROWS = "label,tenure,spend\n0,12,31.5\n1,2,80.0\n"
PEOPLE = "name,ssn,spend\nAna,512-38-4471,31.5\nBen,634-21-9087,80.0\n"


def launch(sagemaker: Any, name: str, uri: str) -> None:
    sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": "xgboost:1.7-1", "TrainingInputMode": "File"},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
            }
        ],
        OutputDataConfig={"S3OutputPath": "s3://churn-data/models/"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )


def main() -> None:
    policy = safeai.Policy.load()
    with safeai.guarded(policy):
        s3 = boto3.client("s3")
        secure_bucket("churn-data", client=s3, policy=policy)
        s3.put_object(Bucket="churn-data", Key="clean/train.csv", Body=ROWS.encode())
        s3.put_object(Bucket="churn-data", Key="raw/customers.csv", Body=PEOPLE.encode())

        sagemaker = boto3.client("sagemaker")
        launch(sagemaker, "churn-clean", "s3://churn-data/clean/")
        print("clean data: launched")
        try:
            launch(sagemaker, "churn-raw", "s3://churn-data/raw/")
        except safeai.SecurityViolation as refused:
            print(f"raw data: refused by {refused.control}")
            print(f"  {refused.found}")


if __name__ == "__main__":
    main()
