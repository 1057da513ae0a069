"""What the role check treats as admin-grade, and the few actions that may name Resource "*".

Kept as data so a reviewer can read and extend the lists without reading the checks; a unit
test verifies every managed policy name against moto's copy of AWS's managed policy list.
"""

from __future__ import annotations

__all__ = ["ADMIN_GRADE_MANAGED_POLICIES", "STAR_RESOURCE_ACTIONS"]

#: AWS managed policies an execution role must not hold: each grants every action of a service
#: (or of many) on every resource. Path-qualified like their ARNs: ``arn:aws:iam::aws:policy/``
#: followed by the entry.
ADMIN_GRADE_MANAGED_POLICIES: frozenset[str] = frozenset(
    {
        "AdministratorAccess",
        "PowerUserAccess",
        "IAMFullAccess",
        "AmazonSageMakerFullAccess",
        "AmazonSageMakerCanvasFullAccess",
        "AmazonS3FullAccess",
        "AmazonEC2FullAccess",
        "AmazonVPCFullAccess",
        "AmazonEC2ContainerRegistryFullAccess",
        "AWSKeyManagementServicePowerUser",
        "SecretsManagerReadWrite",
        "AWSLambda_FullAccess",
        "AWSCloudFormationFullAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonRDSFullAccess",
        "AmazonRedshiftFullAccess",
        "AmazonAthenaFullAccess",
        "AWSGlueConsoleFullAccess",
        "AmazonKinesisFullAccess",
        "AmazonSNSFullAccess",
        "AmazonSQSFullAccess",
        "AWSStepFunctionsFullAccess",
        "AmazonECS_FullAccess",
        "AmazonSSMFullAccess",
        "AmazonElasticFileSystemFullAccess",
        "CloudWatchFullAccess",
        "CloudWatchLogsFullAccess",
        "AWSOrganizationsFullAccess",
        "job-function/SystemAdministrator",
        "job-function/NetworkAdministrator",
        "job-function/DatabaseAdministrator",
        "job-function/DataScientist",
    }
)

#: Actions whose IAM authorization has no resource to scope to (or none SageMaker can name in
#: advance), so an execution role may allow them on Resource "*": CloudWatch metrics and logs,
#: the ECR login token, and the ENI and describe calls SageMaker makes to place a job in a VPC.
#: Compared without regard to case, as IAM does; patterns such as ``ec2:Describe*`` are not
#: listed and so are not allowed on "*".
STAR_RESOURCE_ACTIONS: frozenset[str] = frozenset(
    {
        "cloudwatch:PutMetricData",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
        "ecr:GetAuthorizationToken",
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
    }
)
