"""Controls for account-level S3 and access points (the ``s3control`` service): the account
keeps S3 Block Public Access on, and no access point is opened to the public.

s3control's operations repeat s3's names (``PutPublicAccessBlock`` sets the account's Block
Public Access, s3's a bucket's), so the catalogue names them ``s3control:<Operation>``
(:func:`safeai.controls._resources.operation_key`). Deleting the account's Block Public Access
turns it off for every bucket at once: ``s3control:DeletePublicAccessBlock`` is a ``forbidden``
target, refused whole unless waived.

An access point's Block Public Access cannot be changed once it exists, and AWS turns all four
settings on when the create request leaves them out: the create requests are checked, never
filled in (an Outposts or directory-bucket access point may not take the configuration). Its
network origin (``VpcConfiguration``) is left as the request gives it: an access point limited
to a VPC is out of the Internet's reach, one without is still behind its Block Public Access,
its policy and the bucket's.
"""

from __future__ import annotations

from ._builders import at, equals
from ._resources import operation_key
from ._schema import Anchors, Control, Requirement, Target
from .s3 import PUBLIC_ACCESS_SETTINGS

__all__ = ["ALL_BLOCKED", "CONTROLS", "SERVICE"]

SERVICE = "s3control"


def _operation(name: str) -> str:
    """The catalogue's name of the s3control operation ``name``."""
    return operation_key(SERVICE, name)


#: A Block Public Access configuration with every setting on.
ALL_BLOCKED: dict[str, bool] = dict.fromkeys(PUBLIC_ACCESS_SETTINGS, True)

CONTROLS: tuple[Control, ...] = (
    Control(
        slug="s3control.account_public_access",
        title="The account keeps all four S3 Block Public Access settings on",
        requirement=equals(True),
        targets=(
            *(
                # Not ``within`` the configuration, as for s3.public_access: an empty one turns
                # every setting off, and the engine passes over an empty container.
                Target(
                    operation=_operation("PutPublicAccessBlock"),
                    path=f"PublicAccessBlockConfiguration.{setting}",
                )
                for setting in PUBLIC_ACCESS_SETTINGS
            ),
            Target(
                operation=_operation("DeletePublicAccessBlock"), path="AccountId", forbidden=True
            ),
        ),
        remedy="set BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and "
        "RestrictPublicBuckets to True in the account's PutPublicAccessBlock (or omit them: "
        "safeai fills them in); never delete the account's public access block: it is what "
        "keeps every bucket of the account private whatever their own settings say.",
        anchors=Anchors(
            security_hub=("S3.1",),
            prowler=("s3_account_level_public_access_blocks",),
            config_rules=(
                "s3-account-level-public-access-blocks-periodic",
                "s3-account-level-public-access-blocks",
            ),
        ),
        service=SERVICE,
    ),
    Control(
        slug="s3control.access_point_policy",
        title="Access point policies grant nothing to the public",
        requirement=Requirement("resource_policy"),
        targets=(
            *at(
                (
                    _operation("PutAccessPointPolicy"),
                    _operation("PutAccessPointPolicyForObjectLambda"),
                ),
                "Policy",
            ),
            *at(
                (_operation("PutMultiRegionAccessPointPolicy"),),
                "Details.Policy",
                within="Details",
            ),
        ),
        remedy="allow Principal '*' only under a condition that restricts it (aws:SourceVpce, "
        "aws:PrincipalOrgID, aws:PrincipalAccount, ...), or name the principals; an access "
        "point policy is judged as a bucket policy is.",
        # Security Hub, Prowler and AWS Config judge an access point by its Block Public Access
        # (s3control.access_point_public_access), which is what stops a public policy.
        anchors=Anchors(),
        service=SERVICE,
    ),
    Control(
        slug="s3control.access_point_public_access",
        title="Access points keep all four Block Public Access settings on",
        requirement=equals(ALL_BLOCKED),
        targets=(
            *at(
                (_operation("CreateAccessPoint"),),
                "PublicAccessBlockConfiguration",
                inject=False,
            ),
            *at(
                (_operation("CreateMultiRegionAccessPoint"),),
                "Details.PublicAccessBlock",
                within="Details",
                inject=False,
            ),
        ),
        remedy="omit the access point's PublicAccessBlockConfiguration (PublicAccessBlock for a "
        "Multi-Region Access Point): AWS then turns all four settings on; or set "
        "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets all to "
        "True. They cannot be changed once the access point exists: delete and create it again.",
        anchors=Anchors(
            security_hub=("S3.19", "S3.24"),
            prowler=(
                "s3_access_point_public_access_block",
                "s3_multi_region_access_point_public_access_block",
            ),
            config_rules=("s3-access-point-public-access-blocks",),
        ),
        service=SERVICE,
    ),
)
