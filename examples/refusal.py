"""Ask for less than the policy allows and read the refusal: nothing is sent to AWS.

Run it offline against the sandbox: ``python -m safeai.testing examples/refusal.py``.
"""

from __future__ import annotations

import boto3

import safeai


def main() -> None:
    policy = safeai.Policy.load()
    with safeai.guarded(policy):
        sagemaker = boto3.client("sagemaker")
        try:
            sagemaker.create_training_job(  # type: ignore[call-arg]  # RoleArn: filled in
                TrainingJobName="churn-xgboost-open",
                AlgorithmSpecification={
                    "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
                    "TrainingInputMode": "File",
                },
                OutputDataConfig={"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
                ResourceConfig={
                    "InstanceType": "ml.m5.xlarge",
                    "InstanceCount": 1,
                    "VolumeSizeInGB": 30,
                },
                StoppingCondition={"MaxRuntimeInSeconds": 3600},
                EnableNetworkIsolation=False,  # the container wants to pip install at start-up
                VpcConfig={
                    "Subnets": ["subnet-0f1e2d3c4b5a69788"],
                    "SecurityGroupIds": ["sg-0a1b2c3d"],
                },
            )
        except safeai.SecurityViolation as violation:
            print(violation)  # the message a user sees
            print()
            print("control: ", violation.control)
            print("field:   ", violation.path)
            print("found:   ", violation.found)
            print("more:    ", [v.control for v in violation.additional])
        jobs = sagemaker.list_training_jobs()["TrainingJobSummaries"]
        print("training jobs created:", len(jobs))


if __name__ == "__main__":
    main()
