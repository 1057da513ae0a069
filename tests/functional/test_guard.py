"""The event-hook door over real boto3 clients talking HTTP to moto in server mode.

Assertions are on the request that left the client (recorded at ``before-send``), never on
moto's Describe answers where moto is lossy.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import pytest

import safeai
from safeai.testing import RequestRecorder
from tests.conftest import job

if TYPE_CHECKING:
    from safeai.testing import Sandbox

SECURED_FIELDS = (
    "RoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
)


def assert_secured(body: dict[str, Any], policy: safeai.Policy) -> None:
    assert body["RoleArn"] == policy.execution_role_arn
    assert body["VpcConfig"] == {
        "SecurityGroupIds": list(policy.security_group_ids),
        "Subnets": list(policy.subnets),
    }
    assert body["EnableNetworkIsolation"] is True
    assert body["EnableInterContainerTrafficEncryption"] is True
    assert body["OutputDataConfig"]["KmsKeyId"] == policy.kms_key_id
    assert body["ResourceConfig"]["VolumeKmsKeyId"] == policy.kms_key_id


def test_client_guard_fills_in_every_missing_control(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_training_job(**job("client-guard"))
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)


def test_refused_request_is_never_sent(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_training_job(**job("open", EnableNetworkIsolation=False))
    assert refused.value.control == "training.network_isolation"
    assert refused.value.path == "EnableNetworkIsolation"
    assert refused.value.found is False
    assert "nothing was sent" in str(refused.value)
    assert recorder.sent("CreateTrainingJob") == []


def test_caller_structures_are_not_modified(sagemaker: Any, policy: safeai.Policy) -> None:
    request = job("untouched")
    before = json.dumps(request, sort_keys=True)
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_training_job(**request)
    assert json.dumps(request, sort_keys=True) == before


def test_process_wide_guard_reaches_sessions_created_afterwards(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.guarded(policy):
        later = boto3.Session(region_name="us-east-1").client("sagemaker")
        later.create_training_job(**job("process-boto3"))
        core = botocore.session.Session()
        core.set_config_variable("region", "us-east-1")
        core_client: Any = core.create_client("sagemaker")
        core_client.create_training_job(**job("process-botocore"))
        boto3.client("sagemaker").create_training_job(**job("process-default"))
    bodies = [r.json() for r in recorder.sent("CreateTrainingJob")]
    assert [b["TrainingJobName"] for b in bodies] == [
        "process-boto3",
        "process-botocore",
        "process-default",
    ]
    for body in bodies:
        assert_secured(body, policy)


def test_process_wide_guard_also_guards_clients_that_existed_before(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING, logger="safeai"):
        handle = safeai.guard(policy)
    try:
        assert handle.preexisting_clients >= 1
        assert "created before the guard are guarded too" in caplog.text
        sagemaker.create_training_job(**job("preexisting"))
    finally:
        safeai.unguard(handle)
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)


def test_unguard_undoes_exactly_that_guard(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    handle = safeai.guard(policy)
    safeai.unguard(handle)
    safeai.unguard(handle)  # a second unguard is harmless
    later = boto3.Session(region_name="us-east-1").client("sagemaker")
    for client in (sagemaker, later):
        client.create_training_job(**job("after-unguard", RoleArn=policy.execution_role_arn))
        body = recorder.last("CreateTrainingJob").json()
        assert not set(SECURED_FIELDS[1:]) & set(body)


def test_a_wrapper_restored_by_someone_else_does_not_end_the_guard(
    sandbox: Sandbox, policy: safeai.Policy
) -> None:
    recorder = RequestRecorder().__enter__()  # wraps create_client before the guard does
    with safeai.guarded(policy):
        recorder.__exit__(None, None, None)  # and is done while the guard is still on
        later: Any = boto3.Session(region_name="us-east-1").client("sagemaker")
        with pytest.raises(safeai.SecurityViolation):
            later.create_training_job(**job("still-guarded", EnableNetworkIsolation=False))


def test_session_guard_covers_only_that_session(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    guarded_session = boto3.Session(region_name="us-east-1")
    other = boto3.Session(region_name="us-east-1")
    with safeai.guarded(policy, session=guarded_session):
        guarded_session.client("sagemaker").create_training_job(**job("session-guarded"))
        other.client("sagemaker").create_training_job(
            **job("session-other", RoleArn=policy.execution_role_arn)
        )
    guarded_body, other_body = (r.json() for r in recorder.sent("CreateTrainingJob")[-2:])
    assert_secured(guarded_body, policy)
    assert "EnableNetworkIsolation" not in other_body


def test_guarding_twice_with_one_policy_applies_it_once(
    sagemaker: Any, policy: safeai.Policy, caplog: Any
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        safeai.guarded(policy, client=sagemaker),
        safeai.guarded(policy),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        sagemaker.create_training_job(**job("twice"))
    records = [r for r in caplog.records if r.name == "safeai.audit"]
    assert len(records) == 1


def test_a_second_policy_cannot_weaken_the_first(sagemaker: Any, policy: safeai.Policy) -> None:
    lenient = safeai.Policy(
        execution_role_arn="arn:aws:iam::123456789012:role/other",
        kms_key_id=policy.kms_key_id,
        subnets=policy.subnets,
        security_group_ids=policy.security_group_ids,
        network_isolation=False,
        region="us-east-1",
    )
    with (
        safeai.guarded(policy, client=sagemaker),
        safeai.guarded(lenient, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_training_job(**job("two-policies"))
    assert refused.value.control == "training.role"


def test_client_of_another_region_is_refused(sandbox: Sandbox, policy: safeai.Policy) -> None:
    elsewhere = boto3.Session(region_name="eu-west-1").client("sagemaker")
    with (
        safeai.guarded(policy, client=elsewhere),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        elsewhere.create_training_job(**job("elsewhere"))
    assert refused.value.control == "client.region"
    assert "eu-west-1" in str(refused.value)
    assert "us-east-1" in str(refused.value)
    assert "waive" not in str(refused.value)


def test_waiver_in_code_is_scoped_and_recorded(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder, caplog: Any
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        with safeai.waive("training.network_isolation", reason="pip at start-up; INC-1"):
            sagemaker.create_training_job(**job("waived", EnableNetworkIsolation=False))
        with pytest.raises(safeai.SecurityViolation):
            sagemaker.create_training_job(**job("not-waived", EnableNetworkIsolation=False))
    assert recorder.last("CreateTrainingJob").json()["EnableNetworkIsolation"] is False
    request_records = [
        r.safeai for r in caplog.records if getattr(r, "safeai", {}).get("event") == "request"
    ]
    assert request_records[0]["waivers"] == [
        {"control": "training.network_isolation", "reason": "pip at start-up; INC-1"}
    ]
    assert request_records[1]["outcome"] == "refused"


def test_audit_record_redacts_free_form_values(
    sagemaker: Any, policy: safeai.Policy, caplog: Any
) -> None:
    secret = "sk-live-abcdef0123456789"
    request = job(
        "audited",
        HyperParameters={"api_token": secret, "epochs": "3"},
        Environment={"DB_PASSWORD": secret},
    )
    with (
        safeai.guarded(policy, client=sagemaker),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
    ):
        sagemaker.create_training_job(**request)
    (record,) = [r for r in caplog.records if r.name == "safeai.audit"]
    data = record.safeai
    assert secret not in json.dumps(data, default=str)
    assert secret not in record.getMessage()
    assert data["request"]["HyperParameters"] == {"api_token": "***", "epochs": "***"}
    assert data["request"]["Environment"] == {"DB_PASSWORD": "***"}
    assert data["operation"] == "CreateTrainingJob"
    assert data["resource"] == "audited"
    assert data["outcome"] == "secured"
    assert data["credentials"] == "ambient (not assumed by safeai)"
    assert {d["control"] for d in data["decisions"]} >= {
        "training.role",
        "training.vpc",
        "training.network_isolation",
    }


def test_many_threads_through_one_guard_are_all_secured(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    errors: list[BaseException] = []
    shared = boto3.Session(region_name="us-east-1").client("sagemaker")

    def launch(worker: int) -> None:
        try:
            own = boto3.Session(region_name="us-east-1").client("sagemaker")
            for attempt in range(4):
                client = shared if attempt % 2 else own
                client.create_training_job(**job(f"thread-{worker}-{attempt}"))
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(error)

    with safeai.guarded(policy):
        threads = [threading.Thread(target=launch, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    bodies = [r.json() for r in recorder.sent("CreateTrainingJob")]
    assert len(bodies) == 48
    for body in bodies:
        assert_secured(body, policy)


def test_secure_session_assumes_the_role_and_says_so(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder, caplog: Any
) -> None:
    caller_role = "arn:aws:iam::123456789012:role/ml-launcher"
    session = safeai.SecureSession(policy, role_arn=caller_role, source_identity="alice")
    try:
        identity = session.client("sts").get_caller_identity()
        assert identity["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/ml-launcher/")
        with caplog.at_level(logging.INFO, logger="safeai.audit"):
            session.client("sagemaker").create_training_job(**job("assumed"))
    finally:
        session.close()
    assert_secured(recorder.last("CreateTrainingJob").json(), policy)
    (record,) = [r for r in caplog.records if r.name == "safeai.audit"]
    assert record.safeai["credentials"] == f"assumed-role {caller_role} without MFA"


def test_secure_session_refuses_a_role_of_another_account(policy: safeai.Policy) -> None:
    with pytest.raises(safeai.PolicyError, match="account 210987654321"):
        safeai.SecureSession(policy, role_arn="arn:aws:iam::210987654321:role/elsewhere")


def test_credentials_of_another_account_are_refused(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    foreign = safeai.Policy(
        execution_role_arn="arn:aws:iam::210987654321:role/ml",
        kms_key_id=policy.kms_key_id,
        subnets=policy.subnets,
        security_group_ids=policy.security_group_ids,
    )
    with (
        safeai.guarded(foreign, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_training_job(**job("foreign-account"))
    assert refused.value.control == "client.account"
    assert "account 123456789012" in str(refused.value)
    assert "account 210987654321" in str(refused.value)
    assert recorder.sent("CreateTrainingJob") == []


def test_account_check_asks_sts_once_per_key_and_not_without_preflight(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    from safeai import preflight

    preflight.clear_caches()
    with RequestRecorder(services=frozenset({"sts"})) as sts_calls:
        with safeai.guarded(policy, client=sagemaker):
            sagemaker.create_training_job(**job("account-1"))
            sagemaker.create_training_job(**job("account-2"))
        offline = dataclasses.replace(policy, preflight=False)
        preflight.clear_caches()
        with safeai.guarded(offline, client=sagemaker):
            sagemaker.create_training_job(**job("account-3"))
    assert [r.operation for r in sts_calls.requests] == ["GetCallerIdentity"]


def test_policy_tags_are_sent_and_protected(
    sagemaker: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    tagged = dataclasses.replace(policy, tags={"cost-center": "ml-42"})
    with safeai.guarded(tagged, client=sagemaker):
        sagemaker.create_model(ModelName="tagged-model", PrimaryContainer={"Image": "img:1"})
        arn = sagemaker.describe_model(ModelName="tagged-model")["ModelArn"]
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "fraud"}])
        with pytest.raises(safeai.SecurityViolation) as changed:
            sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "cost-center", "Value": "x"}])
        with pytest.raises(safeai.SecurityViolation) as removed:
            sagemaker.delete_tags(ResourceArn=arn, TagKeys=["cost-center"])
    assert recorder.last("CreateModel").json()["Tags"] == [{"Key": "cost-center", "Value": "ml-42"}]
    assert (changed.value.control, removed.value.control) == ("model.tags", "model.tags")
    assert [r.json()["Tags"] for r in recorder.sent("AddTags")] == [
        [{"Key": "team", "Value": "fraud"}]
    ]
    assert recorder.sent("DeleteTags") == []


def test_sagemaker_session_says_how_to_install_the_sdk(policy: safeai.Policy) -> None:
    from importlib.util import find_spec

    if find_spec("sagemaker") is not None:
        pytest.skip("the SageMaker SDK is installed: the sdk session tests cover it")
    with (
        safeai.SecureSession(policy) as secure,
        pytest.raises(safeai.SafeAIError, match=r"pip install 'safeai\[sagemaker\]'"),
    ):
        secure.sagemaker_session()


def test_a_waived_request_is_recorded_as_waived_not_secured(
    sagemaker: Any, policy: safeai.Policy, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        safeai.guarded(policy, client=sagemaker),
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        safeai.waive("training.network_isolation", reason="pip install at start-up; INC-7"),
    ):
        sagemaker.create_training_job(**job("waived-record"))
    (data,) = [
        r.safeai  # type: ignore[attr-defined]
        for r in caplog.records
        if getattr(r, "safeai", {}).get("event") == "request"
    ]
    assert data["outcome"] == "waived"
    assert data["waivers"] == [
        {"control": "training.network_isolation", "reason": "pip install at start-up; INC-7"}
    ]
