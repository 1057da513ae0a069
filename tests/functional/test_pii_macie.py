"""MacieScanner and the fingerprint cache over the sandbox's Macie emulation, with real boto3
clients; calls are counted on the requests that actually left botocore."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from safeai import PreflightError
from safeai.pii._fingerprint import VerdictCache, scan_targets
from safeai.pii._macie import MacieScanner
from safeai.pii._verdict import ObjectVerdict, S3Object
from safeai.testing import RequestRecorder
from safeai.testing import _macie as macie_emulation
from tests.archives import tar_gz, zipped

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

    from safeai.testing import Sandbox

REGION = "us-east-1"
ACCOUNT = "123456789012"
SERVICE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"
)
CLEAN = b"label,f1,f2\n" + b"".join(b"%d,%d,%d\n" % (i, i % 7, i * 37 % 101) for i in range(50))
PEOPLE = b"name,ssn,score\nana,512-38-4471,3\nben,634-21-9087,4\n"
SOURCE = {
    "train.py": b"import pandas as pd\n\nprint(pd.read_csv('/opt/ml/input/data/train/a.csv'))\n",
    "requirements.txt": b"pandas==2.2.2\n",
}
CARDS = b"name,credit_card\nana,4539 1488 0343 6467\nben,5555 3412 4444 1115\n"
NPY = b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }" + bytes(32)


class Clock:
    """A test clock: ``sleep`` moves it forward and remembers how long."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class World:
    """A data bucket, a results repository and a client factory, fresh for each test."""

    def __init__(self, session: boto3.Session, config: Config | None = None) -> None:
        self.session: Any = session  # clients of a service named at run time
        self.config = config
        self.made: dict[str, Any] = {}
        self.bucket = f"pii-data-{uuid.uuid4().hex[:10]}"
        self.s3 = self.clients("s3")
        self.macie = self.clients("macie2")
        self.kms = self.clients("kms")
        self.s3.create_bucket(Bucket=self.bucket)
        results = f"macie-results-{uuid.uuid4().hex[:10]}"
        self.results = results
        self.s3.create_bucket(Bucket=results)
        key = self.kms.create_key(Description="Macie results")["KeyMetadata"]["Arn"]
        self.macie.put_classification_export_configuration(
            configuration={
                "s3Destination": {"bucketName": results, "keyPrefix": "macie/", "kmsKeyArn": key}
            }
        )

    def clients(self, service: str) -> Any:
        if service not in self.made:
            self.made[service] = self.session.client(service, config=self.config)
        return self.made[service]

    def put(self, key: str, body: bytes, **extra: Any) -> S3Object:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        head = self.s3.head_object(Bucket=self.bucket, Key=key)
        return S3Object(
            bucket=self.bucket,
            key=key,
            etag=head["ETag"],
            size=head["ContentLength"],
            last_modified=head["LastModified"].timestamp(),
        )


@pytest.fixture
def controls(sandbox: Sandbox) -> Iterator[macie_emulation.MacieControls]:
    macie_emulation.install()
    emulated = macie_emulation.controls(REGION, ACCOUNT)
    yield emulated
    emulated.allow()
    emulated.delay_jobs(0)
    emulated.limit_scope_values(None)
    macie = sandbox.boto_session().client("macie2")
    try:
        macie.update_macie_session(status="ENABLED")
    except ClientError:
        macie.enable_macie()


@pytest.fixture
def world(sandbox: Sandbox, controls: macie_emulation.MacieControls) -> World:
    return World(sandbox.boto_session())


@pytest.fixture
def recorder() -> Iterator[RequestRecorder]:
    with RequestRecorder(services=frozenset({"macie2", "s3"})) as opened:
        yield opened


def operations(recorder: RequestRecorder, service: str = "macie2") -> list[str]:
    return [r.operation for r in recorder.requests if r.service == service]


def scope_keys(recorder: RequestRecorder) -> list[list[str]]:
    """The OBJECT_KEY values of every CreateClassificationJob sent."""
    found = []
    for request in recorder.sent("CreateClassificationJob"):
        terms = request.json()["s3JobDefinition"]["scoping"]["includes"]["and"]
        found += [
            t["simpleScopeTerm"]["values"]
            for t in terms
            if t["simpleScopeTerm"]["key"] == "OBJECT_KEY"
        ]
    return found


def fast(**options: Any) -> MacieScanner:
    clock = Clock()
    return MacieScanner(sleep=clock.sleep, clock=clock.clock, **options)


# Verdicts


def test_clean_pii_and_unsupported_objects_in_one_job(
    world: World, recorder: RequestRecorder
) -> None:
    objects = [
        world.put("train/a.csv", CLEAN),
        world.put("train/people.csv", PEOPLE),
        world.put("train/x.npy", NPY),
    ]
    progress: list[tuple[int, int]] = []

    verdicts = fast().scan(world.clients, objects, progress=lambda d, t: progress.append((d, t)))

    assert [v.status for v in verdicts] == ["clean", "pii", "unknown"]
    assert [v.object for v in verdicts] == objects
    assert {d.identifier for d in verdicts[1].detections} == {"USA_SOCIAL_SECURITY_NUMBER"}
    assert sum(d.count for d in verdicts[1].detections) == 2
    # No scanner reads .npy: the reason must not send the user to one.
    assert "NumPy array: a format neither Amazon Macie nor the local scanner reads" in (
        verdicts[2].reason or ""
    )
    assert "pii_scanner" not in (verdicts[2].reason or "")
    [create] = recorder.sent("CreateClassificationJob")
    request = create.json()
    assert request["jobType"] == "ONE_TIME"
    assert request["samplingPercentage"] == 100
    assert request["s3JobDefinition"]["bucketDefinitions"] == [
        {"accountId": ACCOUNT, "buckets": [world.bucket]}
    ]
    terms = [t["simpleScopeTerm"] for t in request["s3JobDefinition"]["scoping"]["includes"]["and"]]
    assert terms[0] == {
        "key": "OBJECT_KEY",
        "comparator": "STARTS_WITH",
        "values": ["train/a.csv", "train/people.csv", "train/x.npy"],
    }
    assert terms[1]["key"] == "OBJECT_LAST_MODIFIED_DATE"
    assert terms[1]["comparator"] == "LTE"
    assert progress[0] == (0, 3)
    assert progress[-1] == (3, 3)
    assert operations(recorder).count("GetFindings") == 1


def test_a_kms_key_macie_may_not_use_is_unknown_and_says_how_to_fix_it(world: World) -> None:
    key = world.kms.create_key(Description="data")["KeyMetadata"]["Arn"]
    sealed = world.put("kms/a.csv", CLEAN, ServerSideEncryption="aws:kms", SSEKMSKeyId=key)

    [verdict] = fast().scan(world.clients, [sealed])

    assert verdict.status == "unknown"
    assert "AWSServiceRoleForAmazonMacie" in (verdict.reason or "")
    assert SERVICE_ROLE in (verdict.reason or "")
    assert key in (verdict.reason or "")

    policy = json.loads(world.kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "Macie",
            "Effect": "Allow",
            "Principal": {"AWS": SERVICE_ROLE},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
        }
    )
    world.kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    assert [v.status for v in fast().scan(world.clients, [sealed])] == ["clean"]


def test_findings_macie_already_holds_prove_pii_without_a_job(
    world: World, recorder: RequestRecorder
) -> None:
    people = world.put("p/people.csv", PEOPLE)
    first = fast().scan(world.clients, [people])
    assert len(recorder.sent("CreateClassificationJob")) == 1

    again = fast().scan(world.clients, [people])

    assert again == first
    assert len(recorder.sent("CreateClassificationJob")) == 1, "no second job"
    changed = world.put("p/people.csv", PEOPLE + b"chloe,401-77-2319,5\n")
    assert fast().scan(world.clients, [changed])[0].status == "pii"
    assert len(recorder.sent("CreateClassificationJob")) == 2, "another version: a new job"


def test_more_keys_than_a_job_takes_are_split_over_jobs(
    world: World, controls: macie_emulation.MacieControls, recorder: RequestRecorder
) -> None:
    controls.limit_scope_values(2)
    objects = [world.put(f"s/{i}.csv", CLEAN) for i in range(3)]

    verdicts = fast(max_keys_per_job=2).scan(world.clients, objects)

    assert [v.status for v in verdicts] == ["clean"] * 3
    assert scope_keys(recorder) == [["s/0.csv", "s/1.csv"], ["s/2.csv"]]


def test_objects_outside_the_sample_are_unknown(world: World) -> None:
    objects = [world.put(f"sample/{i}.csv", CLEAN) for i in range(4)]

    verdicts = fast(sampling_percentage=50).scan(world.clients, objects)

    assert sorted(v.status for v in verdicts) == ["clean", "clean", "unknown", "unknown"]
    assert all("50% sample" in (v.reason or "") for v in verdicts if v.status == "unknown")


def test_an_object_in_a_bucket_macie_cannot_reach_names_the_job_error(world: World) -> None:
    gone = S3Object("safeai-deleted-bucket", "a.csv", '"e"', 10, 1.0)

    [verdict] = fast().scan(world.clients, [gone])

    assert verdict.status == "unknown"
    assert "reported an error" in (verdict.reason or "")
    assert "/aws/macie/classificationjobs" in (verdict.reason or "")


def test_an_object_rewritten_after_listing_is_unknown(world: World) -> None:
    listed = world.put("c/a.csv", CLEAN)
    world.put("c/a.csv", PEOPLE)

    [verdict] = fast(reuse_findings=False).scan(world.clients, [listed])

    assert verdict.status == "unknown"
    assert "changed" in (verdict.reason or "")


# Failures: each refuses, fail closed, with the cause


def test_a_job_that_does_not_finish_in_time_is_cancelled(
    world: World, controls: macie_emulation.MacieControls, recorder: RequestRecorder
) -> None:
    controls.delay_jobs(None)
    clock = Clock()
    scanner = MacieScanner(
        timeout_s=60, poll_initial_s=5, poll_max_s=20, sleep=clock.sleep, clock=clock.clock
    )

    with pytest.raises(PreflightError, match="did not complete within 60 s") as raised:
        scanner.scan(world.clients, [world.put("t/a.csv", CLEAN)])

    [job_id] = controls.job_ids[-1:]
    assert job_id in str(raised.value)
    assert raised.value.control == "pii"  # the guard names the request's control instead
    [cancel] = recorder.sent("UpdateClassificationJob")
    assert cancel.json() == {"jobStatus": "CANCELLED"}
    assert world.macie.describe_classification_job(jobId=job_id)["jobStatus"] == "CANCELLED"
    assert clock.sleeps == [5, 10, 20, 20, 5]
    assert "GetFindings" not in operations(recorder)


def test_macie_not_enabled_says_how_to_enable_it(
    world: World, controls: macie_emulation.MacieControls, recorder: RequestRecorder
) -> None:
    controls.disable_macie()

    with pytest.raises(PreflightError, match="not enabled in us-east-1") as raised:
        fast().scan(world.clients, [world.put("d/a.csv", CLEAN)])

    assert "aws macie2 enable-macie --region us-east-1" in str(raised.value)
    assert isinstance(raised.value.__cause__, ClientError)
    assert operations(recorder) == ["GetMacieSession"]


def test_macie_paused_refuses(world: World, recorder: RequestRecorder) -> None:
    world.macie.update_macie_session(status="PAUSED")

    with pytest.raises(PreflightError, match="PAUSED") as raised:
        fast().scan(world.clients, [world.put("d/a.csv", CLEAN)])

    assert "update-macie-session --status ENABLED" in str(raised.value)
    assert "CreateClassificationJob" not in operations(recorder)


def test_access_denied_refuses_with_the_permission_to_grant(
    world: World, controls: macie_emulation.MacieControls
) -> None:
    controls.deny("CreateClassificationJob")

    with pytest.raises(PreflightError, match="macie2:CreateClassificationJob") as raised:
        fast().scan(world.clients, [world.put("d/a.csv", CLEAN)])

    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.__cause__.response["Error"]["Code"] == "AccessDeniedException"


def test_throttling_is_retried_by_botocore(
    world: World, controls: macie_emulation.MacieControls, recorder: RequestRecorder
) -> None:
    controls.throttle(2, "GetMacieSession")

    verdicts = fast().scan(world.clients, [world.put("r/a.csv", CLEAN)])

    assert [v.status for v in verdicts] == ["clean"]
    assert operations(recorder).count("GetMacieSession") == 3


def test_throttling_beyond_botocores_retries_refuses(
    sandbox: Sandbox, controls: macie_emulation.MacieControls, recorder: RequestRecorder
) -> None:
    world = World(
        sandbox.boto_session(), Config(retries={"mode": "standard", "total_max_attempts": 2})
    )
    controls.throttle(10, "ListFindings")

    with pytest.raises(PreflightError, match="ThrottlingException") as raised:
        fast().scan(world.clients, [world.put("r/a.csv", CLEAN)])

    assert raised.value.__cause__ is not None
    assert operations(recorder).count("ListFindings") == 2
    assert "CreateClassificationJob" not in operations(recorder)


def test_no_results_repository_refuses_before_any_job(
    sandbox: Sandbox, controls: macie_emulation.MacieControls, recorder: RequestRecorder
) -> None:
    world = World(sandbox.boto_session())
    elsewhere = boto3.Session(region_name="us-west-2")
    clients = {"macie2": elsewhere.client("macie2"), "s3": world.s3}

    with pytest.raises(PreflightError, match="put-classification-export-configuration"):
        fast().scan(clients.__getitem__, [world.put("n/a.csv", CLEAN)])

    assert "CreateClassificationJob" not in operations(recorder)


def test_unreadable_discovery_results_refuse(world: World, recorder: RequestRecorder) -> None:
    configuration = world.macie.get_classification_export_configuration()["configuration"]
    results = configuration["s3Destination"]["bucketName"]
    for page in world.s3.get_paginator("list_objects_v2").paginate(Bucket=results):
        assert not page.get("Contents")
    world.s3.delete_bucket(Bucket=results)

    with pytest.raises(PreflightError, match="discovery results"):
        fast().scan(world.clients, [world.put("u/a.csv", CLEAN)])


# The fingerprint cache in front of Macie


def test_a_relaunch_lists_and_creates_no_job_and_one_change_makes_one_scoped_job(
    world: World, recorder: RequestRecorder, tmp_path: Path
) -> None:
    for i in range(4):
        world.put(f"train/{i}.csv", CLEAN)
    world.put("train/people.csv", PEOPLE)
    target = [(world.bucket, "train/")]

    first = scan_targets(target, fast(), world.clients, cache=VerdictCache(tmp_path))
    assert sorted(v.status for v in first) == ["clean"] * 4 + ["pii"]
    assert len(recorder.sent("CreateClassificationJob")) == 1

    recorder.requests.clear()
    relaunch = scan_targets(target, fast(), world.clients, cache=VerdictCache(tmp_path))
    assert relaunch == first
    assert [r.operation for r in recorder.requests] == ["ListObjectsV2"]

    recorder.requests.clear()
    world.put("train/2.csv", CLEAN + b"50,1,2\n")
    scan_targets(target, fast(), world.clients, cache=VerdictCache(tmp_path))
    assert scope_keys(recorder) == [["train/2.csv"]]


def test_concurrent_launches_run_one_job(
    world: World, controls: macie_emulation.MacieControls, recorder: RequestRecorder
) -> None:
    controls.delay_jobs(3)
    world.put("sf/a.csv", CLEAN)
    world.put("sf/people.csv", PEOPLE)
    cache = VerdictCache()
    polling = threading.Event()
    results: list[list[ObjectVerdict]] = []

    def sleep(seconds: float) -> None:
        polling.set()
        threading.Event().wait(0.2)  # the other launch finds the scan in flight meanwhile

    def launch() -> None:
        scanner = MacieScanner(poll_initial_s=0.01, sleep=sleep)
        results.append(scan_targets([(world.bucket, "sf/")], scanner, world.clients, cache=cache))

    first = threading.Thread(target=launch)
    first.start()
    assert polling.wait(30)
    second = threading.Thread(target=launch)
    second.start()
    first.join(30)
    second.join(30)

    assert len(results) == 2
    assert results[0] == results[1]
    assert len(recorder.sent("CreateClassificationJob")) == 1


class Listing:
    """A scanner that judges nothing: it shows what the listing handed over."""

    name = "listing"

    def scan(
        self, clients: Callable[[str], Any], objects: Sequence[S3Object], *, progress: Any = None
    ) -> list[ObjectVerdict]:
        return [ObjectVerdict(o, "clean") for o in objects]


def test_every_page_of_every_target_is_listed_once(world: World, recorder: RequestRecorder) -> None:
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT]["aws"]
    for i in range(1001):
        backend.put_object(world.bucket, f"many/{i:04d}.csv", b"1\n")

    verdicts = scan_targets(
        [(world.bucket, "many/"), (world.bucket, "many/00")],
        Listing(),
        world.clients,
        cache=VerdictCache(),
    )

    assert len(verdicts) == 1001
    assert verdicts[0].object.key == "many/0000.csv"
    assert verdicts[0].object.etag.startswith('"')
    assert operations(recorder, "s3") == ["ListObjectsV2"] * 3


def test_a_listing_that_fails_refuses(world: World) -> None:
    with pytest.raises(PreflightError, match="s3:ListBucket") as raised:
        scan_targets(
            [("no-such-bucket-safeai", "x/")], Listing(), world.clients, cache=VerdictCache()
        )
    assert raised.value.resource == "s3://no-such-bucket-safeai/x/"


# The emulation itself


def test_the_emulation_speaks_macies_shapes(
    world: World, controls: macie_emulation.MacieControls
) -> None:
    controls.delay_jobs(1)
    world.put("shape/people.csv", PEOPLE, ServerSideEncryption="AES256")
    job = world.macie.create_classification_job(
        jobType="ONE_TIME",
        name="shape",
        clientToken="token-1",
        s3JobDefinition={
            "bucketDefinitions": [{"accountId": ACCOUNT, "buckets": [world.bucket]}],
            "scoping": {
                "includes": {
                    "and": [
                        {
                            "simpleScopeTerm": {
                                "key": "OBJECT_EXTENSION",
                                "comparator": "EQ",
                                "values": ["csv"],
                            }
                        }
                    ]
                }
            },
        },
    )
    again = world.macie.create_classification_job(
        jobType="ONE_TIME",
        name="shape",
        clientToken="token-1",
        s3JobDefinition={"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": [world.bucket]}]},
    )
    assert again["jobId"] == job["jobId"], "idempotent on clientToken"
    running = world.macie.describe_classification_job(jobId=job["jobId"])
    assert running["jobStatus"] == "RUNNING"
    assert running["statistics"]["approximateNumberOfObjectsToProcess"] == 1
    assert world.macie.describe_classification_job(jobId=job["jobId"])["jobStatus"] == "COMPLETE"

    listed = world.macie.list_classification_jobs(
        filterCriteria={"includes": [{"key": "name", "comparator": "EQ", "values": ["shape"]}]}
    )
    assert [j["jobId"] for j in listed["items"]] == [job["jobId"]]
    ids = world.macie.list_findings(
        findingCriteria={"criterion": {"classificationDetails.jobId": {"eq": [job["jobId"]]}}}
    )["findingIds"]
    [finding] = world.macie.get_findings(findingIds=ids)["findings"]
    assert finding["type"] == "SensitiveData:S3Object/Personal"
    assert finding["category"] == "CLASSIFICATION"
    assert finding["resourcesAffected"]["s3Bucket"]["name"] == world.bucket
    assert finding["resourcesAffected"]["s3Object"]["key"] == "shape/people.csv"
    assert (
        finding["resourcesAffected"]["s3Object"]["serverSideEncryption"]["encryptionType"]
        == "AES256"
    )
    assert finding["classificationDetails"]["result"]["status"]["code"] == "COMPLETE"
    assert finding["classificationDetails"]["detailedResultsLocation"].endswith(".jsonl.gz")
    assert finding["severity"]["description"] in {"Low", "Medium", "High"}

    with pytest.raises(ClientError, match="ValidationException"):
        world.macie.get_findings(findingIds=[f"id-{i}" for i in range(51)])
    with pytest.raises(ClientError, match="ValidationException"):
        world.macie.update_classification_job(jobId=job["jobId"], jobStatus="CANCELLED")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        world.macie.describe_classification_job(jobId="0" * 32)
    with pytest.raises(ClientError, match="ValidationException"):
        world.macie.create_classification_job(
            jobType="ONE_TIME",
            name="bad",
            s3JobDefinition={
                "bucketDefinitions": [{"accountId": ACCOUNT, "buckets": [world.bucket]}],
                "scoping": {
                    "includes": {
                        "and": [
                            {
                                "simpleScopeTerm": {
                                    "key": "OBJECT_LAST_MODIFIED_DATE",
                                    "comparator": "GT",
                                    "values": ["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"],
                                }
                            }
                        ]
                    }
                },
            },
        )


def test_findings_are_paginated(world: World) -> None:
    from moto.s3.models import s3_backends

    for i in range(55):  # straight into moto: 55 uploads over HTTPS would only cost time
        s3_backends[ACCOUNT]["aws"].put_object(world.bucket, f"page/{i:02d}.csv", PEOPLE)
    objects = [
        S3Object(world.bucket, o["Key"], o["ETag"], o["Size"], o["LastModified"].timestamp())
        for o in world.s3.list_objects_v2(Bucket=world.bucket, Prefix="page/")["Contents"]
    ]
    verdicts = fast(reuse_findings=False, max_keys_per_job=100).scan(world.clients, objects)
    assert [v.status for v in verdicts] == ["pii"] * 55
    job_id = macie_emulation.controls(REGION, ACCOUNT).job_ids[-1]
    criterion = {"classificationDetails.jobId": {"eq": [job_id]}}
    first = world.macie.list_findings(findingCriteria={"criterion": criterion})
    assert len(first["findingIds"]) == 50
    rest = world.macie.list_findings(
        findingCriteria={"criterion": criterion}, nextToken=first["nextToken"]
    )
    assert len(rest["findingIds"]) == 5
    assert "nextToken" not in rest


MOCK_AWS_SCRIPT = """
import json, boto3
from moto import mock_aws
from safeai.pii._macie import MacieScanner
from safeai.pii._verdict import S3Object
from safeai.testing import _macie

_macie.install()
with mock_aws():
    session = boto3.Session(region_name="us-east-1")
    s3, kms = session.client("s3"), session.client("kms")
    s3.create_bucket(Bucket="data")
    s3.create_bucket(Bucket="results")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    session.client("macie2").put_classification_export_configuration(
        configuration={"s3Destination": {"bucketName": "results", "kmsKeyArn": key}}
    )
    objects = []
    for name, body in (("a.csv", CLEAN), ("people.csv", PEOPLE)):
        s3.put_object(Bucket="data", Key=name, Body=body)
        head = s3.head_object(Bucket="data", Key=name)
        modified = head["LastModified"].timestamp()
        objects.append(S3Object("data", name, head["ETag"], head["ContentLength"], modified))
    verdicts = MacieScanner(sleep=lambda s: None).scan(session.client, objects)
    print(json.dumps([v.status for v in verdicts]))
"""


def test_the_emulation_answers_under_mock_aws_too() -> None:
    # A process of its own: mock_aws resets every moto backend, the sandbox's included.
    environment = {
        k: v for k, v in os.environ.items() if k not in {"AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"}
    }
    environment["PYTHONPATH"] = os.pathsep.join(sys.path)
    script = f"CLEAN = {CLEAN!r}\nPEOPLE = {PEOPLE!r}\n{MOCK_AWS_SCRIPT}"
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["clean", "pii"]


def test_a_reset_forgets_jobs_and_findings(sandbox: Sandbox, world: World) -> None:
    fast().scan(world.clients, [world.put("z/people.csv", PEOPLE)])
    assert macie_emulation.controls(REGION, ACCOUNT).job_ids

    sandbox.reset()

    assert macie_emulation.controls(REGION, ACCOUNT).job_ids == []
    macie = sandbox.boto_session().client("macie2")
    assert macie.list_findings()["findingIds"] == []
    # What is left is the sandbox baseline's own results repository, not the test's.
    repository = macie.get_classification_export_configuration()["configuration"]
    assert repository["s3Destination"]["bucketName"] == "safeai-sandbox-macie-results"


# Archives and binary formats, as Macie reads them


def discovery_results(world: World) -> dict[str, dict[str, Any]]:
    """The status Macie's discovery results give each object, by key."""
    statuses = {}
    for item in world.s3.list_objects_v2(Bucket=world.results)["Contents"]:
        body = world.s3.get_object(Bucket=world.results, Key=item["Key"])["Body"].read()
        for line in gzip.decompress(body).splitlines():
            record = json.loads(line)
            key = record["resourcesAffected"]["s3Object"]["key"]
            statuses[key] = record["classificationDetails"]["result"]["status"]
    return statuses


def test_archives_are_opened_like_macie_does(world: World) -> None:
    objects = [
        world.put("clean/source/sourcedir.tar.gz", tar_gz(SOURCE)),
        world.put("leaky/source/sourcedir.tar.gz", tar_gz({**SOURCE, "data/people.csv": CARDS})),
        world.put("bundle/code.zip", zipped({**SOURCE, "assets/logo.png": b"\x89PNG" + bytes(60)})),
        world.put("mixed/code.zip", zipped({"people.csv": CARDS, "x.npy": NPY})),
    ]

    verdicts = fast().scan(world.clients, objects)

    assert [v.status for v in verdicts] == ["clean", "pii", "unknown", "pii"]
    assert {d.identifier for d in verdicts[1].detections} == {"CREDIT_CARD_NUMBER"}
    assert sum(d.count for d in verdicts[1].detections) == 2
    assert (
        "Macie analysed only part of it: it is an archive holding files Macie could not read"
        in (verdicts[2].reason or "")
    )
    statuses = discovery_results(world)
    assert statuses["clean/source/sourcedir.tar.gz"] == {"code": "COMPLETE"}
    assert statuses["leaky/source/sourcedir.tar.gz"] == {"code": "COMPLETE"}
    partial = {"code": "PARTIAL", "reason": "ARCHIVE_CONTAINS_UNPROCESSED_FILES"}
    assert statuses["bundle/code.zip"] == partial
    assert statuses["mixed/code.zip"] == partial  # findings too, for what it could read


def test_an_archive_over_macies_nesting_depth_is_partial(world: World) -> None:
    data = zipped({"people.csv": b"label\n1\n"})
    for _ in range(10):  # 11 layers: one more than Macie reads
        data = zipped({"inner.zip": data})
    deep = world.put("deep/a.zip", data)

    [verdict] = fast().scan(world.clients, [deep])

    assert verdict.status == "unknown"
    assert "an archive nested deeper than Macie reads (10 layers)" in (verdict.reason or "")
    assert discovery_results(world)["deep/a.zip"] == {
        "code": "PARTIAL",
        "reason": "ARCHIVE_NESTING_LEVEL_OVER_LIMIT",
    }


def test_each_unread_format_says_only_what_works(world: World) -> None:
    objects = [
        world.put("train/images.rec", b"\x0a\x23\xd7\xce" + bytes(60)),
        world.put("train/cat.jpg", b"\xff\xd8\xff\xe0" + bytes(60)),
        world.put("code/sourcedir.tgz", tar_gz(SOURCE)),
        world.put("tables/part-0.parquet", b"PAR1" + bytes(16) + b"PAR1"),
        world.put("blobs/data.bin2", bytes(range(256)) * 8),
    ]

    reasons = [v.reason or "" for v in fast().scan(world.clients, objects)]

    assert (
        "skipped: MXNet RecordIO: a format neither Amazon Macie nor the local scanner reads"
        in (reasons[0])
    )
    assert (
        "skipped: image: a format neither Amazon Macie nor the local scanner reads" in (reasons[1])
    )
    for unreadable_everywhere in reasons[:2]:
        assert "pii_scanner" not in unreadable_everywhere
        assert "local scanner does" not in unreadable_everywhere
    assert 'the local scanner does (Policy.pii_scanner = "local")' in reasons[2]
    # The sandbox's Macie reads no Parquet; real Macie does, so its word must not deny that.
    assert "though it reads Apache Parquet" in reasons[3]
    assert "Macie does not read its file format (it reads text, Apache Avro" in reasons[4]
