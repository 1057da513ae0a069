"""Create a SageMaker pipeline whose Training step says nothing about security, and see what ran.

A pipeline never sends ``CreateTrainingJob``: the step's ``Arguments`` are that request, inside
the ``PipelineDefinition`` JSON. The guard secures each step exactly like the direct call.

Run it offline against the sandbox: ``python -m safeai.testing examples/pipeline.py``.
"""

from __future__ import annotations

import json

import boto3

import safeai

TRAINING_STEP = {
    "Name": "Train",
    "Type": "Training",
    "Arguments": {
        "AlgorithmSpecification": {
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        "InputDataConfig": [
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
        "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    },
}


def main() -> None:
    policy = safeai.Policy.load()
    definition = {"Version": "2020-12-01", "Steps": [TRAINING_STEP]}
    with safeai.guarded(policy):
        sagemaker = boto3.client("sagemaker")
        # No RoleArn: the guard fills in the policy's role (boto3-stubs call that an error, hence
        # the ignore; botocore fills in ClientRequestToken).
        sagemaker.create_pipeline(  # type: ignore[call-arg]
            PipelineName="churn-training",
            PipelineDefinition=json.dumps(definition),
        )
        pipeline = sagemaker.describe_pipeline(PipelineName="churn-training")

    print("pipeline role:", pipeline["RoleArn"])
    sent = json.loads(pipeline["PipelineDefinition"])
    arguments = sent["Steps"][0]["Arguments"]
    print("step role:", arguments["RoleArn"])
    print("step network isolation:", arguments["EnableNetworkIsolation"])
    print("step inter-container encryption:", arguments["EnableInterContainerTrafficEncryption"])
    print("step subnets:", arguments["VpcConfig"]["Subnets"])
    print("step volume key:", arguments["ResourceConfig"]["VolumeKmsKeyId"])
    print("step output key:", arguments["OutputDataConfig"]["KmsKeyId"])


if __name__ == "__main__":
    main()
