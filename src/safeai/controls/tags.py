"""Tag controls: the policy's tags on every covered create request that takes ``Tags``, and
the tag keys every such request must carry.

The operations are listed per resource family; a coverage test derives the same list from
botocore's model, so a covered create operation that gains ``Tags`` is noticed.
"""

from __future__ import annotations

from ._schema import Control, Requirement, Target

__all__ = ["CONTROLS", "TAGGED_OPERATIONS", "TAG_RESOURCE_TYPES"]

#: Resource family -> the covered create operations that take ``Tags``.
TAGGED_OPERATIONS: dict[str, tuple[str, ...]] = {
    "training": ("CreateTrainingJob", "CreateTrainingSession"),
    "processing": ("CreateProcessingJob",),
    "transform": ("CreateTransformJob",),
    "tuning": ("CreateHyperParameterTuningJob",),
    "automl": ("CreateAutoMLJob", "CreateAutoMLJobV2"),
    "compilation": ("CreateCompilationJob",),
    "optimization": ("CreateOptimizationJob",),
    "labeling": ("CreateLabelingJob",),
    "cluster": ("CreateCluster",),
    "model": ("CreateModel",),
    "endpoint_config": ("CreateEndpointConfig",),
    "endpoint": ("CreateEndpoint",),
    "notebook": ("CreateNotebookInstance",),
    "domain": ("CreateDomain", "CreateUserProfile"),
    "space": ("CreateSpace",),
    "monitoring": (
        "CreateMonitoringSchedule",
        "CreateDataQualityJobDefinition",
        "CreateModelQualityJobDefinition",
        "CreateModelBiasJobDefinition",
        "CreateModelExplainabilityJobDefinition",
    ),
    "pipeline": ("CreatePipeline",),
}

#: The resource type in a SageMaker ARN -> its family, for AddTags and DeleteTags.
TAG_RESOURCE_TYPES: dict[str, str] = {
    "training-job": "training",
    "training-session": "training",
    "processing-job": "processing",
    "transform-job": "transform",
    "hyper-parameter-tuning-job": "tuning",
    "automl-job": "automl",
    "compilation-job": "compilation",
    "optimization-job": "optimization",
    "labeling-job": "labeling",
    "cluster": "cluster",
    "model": "model",
    "endpoint-config": "endpoint_config",
    "endpoint": "endpoint",
    "notebook-instance": "notebook",
    "domain": "domain",
    "user-profile": "domain",
    "space": "space",
    "monitoring-schedule": "monitoring",
    "data-quality-job-definition": "monitoring",
    "model-quality-job-definition": "monitoring",
    "model-bias-job-definition": "monitoring",
    "model-explainability-job-definition": "monitoring",
    "pipeline": "pipeline",
}

CONTROLS: tuple[Control, ...] = tuple(
    Control(
        slug=f"{family}.tags",
        title=f"{family.replace('_', ' ').capitalize()} resources carry the policy's tags",
        requirement=Requirement("tags"),
        targets=tuple(Target(operation, "Tags") for operation in operations),
        remedy="omit the tag (safeai adds the policy's value) or give it the policy's value, "
        "and add every key in Policy.required_tag_keys.",
    )
    for family, operations in TAGGED_OPERATIONS.items()
)
