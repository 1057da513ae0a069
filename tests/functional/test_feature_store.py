"""Feature Store through the guard: the worked example of adding an operation
(docs/architecture.md).

``CreateFeatureGroup`` was added as rows only: a ``Resource`` record and three controls. These
tests show the guard fills in and refuses on it like on any other operation, on the request
that was sent.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

import safeai

if TYPE_CHECKING:
    from safeai.testing import RequestRecorder

# --8<-- [start:request]
FEATURE_GROUP: dict[str, Any] = {
    "FeatureGroupName": "customers",
    "RecordIdentifierFeatureName": "customer_id",
    "EventTimeFeatureName": "event_time",
    "FeatureDefinitions": [
        {"FeatureName": "customer_id", "FeatureType": "String"},
        {"FeatureName": "event_time", "FeatureType": "String"},
    ],
    "OnlineStoreConfig": {"EnableOnlineStore": True},
    "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "s3://safeai-sandbox-ml-data/features"}},
}
# --8<-- [end:request]


def test_a_feature_group_gets_the_policys_role_keys_and_tags(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    policy = dataclasses.replace(policy, tags={"team": "ml-platform"})
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_feature_group(**FEATURE_GROUP)

    sent = recorder.last("CreateFeatureGroup").json()
    assert sent["RoleArn"] == policy.execution_role_arn
    assert sent["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == policy.kms_key_id
    assert sent["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] == policy.kms_key_id
    assert {"Key": "team", "Value": "ml-platform"} in sent["Tags"]


def test_a_store_that_is_not_asked_for_gets_no_key(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    offline_only = {k: v for k, v in FEATURE_GROUP.items() if k != "OnlineStoreConfig"}
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_feature_group(**{**offline_only, "FeatureGroupName": "offline-only"})

    sent = recorder.last("CreateFeatureGroup").json()
    assert "OnlineStoreConfig" not in sent
    assert sent["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] == policy.kms_key_id


def test_another_key_is_refused_and_nothing_is_sent(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    other = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    request = {**FEATURE_GROUP, "FeatureGroupName": "other-key"}
    request["OnlineStoreConfig"] = {
        "EnableOnlineStore": True,
        "SecurityConfig": {"KmsKeyId": other},
    }
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_feature_group(**request)

    assert refused.value.control == "feature_group.online_store_kms"
    assert refused.value.path == "OnlineStoreConfig.SecurityConfig.KmsKeyId"
    assert refused.value.found == other
    assert recorder.sent("CreateFeatureGroup") == []
