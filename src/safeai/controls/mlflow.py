"""Controls for managed MLflow: tracking servers and MLflow Apps hold every run's parameters,
metrics and model artifacts, so they reach their artifact store as the policy's role, an App's
metadata is encrypted with the policy's key, and the artifact store's bucket has the posture of
any bucket a job reads (``s3.posture``, checked by preflight)."""

from __future__ import annotations

from ._builders import KMS, KMS_REMEDY, ROLE, ROLE_REMEDY, at
from ._schema import Anchors, Control

__all__ = ["CONTROLS"]

TRACKING_SERVER = ("CreateMlflowTrackingServer",)
APP = ("CreateMlflowApp",)

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="mlflow.role",
        title="MLflow tracking servers and Apps reach their artifact store as the policy's "
        "execution role",
        requirement=ROLE,
        targets=at(TRACKING_SERVER + APP, "RoleArn"),
        remedy=ROLE_REMEDY.format(field="RoleArn"),
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="mlflow.kms",
        title="MLflow Apps are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(APP, "KmsKeyId"),
        remedy=KMS_REMEDY.format(field="KmsKeyId"),
    ),
)
