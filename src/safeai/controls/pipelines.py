"""Controls for SageMaker Pipelines, and how their steps map onto API operations.

A pipeline never sends ``CreateTrainingJob`` itself: each step's ``Arguments`` *is* that request,
and the engine secures it exactly as it would secure the direct call.
"""

from __future__ import annotations

from ._builders import ROLE, at
from ._resources import step_operations
from ._schema import Anchors, Control, Requirement

__all__ = [
    "CONTROLS",
    "NESTED_STEP_LISTS",
    "STEPS_REFERENCING_STEPS",
    "STEPS_WITHOUT_RESOURCES",
    "STEP_OPERATIONS",
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


#: Step types that start no SageMaker compute of their own, with the reason they pass as they are.
STEPS_WITHOUT_RESOURCES: dict[str, str] = {
    "Fail": "stops the execution; runs nothing",
    "Lambda": "invokes a Lambda function; its security is the function's own",
    "Callback": "sends a message to an SQS queue; runs nothing in SageMaker",
    "EMR": "submits a step to an existing EMR cluster, outside SageMaker",
    "EMRServerless": "starts an EMR Serverless job run, outside SageMaker",
    "Cleanup": "deletes S3 objects of earlier steps; runs nothing",
    "Lineage": "records lineage entities; runs nothing",
}
