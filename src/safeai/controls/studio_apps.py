"""Controls for what Studio users run besides their own apps: SageMaker AI images (container
image versions in Amazon ECR that SageMaker manages as a role) and Partner AI Apps (third-party
applications that act as an execution role and keep data encrypted with a key)."""

from __future__ import annotations

from ._builders import KMS, KMS_REMEDY, ROLE, ROLE_REMEDY, at
from ._schema import Anchors, Control

__all__ = ["CONTROLS"]

IMAGE = ("CreateImage",)
IMAGE_UPDATE = ("UpdateImage",)
PARTNER_APP = ("CreatePartnerApp",)

_ROLE_ANCHORS = Anchors(iam_condition_keys=("iam:PassedToService",))

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="image.role",
        title="SageMaker AI images are managed as the policy's execution role",
        requirement=ROLE,
        targets=at(IMAGE, "RoleArn") + at(IMAGE_UPDATE, "RoleArn", inject=False),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="partner_app.role",
        title="Partner AI Apps act as the policy's execution role",
        requirement=ROLE,
        targets=at(PARTNER_APP, "ExecutionRoleArn"),
        remedy=ROLE_REMEDY.format(field="ExecutionRoleArn"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="partner_app.kms",
        title="Partner AI Apps encrypt their data with the policy's KMS key",
        requirement=KMS,
        targets=at(PARTNER_APP, "KmsKeyId"),
        remedy=KMS_REMEDY.format(field="KmsKeyId"),
    ),
)
