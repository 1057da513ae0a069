"""What the detective audit costs: resources per second and API calls per resource.

Seeds the offline sandbox (moto in server mode, in this process) with 2,000 SageMaker
resources across ten types (``--quick``: 200), half of them compliant, with raw boto3 clients;
then runs ``safeai._detective.audit`` over them with the default 8 workers and with 1 worker,
interleaved, and counts the requests that leave botocore with
``safeai.testing.RequestRecorder`` (checked against the report's own count).

``monitoring-schedule`` is left out: moto does not implement ``ListMonitoringSchedules``.
The server shares the process (and its two cores) with the audit, so the speed-up from more
workers is smaller here than against AWS, where each describe waits on the network. Times are
printed, never asserted.

    python benchmarks/bench_audit.py [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import _common

if TYPE_CHECKING:
    import safeai
    from safeai._detective import AuditReport

REGION = "us-east-1"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-0000000000ff"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"
#: Resources per type in the full run (2,000 in all); --quick seeds a tenth.
MIX = {
    "training-job": 400,
    "processing-job": 300,
    "transform-job": 200,
    "hyper-parameter-tuning-job": 100,
    "model": 300,
    "endpoint-config": 250,
    "endpoint": 150,
    "notebook-instance": 100,
    "data-quality-job-definition": 100,
    "pipeline": 100,
}
TYPES = tuple(MIX)


@dataclass(frozen=True)
class Plan:
    scale: int
    rounds: int


FULL = Plan(scale=1, rounds=2)
QUICK = Plan(scale=10, rounds=1)


def _training(policy: safeai.Policy, compliant: bool) -> dict[str, Any]:
    key = policy.kms_key_id if compliant else OTHER_KEY
    return {
        "RoleArn": policy.execution_role_arn,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/out/", "KmsKeyId": key},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": key,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "VpcConfig": {
            "Subnets": list(policy.subnets),
            "SecurityGroupIds": list(policy.security_group_ids),
        },
        "EnableNetworkIsolation": compliant,
        "EnableInterContainerTrafficEncryption": True,
    }


def _seed(sm: Any, policy: safeai.Policy, counts: dict[str, int]) -> None:
    """Create ``counts[type]`` resources of each type; even-numbered ones are compliant."""
    key, role = policy.kms_key_id, policy.execution_role_arn
    vpc = {"Subnets": list(policy.subnets), "SecurityGroupIds": list(policy.security_group_ids)}
    network = {
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": True,
        "VpcConfig": vpc,
    }
    for i in range(counts["model"]):
        sm.create_model(
            ModelName=f"model-{i}",
            PrimaryContainer={"Image": IMAGE},
            ExecutionRoleArn=role,
            VpcConfig=vpc,
            EnableNetworkIsolation=i % 2 == 0,
        )
    for i in range(counts["training-job"]):
        sm.create_training_job(TrainingJobName=f"train-{i}", **_training(policy, i % 2 == 0))
    for i in range(counts["processing-job"]):
        sm.create_processing_job(
            ProcessingJobName=f"process-{i}",
            RoleArn=role,
            AppSpecification={"ImageUri": IMAGE},
            ProcessingResources={
                "ClusterConfig": {
                    "InstanceCount": 1,
                    "InstanceType": "ml.m5.xlarge",
                    "VolumeSizeInGB": 30,
                    "VolumeKmsKeyId": key,
                }
            },
            NetworkConfig={**network, "EnableNetworkIsolation": i % 2 == 0},
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
        )
    for i in range(counts["transform-job"]):
        sm.create_transform_job(
            TransformJobName=f"transform-{i}",
            ModelName="model-0",
            TransformInput={
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://safeai-sandbox/in"}
                }
            },
            TransformOutput={
                "S3OutputPath": "s3://safeai-sandbox/out/",
                "KmsKeyId": key if i % 2 == 0 else OTHER_KEY,
            },
            TransformResources={
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeKmsKeyId": key,
            },
        )
    for i in range(counts["hyper-parameter-tuning-job"]):
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=f"tune-{i}",
            HyperParameterTuningJobConfig={
                "Strategy": "Bayesian",
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
                "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            },
            TrainingJobDefinition=_training(policy, i % 2 == 0),
        )
    for i in range(counts["endpoint-config"]):
        sm.create_endpoint_config(
            EndpointConfigName=f"config-{i}",
            ProductionVariants=[
                {
                    "VariantName": "main",
                    "ModelName": f"model-{i % counts['model']}",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
            **({"KmsKeyId": key} if i % 2 == 0 else {}),
        )
    for i in range(counts["endpoint"]):
        sm.create_endpoint(
            EndpointName=f"endpoint-{i}",
            EndpointConfigName=f"config-{i % counts['endpoint-config']}",
        )
    for i in range(counts["notebook-instance"]):
        sm.create_notebook_instance(
            NotebookInstanceName=f"notebook-{i}",
            InstanceType="ml.t3.medium",
            RoleArn=role,
            SubnetId=policy.subnets[0],
            SecurityGroupIds=list(policy.security_group_ids),
            KmsKeyId=key,
            DirectInternetAccess="Disabled" if i % 2 == 0 else "Enabled",
            RootAccess="Disabled",
        )
    for i in range(counts["data-quality-job-definition"]):
        sm.create_data_quality_job_definition(
            JobDefinitionName=f"data-quality-{i}",
            RoleArn=role,
            DataQualityAppSpecification={"ImageUri": IMAGE},
            DataQualityJobInput={
                "EndpointInput": {"EndpointName": "endpoint-0", "LocalPath": "/opt/ml/input"}
            },
            DataQualityJobOutputConfig={
                "MonitoringOutputs": [
                    {"S3Output": {"S3Uri": "s3://safeai-sandbox/m/", "LocalPath": "/opt/ml/o"}}
                ],
                "KmsKeyId": key,
            },
            JobResources={
                "ClusterConfig": {
                    "InstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                    "VolumeSizeInGB": 10,
                    "VolumeKmsKeyId": key,
                }
            },
            NetworkConfig={**network, "EnableInterContainerTrafficEncryption": i % 2 == 0},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )
    for i in range(counts["pipeline"]):
        step = {"Name": "train", "Type": "Training", "Arguments": _training(policy, i % 2 == 0)}
        sm.create_pipeline(
            PipelineName=f"pipeline-{i}",
            PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": [step]}),
            RoleArn=role,
        )


def _audit(policy: safeai.Policy, workers: int) -> tuple[AuditReport, int, float]:
    """One audit from cold: the report, the requests recorded, and the wall time."""
    import boto3

    from safeai import preflight
    from safeai._detective import audit
    from safeai.testing import RequestRecorder

    preflight.clear_caches()  # endpoints' configurations and models are read afresh each run
    with RequestRecorder(services=frozenset({"sagemaker", "s3"})) as recorder:
        start = time.perf_counter()
        report = audit(
            boto3.Session(region_name=REGION),
            policy,
            regions=[REGION],
            resource_types=TYPES,
            max_workers=workers,
        )
        elapsed = time.perf_counter() - start
    return report, len(recorder.requests), elapsed


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    plan = QUICK if args.quick else FULL
    _common.ensure_safeai_importable()
    import boto3

    from safeai.testing import Sandbox

    counts = {kind: count // plan.scale for kind, count in MIX.items()}
    with Sandbox() as sandbox:
        policy = sandbox.policy
        start = time.perf_counter()
        _seed(boto3.Session(region_name=REGION).client("sagemaker"), policy, counts)
        seed_seconds = time.perf_counter() - start
        _audit(policy, 8)  # warm-up: imports, connection pools, the server's first requests
        arms: dict[int, list[tuple[AuditReport, int, float]]] = {8: [], 1: []}
        for round_ in range(plan.rounds):
            for workers in (8, 1) if round_ % 2 == 0 else (1, 8):
                arms[workers].append(_audit(policy, workers))

    report, recorded, _ = arms[8][0]
    resources = len(report.resources)
    calls_per_resource = recorded / resources
    seconds = {workers: _common.median([run[2] for run in runs]) for workers, runs in arms.items()}
    rate = {workers: resources / seconds[workers] for workers in arms}
    print(
        f"{resources} resources seeded in {seed_seconds:.1f} s; "
        f"{len(report.findings)} findings, {len(report.errors)} errors"
    )
    for error in report.errors:
        print(f"  error: {error.resource_type} {error.operation} {error.code}: {error.message}")
    print()
    _common.print_table(
        ["resource type", "evaluated", "with findings"],
        [
            [kind, count, len({f.resource_arn for f in report.findings if f.resource_type == kind})]
            for kind, count in report.resource_counts.items()
        ],
    )
    print()
    _common.print_table(
        ["workers", "median s", "resources/s", "API calls", "calls/resource"],
        [
            [workers, seconds[workers], rate[workers], recorded, calls_per_resource]
            for workers in arms
        ],
    )
    print()
    print(
        f"requests recorded {recorded}, counted by the report {report.api_calls} "
        f"({'equal' if recorded == report.api_calls else 'DIFFERENT'}); "
        f"8 workers vs 1: {seconds[1] / seconds[8]:.2f}x ({plan.rounds} rounds each, median)"
    )
    _common.emit_result(
        {
            "benchmark": "audit",
            "quick": args.quick,
            "resources": resources,
            "findings": len(report.findings),
            "errors": len(report.errors),
            "api_calls": recorded,
            "api_calls_reported": report.api_calls,
            "api_calls_per_resource": round(calls_per_resource, 3),
            "seconds_8_workers": round(seconds[8], 3),
            "seconds_1_worker": round(seconds[1], 3),
            "resources_per_second_8_workers": round(rate[8], 1),
            "resources_per_second_1_worker": round(rate[1], 1),
            "speedup_8_vs_1": round(seconds[1] / seconds[8], 2),
            "seed_seconds": round(seed_seconds, 1),
            **_common.machine_info(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
