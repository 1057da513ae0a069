"""An offline AWS account for the demo, for safeai's tests and for users' own pipelines:
moto in server mode on loopback, with a secure baseline provisioned."""

from __future__ import annotations

import json
import logging
import os
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import SafeAIError
from .._policy import DEFAULT_VPC_ENDPOINTS, Policy

if TYPE_CHECKING:
    from types import TracebackType

    import boto3

__all__ = ["Baseline", "Sandbox"]

REGION = "us-east-1"
ACCOUNT = "123456789012"
MACIE_RESULTS_BUCKET = "safeai-sandbox-macie-results"
_MACIE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"
)
#: The account administers the key; Macie's service-linked role may read what the key protects
#: (the KMS caveat of a PII scan: without this, Macie skips every object under the key) and
#: Macie may encrypt the discovery results it writes.
_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "MacieReadsData",
            "Effect": "Allow",
            "Principal": {"AWS": _MACIE_ROLE},
            "Action": ["kms:Decrypt"],
            "Resource": "*",
        },
        {
            "Sid": "MacieWritesResults",
            "Effect": "Allow",
            "Principal": {"Service": "macie.amazonaws.com"},
            "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
    ],
}
#: Interface endpoints a private SageMaker VPC needs (PrivateLink), by service suffix.
INTERFACE_ENDPOINTS = DEFAULT_VPC_ENDPOINTS
_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass(frozen=True)
class Baseline:
    """What the sandbox provisioned: a private network, a key, a role and a data bucket."""

    kms_key_arn: str
    kms_alias: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_id: str
    route_table_id: str
    vpc_endpoint_ids: tuple[str, ...]
    execution_role_arn: str
    bucket: str
    training_data_uri: str

    def policy(self, **overrides: Any) -> Policy:
        """A policy for this baseline; keyword arguments override fields."""
        fields: dict[str, Any] = {
            "execution_role_arn": self.execution_role_arn,
            "kms_key_id": self.kms_key_arn,
            "subnets": self.subnet_ids,
            "security_group_ids": (self.security_group_id,),
            "region": REGION,
        }
        fields.update(overrides)
        return Policy(**fields)


class Sandbox:
    """moto in server mode on 127.0.0.1 over HTTPS, with safeai's secure baseline.

    While open, the process's AWS environment points every boto3 client at the sandbox
    (``AWS_ENDPOINT_URL``, ``AWS_CA_BUNDLE`` for its certificate, test credentials,
    ``us-east-1``), and a client created with an explicit AWS endpoint (SDK v2 asks STS at its
    regional endpoint that way) is created on the sandbox's, so code under test, SDKs included,
    needs no changes. The previous
    environment is restored on close. moto keeps one emulated account per process, so open one
    sandbox at a time: opening one empties the account.

    >>> with Sandbox() as sandbox:
    ...     safeai.guard(sandbox.policy)
    """

    def __init__(self) -> None:
        self.endpoint_url = ""
        #: The certificate of the sandbox's TLS endpoint (also in ``AWS_CA_BUNDLE`` while open).
        self.ca_bundle = ""
        self.baseline: Baseline | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._saved: dict[str, str | None] = {}

    @property
    def policy(self) -> Policy:
        """The policy matching the provisioned baseline."""
        return self._baseline().policy()

    def _baseline(self) -> Baseline:
        if self.baseline is None:
            raise SafeAIError("the sandbox is not open: use it as a context manager")
        return self.baseline

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server, point the environment at it and provision the baseline."""
        try:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError as error:
            raise SafeAIError(
                "the sandbox needs moto's server mode: pip install 'safeai[sandbox]'"
            ) from error
        from . import (
            _bucket_policies,
            _endpoints,
            _macie,
            _moto_accounts,
            _moto_families,
            _moto_fixes,
            _moto_s3control,
            _moto_stored,
            _moto_studio,
            _tls,
        )

        _moto_fixes.apply()
        _moto_studio.install()
        _moto_families.install()
        _moto_stored.install()
        _moto_accounts.install()
        _moto_s3control.install()
        _bucket_policies.apply()
        _macie.install()
        # The server's request log would drown the output of the code under test.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._directory = tempfile.TemporaryDirectory(prefix="safeai-sandbox-")
        cert, key = _tls.write_certificate(Path(self._directory.name))
        self.ca_bundle = str(cert)
        self._server = make_server(
            "127.0.0.1",
            0,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=MotoRequestHandler,
            ssl_context=_tls.server_context(cert, key),
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.endpoint_url = f"https://127.0.0.1:{self._server.server_port}"
        environment = {
            **_ENVIRONMENT,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_CA_BUNDLE": self.ca_bundle,
        }
        for name, value in environment.items():
            self._saved[name] = os.environ.get(name)
            os.environ[name] = value
        _endpoints.serve_hard_coded_endpoints(self.endpoint_url)
        # moto keeps one account per process, shared by every server in it: start clean.
        try:
            self.reset()
        except BaseException:
            self.stop()  # never leave the process pointed at a half-built sandbox
            raise

    def stop(self) -> None:
        """Stop the server and restore the environment."""
        from . import _endpoints

        _endpoints.serve_hard_coded_endpoints(None)
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    def reset(self) -> None:
        """Empty the account (every service) and provision the baseline again."""
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        context = ssl.create_default_context(cafile=self.ca_bundle)
        with urllib.request.urlopen(request, timeout=10, context=context):
            pass
        self.baseline = provision(self.boto_session())

    def boto_session(self) -> boto3.Session:
        """A new, unguarded boto3 session on the sandbox."""
        import boto3

        return boto3.Session(region_name=REGION)


def provision(session: boto3.Session) -> Baseline:
    """Create the secure baseline in ``session``'s account."""
    kms = session.client("kms")
    key = kms.create_key(
        Description="safeai sandbox: ML data and artifacts", Policy=json.dumps(_KEY_POLICY)
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    alias = "alias/safeai-ml"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])

    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnets = tuple(
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for cidr, zone in (("10.20.1.0/24", "a"), ("10.20.2.0/24", "b"))
    )
    route_table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=route_table, SubnetId=subnet)
    group = ec2.create_security_group(
        GroupName="safeai-ml", Description="ML jobs: no ingress", VpcId=vpc_id
    )["GroupId"]
    endpoints = [
        ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{REGION}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=[route_table],
        )["VpcEndpoint"]["VpcEndpointId"]
    ]
    endpoints += [
        ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{REGION}.{service}",
            VpcEndpointType="Interface",
            SubnetIds=list(subnets),
            SecurityGroupIds=[group],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]["VpcEndpointId"]
        for service in INTERFACE_ENDPOINTS
    ]

    bucket = "safeai-sandbox-ml-data"
    iam = session.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }
    role = iam.create_role(
        RoleName="safeai-ml-execution",
        AssumeRolePolicyDocument=json.dumps(trust),
        Description="SageMaker execution role (least privilege)",
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="safeai-ml-execution",
        PolicyName="ml-data",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                        "Resource": key["Arn"],
                    },
                ],
            }
        ),
    )

    from ..s3 import secure_bucket

    s3 = session.client("s3")
    data_policy = Policy(kms_key_id=key["Arn"], region=REGION)
    secure_bucket(bucket, client=s3, policy=data_policy)
    # Macie writes what it found, and what it could not read, to a results repository; without
    # one a clean object cannot be told from a skipped one.
    secure_bucket(MACIE_RESULTS_BUCKET, client=s3, policy=data_policy)
    # The account's Block Public Access, all four settings on (s3control.account_public_access).
    session.client("s3control").put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        ),
    )
    macie = session.client("macie2")
    macie.enable_macie()
    macie.put_classification_export_configuration(
        configuration={
            "s3Destination": {
                "bucketName": MACIE_RESULTS_BUCKET,
                "keyPrefix": "macie/",
                "kmsKeyArn": key["Arn"],
            }
        }
    )
    rows = "\n".join(f"{i},{i % 7},{(i * 37) % 101}" for i in range(200))
    s3.put_object(
        Bucket=bucket,
        Key="train/data.csv",
        Body=f"label,f1,f2\n{rows}\n".encode(),
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["Arn"],
    )
    return Baseline(
        kms_key_arn=key["Arn"],
        kms_alias=alias,
        vpc_id=vpc_id,
        subnet_ids=subnets,
        security_group_id=group,
        route_table_id=route_table,
        vpc_endpoint_ids=tuple(endpoints),
        execution_role_arn=role,
        bucket=bucket,
        training_data_uri=f"s3://{bucket}/train/",
    )
