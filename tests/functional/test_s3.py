"""S3 through the guard: real boto3 clients over HTTPS against the moto sandbox, asserting on the
requests actually sent (moto's answers are not what is under test)."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import ssl
import urllib.parse
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

import safeai
from safeai._audit import Collector
from safeai.s3 import secure_bucket

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from safeai.testing import RequestRecorder, Sandbox

MIB = 1024 * 1024


@pytest.fixture
def raw_s3(sandbox: Sandbox) -> Any:
    return boto3.Session(region_name="us-east-1").client("s3")


@pytest.fixture
def bucket(raw_s3: Any) -> str:
    """A bucket made without the guard: only default settings."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    raw_s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def guarded_s3(policy: safeai.Policy) -> Iterator[Any]:
    client = boto3.Session(region_name="us-east-1").client("s3")
    with safeai.guarded(policy, client=client):
        yield client


def _sse_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if "server-side-encryption" in k.lower()}


def _assert_kms(headers: dict[str, str], key: str) -> None:
    assert _sse_headers(headers) == {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": key,
        "x-amz-server-side-encryption-bucket-key-enabled": "true",
    }


# -- objects get SSE-KMS ---------------------------------------------------------------------


def test_put_object_is_sent_encrypted_with_the_policys_key(
    guarded_s3: Any, bucket: str, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    request = {"Bucket": bucket, "Key": "a.csv", "Body": b"x,y\n"}
    guarded_s3.put_object(**request)
    _assert_kms(recorder.last("PutObject").headers, policy.kms_key_id or "")
    assert request == {"Bucket": bucket, "Key": "a.csv", "Body": b"x,y\n"}  # caller's dict kept


def test_a_multipart_upload_encrypts_at_create_and_sends_parts_unchanged(
    policy: safeai.Policy, bucket: str, recorder: RequestRecorder, tmp_path: Path
) -> None:
    large = tmp_path / "large.bin"
    large.write_bytes(b"\0" * (12 * MIB))
    client = boto3.Session(region_name="us-east-1").client("s3")
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    with safeai.guarded(policy, client=client):
        client.upload_file(str(large), bucket, "large.bin", Config=config)
    _assert_kms(recorder.last("CreateMultipartUpload").headers, policy.kms_key_id or "")
    parts = recorder.sent("UploadPart")
    assert len(parts) == 3
    assert all(_sse_headers(part.headers) == {} for part in parts)
    assert recorder.sent("PutObject") == []


def test_upload_fileobj_managed_copy_and_the_resource_api_are_encrypted(
    policy: safeai.Policy, bucket: str, recorder: RequestRecorder, tmp_path: Path
) -> None:
    session = boto3.Session(region_name="us-east-1")
    key = policy.kms_key_id or ""
    with safeai.guarded(policy, session=session):
        client = session.client("s3")
        source = tmp_path / "small.txt"
        source.write_bytes(b"hello")
        with source.open("rb") as handle:
            client.upload_fileobj(handle, bucket, "small.txt")
        _assert_kms(recorder.last("PutObject").headers, key)
        client.copy({"Bucket": bucket, "Key": "small.txt"}, bucket, "copied.txt")
        _assert_kms(recorder.last("CopyObject").headers, key)
        session.resource("s3").Object(bucket, "resource.txt").put(Body=b"r")
        assert len(recorder.sent("PutObject")) == 2
        _assert_kms(recorder.last("PutObject").headers, key)


def test_a_presigned_put_url_signs_the_encryption_headers(
    bucket: str, policy: safeai.Policy, raw_s3: Any, sandbox: Sandbox
) -> None:
    client = boto3.Session(region_name="us-east-1").client(
        "s3", config=Config(signature_version="s3v4")
    )
    with safeai.guarded(policy, client=client):
        url = client.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": "presigned.txt"}
        )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    signed = query["X-Amz-SignedHeaders"][0].split(";")
    assert "x-amz-server-side-encryption" in signed
    assert "x-amz-server-side-encryption-aws-kms-key-id" in signed
    # Whoever uploads must send the signed headers; S3 then stores the object under the key.
    upload = urllib.request.Request(
        url,
        data=b"uploaded",
        method="PUT",
        headers={
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": policy.kms_key_id or "",
            "x-amz-server-side-encryption-bucket-key-enabled": "true",
        },
    )
    context = ssl.create_default_context(cafile=sandbox.ca_bundle)
    with urllib.request.urlopen(upload, context=context) as answer:
        assert answer.status == 200
    head = raw_s3.head_object(Bucket=bucket, Key="presigned.txt")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", policy.kms_key_id)


def _post_policy(form: dict[str, Any]) -> list[Any]:
    conditions: list[Any] = json.loads(base64.b64decode(form["fields"]["policy"]))["conditions"]
    return conditions


def test_a_presigned_post_form_pins_sse_kms_in_its_fields_and_its_signed_policy(
    guarded_s3: Any, bucket: str, policy: safeai.Policy
) -> None:
    form = guarded_s3.generate_presigned_post(bucket, "uploads/${filename}")
    pinned = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": policy.kms_key_id,
        "x-amz-server-side-encryption-bucket-key-enabled": "true",
    }
    assert {k: v for k, v in form["fields"].items() if k in pinned} == pinned
    # Exact conditions in the signed policy: S3 refuses a form that changes or drops them.
    assert all({field: value} in _post_policy(form) for field, value in pinned.items())


@pytest.mark.parametrize(
    ("fields", "conditions"),
    [
        # S3 refuses a field no condition covers, so the uploader would drop these: pinned.
        ({"x-amz-server-side-encryption": "aws:kms"}, None),
        # A prefix condition alone would let the uploader send AES256: the exact one wins.
        (None, [["starts-with", "$x-amz-server-side-encryption", ""]]),
    ],
    ids=["field-only", "starts-with"],
)
def test_the_encryption_of_a_presigned_post_form_is_always_an_exact_condition(
    guarded_s3: Any, bucket: str, policy: safeai.Policy, fields: Any, conditions: Any
) -> None:
    form = guarded_s3.generate_presigned_post(bucket, "k", Fields=fields, Conditions=conditions)
    signed = _post_policy(form)
    assert {"x-amz-server-side-encryption": "aws:kms"} in signed
    assert {"x-amz-server-side-encryption-aws-kms-key-id": policy.kms_key_id} in signed


def test_an_open_acl_condition_follows_the_modes_and_waivers(
    bucket: str, policy: safeai.Policy
) -> None:
    client = boto3.Session(region_name="us-east-1").client("s3")
    anything = [["starts-with", "$acl", ""]]
    warned = dataclasses.replace(policy, modes={"s3.acl": "warn"})
    with (
        safeai.guarded(warned, client=client),
        pytest.warns(safeai.SecurityWarning, match="s3.acl"),
    ):
        client.generate_presigned_post(bucket, "k", Conditions=anything)
    with (
        safeai.guarded(policy, client=client),
        safeai.waive("s3.acl", reason="a public download area, RISK-7"),
    ):
        client.generate_presigned_post(bucket, "k", Conditions=anything)


@pytest.mark.parametrize(
    ("fields", "conditions", "slug"),
    [
        ({"x-amz-server-side-encryption": "AES256"}, None, "s3.sse_kms"),
        (None, [{"x-amz-server-side-encryption": "AES256"}], "s3.sse_kms"),
        ({"x-amz-server-side-encryption-customer-algorithm": "AES256"}, None, "s3.sse_kms"),
        ({"acl": "public-read"}, None, "s3.acl"),
        ({"X-Amz-Server-Side-Encryption": "AES256"}, None, "s3.sse_kms"),  # names in any case
        (None, [["starts-with", "$ACL", "public"]], "s3.acl"),
        (None, [("eq", "$acl", "public-read")], "s3.acl"),  # botocore signs a tuple as a list
        ({"acl": "private"}, [{"acl": "public-read"}], "s3.acl"),  # S3 enforces the condition
        (
            None,
            [["starts-with", "$x-amz-server-side-encryption-customer-algorithm", ""]],
            "s3.sse_kms",
        ),
        (None, [["eq", "$acl", "authenticated-read"]], "s3.acl"),
        (None, [["starts-with", "$acl", ""]], "s3.acl"),
    ],
)
def test_a_weaker_presigned_post_form_is_refused(
    guarded_s3: Any, bucket: str, fields: Any, conditions: Any, slug: str
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        guarded_s3.generate_presigned_post(bucket, "k", Fields=fields, Conditions=conditions)
    assert refused.value.control == slug


def test_an_sse_c_key_in_a_presigned_post_form_never_reaches_a_message_or_the_audit_log(
    guarded_s3: Any, bucket: str, caplog: Any
) -> None:
    key = "c2VjcmV0LWN1c3RvbWVyLWtleS0wMTIzNDU2Nzg5YWI="
    fields = {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": key,
    }
    with (
        caplog.at_level(logging.INFO, logger="safeai.audit"),
        pytest.raises(safeai.SecurityViolation) as refused,
    ):
        guarded_s3.generate_presigned_post(bucket, "k", Fields=fields)
    (record,) = [r for r in caplog.records if r.name == "safeai.audit"]
    assert record.safeai["outcome"] == "refused"
    assert key not in str(refused.value)
    assert key not in json.dumps(record.safeai, default=str)


def test_a_presigned_create_bucket_url_is_refused_the_baseline_cannot_follow_it(
    guarded_s3: Any,
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        guarded_s3.generate_presigned_url("create_bucket", Params={"Bucket": "later"})
    assert refused.value.control == "s3.baseline"
    with safeai.waive("s3.baseline", reason="secured by the platform's bucket factory"):
        assert "later" in guarded_s3.generate_presigned_url(
            "create_bucket", Params={"Bucket": "later"}
        )
        with pytest.raises(safeai.SecurityViolation) as opened:  # the other controls still apply
            guarded_s3.generate_presigned_url(
                "create_bucket", Params={"Bucket": "later", "ACL": "public-read-write"}
            )
    assert opened.value.control == "s3.acl"


def test_a_presigned_post_form_in_report_mode_is_left_as_written(
    bucket: str, policy: safeai.Policy
) -> None:
    client = boto3.Session(region_name="us-east-1").client("s3")
    with safeai.guarded(dataclasses.replace(policy, mode="report"), client=client):
        form = client.generate_presigned_post(bucket, "k", Fields={"acl": "public-read"})
    assert form["fields"]["acl"] == "public-read"
    assert not [k for k in form["fields"] if "server-side-encryption" in k]


def test_an_allowed_key_is_kept(
    guarded_s3: Any, bucket: str, recorder: RequestRecorder, sandbox: Sandbox
) -> None:
    alias = sandbox.baseline.kms_alias if sandbox.baseline else ""
    policy = dataclasses.replace(sandbox.policy, allowed_kms_key_ids=[alias])
    client = boto3.Session(region_name="us-east-1").client("s3")
    with safeai.guarded(policy, client=client):
        client.put_object(Bucket=bucket, Key="k", Body=b"1", SSEKMSKeyId=alias)
    headers = _sse_headers(recorder.last("PutObject").headers)
    assert headers["x-amz-server-side-encryption-aws-kms-key-id"] == alias
    assert headers["x-amz-server-side-encryption"] == "aws:kms"


@pytest.mark.parametrize(
    ("weaker", "path"),
    [
        ({"ServerSideEncryption": "AES256"}, "ServerSideEncryption"),
        (
            {"SSEKMSKeyId": "arn:aws:kms:us-east-1:123456789012:key/another"},
            "SSEKMSKeyId",
        ),
        ({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32}, "SSECustomerAlgorithm"),
        ({"ACL": "public-read"}, "ACL"),
        (
            {"GrantRead": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'},
            "GrantRead",
        ),
    ],
)
def test_a_weaker_object_write_is_refused_and_not_sent(
    guarded_s3: Any,
    bucket: str,
    recorder: RequestRecorder,
    weaker: dict[str, str],
    path: str,
) -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        guarded_s3.put_object(Bucket=bucket, Key="k", Body=b"1", **weaker)
    assert refused.value.path == path
    assert refused.value.control in ("s3.sse_kms", "s3.acl")
    assert "k" * 32 not in str(refused.value)  # an SSE-C key never reaches a message
    assert recorder.sent("PutObject") == []


# -- buckets cannot be weakened ----------------------------------------------------------------


def _state(client: Any, bucket: str) -> dict[str, Any]:
    """Everything a weakening call could change, read without the guard."""

    def read(call: Callable[..., Any], member: str) -> Any:
        try:
            return call(Bucket=bucket).get(member)
        except ClientError as error:
            return error.response["Error"]["Code"]

    return {
        "encryption": read(client.get_bucket_encryption, "ServerSideEncryptionConfiguration"),
        "pab": read(client.get_public_access_block, "PublicAccessBlockConfiguration"),
        "ownership": read(client.get_bucket_ownership_controls, "OwnershipControls"),
        "versioning": read(client.get_bucket_versioning, "Status"),
        "policy": read(client.get_bucket_policy, "Policy"),
        "acl": read(client.get_bucket_acl, "Grants"),
    }


_PUBLIC_READ = {
    "Sid": "Public",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::{bucket}/*",
}
WEAKENINGS: list[tuple[str, dict[str, Any], str]] = [
    (
        "put_bucket_encryption",
        {
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            }
        },
        "s3.default_encryption",
    ),
    ("delete_bucket_encryption", {}, "s3.default_encryption"),
    (
        "put_public_access_block",
        {"PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": False}},
        "s3.public_access",
    ),
    ("delete_public_access_block", {}, "s3.public_access"),
    ("put_bucket_acl", {"ACL": "public-read-write"}, "s3.acl"),
    (
        "put_bucket_acl",
        {
            "AccessControlPolicy": {
                "Owner": {"ID": "owner"},
                "Grants": [
                    {
                        "Grantee": {
                            "Type": "Group",
                            "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                        },
                        "Permission": "READ",
                    }
                ],
            }
        },
        "s3.acl",
    ),
    (
        "put_bucket_ownership_controls",
        {"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}},
        "s3.object_ownership",
    ),
    ("delete_bucket_ownership_controls", {}, "s3.object_ownership"),
    (
        "put_bucket_policy",
        {"Policy": json.dumps({"Version": "2012-10-17", "Statement": [_PUBLIC_READ]})},
        "s3.bucket_policy",
    ),
    ("delete_bucket_policy", {}, "s3.bucket_policy"),
    (
        "put_bucket_versioning",
        {"VersioningConfiguration": {"Status": "Suspended"}},
        "s3.versioning",
    ),
]


@pytest.mark.parametrize(
    ("method", "arguments", "slug"),
    WEAKENINGS,
    ids=[f"{method}-{index}" for index, (method, _, _) in enumerate(WEAKENINGS)],
)
def test_each_weakening_is_refused_and_the_bucket_stays_as_it_was(
    guarded_s3: Any,
    raw_s3: Any,
    policy: safeai.Policy,
    recorder: RequestRecorder,
    method: str,
    arguments: dict[str, Any],
    slug: str,
) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    raw_s3.create_bucket(Bucket=name)
    secure_bucket(name, client=raw_s3, policy=policy)
    before = _state(raw_s3, name)
    recorder.requests.clear()
    arguments = json.loads(json.dumps(arguments).replace("{bucket}", name))
    with pytest.raises(safeai.SecurityViolation) as refused:
        getattr(guarded_s3, method)(Bucket=name, **arguments)
    assert refused.value.control == slug
    assert slug in str(refused.value)
    assert "fix:" in str(refused.value)
    assert [r for r in recorder.requests if r.operation.startswith(("Put", "Delete"))] == []
    assert _state(raw_s3, name) == before


def test_a_public_grant_in_a_tuple_is_refused_like_one_in_a_list(
    guarded_s3: Any, bucket: str, recorder: RequestRecorder
) -> None:
    everyone = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    grants = ({"Grantee": everyone, "Permission": "READ"},)  # botocore sends a tuple as a list
    with pytest.raises(safeai.SecurityViolation) as refused:
        guarded_s3.put_bucket_acl(
            Bucket=bucket, AccessControlPolicy={"Owner": {"ID": "owner"}, "Grants": grants}
        )
    assert refused.value.control == "s3.acl"
    assert recorder.sent("PutBucketAcl") == []


def test_a_weakening_can_be_waived_with_a_reason(guarded_s3: Any, bucket: str, raw_s3: Any) -> None:
    with safeai.waive("s3.versioning", reason="scratch bucket, deleted nightly"):
        guarded_s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
        )
    assert raw_s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_a_compliant_bucket_policy_with_a_restricted_public_statement_is_sent(
    guarded_s3: Any, bucket: str, policy: safeai.Policy, raw_s3: Any
) -> None:
    from safeai.s3 import baseline_policy_statements

    restricted = {
        **_PUBLIC_READ,
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
    }
    statements = [*baseline_policy_statements(bucket, policy.kms_key_ids), restricted]
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    guarded_s3.put_bucket_policy(Bucket=bucket, Policy=document)
    assert json.loads(raw_s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][-1] == (
        restricted
    )


# -- CreateBucket is followed by the baseline ---------------------------------------------------


def _at_baseline(client: Any, bucket: str, policy: safeai.Policy) -> None:
    state = _state(client, bucket)
    rule = state["encryption"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": policy.kms_key_id,
    }
    assert state["pab"] == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert state["ownership"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert state["versioning"] == "Enabled"
    sids = [s.get("Sid") for s in json.loads(state["policy"])["Statement"]]
    assert "SafeAIDenyInsecureTransport" in sids


def test_a_bucket_created_through_the_guard_is_brought_to_the_baseline(
    guarded_s3: Any, raw_s3: Any, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    with Collector() as audit:
        guarded_s3.create_bucket(Bucket=name)
    assert recorder.last("CreateBucket").headers["x-amz-object-ownership"] == (
        "BucketOwnerEnforced"
    )
    _at_baseline(raw_s3, name, policy)
    baseline = [
        d for record in audit.records for d in record["decisions"] if d["control"] == "s3.baseline"
    ]
    assert [d["outcome"] for d in baseline] == ["injected"]
    assert "default encryption" in baseline[0]["value"]


def test_a_waived_baseline_leaves_the_new_bucket_alone(guarded_s3: Any, raw_s3: Any) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    with safeai.waive("s3.baseline", reason="secured by the platform's Terraform"):
        guarded_s3.create_bucket(Bucket=name)
    assert _state(raw_s3, name)["policy"] == "NoSuchBucketPolicy"


# -- secure_bucket ---------------------------------------------------------------------------


def test_secure_bucket_is_idempotent_and_keeps_unrelated_statements(
    raw_s3: Any, bucket: str, policy: safeai.Policy
) -> None:
    own = {
        "Sid": "AnalyticsReads",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/analytics"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    raw_s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [own]})
    )
    dry = secure_bucket(bucket, client=raw_s3, policy=policy, dry_run=True)
    assert dry.dry_run
    assert dry.changed
    assert _state(raw_s3, bucket)["versioning"] is None  # a dry run changes nothing
    first = secure_bucket(bucket, client=raw_s3, policy=policy)
    assert (
        [c.setting for c in first.changes]
        == [c.setting for c in dry.changes]
        == [
            "default encryption",
            "public access block",
            "object ownership",
            "versioning",
            "bucket policy",
        ]
    )
    _at_baseline(raw_s3, bucket, policy)
    statements = json.loads(raw_s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statements[0] == own
    second = secure_bucket(bucket, client=raw_s3, policy=policy)
    assert not second.changed
    assert second.changes == ()
    assert "nothing changed" in str(second)


def test_secure_bucket_creates_a_missing_bucket(raw_s3: Any, policy: safeai.Policy) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    report = secure_bucket(name, client=raw_s3, policy=policy)
    assert report.created
    _at_baseline(raw_s3, name, policy)


def test_secure_bucket_refuses_to_keep_a_public_statement(
    raw_s3: Any, bucket: str, policy: safeai.Policy
) -> None:
    public = {**_PUBLIC_READ, "Resource": f"arn:aws:s3:::{bucket}/*"}
    raw_s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [public]})
    )
    with pytest.raises(safeai.SecurityViolation) as refused:
        secure_bucket(bucket, client=raw_s3, policy=policy)
    assert refused.value.control == "s3.bucket_policy"
    assert "Statement[Public]" in str(refused.value)


def test_the_sandboxs_tls_only_policy_lets_https_through_and_denies_wrong_keys(
    raw_s3: Any, sandbox: Sandbox
) -> None:
    assert sandbox.endpoint_url.startswith("https://")
    bucket = sandbox.baseline.bucket if sandbox.baseline else ""
    raw_s3.put_object(Bucket=bucket, Key="plain-put", Body=b"1")  # gets the bucket default
    with pytest.raises(ClientError, match="403"):
        raw_s3.put_object(Bucket=bucket, Key="aes", Body=b"1", ServerSideEncryption="AES256")


# -- in transit ------------------------------------------------------------------------------


def _client(endpoint: str | None, **kwargs: Any) -> Any:
    return botocore.session.Session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        **kwargs,
    )


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9", "http://s3.example.com"])
def test_a_plain_http_client_is_refused_at_its_first_call(
    policy: safeai.Policy, endpoint: str, recorder: RequestRecorder
) -> None:
    client = _client(endpoint)
    with safeai.guarded(policy, client=client), pytest.raises(safeai.SecurityViolation) as refused:
        client.list_buckets()  # not an operation any control covers: refused all the same
    assert refused.value.control == "client.tls"
    assert not refused.value.waivable
    assert recorder.requests == []


def test_use_ssl_false_is_refused(policy: safeai.Policy, monkeypatch: Any) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    client = _client(None, use_ssl=False)
    assert client.meta.endpoint_url.startswith("http://")
    with safeai.guarded(policy, client=client), pytest.raises(safeai.SecurityViolation):
        client.get_object(Bucket="b", Key="k")


def test_the_loopback_escape_hatch_is_named_and_loopback_only(policy: safeai.Policy) -> None:
    lenient = dataclasses.replace(policy, allow_loopback_http=True, preflight=False)
    loopback = _client("http://127.0.0.1:9")
    with safeai.guarded(lenient, client=loopback), pytest.raises(EndpointConnectionError):
        loopback.put_object(Bucket="b", Key="k", Body=b"1")  # past the guard: nothing listens
    for lookalike in ("http://s3.example.com", "http://127.0.0.1.nip.io", "http://localhost.evil"):
        remote = _client(lookalike)
        with safeai.guarded(lenient, client=remote), pytest.raises(safeai.SecurityViolation):
            remote.put_object(Bucket="b", Key="k", Body=b"1")


def test_a_plain_http_sagemaker_client_is_refused_too(policy: safeai.Policy) -> None:
    client: Any = botocore.session.Session().create_client(
        "sagemaker",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with safeai.guarded(policy, client=client), pytest.raises(safeai.SecurityViolation):
        client.list_training_jobs()


# -- rollout ---------------------------------------------------------------------------------


def test_report_mode_sends_the_object_write_as_written(
    policy: safeai.Policy, bucket: str, recorder: RequestRecorder
) -> None:
    client = boto3.Session(region_name="us-east-1").client("s3")
    reporting = dataclasses.replace(policy, mode="report")
    with safeai.guarded(reporting, client=client), Collector() as audit:
        client.put_object(Bucket=bucket, Key="k", Body=b"1")
    assert _sse_headers(recorder.last("PutObject").headers) == {}
    (record,) = [r for r in audit.records if r["operation"] == "PutObject"]
    assert record["outcome"] == "reported"
    assert [d["outcome"] for d in record["decisions"]] == ["would_inject"]
    assert record["request"]["Body"] == "<BytesIO>"  # never the bytes themselves


# -- the command line ------------------------------------------------------------------------


def test_bucket_secure_dry_run_then_apply_then_nothing_left(
    sandbox: Sandbox, raw_s3: Any, bucket: str, monkeypatch: Any, capsys: Any
) -> None:
    from safeai.cli import main

    baseline = sandbox.baseline
    assert baseline is not None
    monkeypatch.setenv("SAFEAI_KMS_KEY_ID", baseline.kms_key_arn)
    monkeypatch.setenv("SAFEAI_REGION", "us-east-1")
    assert main(["bucket", "secure", bucket, "--dry-run"]) == 0
    assert f"s3://{bucket}: would change" in capsys.readouterr().out
    assert _state(raw_s3, bucket)["versioning"] is None
    assert main(["bucket", "secure", bucket]) == 0
    assert "versioning: never enabled -> Enabled" in capsys.readouterr().out
    assert main(["bucket", "secure", bucket]) == 0
    assert "already at the secure baseline" in capsys.readouterr().out


def test_bucket_secure_without_a_key_says_which_key_is_missing(
    monkeypatch: Any, capsys: Any
) -> None:
    from safeai.cli import main

    monkeypatch.setenv("SAFEAI_REGION", "us-east-1")
    assert main(["bucket", "secure", "any-bucket"]) == 1
    assert "kms_key_id" in capsys.readouterr().err


def test_a_process_guard_adopts_s3_clients_that_already_exist(
    policy: safeai.Policy, bucket: str, recorder: RequestRecorder
) -> None:
    # An S3 client keeps a weak proxy of itself, which gc also lists: it must not be guarded.
    early = boto3.Session(region_name="us-east-1").client("s3")
    with safeai.guarded(policy) as handle:
        early.put_object(Bucket=bucket, Key="early", Body=b"1")
    assert handle.preexisting_clients >= 1
    _assert_kms(recorder.last("PutObject").headers, policy.kms_key_id or "")


def test_secure_bucket_names_the_expected_owner_on_every_call(
    raw_s3: Any, bucket: str, policy: safeai.Policy, recorder: RequestRecorder
) -> None:
    # A bucket of that name in another account must fail, not be "secured" and reported fine;
    # S3 checks the owner, so the requests must carry it (moto does not check it: see sent).
    secure_bucket(bucket, client=raw_s3, policy=policy)
    calls = [r for r in recorder.requests if r.operation != "CreateBucket"]
    assert len(calls) >= 10
    owners = {r.headers.get("x-amz-expected-bucket-owner") for r in calls}
    assert owners == {policy.account_id}
