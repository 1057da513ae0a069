"""Controls for SageMaker Feature Store: a feature group's stores hold the features models are
trained and served on, so they are encrypted with the policy's key and written by its role."""

from __future__ import annotations

from ._builders import KMS, ROLE, at
from ._schema import Anchors, Control

__all__ = ["CONTROLS"]

# --8<-- [start:controls]
FEATURE_GROUP = ("CreateFeatureGroup",)

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="feature_group.role",
        title="Feature groups write their offline store as the policy's execution role",
        requirement=ROLE,
        targets=at(FEATURE_GROUP, "RoleArn"),
        remedy="omit RoleArn (safeai fills in the policy's execution role) or pass an allowed "
        "role.",
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="feature_group.online_store_kms",
        title="A feature group's online store is encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            FEATURE_GROUP, "OnlineStoreConfig.SecurityConfig.KmsKeyId", within="OnlineStoreConfig"
        ),
        remedy="omit OnlineStoreConfig.SecurityConfig.KmsKeyId (safeai fills in the policy's "
        "KMS key) or use the policy's or an allowed key.",
        anchors=Anchors(security_hub=("SageMaker.18",)),
    ),
    Control(
        slug="feature_group.offline_store_kms",
        title="A feature group's offline store in S3 is encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            FEATURE_GROUP,
            "OfflineStoreConfig.S3StorageConfig.KmsKeyId",
            within="OfflineStoreConfig.S3StorageConfig",
        ),
        remedy="omit OfflineStoreConfig.S3StorageConfig.KmsKeyId (safeai fills in the policy's "
        "KMS key) or use the policy's or an allowed key.",
        anchors=Anchors(security_hub=("SageMaker.17",)),
    ),
)
# --8<-- [end:controls]
