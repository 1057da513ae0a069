"""Controls for SageMaker Pipelines, and how their steps map onto API operations.

A pipeline never sends ``CreateTrainingJob`` itself: each step's ``Arguments`` *is* that request,
and the engine secures it exactly as it would secure the direct call.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._builders import ROLE, at
from ._resources import step_operations
from ._schema import Anchors, Control, Requirement

__all__ = [
    "CONTROLS",
    "NESTED_STEP_LISTS",
    "STEPS_REFERENCING_STEPS",
    "STEPS_RUNNING_JOBS",
    "STEPS_WITHOUT_RESOURCES",
    "STEP_OPERATIONS",
    "StepJobs",
]

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="pipeline.role",
        title="Pipelines run as the policy's execution role",
        requirement=ROLE,
        targets=at(("CreatePipeline",), "RoleArn")
        + at(("UpdatePipeline", "StartPipelineExecution"), "RoleArn", inject=False),
        remedy="omit RoleArn (safeai fills in the policy's role) or pass an allowed role.",
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="pipeline.steps",
        title="Every pipeline step is secured like the request it stands for",
        requirement=Requirement("steps"),
        targets=at(("CreatePipeline", "UpdatePipeline"), "PipelineDefinition", inject=False),
        remedy="write the step's security fields as literal values (not pipeline parameters or "
        "expressions) that comply with the policy, or omit them so safeai fills them in.",
    ),
)

#: Step ``Type`` -> the operation whose request shape its ``Arguments`` hold (``Resource.steps``).
STEP_OPERATIONS: dict[str, str] = step_operations()

#: Step types that name a resource another step of the same pipeline must create, so that it is
#: secured there: type -> (the argument naming it, the step type that creates it, its argument).
STEPS_REFERENCING_STEPS: dict[str, tuple[str, str, str]] = {
    "Endpoint": ("EndpointConfigName", "EndpointConfig", "EndpointConfigName"),
}

#: Step types whose ``Arguments`` hold more steps (``Condition``: the If and Else branches).
NESTED_STEP_LISTS: dict[str, tuple[str, ...]] = {
    "Condition": ("IfSteps", "ElseSteps"),
    "ForEach": ("ForEachBody",),
}


@dataclass(frozen=True, slots=True)
class StepJobs:
    """Jobs SageMaker runs for a step whose own request (an ``arguments`` request) runs
    nothing: where ``within`` is present in the step's ``Arguments``, each structure at
    ``definitions`` (below it, through lists) is a job definition that holds the security
    fields of an ``operation`` request, and the jobs run as the role at ``role`` (below it).

    The definitions are checked with ``operation``'s controls and the role as an execution
    role (under ``pipeline.steps``), without injection: the step's request is not one safeai
    secures, so nothing is filled in and a missing key is refused."""

    arguments: str
    within: str
    role: str
    definitions: str
    operation: str


#: Step types whose request runs nothing itself but has SageMaker run jobs: a model package
#: version's validation runs batch transform jobs (ModelPackageValidationSpecification) as its
#: ValidationRole, on the package's model.
STEPS_RUNNING_JOBS: dict[str, StepJobs] = {
    "RegisterModel": StepJobs(
        arguments="CreateModelPackage",
        within="ValidationSpecification",
        role="ValidationRole",
        definitions="ValidationProfiles[].TransformJobDefinition",
        operation="CreateTransformJob",
    ),
}

#: Step types that start no SageMaker compute of their own, with the reason they pass as they are.
STEPS_WITHOUT_RESOURCES: dict[str, str] = {
    "Fail": "stops the execution; runs nothing",
    "Lambda": "invokes a Lambda function; its security is the function's own",
    "Callback": "sends a message to an SQS queue; runs nothing in SageMaker",
    "EMR": "submits a step to an existing EMR cluster, outside SageMaker",
    "RegisterModel": "registers a model package version; deploying it goes through CreateModel. "
    "Its ValidationSpecification runs batch transform jobs: each profile's "
    "TransformJobDefinition is checked with the transform.* controls and the ValidationRole "
    "as an execution role (pipeline.steps), without injection",
    "EMRServerless": "starts an EMR Serverless job run, outside SageMaker",
    "Cleanup": "deletes S3 objects of earlier steps; runs nothing",
    "Lineage": "records lineage entities; runs nothing",
}
