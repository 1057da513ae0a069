"""Controls for SageMaker Edge Manager: packaging jobs read and write the model as a role and
encrypt the package; device fleets encrypt the sample data their devices send back, and hand
their devices a role (an AWS IoT role, never SageMaker's execution role) the policy allows."""

from __future__ import annotations

from ._builders import (
    KMS,
    KMS_REMEDY,
    PASSED_ROLE,
    PASSED_ROLE_REMEDY,
    ROLE,
    ROLE_REMEDY,
    at,
)
from ._schema import Anchors, Control

__all__ = ["CONTROLS"]

PACKAGING = ("CreateEdgePackagingJob",)
FLEET = ("CreateDeviceFleet",)
FLEET_UPDATE = ("UpdateDeviceFleet",)

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="edge.role",
        title="Edge packaging jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(PACKAGING, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="edge.device_role",
        title="Device fleets hand their devices only a role the policy allows",
        requirement=PASSED_ROLE,
        targets=at(FLEET + FLEET_UPDATE, "RoleArn", inject=False),
        remedy=PASSED_ROLE_REMEDY.format(field="RoleArn"),
    ),
    Control(
        slug="edge.output_kms",
        title="Edge packages and the data device fleets collect are encrypted with the policy's "
        "KMS key",
        requirement=KMS,
        targets=(
            at(PACKAGING + FLEET, "OutputConfig.KmsKeyId", within="OutputConfig")
            + at(FLEET_UPDATE, "OutputConfig.KmsKeyId", within="OutputConfig", inject=False)
        ),
        remedy=KMS_REMEDY.format(field="OutputConfig.KmsKeyId"),
    ),
)
