"""LocalScanner.scan against a real boto3 S3 client on the sandbox (moto in server mode)."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from safeai import PolicyError
from safeai.pii._local import LocalScanner
from safeai.pii._verdict import Detection, S3Object, Scanner
from tests.archives import tar_gz

if TYPE_CHECKING:
    from collections.abc import Callable

    from safeai.testing import Sandbox

SSN = "USA_SOCIAL_SECURITY_NUMBER"
MIB = 1 << 20


class RecordingS3:
    """An S3 client that records how each object's body is read."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3
        self.gets: list[str] = []
        self.reads: list[int | None] = []

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        self.gets.append(kwargs["Key"])
        response: dict[str, Any] = self.s3.get_object(**kwargs)
        response["Body"] = RecordingBody(response["Body"], self.reads)
        return response


class RecordingBody:
    def __init__(self, body: Any, reads: list[int | None]) -> None:
        self.body, self.reads = body, reads

    def read(self, amount: int | None = None) -> bytes:
        self.reads.append(amount)
        data: bytes = self.body.read(amount)
        return data

    def close(self) -> None:
        self.body.close()


@pytest.fixture
def s3(sandbox: Sandbox) -> RecordingS3:
    return RecordingS3(sandbox.boto_session().client("s3"))


@pytest.fixture
def bucket(s3: RecordingS3) -> str:
    name = f"pii-local-{uuid.uuid4().hex[:12]}"
    s3.s3.create_bucket(Bucket=name)
    return name


def listed(s3: RecordingS3, bucket: str) -> list[S3Object]:
    page = s3.s3.list_objects_v2(Bucket=bucket)
    return [
        S3Object(
            bucket=bucket,
            key=item["Key"],
            etag=item["ETag"],
            size=item["Size"],
            last_modified=item["LastModified"].timestamp(),
        )
        for item in page.get("Contents", [])
    ]


def clients_of(s3: RecordingS3) -> Callable[[str], Any]:
    def clients(service: str) -> Any:
        assert service == "s3"
        return s3

    return clients


def put(s3: RecordingS3, bucket: str, key: str, body: bytes) -> None:
    s3.s3.put_object(Bucket=bucket, Key=key, Body=body)


def big_csv(size: int) -> bytes:
    """``size`` bytes of clean CSV rows, then one row with an SSN."""
    row = b"2024-03-12T10:00:00Z,0.123456,1234.56,grocery,ok\n"
    body = b"ts,score,amount,category,note\n" + row * (size // len(row))
    return body + b"2024-03-12T10:00:00Z,0.5,1.0,fuel,ssn 536-22-1934\n"


def test_scan_classifies_each_format(s3: RecordingS3, bucket: str) -> None:
    put(s3, bucket, "a/people.csv", b"name,email,ssn\nann,ann@example.com,536221934\n")
    put(s3, bucket, "b/clean.jsonl", b'{"id": 1, "text": "hello"}\n{"id": 2, "text": "bye"}\n')
    card = json.dumps({"note": "paid with card 4539 1488 0343 6467"}).encode()
    put(s3, bucket, "c/events.jsonl.gz", gzip.compress(card))
    put(s3, bucket, "d/part-00000", gzip.compress(b"call +44 7911 123456\n"))
    put(s3, bucket, "e/features.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8'}" + bytes(64))
    put(s3, bucket, "f/blob", bytes(range(256)) * 8)
    put(s3, bucket, "g/empty.txt", b"")
    objects = listed(s3, bucket)
    calls: list[tuple[int, int]] = []

    verdicts = LocalScanner().scan(
        clients_of(s3), objects, progress=lambda done, total: calls.append((done, total))
    )

    assert [v.object for v in verdicts] == objects
    by_key = {v.object.key: v for v in verdicts}
    assert by_key["a/people.csv"].status == "pii"
    assert by_key["a/people.csv"].detections == (
        Detection("EMAIL_ADDRESS", 1),
        Detection(SSN, 1),
    )
    assert (by_key["b/clean.jsonl"].status, by_key["b/clean.jsonl"].reason) == ("clean", None)
    assert by_key["c/events.jsonl.gz"].detections == (Detection("CREDIT_CARD_NUMBER", 1),)
    assert by_key["d/part-00000"].detections == (Detection("UK_PHONE_NUMBER", 1),)
    unread = (
        ("e/features.npy", "NumPy array: a format neither Amazon Macie nor the local scanner"),
        ("f/blob", "binary content"),
    )
    for key, reason in unread:
        assert by_key[key].status == "unknown"
        assert by_key[key].detections == ()
        assert reason in (by_key[key].reason or "")
    assert (by_key["g/empty.txt"].status, by_key["g/empty.txt"].reason) == ("clean", None)
    assert calls == [(i, len(objects)) for i in range(1, len(objects) + 1)]
    assert "e/features.npy" not in s3.gets  # binary by its name: not fetched at all


def test_a_large_object_is_streamed_in_pieces(s3: RecordingS3, bucket: str) -> None:
    data = big_csv(6 * MIB)
    put(s3, bucket, "big.csv", data)

    (verdict,) = LocalScanner().scan(clients_of(s3), listed(s3, bucket))

    assert (verdict.status, verdict.detections, verdict.reason) == (
        "pii",
        (Detection(SSN, 1),),
        None,
    )
    assert None not in s3.reads  # never "read it all"
    assert max(amount or 0 for amount in s3.reads) <= MIB
    assert len(s3.reads) > len(data) // MIB


def test_sample_bytes_reads_only_the_start(s3: RecordingS3, bucket: str) -> None:
    put(s3, bucket, "big.csv", big_csv(3 * MIB))

    (verdict,) = LocalScanner(sample_bytes=MIB).scan(clients_of(s3), listed(s3, bucket))

    assert verdict.status == "clean"
    assert verdict.reason == f"sampled: read the first {MIB} bytes only"
    assert len(s3.reads) <= 2


def test_sampling_percentage_reads_a_stable_share(s3: RecordingS3, bucket: str) -> None:
    for number in range(40):
        put(s3, bucket, f"s/{number}.txt", f"ssn 536-22-{1000 + number}".encode())
    objects = listed(s3, bucket)
    sampler = LocalScanner(sampling_percentage=50)

    first = sampler.scan(clients_of(s3), objects)
    second = sampler.scan(clients_of(s3), objects)

    skipped = [v for v in first if v.status == "clean"]
    assert 0 < len(skipped) < len(objects)
    assert all((v.reason or "").startswith("sampled out") for v in skipped)
    assert all(v.status == "pii" for v in first if v not in skipped)
    assert [v.status for v in first] == [v.status for v in second]
    assert len(s3.gets) == 2 * (len(objects) - len(skipped))
    assert all(v.status == "pii" for v in LocalScanner().scan(clients_of(s3), objects))


def test_objects_that_cannot_be_read_are_unknown(s3: RecordingS3, bucket: str) -> None:
    put(s3, bucket, "people.csv", b"ssn\n536221934\n")
    (listed_object,) = listed(s3, bucket)
    changed = S3Object(bucket, "people.csv", '"0123456789abcdef0123456789abcdef"', 14, 0.0)
    gone = S3Object(bucket, "deleted.csv", "", 10, 0.0)
    broken = S3Object(bucket, "broken.csv.gz", "", 10, 0.0)
    put(s3, bucket, "broken.csv.gz", gzip.compress(b"ssn\n536221934\n" * 50)[:-20])

    verdicts = LocalScanner().scan(clients_of(s3), [changed, gone, broken, listed_object])

    assert [v.status for v in verdicts] == ["unknown", "unknown", "unknown", "pii"]
    assert verdicts[0].reason == "could not read the object: PreconditionFailed"
    assert verdicts[1].reason == "could not read the object: NoSuchKey"
    assert "gzip" in (verdicts[2].reason or "")


def test_no_objects_no_client() -> None:
    def clients(service: str) -> Any:
        raise AssertionError("no client is needed")

    assert LocalScanner().scan(clients, []) == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"sample_bytes": 0}, "sample_bytes"),
        ({"sampling_percentage": 0}, "sampling_percentage"),
        ({"sampling_percentage": 101}, "sampling_percentage"),
    ],
)
def test_options_are_checked(options: dict[str, Any], field: str) -> None:
    with pytest.raises(PolicyError) as raised:
        LocalScanner(**options)
    assert raised.value.field == field


def test_classify_bytes() -> None:
    scanner: Scanner = LocalScanner()  # mypy checks it implements the protocol
    assert isinstance(scanner, LocalScanner)
    assert scanner.name == "local"
    status, detections, reason = scanner.classify("x.tsv", b"name\tssn\nann\t536221934\n")
    assert (status, detections, reason) == ("pii", (Detection(SSN, 1),), None)
    assert scanner.classify("x.parquet", b"PAR1")[0] == "unknown"
    assert scanner.classify("x.csv", b"PAR1\x00\x00")[0] == "unknown"  # binary, whatever the name
    assert scanner.classify("x.txt", "café 536-22-1934".encode("latin-1"))[0] == "pii"


def test_a_large_source_archive_is_streamed_and_its_files_classified(
    s3: RecordingS3, bucket: str
) -> None:
    files = {
        "train.py": b"import torch\n",
        "requirements.txt": b"torch==2.3.0\n",
        "data/big.csv": big_csv(3 * MIB),
    }
    put(s3, bucket, "job/source/sourcedir.tar.gz", tar_gz(files))

    (verdict,) = LocalScanner().scan(clients_of(s3), listed(s3, bucket))

    assert (verdict.status, verdict.detections, verdict.reason) == (
        "pii",
        (Detection(SSN, 1),),
        "found in data/big.csv",
    )
    assert None not in s3.reads  # never "read it all"
    assert max(amount or 0 for amount in s3.reads) <= MIB
