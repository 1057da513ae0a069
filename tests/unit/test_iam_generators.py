"""The execution role generators: minimal, valid, deterministic, within IAM's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

import safeai
from safeai import iam
from safeai._iam_actions import policy_size, validate_actions

ACCOUNT = "123456789012"
REGION = "us-east-1"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REPOSITORY = "arn:aws:ecr:us-east-1:123456789012:repository/ml/xgboost"


def role_policy(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "inputs": ["s3://ml-data/train/"],
        "outputs": ["s3://ml-models/churn/"],
        "kms_key_arn": KEY,
        "region": REGION,
        "account": ACCOUNT,
        "ecr_repositories": [REPOSITORY],
        "subnets": ["subnet-0b", "subnet-0a"],
        "security_group_ids": ["sg-01"],
        "vpc_id": "vpc-0c",
    }
    arguments.update(overrides)
    return iam.execution_role_policy(**arguments)


def by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in document["Statement"]}


def actions(document: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in document["Statement"]:
        action = statement["Action"]
        found.update([action] if isinstance(action, str) else action)
    return found


def test_grants_exactly_what_a_workload_needs() -> None:
    assert actions(role_policy()) == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:CreateGrant",
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "cloudwatch:PutMetricData",
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    }
    assert all(statement["Effect"] == "Allow" for statement in role_policy()["Statement"])


def test_s3_is_scoped_to_the_exact_prefixes() -> None:
    statements = by_sid(
        role_policy(
            inputs=["s3://ml-data/train/", "s3://ml-data/manifest"], outputs=["s3://ml-data/out/"]
        )
    )
    assert statements["S3ListBucket1"]["Resource"] == ["arn:aws:s3:::ml-data"]
    assert statements["S3ListBucket1"]["Condition"] == {
        "StringLike": {"s3:prefix": ["manifest", "manifest/*", "out/*", "train/*"]}
    }
    assert statements["S3Read"]["Resource"] == [
        "arn:aws:s3:::ml-data/manifest",
        "arn:aws:s3:::ml-data/manifest/*",
        "arn:aws:s3:::ml-data/train/*",
    ]
    assert statements["S3Write"] == {
        "Sid": "S3Write",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": ["arn:aws:s3:::ml-data/out/*"],
    }


def test_one_list_statement_per_bucket_so_prefixes_do_not_leak_between_buckets() -> None:
    statements = by_sid(role_policy())
    assert statements["S3ListBucket1"]["Resource"] == ["arn:aws:s3:::ml-data"]
    assert statements["S3ListBucket1"]["Condition"]["StringLike"]["s3:prefix"] == ["train/*"]
    assert statements["S3ListBucket2"]["Resource"] == ["arn:aws:s3:::ml-models"]
    assert statements["S3ListBucket2"]["Condition"]["StringLike"]["s3:prefix"] == ["churn/*"]


def test_a_whole_bucket_lists_without_a_prefix_condition() -> None:
    statement = by_sid(role_policy(inputs=["s3://ml-data"], outputs=[]))["S3ListBucket1"]
    assert "Condition" not in statement
    assert by_sid(role_policy(inputs=["s3://ml-data"], outputs=[]))["S3Read"]["Resource"] == [
        "arn:aws:s3:::ml-data/*"
    ]


def test_kms_grants_only_for_aws_resources() -> None:
    statements = by_sid(role_policy())
    assert statements["KmsUse"]["Resource"] == [KEY]
    assert statements["KmsGrantForAwsResources"]["Action"] == "kms:CreateGrant"
    assert statements["KmsGrantForAwsResources"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}
    }
    assert not {"KmsUse", "KmsGrantForAwsResources"} & set(by_sid(role_policy(kms_key_arn=None)))


def test_ecr_logs_and_metrics() -> None:
    statements = by_sid(role_policy())
    assert statements["EcrPull"]["Resource"] == [REPOSITORY]
    assert statements["EcrLogin"]["Resource"] == "*"
    assert statements["Logs"]["Resource"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/*"
    ]
    assert statements["Metrics"]["Condition"] == {
        "StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}
    }
    assert "EcrPull" not in by_sid(role_policy(ecr_repositories=()))
    assert "EcrLogin" not in by_sid(role_policy(ecr_repositories=()))


def test_vpc_conditions_only_where_iam_evaluates_them() -> None:
    statements = by_sid(role_policy())
    # The network-interface resource of CreateNetworkInterface carries neither ec2:Subnet nor
    # ec2:Vpc, so a condition there would deny every job.
    assert "Condition" not in statements["VpcCreateInterface"]
    assert statements["VpcCreateInterface"]["Resource"] == [
        "arn:aws:ec2:us-east-1:123456789012:network-interface/*"
    ]
    assert statements["VpcCreateInterfaceIn"]["Resource"] == [
        "arn:aws:ec2:us-east-1:123456789012:security-group/sg-01",
        "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0a",
        "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0b",
    ]
    assert statements["VpcCreateInterfaceIn"]["Condition"] == {
        "ArnEquals": {"ec2:Vpc": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0c"}
    }
    assert statements["VpcManageInterface"]["Condition"] == {
        "ArnEquals": {
            "ec2:Subnet": [
                "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0a",
                "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0b",
            ],
            "ec2:Vpc": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0c",
        }
    }
    assert statements["VpcAnyResource"]["Resource"] == "*"
    assert "Condition" not in statements["VpcAnyResource"]


def test_without_network_details_the_eni_grants_stay_in_the_account_and_region() -> None:
    statements = by_sid(role_policy(subnets=(), security_group_ids=(), vpc_id=None))
    assert statements["VpcCreateInterfaceIn"]["Resource"] == [
        "arn:aws:ec2:us-east-1:123456789012:security-group/*",
        "arn:aws:ec2:us-east-1:123456789012:subnet/*",
    ]
    assert "Condition" not in statements["VpcManageInterface"]


def test_no_vpc_no_ec2() -> None:
    assert not any(action.startswith("ec2:") for action in actions(role_policy(vpc=False)))


def test_deterministic_whatever_the_order_of_the_inputs() -> None:
    first = role_policy(
        inputs=["s3://ml-data/b/", "s3://ml-data/a/"], subnets=["subnet-2", "subnet-1"]
    )
    second = role_policy(
        inputs=["s3://ml-data/a/", "s3://ml-data/b/", "s3://ml-data/a/"],
        subnets=["subnet-1", "subnet-2"],
    )
    assert json.dumps(first) == json.dumps(second)
    assert [statement["Sid"] for statement in first["Statement"]] == [
        statement["Sid"] for statement in second["Statement"]
    ]


def test_every_action_exists_and_sids_are_unique_and_alphanumeric() -> None:
    document = role_policy()
    validate_actions(actions(document))
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(sids) == len(set(sids))
    assert all(sid.isalnum() for sid in sids)
    assert json.loads(json.dumps(document)) == document


def test_partition_follows_the_region() -> None:
    document = role_policy(
        region="cn-north-1",
        kms_key_arn="arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ecr_repositories=(),
    )
    assert by_sid(document)["S3Read"]["Resource"] == ["arn:aws-cn:s3:::ml-data/train/*"]


def test_size_within_the_inline_limit_and_refused_beyond() -> None:
    assert policy_size(role_policy()) <= iam.INLINE_ROLE_POLICY_LIMIT
    many = [f"s3://ml-data/customers/part-{number:05d}.csv" for number in range(200)]
    with pytest.raises(safeai.PolicyError, match=r"over the limit of 10,240: split"):
        role_policy(inputs=many)


def test_managed_policies_have_the_smaller_limit() -> None:
    inputs = [f"s3://ml-data/customers/part-{number:05d}.csv" for number in range(30)]
    assert policy_size(role_policy(inputs=inputs)) > iam.MANAGED_POLICY_LIMIT
    with pytest.raises(safeai.PolicyError, match=r"limit of 6,144.*inline policy may hold 10,240"):
        role_policy(inputs=inputs, managed=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"inputs": ["ml-data/train/"]}, "not an s3://bucket/prefix URI"),
        ({"inputs": ["https://ml-data.s3.amazonaws.com/x"]}, "not an s3://bucket/prefix URI"),
        ({"inputs": "s3://ml-data/train/"}, "expected a list"),
        ({"outputs": ["s3://ml-data/run-*/"]}, "IAM wildcard"),
        ({"inputs": [], "outputs": []}, "at least one input or output"),
        ({"kms_key_arn": "alias/ml"}, "not a KMS key ARN"),
        ({"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:alias/ml"}, "not a KMS key ARN"),
        ({"ecr_repositories": ["ml/xgboost"]}, "not an ECR repository ARN"),
        ({"account": "1234"}, "not a 12-digit account id"),
        ({"region": "US East"}, "not a region name"),
        ({"subnets": ["10.0.0.0/24"]}, "not a subnet id"),
        ({"security_group_ids": ["default"]}, "not a security group id"),
        ({"vpc_id": "default"}, "not a VPC id"),
        ({"log_group_prefix": "/aws/*"}, "not a log group name prefix"),
    ],
)
def test_bad_inputs_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(safeai.PolicyError, match=message):
        role_policy(**overrides)


def test_trust_policy_trusts_only_sagemaker_for_this_account_and_region() -> None:
    document = iam.trust_policy(ACCOUNT, REGION, ["training-job", "processing-job"])
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {
            "aws:SourceArn": [
                "arn:aws:sagemaker:us-east-1:123456789012:processing-job/*",
                "arn:aws:sagemaker:us-east-1:123456789012:training-job/*",
            ]
        },
    }
    default = iam.trust_policy(ACCOUNT, REGION)
    assert len(default["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]) == len(
        iam.DEFAULT_JOB_TYPES
    )
    assert policy_size(default) <= iam.TRUST_POLICY_LIMIT


@pytest.mark.parametrize(
    ("account", "region", "job_types", "message"),
    [
        ("12345", REGION, ["training-job"], "account id"),
        (ACCOUNT, "mars-1", ["training-job"], "region"),
        (ACCOUNT, REGION, ["training_job"], "SageMaker resource type"),
        (ACCOUNT, REGION, [], "at least one"),
        (ACCOUNT, REGION, "training-job", "expected a list"),
    ],
)
def test_trust_policy_refuses_bad_values(
    account: str, region: str, job_types: Any, message: str
) -> None:
    with pytest.raises(safeai.PolicyError, match=message):
        iam.trust_policy(account, region, job_types)


def test_action_validation_reads_botocore_and_the_small_alias_table() -> None:
    validate_actions(["s3:ListBucket", "iam:PassRole", "sagemaker:CreateTrainingJob"])
    with pytest.raises(safeai.PolicyError, match=r"s3:GetObjects, sagemaker:CreateTrainingJobs"):
        validate_actions(["sagemaker:CreateTrainingJobs", "s3:GetObjects"])
    with pytest.raises(safeai.PolicyError, match="nosuchservice:Get"):
        validate_actions(["nosuchservice:Get"])


def test_generated_documents_pass_the_role_check() -> None:
    from safeai.preflight.iam import permission_findings, trust_findings

    assert permission_findings(role_policy()) == []
    assert permission_findings(role_policy(subnets=(), security_group_ids=(), vpc_id=None)) == []
    assert trust_findings(iam.trust_policy(ACCOUNT, REGION), ACCOUNT) == []
