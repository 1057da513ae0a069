"""Controls for the work people do on the data: human review workflows (Amazon Augmented AI
flow definitions) call other services as a role, and the reviewers' answers, which hold the data
they reviewed, are encrypted with the policy's key; a private workforce's portal, when placed in
a VPC, is placed in the policy's subnets."""

from __future__ import annotations

from ._builders import KMS, KMS_REMEDY, ROLE, ROLE_REMEDY, VPC, at
from ._schema import Anchors, Control

__all__ = ["CONTROLS"]

FLOW = ("CreateFlowDefinition",)
WORKFORCE = ("CreateWorkforce", "UpdateWorkforce")

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="flow_definition.role",
        title="Human review workflows run as the policy's execution role",
        requirement=ROLE,
        targets=at(FLOW, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="flow_definition.output_kms",
        title="Human reviewers' results are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(FLOW, "OutputConfig.KmsKeyId", within="OutputConfig"),
        remedy=KMS_REMEDY.format(field="OutputConfig.KmsKeyId"),
        anchors=Anchors(checkov=("CKV_AWS_372",)),
    ),
    Control(
        slug="workforce.vpc",
        title="A private workforce's portal, placed in a VPC, uses the policy's private subnets",
        requirement=VPC,
        targets=at(WORKFORCE, "WorkforceVpcConfig", inject=False),
        remedy="omit WorkforceVpcConfig (workers reach the portal over the internet, behind "
        "the workforce's sign-in) or use only subnets and security groups the policy lists.",
    ),
)
