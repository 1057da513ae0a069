"""The SCP generator: one key per statement, only supported actions, within the SCP limit."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest

import safeai
from safeai._iam_actions import policy_size
from safeai._scp import SCP_LIMIT, SUPPORTED_ACTIONS, scp
from safeai.controls import CATALOGUE

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/ml-execution"


def make_policy(**overrides: Any) -> safeai.Policy:
    fields: dict[str, Any] = {
        "execution_role_arn": ROLE,
        "kms_key_id": KEY,
        "subnets": ["subnet-0a", "subnet-0b"],
        "security_group_ids": ["sg-01"],
        "region": "us-east-1",
    }
    fields.update(overrides)
    return safeai.Policy(**fields)


def all_statements(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [statement for document in documents for statement in document["Statement"]]


def by_sid(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in all_statements(documents)}


def keys_of(statement: dict[str, Any]) -> set[str]:
    return {key for clauses in statement["Condition"].values() for key in clauses}


def actions_of(statement: dict[str, Any]) -> set[str]:
    return {action.removeprefix("sagemaker:") for action in statement["Action"]}


def test_documents_are_valid_and_within_the_limit() -> None:
    documents = scp(make_policy())
    assert documents
    for document in documents:
        assert document["Version"] == "2012-10-17"
        assert json.loads(json.dumps(document)) == document
        assert policy_size(document) <= SCP_LIMIT
        assert all(statement["Effect"] == "Deny" for statement in document["Statement"])
    sids = [statement["Sid"] for statement in all_statements(documents)]
    assert len(sids) == len(set(sids))
    assert all(sid.isalnum() for sid in sids)


def test_every_statement_tests_one_key_and_no_null_block_holds_two() -> None:
    for statement in all_statements(scp(make_policy())):
        assert len(keys_of(statement)) == 1, statement["Sid"]
        assert len(statement["Condition"].get("Null", {})) <= 1, statement["Sid"]


def test_statements_only_name_actions_that_support_their_key() -> None:
    for statement in all_statements(scp(make_policy())):
        (key,) = keys_of(statement)
        if key.startswith("sagemaker:"):
            assert actions_of(statement) <= SUPPORTED_ACTIONS[key], statement["Sid"]


def test_the_action_table_names_real_sagemaker_operations() -> None:
    operations = set(botocore.session.get_session().get_service_model("sagemaker").operation_names)
    for key, actions in SUPPORTED_ACTIONS.items():
        assert actions <= operations, key
    # Deprecated in the Service Authorization Reference; the ...KmsKeyArn keys replace them.
    assert "sagemaker:VolumeKmsKey" not in SUPPORTED_ACTIONS
    assert "sagemaker:OutputKmsKey" not in SUPPORTED_ACTIONS


def test_every_catalogue_key_is_known_and_consistent() -> None:
    values: dict[str, set[str]] = {}
    for control in CATALOGUE:
        for key in control.anchors.iam_condition_keys:
            assert key == "iam:PassedToService" or key in SUPPORTED_ACTIONS, control.slug
            if control.requirement.kind == "equals":
                values.setdefault(key, set()).add(repr(control.requirement.value))
    assert all(len(found) == 1 for found in values.values()), values


def test_the_catalogue_decides_which_actions_each_key_covers() -> None:
    statements = by_sid(scp(make_policy()))
    for control in CATALOGUE:
        for key in control.anchors.iam_condition_keys:
            if key == "iam:PassedToService":
                continue
            covered = set(control.operations) & SUPPORTED_ACTIONS[key]
            sid = f"DenyOther{key.split(':')[1]}"
            assert covered <= actions_of(statements[sid]), (control.slug, key)


def test_wrong_values_are_denied_by_the_right_operator() -> None:
    policy = make_policy(allowed_kms_key_ids=["mrk-0123456789abcdef0123456789abcdef"])
    statements = by_sid(scp(policy))
    assert statements["DenyOtherVpcSubnets"]["Condition"] == {
        "ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": ["subnet-0a", "subnet-0b"]}
    }
    assert statements["DenyOtherVolumeKmsKeyArn"]["Condition"] == {
        "ArnNotEquals": {
            "sagemaker:VolumeKmsKeyArn": [
                KEY,
                "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef",
            ]
        },
        "Null": {"sagemaker:VolumeKmsKeyArn": "false"},
    }
    assert statements["DenyOtherNetworkIsolation"]["Condition"] == {
        "Bool": {"sagemaker:NetworkIsolation": "false"}
    }
    assert statements["DenyOtherDirectInternetAccess"]["Condition"] == {
        "StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"},
        "Null": {"sagemaker:DirectInternetAccess": "false"},
    }
    assert statements["DenyOtherRootAccess"]["Condition"]["StringNotEquals"] == {
        "sagemaker:RootAccess": "Disabled"
    }


def test_missing_values_are_denied_only_where_absence_is_weaker() -> None:
    statements = by_sid(scp(make_policy()))
    assert statements["DenyMissingVpcSubnets"]["Condition"] == {
        "Null": {"sagemaker:VpcSubnets": "true"}
    }
    assert {"CreateTrainingJob", "CreateModel", "CreateProcessingJob"} <= actions_of(
        statements["DenyMissingVpcSubnets"]
    )
    missing = [statement for sid, statement in statements.items() if sid.startswith("DenyMissing")]
    # On updates an absent field means "unchanged".
    assert not any(action.startswith("Update") for s in missing for action in actions_of(s))
    # A processing job without outputs has no output key; AWS refuses a volume key on
    # instance types with local NVMe storage.
    assert "CreateProcessingJob" not in actions_of(statements["DenyMissingOutputKmsKeyArn"])
    assert "CreateTrainingJob" in actions_of(statements["DenyMissingOutputKmsKeyArn"])
    assert "CreateTrainingJob" not in actions_of(statements["DenyMissingVolumeKmsKeyArn"])
    assert "CreateTrainingJob" in actions_of(statements["DenyOtherVolumeKmsKeyArn"])


def test_roles_other_than_the_policys_cannot_be_passed_to_sagemaker() -> None:
    policy = make_policy(allowed_role_arns=["arn:aws:iam::123456789012:role/ml-other"])
    statement = by_sid(scp(policy))["DenyPassingOtherRolesToSageMaker"]
    assert statement["Action"] == "iam:PassRole"
    assert statement["NotResource"] == [ROLE, "arn:aws:iam::123456789012:role/ml-other"]
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


def test_a_waived_control_adds_nothing() -> None:
    waived = by_sid(scp(make_policy(waivers={"training.vpc": "public package mirror"})))
    for sid in ("DenyOtherVpcSubnets", "DenyMissingVpcSubnets", "DenyOtherVpcSecurityGroupIds"):
        assert "CreateTrainingJob" not in actions_of(waived[sid])
        assert "CreateProcessingJob" in actions_of(waived[sid])
    isolation = {
        c.slug: "reviewed"
        for c in CATALOGUE
        if "sagemaker:NetworkIsolation" in c.anchors.iam_condition_keys
    }
    text = json.dumps(scp(make_policy(waivers=isolation)))
    assert "sagemaker:NetworkIsolation" not in text
    role_waived = scp(make_policy(waivers={"training.role": "cross-account role"}))
    assert "iam:PassRole" not in json.dumps(role_waived)


@pytest.mark.parametrize(
    ("flag", "key"),
    [
        ("network_isolation", "sagemaker:NetworkIsolation"),
        ("inter_container_encryption", "sagemaker:InterContainerTrafficEncryption"),
    ],
)
def test_switched_off_controls_add_nothing(flag: str, key: str) -> None:
    assert key in json.dumps(scp(make_policy()))
    assert key not in json.dumps(scp(make_policy(**{flag: False})))


def test_many_allowed_keys_split_into_several_documents_under_the_limit() -> None:
    keys = [f"arn:aws:kms:us-east-1:123456789012:key/mrk-{number:032x}" for number in range(40)]
    documents = scp(make_policy(allowed_kms_key_ids=keys))
    assert len(documents) > len(scp(make_policy()))
    assert all(policy_size(document) <= SCP_LIMIT for document in documents)
    statements = by_sid(documents)
    for key in ("sagemaker:VolumeKmsKeyArn", "sagemaker:OutputKmsKeyArn"):
        statement = statements[f"DenyOther{key.split(':')[1]}"]
        assert len(statement["Condition"]["ArnNotEquals"][key]) == 41
    assert json.dumps(documents) == json.dumps(scp(make_policy(allowed_kms_key_ids=keys[::-1])))


def test_a_statement_too_big_for_one_document_is_split_by_action() -> None:
    keys = [f"arn:aws:kms:us-east-1:123456789012:key/mrk-{number:032x}" for number in range(60)]
    documents = scp(make_policy(allowed_kms_key_ids=keys))
    assert all(policy_size(document) <= SCP_LIMIT for document in documents)
    statements = by_sid(documents)
    assert "DenyOtherVolumeKmsKeyArn" not in statements
    parts = [s for sid, s in statements.items() if sid.startswith("DenyOtherVolumeKmsKeyArn")]
    assert len(parts) > 1
    merged = set().union(*(actions_of(part) for part in parts))
    assert merged == actions_of(by_sid(scp(make_policy()))["DenyOtherVolumeKmsKeyArn"])


def test_a_value_list_too_big_for_any_document_is_refused() -> None:
    keys = [f"arn:aws:kms:us-east-1:123456789012:key/mrk-{number:032x}" for number in range(70)]
    with pytest.raises(safeai.PolicyError, match=r"over the SCP limit of 5,120: allow fewer"):
        scp(make_policy(allowed_kms_key_ids=keys))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subnets": ()}, "subnets"),
        ({"security_group_ids": ()}, "security_group_ids"),
        ({"kms_key_id": "alias/ml"}, "kms_key_id"),
        ({"allowed_kms_key_ids": ["alias/other"]}, "allowed_kms_key_ids"),
        ({"kms_key_id": None}, "kms_key_id"),
    ],
)
def test_policies_an_scp_cannot_express_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(safeai.PolicyError) as raised:
        scp(make_policy(**overrides))
    assert raised.value.field == field
