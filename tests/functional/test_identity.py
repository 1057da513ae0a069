"""Identity through the guard: long-lived keys refused, temporary ones passed, and MFA in
``SecureSession`` (issue #15), over real boto3 clients talking HTTP to the sandbox.

The requests are asserted as they left the client (recorded at ``before-send``), including the
``AssumeRole`` calls botocore makes to refresh a session's credentials.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import boto3
import botocore.credentials
import pytest

import safeai
from safeai.testing import RequestRecorder
from tests.conftest import job

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safeai.testing import Sandbox

#: Shaped like AWS's keys (the documentation's example ids); moto accepts any key.
LONG_LIVED = "AKIAIOSFODNN7EXAMPLE"
TEMPORARY = "ASIAIOSFODNN7EXAMPLE"
CALLER_ROLE = "arn:aws:iam::123456789012:role/ml-caller"
MFA_DEVICE = "arn:aws:iam::123456789012:mfa/ada"


@pytest.fixture
def recorder() -> Iterator[RequestRecorder]:
    """Records STS too: the AssumeRole calls are what MFA changes."""
    with RequestRecorder(services=frozenset({"sagemaker", "s3", "sts"})) as opened:
        yield opened


def _audit_records(caplog: Any) -> list[dict[str, Any]]:
    return [r.safeai for r in caplog.records if getattr(r, "safeai", {}).get("event") == "request"]


def _client(service: str, key: str, token: str | None = None) -> Any:
    session: Any = boto3.Session(
        aws_access_key_id=key,
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        region_name="us-east-1",
    )
    return session.client(service)


def test_a_long_lived_key_is_refused_at_its_first_call_with_nothing_sent(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    sagemaker = _client("sagemaker", LONG_LIVED)
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        sagemaker.create_training_job(**job("signed-with-a-user-key"))
    assert refused.value.control == "client.temporary_credentials"
    assert refused.value.path == "client credentials"
    message = str(refused.value)
    assert "ending MPLE" in message
    assert LONG_LIVED not in message
    assert "SecureSession" in message
    assert "waive" in message
    assert recorder.sent("CreateTrainingJob") == []
    assert recorder.sent("GetCallerIdentity") == [], "refused before the account is asked"


def test_a_long_lived_key_is_refused_on_calls_the_guard_does_not_secure_too(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    s3 = _client("s3", LONG_LIVED)
    with (
        safeai.guarded(policy, client=s3),
        pytest.raises(safeai.SecurityViolation, match=r"client\.temporary_credentials"),
    ):
        s3.list_objects_v2(Bucket=sandbox._baseline().bucket)
    assert recorder.sent("ListObjectsV2") == []


@pytest.mark.parametrize(
    ("key", "token"),
    [(TEMPORARY, "FwoGZXIvYXdzEXAMPLETOKEN"), ("testing", None)],
    ids=["temporary-with-token", "not-an-aws-key"],
)
def test_temporary_credentials_and_emulator_keys_pass(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder, key: str, token: str | None
) -> None:
    sagemaker = _client("sagemaker", key, token)
    with safeai.guarded(policy, client=sagemaker):
        sagemaker.create_training_job(**job(f"signed-with-{key[:4].lower()}"))
    assert recorder.last("CreateTrainingJob").json()["RoleArn"] == policy.execution_role_arn


def test_a_temporary_key_without_its_session_token_is_refused(
    sandbox: Sandbox, policy: safeai.Policy
) -> None:
    sagemaker = _client("sagemaker", TEMPORARY)
    with (
        safeai.guarded(policy, client=sagemaker),
        pytest.raises(safeai.SecurityViolation, match="without its session token"),
    ):
        sagemaker.list_training_jobs()


def test_warn_mode_sends_and_warns_and_the_audit_record_says_why(
    sandbox: Sandbox, recorder: RequestRecorder, caplog: Any
) -> None:
    policy = dataclasses.replace(sandbox.policy, modes={"client.temporary_credentials": "warn"})
    sagemaker = _client("sagemaker", LONG_LIVED)
    with (
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        safeai.guarded(policy, client=sagemaker),
        pytest.warns(safeai.SecurityWarning, match=r"client\.temporary_credentials"),
    ):
        sagemaker.create_training_job(**job("warned-user-key"))
    assert len(recorder.sent("CreateTrainingJob")) == 1
    records = _audit_records(caplog)
    assert records[-1]["outcome"] == "warned"
    assert LONG_LIVED not in caplog.text


def test_a_waiver_lets_a_long_lived_key_through_and_is_recorded(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder, caplog: Any
) -> None:
    sagemaker = _client("sagemaker", LONG_LIVED)
    with (
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        safeai.guarded(policy, client=sagemaker),
        safeai.waive("client.temporary_credentials", reason="legacy CI user until 2027-01; SEC-7"),
    ):
        sagemaker.create_training_job(**job("waived-user-key"))
    assert len(recorder.sent("CreateTrainingJob")) == 1
    records = _audit_records(caplog)
    assert records[-1]["outcome"] == "waived"
    assert records[-1]["waivers"] == [
        {"control": "client.temporary_credentials", "reason": "legacy CI user until 2027-01; SEC-7"}
    ]


# -- MFA ------------------------------------------------------------------------------------------


def _assume_role_calls(recorder: RequestRecorder) -> list[dict[str, list[str]]]:
    return [parse_qs(sent.body.decode()) for sent in recorder.sent("AssumeRole")]


def test_secure_session_assumes_its_role_with_the_mfa_code(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder, caplog: Any
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        safeai.SecureSession(
            policy, role_arn=CALLER_ROLE, mfa_serial=MFA_DEVICE, mfa_token="123456"
        ) as session,
    ):
        session.client("sagemaker").create_training_job(**job("with-mfa"))
    [assumed] = _assume_role_calls(recorder)
    assert assumed["RoleArn"] == [CALLER_ROLE]
    assert assumed["SerialNumber"] == [MFA_DEVICE]
    assert assumed["TokenCode"] == ["123456"]
    records = _audit_records(caplog)
    assert records[-1]["credentials"] == f"assumed-role {CALLER_ROLE} with MFA"
    assert "123456" not in caplog.text


def test_a_callable_is_asked_again_whenever_the_credentials_are_refreshed(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    codes = iter(["111111", "222222"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(codes)

    # 900 seconds is inside botocore's 15-minute refresh window: every use refreshes.
    with safeai.SecureSession(
        policy, role_arn=CALLER_ROLE, mfa_serial=MFA_DEVICE, mfa_token=ask, duration_seconds=900
    ) as session:
        credentials = session.boto_session.get_credentials()
        assert credentials is not None
        credentials.get_frozen_credentials()
        credentials.get_frozen_credentials()
    assert [call["TokenCode"] for call in _assume_role_calls(recorder)] == [["111111"], ["222222"]]
    assert prompts == [f"Enter MFA code for {MFA_DEVICE}: "] * 2


def test_a_code_given_as_a_string_is_not_sent_twice(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    with safeai.SecureSession(
        policy,
        role_arn=CALLER_ROLE,
        mfa_serial=MFA_DEVICE,
        mfa_token="123456",
        duration_seconds=900,
    ) as session:
        credentials: Any = session.boto_session.get_credentials()
        credentials.get_frozen_credentials()
        # In botocore's advisory window a failed refresh keeps the credentials it has...
        credentials.get_frozen_credentials()
        assert len(_assume_role_calls(recorder)) == 1
        # ...in the mandatory one (10 minutes before expiry) it must say why it cannot refresh.
        credentials._mandatory_refresh_timeout = 900
        with pytest.raises(safeai.SafeAIError, match="already used"):
            credentials.get_frozen_credentials()
    assert len(_assume_role_calls(recorder)) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"role_arn": CALLER_ROLE, "mfa_serial": MFA_DEVICE}, "needs mfa_token"),
        ({"role_arn": CALLER_ROLE, "mfa_serial": MFA_DEVICE, "mfa_token": "12345"}, "six digits"),
        ({"role_arn": CALLER_ROLE, "mfa_serial": "ada", "mfa_token": "123456"}, "not an MFA"),
        ({"mfa_serial": MFA_DEVICE, "mfa_token": "123456"}, "pass role_arn"),
        ({"role_arn": CALLER_ROLE, "mfa_token": "123456"}, "needs mfa_serial"),
    ],
)
def test_mfa_arguments_are_checked_before_anything_is_sent(
    sandbox: Sandbox,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    arguments: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(safeai.PolicyError, match=message):
        safeai.SecureSession(policy, **arguments)
    assert recorder.sent("AssumeRole") == []


def test_a_profile_that_assumes_its_role_with_mfa_keeps_working(
    sandbox: Sandbox,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: Any,
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile source]\n"
        "aws_access_key_id = testing\n"
        "aws_secret_access_key = testing\n"
        "[profile people]\n"
        f"role_arn = {CALLER_ROLE}\n"
        "source_profile = source\n"
        f"mfa_serial = {MFA_DEVICE}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # botocore's profile provider asks getpass.getpass, bound when botocore was imported.
    provider = botocore.credentials.AssumeRoleProvider
    original = provider.__init__

    def answering(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{**kwargs, "prompter": lambda prompt: "654321"})

    monkeypatch.setattr(provider, "__init__", answering)
    with (
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        safeai.SecureSession(policy, profile_name="people") as session,
    ):
        session.client("sagemaker").create_training_job(**job("profile-with-mfa"))
    [assumed] = _assume_role_calls(recorder)
    assert assumed["SerialNumber"] == [MFA_DEVICE]
    assert assumed["TokenCode"] == ["654321"]
    records = _audit_records(caplog)
    assert records[-1]["credentials"] == f"assumed-role {CALLER_ROLE} (profile people) with MFA"
