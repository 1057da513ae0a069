"""Open a security group to the internet and watch preflight refuse the request that names it.

The engine only sees ids; preflight asks AWS what they are. Run it offline against the sandbox:
``python -m safeai.testing examples/preflight_refusal.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3

import safeai

TRAINING_JOB: dict[str, Any] = {
    "TrainingJobName": "churn-xgboost",
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
        "TrainingInputMode": "File",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


def launch(policy: safeai.Policy, name: str) -> None:
    with safeai.guarded(policy):
        sagemaker: Any = boto3.client("sagemaker")
        sagemaker.create_training_job(**{**TRAINING_JOB, "TrainingJobName": name})


def main() -> None:
    policy = safeai.Policy.load()
    launch(policy, "churn-xgboost")
    print("the baseline passes preflight: role, key, subnets, security group and endpoints")

    # Someone opens SSH to the world on a group in the same VPC, and a policy allows it.
    ec2: Any = boto3.client("ec2")
    vpc = ec2.describe_subnets(SubnetIds=[policy.subnets[0]])["Subnets"][0]["VpcId"]
    group = ec2.create_security_group(
        GroupName="debug-ssh", Description="temporary: ssh from anywhere", VpcId=vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    opened = dataclasses.replace(policy, security_group_ids=[group])
    try:
        launch(opened, "churn-xgboost-debug")  # the engine sees only ids; preflight asks EC2
    except safeai.SecurityViolation as violation:
        print()
        print(violation)  # the message a user sees
        print()
        print("control:", violation.control)
        print("field:  ", violation.path)


if __name__ == "__main__":
    main()
