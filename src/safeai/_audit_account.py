"""The account-level S3 part of the detective audit: the account's Block Public Access
(``s3-account``) and its access points (``s3-access-point``), read with the ``s3control`` API.

``s3-account`` is read once per account, whatever the regions (S3 applies the account's Block
Public Access in every region), and reported in region ``global``: ``GetPublicAccessBlock``
answers the account's configuration, checked as the ``s3control:PutPublicAccessBlock`` request
that would set it; "not configured" (``NoSuchPublicAccessBlockConfiguration``) is every setting
off, a finding. ``s3-access-point`` is read in every region audited: ``ListAccessPoints`` (every
page), then for each access point ``GetAccessPoint`` (its Block Public Access, checked as the
``s3control:CreateAccessPoint`` request that made it) and ``GetAccessPointPolicy`` (checked as
``s3control:PutAccessPointPolicy``; an access point without a policy grants nothing). A finding
here and a refusal by the guard come from the same catalogue entries, so they always agree.

Every read goes through the reader layer's generic listing and describe
(:func:`safeai._readers.list_entries`, :func:`safeai._readers.describe_listed`), described by
the :class:`~safeai.controls.AuditListing` records of this module. A read that fails is an
:class:`~safeai._audit_model.AuditError` (the report is then incomplete); it never hides the
rest.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ._audit_identity import GLOBAL
from ._audit_model import AuditedResource, AuditError, Finding
from ._audit_parts import Part, Tally, error_code
from ._engine import evaluate
from ._paths import MISSING
from ._readers import describe_listed, list_entries
from .controls import Anchors, AuditListing, by_slug
from .controls._resources import operation_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._exceptions import SecurityViolation
    from ._policy import Policy

__all__ = [
    "ACCESS_POINT_POLICY_REQUEST",
    "ACCESS_POINT_REQUEST",
    "ACCOUNT_REQUEST",
    "S3_ACCESS_POINTS",
    "S3_ACCOUNT",
    "AccessPoints",
    "AccountPublicAccess",
    "account_label",
]

#: The resource type of the account's S3 settings: read once per audit and account, reported in
#: region :data:`~safeai._audit_identity.GLOBAL`.
S3_ACCOUNT = "s3-account"
#: The resource type of the S3 access points, listed in every region audited.
S3_ACCESS_POINTS = "s3-access-point"

_SERVICE = "s3control"
#: The requests each answer is checked as (the catalogue's names of s3control operations).
ACCOUNT_REQUEST = operation_key(_SERVICE, "PutPublicAccessBlock")
ACCESS_POINT_REQUEST = operation_key(_SERVICE, "CreateAccessPoint")
ACCESS_POINT_POLICY_REQUEST = operation_key(_SERVICE, "PutAccessPointPolicy")

#: What S3 answers for a setting or a policy that is not there.
_NO_ACCOUNT_BLOCK = "NoSuchPublicAccessBlockConfiguration"
_NO_POLICY = "NoSuchAccessPointPolicy"
_CONFIGURATION = "PublicAccessBlockConfiguration"


def account_label(account: str) -> str:
    """How a report names the account's S3 settings: as Security Hub names an ``AWS::::Account``
    resource (``AWS::::Account:111122223333``)."""
    return f"AWS::::Account:{account}"


def _account_reads(account: str) -> AuditListing:
    """The account's Block Public Access, read as a one-entry listing's describe."""
    return AuditListing(
        arn_type=S3_ACCOUNT,
        create_operation=ACCOUNT_REQUEST,
        list_operation="",
        list_key="",
        name_key="AccountId",
        arn_key="AccountId",
        describe_operation="GetPublicAccessBlock",
        describe_parameter="AccountId",
        service=_SERVICE,
        list_parameters=(("AccountId", account),),
    )


def _access_point_reads(account: str) -> AuditListing:
    """The account's access points in one region: ``ListAccessPoints`` and ``GetAccessPoint``."""
    return AuditListing(
        arn_type=S3_ACCESS_POINTS,
        create_operation=ACCESS_POINT_REQUEST,
        list_operation="ListAccessPoints",
        list_key="AccessPointList",
        name_key="Name",
        arn_key="AccessPointArn",
        describe_operation="GetAccessPoint",
        describe_parameter="Name",
        service=_SERVICE,
        list_parameters=(("AccountId", account),),
    )


class _Judged(Part):
    """What the account-level readers share: a finding of a violation, an error of a read."""

    resource_type = ""

    def __init__(
        self, region: str, policy: Policy, waivers: Mapping[str, str], tally: Tally
    ) -> None:
        super().__init__()
        self.region = region
        self.policy = policy
        self.waivers = waivers
        self.tally = tally

    def _check(self, operation: str, request: Mapping[str, Any]) -> list[SecurityViolation]:
        return evaluate(operation, request, self.policy, waivers=self.waivers)

    def _finding(self, resource: str, violation: SecurityViolation) -> Finding:
        control = by_slug(violation.control)
        return Finding(
            control=violation.control,
            title=control.title if control is not None else violation.control,
            resource_type=self.resource_type,
            resource_arn=resource,
            region=self.region,
            path=violation.path,
            found=None if violation.found is MISSING else violation.found,
            expected=str(violation.expected),
            remedy=violation.remedy,
            anchors=control.anchors if control is not None else Anchors(),
        )

    def _record(self, resource: str, violations: list[SecurityViolation]) -> None:
        findings = [self._finding(resource, violation) for violation in violations]
        with self._lock:
            self.resources.append(AuditedResource(self.resource_type, resource, self.region))
            self.findings += findings

    def _error(self, operation: str, resource: str | None, error: Exception) -> None:
        with self._lock:
            self.errors.append(
                AuditError(
                    self.region,
                    self.resource_type,
                    operation,
                    resource,
                    error_code(error),
                    str(error),
                )
            )


class AccountPublicAccess(_Judged):
    """The account's S3 Block Public Access, read once per account with an ``s3control`` client
    of any region, and checked as the ``s3control:PutPublicAccessBlock`` request that sets it."""

    resource_type = S3_ACCOUNT

    def __init__(
        self,
        s3control: Any,
        account: str,
        policy: Policy,
        waivers: Mapping[str, str],
        tally: Tally,
    ) -> None:
        super().__init__(GLOBAL, policy, waivers, tally)
        self.s3control = s3control
        self.account = account

    def run(self) -> AccountPublicAccess:
        from botocore.exceptions import BotoCoreError, ClientError

        reads = _account_reads(self.account)
        label = account_label(self.account)
        self.tally.listed(1)
        try:
            answer = describe_listed(self.s3control, reads, {"AccountId": self.account})
            configuration = answer.get(_CONFIGURATION, {})
        except ClientError as error:
            if error_code(error) != _NO_ACCOUNT_BLOCK:
                self._error(reads.describe_operation, label, error)
                self.tally.evaluated()
                return self
            configuration = {}  # not configured: every setting off
        except BotoCoreError as error:
            self._error(reads.describe_operation, label, error)
            self.tally.evaluated()
            return self
        request = {"AccountId": self.account, _CONFIGURATION: configuration}
        self._record(label, self._check(reads.create_operation, request))
        self.tally.evaluated()
        return self


@dataclass(frozen=True, slots=True)
class _Listed:
    name: str
    arn: str


class AccessPoints(_Judged):
    """The account's access points in one region: each one's Block Public Access (checked as
    the ``s3control:CreateAccessPoint`` that made it) and policy (as
    ``s3control:PutAccessPointPolicy``)."""

    resource_type = S3_ACCESS_POINTS

    def __init__(
        self,
        region: str,
        s3control: Any,
        account: str,
        policy: Policy,
        waivers: Mapping[str, str],
        tally: Tally,
    ) -> None:
        super().__init__(region, policy, waivers, tally)
        self.s3control = s3control
        self.account = account
        self.reads = _access_point_reads(account)

    def run(self, workers: int) -> AccessPoints:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            entries = list_entries(self.s3control, self.reads)
        except (BotoCoreError, ClientError) as error:
            # What the pages before the failure listed is not audited either: the type as a
            # whole could not be read, and the report says so.
            self._error(self.reads.list_operation, None, error)
            return self
        listed = [
            _Listed(str(entry[self.reads.name_key]), str(entry[self.reads.arn_key]))
            for entry in entries
        ]
        self.tally.listed(len(listed))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for done in as_completed([pool.submit(self._evaluate, item) for item in listed]):
                done.result()  # a bug, not an AWS error, would surface here
                self.tally.evaluated()
        return self

    def _evaluate(self, item: _Listed) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        parameters = {"AccountId": self.account, "Name": item.name}
        operation = self.reads.describe_operation
        try:
            answer = describe_listed(self.s3control, self.reads, parameters)
            operation = "GetAccessPointPolicy"
            policy = self._policy(parameters)
        except (BotoCoreError, ClientError) as error:
            self._error(str(getattr(error, "operation_name", operation)), item.arn, error)
            return
        answer.pop("ResponseMetadata", None)
        violations = self._check(
            self.reads.create_operation,
            {
                "AccountId": self.account,
                "Name": item.name,
                **{key: answer[key] for key in (_CONFIGURATION,) if key in answer},
            },
        )
        if policy is not None:
            violations += self._check(ACCESS_POINT_POLICY_REQUEST, {**parameters, **policy})
        self._record(item.arn, violations)

    def _policy(self, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
        """The access point's policy as ``{"Policy": text}``, or None when it has none."""
        from botocore.exceptions import ClientError

        reads = replace(self.reads, describe_operation="GetAccessPointPolicy")
        try:
            answer = describe_listed(self.s3control, reads, parameters)
        except ClientError as error:
            if error_code(error) == _NO_POLICY:
                return None
            raise
        text = answer.get("Policy")
        return {"Policy": text} if text is not None else None
