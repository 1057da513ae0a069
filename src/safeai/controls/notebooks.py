"""Controls for interactive environments: notebook instances, Studio domains, user profiles and
spaces."""

from __future__ import annotations

from ._builders import (
    KMS,
    PASSED_ROLE,
    PASSED_ROLE_REMEDY,
    ROLE,
    SECURITY_GROUPS,
    SUBNET,
    SUBNETS,
    at,
    equals,
)
from ._schema import Anchors, Control

__all__ = ["CONTROLS"]

CREATE_NOTEBOOK = ("CreateNotebookInstance",)
UPDATE_NOTEBOOK = ("UpdateNotebookInstance",)
CREATE_DOMAIN = ("CreateDomain",)
UPDATE_DOMAIN = ("UpdateDomain",)
PROFILES = ("CreateUserProfile", "UpdateUserProfile")
#: Where the settings of Studio users live: the domain's defaults and each user profile.
USER_SETTINGS = (
    ("CreateDomain", "DefaultUserSettings"),
    ("UpdateDomain", "DefaultUserSettings"),
    ("CreateUserProfile", "UserSettings"),
    ("UpdateUserProfile", "UserSettings"),
)
#: Where the settings of Studio spaces live (only the domain's defaults carry EMR settings).
SPACE_SETTINGS = (
    ("CreateDomain", "DefaultSpaceSettings"),
    ("UpdateDomain", "DefaultSpaceSettings"),
)
_CANVAS = "CanvasAppSettings"
_CANVAS_WORKSPACE = f"{_CANVAS}.WorkspaceSettings"
#: Roles a JupyterLab user may assume for, or run, Amazon EMR clusters and EMR Serverless.
_EMR_ROLES = (
    "JupyterLabAppSettings.EmrSettings.AssumableRoleArns",
    "JupyterLabAppSettings.EmrSettings.ExecutionRoleArns",
)
#: Roles Canvas hands to Forecast, Bedrock and EMR Serverless, and the role it registers model
#: versions in another account's registry as: each trusts that service, not SageMaker.
_USER_SERVICE_ROLES = (
    f"{_CANVAS}.TimeSeriesForecastingSettings.AmazonForecastRoleArn",
    f"{_CANVAS}.GenerativeAiSettings.AmazonBedrockRoleArn",
    f"{_CANVAS}.EmrServerlessSettings.ExecutionRoleArn",
    f"{_CANVAS}.ModelRegisterSettings.CrossAccountModelRegisterRoleArn",
    *_EMR_ROLES,
)

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="notebook.role",
        title="Notebook instances run as the policy's execution role",
        requirement=ROLE,
        targets=at(CREATE_NOTEBOOK, "RoleArn") + at(UPDATE_NOTEBOOK, "RoleArn", inject=False),
        remedy="omit RoleArn (safeai fills in the policy's role) or pass an allowed role.",
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="notebook.storage_kms",
        title="Notebook storage is encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(CREATE_NOTEBOOK, "KmsKeyId"),
        remedy="omit KmsKeyId (safeai fills in the policy's key) or use an allowed key.",
        anchors=Anchors(
            prowler=("sagemaker_notebook_instance_encryption_enabled",),
            security_hub=("SageMaker.21",),
            checkov=("CKV_AWS_22", "CKV_AWS_187"),
            cdk_nag=("AwsSolutions-SM2",),
            iam_condition_keys=("sagemaker:VolumeKmsKeyArn",),
        ),
    ),
    Control(
        slug="notebook.vpc",
        title="Notebook instances run in the policy's private subnets",
        requirement=SUBNET,
        targets=at(CREATE_NOTEBOOK, "SubnetId"),
        remedy="omit SubnetId (safeai fills in a policy subnet) or use a subnet the policy lists.",
        anchors=Anchors(
            security_hub=("SageMaker.2",),
            prowler=("sagemaker_notebook_instance_vpc_settings_configured",),
            checkov=("CKV_AWS_306",),
            cdk_nag=("AwsSolutions-SM1",),
            iam_condition_keys=("sagemaker:VpcSubnets",),
        ),
    ),
    Control(
        slug="notebook.security_groups",
        title="Notebook instances use the policy's security groups",
        requirement=SECURITY_GROUPS,
        targets=at(CREATE_NOTEBOOK, "SecurityGroupIds"),
        remedy="omit SecurityGroupIds or use only security groups the policy lists.",
        anchors=Anchors(iam_condition_keys=("sagemaker:VpcSecurityGroupIds",)),
    ),
    Control(
        slug="notebook.direct_internet",
        title="Notebook instances have no direct internet access",
        requirement=equals("Disabled"),
        targets=at(CREATE_NOTEBOOK, "DirectInternetAccess"),
        remedy='omit DirectInternetAccess or set it to "Disabled" (traffic then goes through '
        "the VPC and its endpoints).",
        anchors=Anchors(
            security_hub=("SageMaker.1",),
            prowler=("sagemaker_notebook_instance_without_direct_internet_access_configured",),
            checkov=("CKV_AWS_122",),
            cdk_nag=("AwsSolutions-SM3",),
            iam_condition_keys=("sagemaker:DirectInternetAccess",),
        ),
    ),
    Control(
        slug="notebook.root_access",
        title="Notebook users have no root access",
        requirement=equals("Disabled"),
        targets=at(CREATE_NOTEBOOK, "RootAccess") + at(UPDATE_NOTEBOOK, "RootAccess", inject=False),
        remedy='omit RootAccess or set it to "Disabled".',
        anchors=Anchors(
            security_hub=("SageMaker.3",),
            prowler=("sagemaker_notebook_instance_root_access_disabled",),
            checkov=("CKV_AWS_307",),
            iam_condition_keys=("sagemaker:RootAccess",),
        ),
    ),
    Control(
        slug="notebook.imdsv2",
        title="Notebook instances accept only IMDSv2",
        requirement=equals("2"),
        targets=at(
            CREATE_NOTEBOOK,
            "InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion",
        )
        + at(
            UPDATE_NOTEBOOK,
            "InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion",
            inject=False,
        ),
        remedy='omit InstanceMetadataServiceConfiguration or set its minimum version to "2".',
        anchors=Anchors(
            checkov=("CKV_AWS_371",),
            iam_condition_keys=("sagemaker:MinimumInstanceMetadataServiceVersion",),
        ),
    ),
    Control(
        slug="domain.role",
        title="Studio users and spaces run as the policy's execution role",
        requirement=ROLE,
        targets=at(CREATE_DOMAIN, "ExecutionRole", prefix="DefaultUserSettings")
        + at(UPDATE_DOMAIN, "ExecutionRole", prefix="DefaultUserSettings", inject=False)
        + at(
            CREATE_DOMAIN + UPDATE_DOMAIN,
            "ExecutionRole",
            prefix="DefaultSpaceSettings",
            inject=False,
        )
        + at(PROFILES, "ExecutionRole", prefix="UserSettings", inject=False),
        remedy="use the policy's or an allowed role as ExecutionRole.",
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="domain.vpc",
        title="Studio domains run in the policy's private subnets",
        requirement=SUBNETS,
        targets=at(CREATE_DOMAIN, "SubnetIds") + at(UPDATE_DOMAIN, "SubnetIds", inject=False),
        remedy="omit SubnetIds (safeai fills in the policy's subnets) or use only subnets the "
        "policy lists.",
        anchors=Anchors(iam_condition_keys=("sagemaker:VpcSubnets",)),
    ),
    Control(
        slug="domain.security_groups",
        title="Studio apps and spaces use the policy's security groups",
        requirement=SECURITY_GROUPS,
        targets=at(CREATE_DOMAIN, "SecurityGroups", prefix="DefaultUserSettings")
        + at(UPDATE_DOMAIN, "SecurityGroups", prefix="DefaultUserSettings", inject=False)
        + at(
            CREATE_DOMAIN + UPDATE_DOMAIN,
            "SecurityGroups",
            prefix="DefaultSpaceSettings",
            inject=False,
        )
        + at(CREATE_DOMAIN, "SecurityGroupIds", prefix="DomainSettings", inject=False)
        + at(UPDATE_DOMAIN, "SecurityGroupIds", prefix="DomainSettingsForUpdate", inject=False)
        + at(PROFILES, "SecurityGroups", prefix="UserSettings", inject=False),
        remedy="use only security groups the policy lists.",
        anchors=Anchors(iam_condition_keys=("sagemaker:VpcSecurityGroupIds",)),
    ),
    Control(
        slug="domain.direct_internet",
        title="Studio domains reach the internet only through the VPC",
        requirement=equals("VpcOnly"),
        targets=at(CREATE_DOMAIN, "AppNetworkAccessType")
        + at(UPDATE_DOMAIN, "AppNetworkAccessType", inject=False),
        remedy='omit AppNetworkAccessType or set it to "VpcOnly".',
        anchors=Anchors(iam_condition_keys=("sagemaker:AppNetworkAccessType",)),
    ),
    Control(
        slug="domain.storage_kms",
        title="Studio storage and shared notebooks are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(CREATE_DOMAIN, "KmsKeyId")
        + at(CREATE_DOMAIN, "HomeEfsFileSystemKmsKeyId", inject=False)
        + at(
            CREATE_DOMAIN + UPDATE_DOMAIN,
            "S3KmsKeyId",
            prefix="DefaultUserSettings.SharingSettings",
            inject=False,
        )
        + at(PROFILES, "S3KmsKeyId", prefix="UserSettings.SharingSettings", inject=False)
        + sum(
            (
                at(
                    (operation,),
                    "S3KmsKeyId",
                    prefix=f"{settings}.{_CANVAS_WORKSPACE}",
                    inject=False,
                )
                for operation, settings in USER_SETTINGS
            ),
            (),
        ),
        remedy="omit KmsKeyId (safeai fills in the policy's key) or use an allowed key; the "
        "same for the keys of shared notebooks and of Canvas workspaces.",
        anchors=Anchors(
            checkov=("CKV_AWS_187",),
            iam_condition_keys=(
                "sagemaker:VolumeKmsKeyArn",
                "sagemaker:DomainSharingOutputKmsKeyArn",
            ),
        ),
    ),
    Control(
        slug="domain.service_roles",
        title="Studio and Canvas hand other services only roles the policy allows",
        requirement=PASSED_ROLE,
        targets=sum(
            (
                at((operation,), path, prefix=settings, inject=False)
                for operation, settings in USER_SETTINGS
                for path in _USER_SERVICE_ROLES
            ),
            (),
        )
        + sum(
            (
                at((operation,), path, prefix=settings, inject=False)
                for operation, settings in SPACE_SETTINGS
                for path in _EMR_ROLES
            ),
            (),
        )
        + at(
            CREATE_DOMAIN,
            "DomainExecutionRoleArn",
            prefix="DomainSettings.RStudioServerProDomainSettings",
            inject=False,
        )
        + at(
            UPDATE_DOMAIN,
            "DomainExecutionRoleArn",
            prefix="DomainSettingsForUpdate.RStudioServerProDomainSettingsForUpdate",
            inject=False,
        ),
        remedy=PASSED_ROLE_REMEDY.format(
            field="the role (Canvas's Forecast, Bedrock, EMR Serverless and model registry "
            "roles, the EMR roles of JupyterLab, the RStudio domain role)"
        ),
    ),
    Control(
        slug="space.remote_access",
        title="Studio spaces take no remote IDE connections",
        requirement=equals("DISABLED"),
        targets=at(
            ("CreateSpace", "UpdateSpace"),
            "SpaceSettings.RemoteAccess",
            within="SpaceSettings",
            inject=False,
        ),
        remedy='omit RemoteAccess or set it to "DISABLED": remote access lets a local IDE '
        "connect into the space, around the domain's network and its VPC-only access.",
    ),
)
