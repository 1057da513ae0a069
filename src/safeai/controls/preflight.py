"""Controls that preflight checks against AWS: what a request *names* (its role, key, subnets)
must itself be secure. They have no request fields of their own; preflight applies them to the
role, key and network every guarded request ends up naming."""

from __future__ import annotations

from ._schema import Anchors, Control, Requirement

__all__ = ["CONTROLS"]

PREFLIGHT = Requirement("preflight")

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="role.trust",
        title="Execution roles trust only SageMaker, with confused-deputy conditions",
        requirement=PREFLIGHT,
        targets=(),
        remedy="let only sagemaker.amazonaws.com assume the role, with an aws:SourceAccount or "
        "aws:SourceArn condition (safeai.iam.trust_policy writes one).",
        anchors=Anchors(cdk_nag=("AwsSolutions-IAM5",)),
    ),
    Control(
        slug="role.least_privilege",
        title="Execution roles hold no admin-grade or wildcard permissions",
        requirement=PREFLIGHT,
        targets=(),
        remedy="detach admin-grade managed policies and replace Allow statements on every "
        "action or resource with the workload's own (safeai.iam.execution_role_policy writes "
        "one).",
        anchors=Anchors(
            security_hub=("IAM.21",),
            checkov=("CKV2_AWS_68",),
            cdk_nag=("AwsSolutions-IAM4", "AwsSolutions-IAM5"),
        ),
    ),
    Control(
        slug="kms.key",
        title="KMS keys are enabled, customer-managed, symmetric and rotated",
        requirement=PREFLIGHT,
        targets=(),
        remedy="use an enabled customer-managed symmetric ENCRYPT_DECRYPT key with automatic "
        "rotation, whose key policy grants kms:* to no principal '*' without conditions.",
    ),
    Control(
        slug="network.private_subnets",
        title="Subnets are private: no internet gateway route, no public IPs",
        requirement=PREFLIGHT,
        targets=(),
        remedy="use subnets of one VPC whose route tables have no 0.0.0.0/0 or ::/0 route to an "
        "internet gateway and that do not map public IPs on launch.",
    ),
    Control(
        slug="network.security_groups",
        title="Security groups accept no ingress from the internet",
        requirement=PREFLIGHT,
        targets=(),
        remedy="remove ingress rules from 0.0.0.0/0 and ::/0.",
    ),
    Control(
        slug="network.privatelink",
        title="The VPC reaches AWS through PrivateLink endpoints",
        requirement=PREFLIGHT,
        targets=(),
        remedy="create the missing VPC endpoints (`safeai network provision --apply`): an S3 "
        "gateway endpoint on the subnets' route tables and interface endpoints with private "
        "DNS for the services in Policy.required_vpc_endpoints.",
    ),
)
