"""The doors a data scientist writes through besides boto3: aiobotocore clients (made before or
after the guard, process-wide and through a session), s3fs and the pandas writes on top of it,
and boto3's CRT transfer manager, on the sandbox with the real libraries (`nox -s aio`).

Assertions are on the requests that reached the sandbox (``RequestRecorder``), never on what
moto answers: the sandbox's data bucket encrypts by default, so a stored object's encryption
proves nothing about the request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from typing import TYPE_CHECKING, Any

import pytest

import safeai
from safeai import _hooks, _securing

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safeai.testing import RequestRecorder, Sandbox

aiobotocore_session = pytest.importorskip("aiobotocore.session")

pytestmark = pytest.mark.aio

BUCKET = "safeai-sandbox-ml-data"
ADMIN = "arn:aws:iam::123456789012:role/Admin"
TRAINING: dict[str, Any] = {
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/out/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 60},
}


def _sse(recorder: RequestRecorder, operation: str) -> tuple[str | None, str | None]:
    headers = recorder.last(operation).headers
    return (
        headers.get("x-amz-server-side-encryption"),
        headers.get("x-amz-server-side-encryption-aws-kms-key-id"),
    )


async def _put(client: Any, key: str, **extra: Any) -> None:
    await client.put_object(Bucket=BUCKET, Key=key, Body=b"id,age\n1,42\n", **extra)


# -- aiobotocore ---------------------------------------------------------------------------------


def test_a_bare_write_of_a_client_made_after_the_guard_is_sent_secured(
    policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    async def write() -> None:
        with safeai.guarded(policy):
            async with aiobotocore_session.get_session().create_client("s3") as s3:
                await _put(s3, "aio/after.csv")

    asyncio.run(write())
    assert _sse(recorder, "PutObject") == ("aws:kms", policy.kms_key_id)


def test_an_insecure_request_is_refused_and_nothing_sent(
    policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    async def launch() -> None:
        with safeai.guarded(policy):
            async with aiobotocore_session.get_session().create_client("sagemaker") as sm:
                await sm.create_training_job(
                    TrainingJobName="aio-open",
                    RoleArn=ADMIN,
                    EnableNetworkIsolation=False,
                    **TRAINING,
                )

    with pytest.raises(safeai.SecurityViolation) as refused:
        asyncio.run(launch())
    assert {refused.value.control, *(v.control for v in refused.value.additional)} >= {
        "training.role",
        "training.network_isolation",
    }
    assert recorder.sent("CreateTrainingJob") == []


def test_a_client_made_before_the_guard_is_guarded_too(
    policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    async def write() -> None:
        async with aiobotocore_session.get_session().create_client("s3") as s3:
            with safeai.guarded(policy) as handle:
                assert handle.preexisting_clients >= 1
                with pytest.raises(safeai.SecurityViolation) as refused:
                    await _put(s3, "aio/aes.csv", ServerSideEncryption="AES256")
                assert refused.value.control == "s3.sse_kms"
                await _put(s3, "aio/before.csv")

    asyncio.run(write())
    assert [r.headers.get("x-amz-server-side-encryption") for r in recorder.sent("PutObject")] == [
        "aws:kms"
    ]


def test_a_session_guard_reaches_that_sessions_clients_only(
    policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    async def write() -> None:
        guarded_session = aiobotocore_session.get_session()
        with safeai.guarded(policy, session=guarded_session):
            async with guarded_session.create_client("s3") as inside:
                with pytest.raises(safeai.SecurityViolation):
                    await _put(inside, "aio/inside.csv", ServerSideEncryption="AES256")
            async with aiobotocore_session.get_session().create_client("s3") as outside:
                assert outside not in _hooks._states

    asyncio.run(write())
    assert recorder.sent("PutObject") == []


def test_the_event_loop_keeps_serving_while_the_guard_checks(
    policy: safeai.Policy, recorder: RequestRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard's checks run in a worker thread: while one takes its time (a first read of a
    role, say), other tasks on the loop go on."""
    ticks: list[int] = []
    seen_while_checking: list[int] = []
    secure = _securing.secure_request

    def slow_secure(*args: Any, **kwargs: Any) -> None:
        before = len(ticks)
        time.sleep(0.2)
        seen_while_checking.append(len(ticks) - before)
        secure(*args, **kwargs)

    monkeypatch.setattr(_hooks, "secure_request", slow_secure)

    async def tick() -> None:
        while True:
            ticks.append(len(ticks))
            await asyncio.sleep(0.001)

    async def launch() -> None:
        with safeai.guarded(policy):
            async with aiobotocore_session.get_session().create_client("sagemaker") as sm:
                ticking = asyncio.create_task(tick())
                await sm.create_training_job(TrainingJobName="aio-secured", **TRAINING)
                ticking.cancel()

    asyncio.run(launch())
    sent = recorder.last("CreateTrainingJob").json()
    assert sent["RoleArn"] == policy.execution_role_arn
    assert sent["EnableNetworkIsolation"] is True
    (ticked,) = seen_while_checking
    assert ticked > 10, ticked


def test_waivers_reach_the_worker_thread(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    # The data bucket's policy refuses anything but SSE-KMS: a bucket without one.
    sandbox.boto_session().client("s3").create_bucket(Bucket="aio-waived")

    async def write() -> None:
        with safeai.guarded(policy), safeai.waive("s3.sse_kms", reason="INC-42 legacy reader"):
            async with aiobotocore_session.get_session().create_client("s3") as s3:
                await s3.put_object(
                    Bucket="aio-waived", Key="w.csv", Body=b"id\n", ServerSideEncryption="AES256"
                )

    asyncio.run(write())
    assert _sse(recorder, "PutObject")[0] == "AES256"


# -- s3fs and pandas ------------------------------------------------------------------------------


@pytest.fixture
def s3fs_cache() -> Iterator[None]:
    """s3fs caches its file systems (and their clients) by arguments: each test gets new ones."""
    s3fs = pytest.importorskip("s3fs")
    s3fs.S3FileSystem.clear_instance_cache()
    yield
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.mark.usefixtures("s3fs_cache")
def test_pandas_to_csv_is_stored_under_the_policy_key(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    pandas = pytest.importorskip("pandas")
    s3 = sandbox.boto_session().client("s3")
    bucket = "aio-loose-default"
    s3.create_bucket(Bucket=bucket)  # no default encryption: only the request can encrypt
    frame = pandas.DataFrame({"id": [1, 2], "age": [42, 37]})
    with safeai.guarded(policy):
        frame.to_csv(f"s3://{bucket}/frame.csv", index=False)
    assert _sse(recorder, "PutObject") == ("aws:kms", policy.kms_key_id)
    stored = s3.head_object(Bucket=bucket, Key="frame.csv")
    assert stored["ServerSideEncryption"] == "aws:kms"


@pytest.mark.usefixtures("s3fs_cache")
def test_an_s3fs_write_asking_for_aes256_is_refused(
    policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    s3fs = pytest.importorskip("s3fs")
    with safeai.guarded(policy):
        fs = s3fs.S3FileSystem(s3_additional_kwargs={"ServerSideEncryption": "AES256"})
        with pytest.raises(safeai.SecurityViolation) as refused:
            fs.pipe(f"{BUCKET}/s3fs/aes.csv", b"id\n1\n")
    assert refused.value.control == "s3.sse_kms"
    assert recorder.sent("PutObject") == []


@pytest.mark.usefixtures("s3fs_cache")
def test_a_multipart_s3fs_write_is_secured(
    policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    s3fs = pytest.importorskip("s3fs")
    block = 5 * 2**20  # S3's smallest part: a file of two blocks goes up in parts
    with safeai.guarded(policy):
        fs = s3fs.S3FileSystem(default_block_size=block)
        with fs.open(f"{BUCKET}/s3fs/large.bin", "wb") as out:
            out.write(b"0" * (2 * block + 1))
    assert recorder.sent("PutObject") == []
    assert _sse(recorder, "CreateMultipartUpload") == ("aws:kms", policy.kms_key_id)


# -- boto3's CRT transfer manager ---------------------------------------------------------------


def test_a_guarded_crt_upload_goes_through_the_guarded_client(
    sandbox: Sandbox, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    pytest.importorskip("awscrt")
    from boto3.s3.transfer import TransferConfig

    s3 = sandbox.boto_session().client("s3")
    with safeai.guarded(policy, client=s3):
        s3.upload_fileobj(
            io.BytesIO(b"id\n1\n"),
            BUCKET,
            "crt/upload.csv",
            Config=TransferConfig(preferred_transfer_client="crt"),
        )
        with pytest.raises(safeai.SecurityViolation):
            s3.upload_fileobj(
                io.BytesIO(b"id\n1\n"),
                BUCKET,
                "crt/aes.csv",
                ExtraArgs={"ServerSideEncryption": "AES256"},
                Config=TransferConfig(preferred_transfer_client="crt"),
            )
    assert [_sse(recorder, "PutObject")] == [("aws:kms", policy.kms_key_id)]
    assert len(recorder.sent("PutObject")) == 1


def test_an_unguarded_client_keeps_crt(sandbox: Sandbox, policy: safeai.Policy) -> None:
    pytest.importorskip("awscrt")
    from boto3.s3.transfer import TransferConfig, create_transfer_manager
    from s3transfer.crt import CRTTransferManager

    guarded = sandbox.boto_session().client("s3")
    free = sandbox.boto_session().client("s3")
    crt = TransferConfig(preferred_transfer_client="crt")
    with safeai.guarded(dataclasses.replace(policy), client=guarded):
        assert not isinstance(create_transfer_manager(guarded, crt), CRTTransferManager)
        assert isinstance(create_transfer_manager(free, crt), CRTTransferManager)


def test_a_secure_session_crt_upload_is_secured(
    policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    pytest.importorskip("awscrt")
    from boto3.s3.transfer import TransferConfig

    with safeai.SecureSession(policy) as session:
        session.client("s3").upload_fileobj(
            io.BytesIO(b"id\n1\n"),
            BUCKET,
            "crt/secure-session.csv",
            Config=TransferConfig(preferred_transfer_client="crt"),
        )
    assert _sse(recorder, "PutObject") == ("aws:kms", policy.kms_key_id)
