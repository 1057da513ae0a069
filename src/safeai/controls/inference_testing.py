"""Controls for what load-tests, shadow-tests and benchmarks models: Inference Recommender jobs
and inference experiments create endpoints that host the model on the customer's data, and AI
benchmark and recommendation jobs run as a role of their own."""

from __future__ import annotations

from ._builders import KMS, KMS_REMEDY, ROLE, ROLE_REMEDY, VPC, VPC_REMEDY, at
from ._schema import Anchors, Control

__all__ = ["CONTROLS"]

RECOMMENDER = ("CreateInferenceRecommendationsJob",)
EXPERIMENT = ("CreateInferenceExperiment",)
EXPERIMENT_UPDATE = ("UpdateInferenceExperiment",)
BENCHMARK = ("CreateAIBenchmarkJob",)
AI_RECOMMENDATION = ("CreateAIRecommendationJob",)

_ROLE_ANCHORS = Anchors(iam_condition_keys=("iam:PassedToService",))

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="inference_recommender.role",
        title="Inference Recommender jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(RECOMMENDER, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="inference_recommender.vpc",
        title="The endpoints an Inference Recommender job load-tests run in the policy's "
        "private subnets",
        requirement=VPC,
        targets=at(RECOMMENDER, "InputConfig.VpcConfig", within="InputConfig"),
        remedy=VPC_REMEDY.format(field="InputConfig.VpcConfig"),
    ),
    Control(
        slug="inference_recommender.volume_kms",
        title="The endpoints an Inference Recommender job load-tests encrypt their volumes with "
        "the policy's KMS key",
        requirement=KMS,
        targets=at(RECOMMENDER, "InputConfig.VolumeKmsKeyId", within="InputConfig"),
        remedy=KMS_REMEDY.format(field="InputConfig.VolumeKmsKeyId"),
    ),
    Control(
        slug="inference_recommender.output_kms",
        title="An Inference Recommender job's results are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(RECOMMENDER, "OutputConfig.KmsKeyId"),
        remedy=KMS_REMEDY.format(field="OutputConfig.KmsKeyId"),
    ),
    Control(
        slug="inference_experiment.role",
        title="Inference experiments manage their endpoints as the policy's execution role",
        requirement=ROLE,
        targets=at(EXPERIMENT, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="inference_experiment.storage_kms",
        title="An inference experiment's instance storage volumes are encrypted with the "
        "policy's KMS key",
        requirement=KMS,
        targets=at(EXPERIMENT, "KmsKey"),
        remedy=KMS_REMEDY.format(field="KmsKey"),
        anchors=Anchors(security_hub=("SageMaker.23",)),
    ),
    Control(
        slug="inference_experiment.data_storage_kms",
        title="The data an inference experiment captures is encrypted with the policy's KMS key",
        requirement=KMS,
        targets=(
            at(EXPERIMENT, "DataStorageConfig.KmsKey", within="DataStorageConfig")
            + at(EXPERIMENT_UPDATE, "DataStorageConfig.KmsKey", inject=False)
        ),
        remedy=KMS_REMEDY.format(field="DataStorageConfig.KmsKey"),
        anchors=Anchors(security_hub=("SageMaker.24",)),
    ),
    Control(
        slug="ai_benchmark.role",
        title="AI benchmark jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(BENCHMARK, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="ai_benchmark.vpc",
        title="AI benchmark jobs run in the policy's private subnets",
        requirement=VPC,
        targets=at(BENCHMARK, "NetworkConfig.VpcConfig"),
        remedy=VPC_REMEDY.format(field="NetworkConfig.VpcConfig"),
    ),
    Control(
        slug="ai_recommendation.role",
        title="AI recommendation jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(AI_RECOMMENDATION, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
)
