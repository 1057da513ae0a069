"""Controls for hosting: models, endpoint configurations, and who may use them.

``CreateEndpoint``/``UpdateEndpoint`` carry no security fields of their own: they are checked
through the endpoint configuration (and its models) they name. An endpoint's and a model
package group's resource policies say who else may invoke or use them.
"""

from __future__ import annotations

from ._builders import ISOLATION, KMS, ROLE, VPC, at, equals
from ._schema import Anchors, Control, Requirement

__all__ = ["CONTROLS"]

MODEL = ("CreateModel",)
ENDPOINT_CONFIG = ("CreateEndpointConfig",)
_VARIANTS = ("ProductionVariants[]", "ShadowProductionVariants[]")
#: A variant that names a model: the configuration hosts models, not inference components.
_MODEL_NAMES = tuple(f"{v}.ModelName" for v in _VARIANTS)

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="model.role",
        title="Models run as the policy's execution role",
        requirement=ROLE,
        targets=at(MODEL, "ExecutionRoleArn"),
        remedy="omit ExecutionRoleArn (safeai fills in the policy's role) or pass an allowed role.",
        anchors=Anchors(iam_condition_keys=("iam:PassedToService",)),
    ),
    Control(
        slug="model.vpc",
        title="Model containers run in the policy's private subnets",
        requirement=VPC,
        targets=at(MODEL, "VpcConfig"),
        remedy="omit VpcConfig (safeai fills in the policy's private subnets and security groups) "
        "or use only subnets and security groups the policy lists.",
        anchors=Anchors(
            prowler=("sagemaker_models_vpc_settings_configured",),
            iam_condition_keys=("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds"),
            config_rules=("sagemaker-model-in-vpc",),
        ),
    ),
    Control(
        slug="model.network_isolation",
        title="Model containers have no network access",
        requirement=ISOLATION,
        targets=at(MODEL, "EnableNetworkIsolation"),
        remedy="omit EnableNetworkIsolation or set it to True.",
        anchors=Anchors(
            security_hub=("SageMaker.5",),
            prowler=("sagemaker_models_network_isolation_enabled",),
            checkov=("CKV_AWS_370",),
            iam_condition_keys=("sagemaker:NetworkIsolation",),
            config_rules=("sagemaker-model-isolation-enabled",),
        ),
    ),
    Control(
        slug="model.code_location",
        title="A network-isolated model's containers do not fetch their code from S3",
        requirement=Requirement("code_location"),
        targets=at(MODEL, "PrimaryContainer") + at(MODEL, "Containers"),
        remedy="give the SDK model a source_dir next to its entry_point (the SDK then repacks "
        "the code into model.tar.gz under code/ and sets SAGEMAKER_SUBMIT_DIRECTORY to "
        "/opt/ml/model/code), or repack model.tar.gz that way yourself.",
    ),
    Control(
        slug="model.private_registry",
        title="Model images are pulled from a private registry in the VPC",
        # Off by default: most accounts serve images from Amazon ECR ("Platform"). Switching the
        # mode in would send SageMaker to another registry, so it is required, never filled in.
        requirement=Requirement("equals", "Vpc", enabled_by="private_registry", fill=False),
        targets=at(MODEL, "ImageConfig.RepositoryAccessMode", prefix="PrimaryContainer")
        + at(MODEL, "ImageConfig.RepositoryAccessMode", prefix="Containers[]"),
        remedy="set ImageConfig.RepositoryAccessMode to 'Vpc' on every container, with the "
        "image in a private Docker registry the model's VpcConfig reaches, or set "
        "Policy.private_registry = false where images come from Amazon ECR.",
        anchors=Anchors(
            # SageMaker.16 checks the primary container, SageMaker.19 every container of a
            # multi-container inference pipeline: this control's two targets.
            security_hub=("SageMaker.16", "SageMaker.19"),
            config_rules=(
                "sagemaker-model-private-registry-required",
                "sagemaker-model-multicontainer-private-registry",
            ),
        ),
    ),
    Control(
        slug="endpoint_config.serverless",
        title="Endpoints are served from instances in the VPC, not serverless",
        # AWS runs Serverless Inference outside the customer's VPC and without network
        # isolation (its documented feature exclusions), so it is refused unless a reviewer
        # accepts that: safeai.serverless(reason=...) waives this and the model's VPC and
        # isolation controls together.
        requirement=Requirement("absent"),
        targets=sum(
            (at(ENDPOINT_CONFIG, "ServerlessConfig", prefix=v, inject=False) for v in _VARIANTS), ()
        ),
        remedy="deploy to instances (instance_type and initial_instance_count), or deploy inside "
        "`with safeai.serverless(reason=...)`, which records why and leaves the model outside "
        "the VPC and isolation as AWS requires for serverless endpoints.",
    ),
    Control(
        slug="endpoint_config.storage_kms",
        title="Endpoint storage volumes are encrypted with the policy's KMS key",
        requirement=KMS,
        # Unlike the training volume key, AWS accepts this key with NVMe instance types (it then
        # just does not cover their hardware-encrypted local storage), so it is always required.
        targets=at(ENDPOINT_CONFIG, "KmsKeyId"),
        remedy="omit KmsKeyId (safeai fills in the policy's key) or use the policy's or an "
        "allowed key.",
        anchors=Anchors(
            prowler=("sagemaker_endpoint_config_kms_encryption_enabled",),
            checkov=("CKV_AWS_98",),
            iam_condition_keys=("sagemaker:VolumeKmsKeyArn",),
        ),
    ),
    Control(
        slug="endpoint_config.data_capture_kms",
        title="Endpoint data capture is encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(ENDPOINT_CONFIG, "DataCaptureConfig.KmsKeyId", within="DataCaptureConfig"),
        remedy="omit DataCaptureConfig.KmsKeyId or use the policy's or an allowed key.",
    ),
    Control(
        slug="endpoint_config.async_output_kms",
        title="Asynchronous inference outputs are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(
            ENDPOINT_CONFIG,
            "AsyncInferenceConfig.OutputConfig.KmsKeyId",
            within="AsyncInferenceConfig.OutputConfig",
        ),
        remedy="omit AsyncInferenceConfig.OutputConfig.KmsKeyId or use the policy's or an "
        "allowed key.",
    ),
    Control(
        slug="endpoint_config.core_dump_kms",
        title="Inference core dumps are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=sum(
            (at(ENDPOINT_CONFIG, "KmsKeyId", prefix=f"{v}.CoreDumpConfig") for v in _VARIANTS),
            (),
        ),
        remedy="omit CoreDumpConfig.KmsKeyId or use the policy's or an allowed key.",
    ),
    Control(
        slug="endpoint_config.ssm_access",
        title="Inference containers take no interactive SSM sessions",
        requirement=equals(False),
        targets=sum(
            (at(ENDPOINT_CONFIG, "EnableSSMAccess", prefix=v, inject=False) for v in _VARIANTS), ()
        ),
        remedy="omit EnableSSMAccess or set it to False on every production and shadow variant: "
        "SSM access opens a shell into the running inference containers.",
    ),
    # An endpoint configuration whose variants name no model hosts inference components: its
    # instances run every component as this role, in this VPC, with this isolation (SageMaker
    # requires the role there). Where a variant names a model, the model carries its own (the
    # model.* controls), so the fields are only checked: filling them in would change what the
    # configuration means.
    Control(
        slug="endpoint_config.role",
        title="Inference-component endpoints run as the policy's execution role",
        requirement=ROLE,
        targets=at(ENDPOINT_CONFIG, "ExecutionRoleArn", check_only_with=_MODEL_NAMES),
        remedy="omit ExecutionRoleArn (safeai fills in the policy's role on an endpoint "
        "configuration for inference components) or pass an allowed role.",
    ),
    Control(
        slug="endpoint_config.vpc",
        title="Inference-component endpoints run in the policy's private subnets",
        requirement=VPC,
        targets=at(ENDPOINT_CONFIG, "VpcConfig", check_only_with=_MODEL_NAMES),
        remedy="omit VpcConfig (safeai fills in the policy's private subnets and security groups "
        "on an endpoint configuration for inference components) or use only subnets and "
        "security groups the policy lists.",
    ),
    Control(
        slug="endpoint_config.network_isolation",
        title="Inference-component containers have no network access",
        requirement=ISOLATION,
        targets=at(ENDPOINT_CONFIG, "EnableNetworkIsolation", check_only_with=_MODEL_NAMES),
        remedy="omit EnableNetworkIsolation or set it to True.",
    ),
    Control(
        slug="endpoint.resource_policy",
        title="Endpoint resource policies let no one invoke an endpoint unconfined",
        requirement=Requirement("resource_policy"),
        targets=at(("PutEndpointPolicy",), "ResourcePolicy"),
        remedy="name the accounts or roles that may invoke the endpoint as principals, or allow "
        "Principal '*' only under a condition that restricts it (aws:PrincipalOrgID, "
        "aws:SourceVpce, aws:PrincipalAccount, ...).",
    ),
    Control(
        slug="model_package_group.resource_policy",
        title="Model registry policies share models with no one unconfined",
        requirement=Requirement("resource_policy"),
        targets=at(("PutModelPackageGroupPolicy",), "ResourcePolicy"),
        remedy="name the accounts that may use the model packages as principals, or allow "
        "Principal '*' only under a condition that restricts it (aws:PrincipalOrgID, ...).",
    ),
)
