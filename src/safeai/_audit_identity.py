"""The identity part of the detective audit: the account's IAM users that hold an active access
key and may call SageMaker (``client.temporary_credentials``).

``GetAccountAuthorizationDetails`` once (every page), ``GetPolicy`` and ``GetPolicyVersion`` once
per AWS managed policy a user or group holds, and ``ListAccessKeys`` only for the users that may
call SageMaker; the reads are :mod:`safeai._readers`'. Whether a policy lets its holder call
SageMaker is judged here, purely (:func:`sagemaker_action`): Deny statements, permission
boundaries and SCPs are not subtracted, so it over-reports rather than misses a user.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from ._audit_model import AuditedResource, AuditError, Finding
from ._audit_parts import Part, Tally, error_code
from ._readers import list_access_keys, read_authorization_details, read_managed_policy
from .controls import Anchors, by_slug
from .kinds.policy_documents import as_strings, statements

__all__ = [
    "GLOBAL",
    "IAM_USERS",
    "TEMPORARY_CREDENTIALS",
    "IamUsers",
    "SageMakerGrant",
    "sagemaker_action",
]

#: The resource type of the account's IAM users: read once per audit (IAM is global), not
#: listed per region, and reported in region :data:`GLOBAL`.
IAM_USERS = "iam-user"
#: The region of what IAM holds.
GLOBAL = "global"
#: The control an IAM user's active access key falls under when the user may call SageMaker.
TEMPORARY_CREDENTIALS = "client.temporary_credentials"


@dataclass(frozen=True, slots=True)
class SageMakerGrant:
    """An identity policy that lets an IAM user call SageMaker: where the user holds it
    (``source``: ``inline policy 'p'``, ``AWS managed policy 'AmazonSageMakerFullAccess'``,
    ``inline policy 'p' of group 'g'``), and what it allows (``action``, from
    :func:`sagemaker_action`)."""

    source: str
    action: str


def sagemaker_action(document: Mapping[str, Any]) -> str | None:
    """What the first ``Allow`` statement of an identity policy ``document`` that lets its
    holder call some SageMaker action allows, as written (``sagemaker:*``, ``*``,
    ``every action but iam:*``); None when no statement does.

    An ``Action`` counts when one of its patterns (``*`` and ``?`` wildcards, case-insensitive)
    matches an action of SageMaker's APIs; a ``NotAction`` when its patterns leave one of those
    actions out. Resources and conditions are not read, and neither are ``Deny`` statements:
    the answer says what the document may grant, and over-reports rather than misses a grant.
    Pure: no I/O.
    """
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        if "Action" in statement:
            for pattern in as_strings(statement["Action"]):
                if _names_a_sagemaker_action(pattern):
                    return pattern
        elif "NotAction" in statement:
            excluded = [_glob(pattern) for pattern in as_strings(statement["NotAction"])]
            if any(
                not any(pattern.fullmatch(action) for pattern in excluded)
                for action in _sagemaker_actions()
            ):
                return "every action but " + ", ".join(as_strings(statement["NotAction"]))
    return None


@cache
def _sagemaker_actions() -> tuple[str, ...]:
    """The IAM actions of SageMaker's APIs (``sagemaker:createtrainingjob``, lower case): the
    operations of every botocore service that signs as ``sagemaker`` (the control plane, the
    runtimes, Feature Store, A2I, Edge Manager, metrics)."""
    import botocore.session

    session = botocore.session.get_session()
    names = {
        f"sagemaker:{operation.lower()}"
        for service in session.get_available_services()
        if "sagemaker" in service
        for model in [session.get_service_model(service)]
        if model.signing_name == "sagemaker"
        for operation in model.operation_names
    }
    return tuple(sorted(names))


@lru_cache(maxsize=4096)
def _names_a_sagemaker_action(pattern: str) -> bool:
    """Whether the IAM action ``pattern`` matches an action of SageMaker's APIs."""
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() in _sagemaker_action_set()
    service = pattern.split(":", 1)[0]
    if "*" not in service and "?" not in service and service.lower() != "sagemaker":
        return False
    return any(_glob(pattern).fullmatch(action) for action in _sagemaker_actions())


@cache
def _sagemaker_action_set() -> frozenset[str]:
    return frozenset(_sagemaker_actions())


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    """An IAM action pattern as a case-insensitive regular expression."""
    wildcards = {"*": ".*", "?": "."}
    return re.compile(
        "".join(wildcards.get(char, re.escape(char)) for char in pattern), re.IGNORECASE
    )


def _policy_document(value: object) -> Mapping[str, Any]:
    """A policy document as IAM answers it: decoded by botocore, or URL-encoded JSON text."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        from urllib.parse import unquote

        decoded = json.loads(unquote(value))
        if isinstance(decoded, Mapping):
            return decoded
    raise ValueError(f"not a policy document: {str(value)[:80]!r}")


def _default_version(policy: Mapping[str, Any]) -> object:
    """The document of a managed policy's default version, from its authorization details."""
    for version in policy.get("PolicyVersionList", []):
        if version.get("IsDefaultVersion"):
            return version.get("Document")
    return None


def _managed_source(arn: str, name: str) -> str:
    kind = "AWS managed policy" if arn.split(":")[4:5] == ["aws"] else "managed policy"
    return f"{kind} {name!r}"


#: The read that gives the identity audit a policy document it holds.
_DETAILS = "GetAccountAuthorizationDetails"


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A policy a user holds that could not be read (and no readable one grants SageMaker):
    which, the read that failed, and why."""

    policy: str
    operation: str
    error: Exception

    @classmethod
    def of(cls, policy: str, error: Exception, default: str = _DETAILS) -> _Unreadable:
        return cls(policy, str(getattr(error, "operation_name", default)), error)


class IamUsers(Part):
    """The account's IAM users: which may call SageMaker, and which of those have an active
    access key. ``GetAccountAuthorizationDetails`` once (every page), ``GetPolicy`` and
    ``GetPolicyVersion`` once per AWS managed policy a user or group holds, and
    ``ListAccessKeys`` only for the users that may call SageMaker."""

    def __init__(self, iam: Any, tally: Tally, *, waived: bool) -> None:
        super().__init__()
        self.iam = iam
        self.tally = tally
        #: ``client.temporary_credentials`` is waived: nothing is reported, no key is listed.
        self.waived = waived
        #: Managed policy ARN -> what it allows (None: no SageMaker action), or why it cannot
        #: be read. Filled by the one thread that judges the users.
        self._managed: dict[str, str | Exception | None] = {}

    def run(self, workers: int) -> IamUsers:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            details = read_authorization_details(self.iam)
        except (BotoCoreError, ClientError) as error:
            self._error(_DETAILS, None, error)
            return self
        users = details["UserDetailList"]
        self.tally.listed(len(users))
        local = {
            str(policy["Arn"]): _default_version(policy)
            for policy in details["Policies"]
            if "Arn" in policy
        }
        groups = {str(group["GroupName"]): group for group in details["GroupDetailList"]}
        judged = [(user, self._grants(user, groups, local)) for user in users]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in as_completed([pool.submit(self._user, *pair) for pair in judged]):
                done.result()
                self.tally.evaluated()
        return self

    def _grants(
        self,
        user: Mapping[str, Any],
        groups: Mapping[str, Mapping[str, Any]],
        local: Mapping[str, object],
    ) -> list[SageMakerGrant] | _Unreadable:
        """Every policy through which ``user`` may call SageMaker, in the order IAM lists them:
        the user's inline and attached policies, then its groups'."""
        grants: list[SageMakerGrant] = []
        unreadable: _Unreadable | None = None
        #: The user, then its groups, each with how a policy it holds is named.
        held: list[tuple[Mapping[str, Any], str]] = [(user, "")]
        for name in user.get("GroupList", []):
            group = groups.get(name)
            if group is None:  # created between two pages of the details
                missing = LookupError(f"group {name!r} is not in the authorization details")
                unreadable = unreadable or _Unreadable.of(f"group {name!r}", missing)
                continue
            held.append((group, f" of group {name!r}"))
        for holder, of in held:
            inline = holder.get("UserPolicyList", holder.get("GroupPolicyList", []))
            for policy in inline:
                source = f"inline policy {policy.get('PolicyName')!r}{of}"
                try:
                    action = sagemaker_action(_policy_document(policy.get("PolicyDocument")))
                except ValueError as error:
                    unreadable = unreadable or _Unreadable.of(source, error)
                    continue
                if action is not None:
                    grants.append(SageMakerGrant(source, action))
            for attached in holder.get("AttachedManagedPolicies", []):
                arn = str(attached.get("PolicyArn"))
                source = _managed_source(arn, str(attached.get("PolicyName"))) + of
                verdict = self._managed_verdict(arn, local)
                if isinstance(verdict, Exception):
                    failed = _Unreadable.of(f"policy {arn}", verdict, "GetPolicyVersion")
                    unreadable = unreadable or failed
                elif verdict is not None:
                    grants.append(SageMakerGrant(source, verdict))
        if not grants and unreadable is not None:
            return unreadable
        return grants

    def _managed_verdict(self, arn: str, local: Mapping[str, object]) -> str | Exception | None:
        """What the managed policy ``arn`` allows of SageMaker, read once per audit."""
        from botocore.exceptions import BotoCoreError, ClientError

        if arn not in self._managed:
            try:
                # An AWS managed policy is not in the details; a customer managed one created
                # since their first page may not be either.
                document = local.get(arn)
                if document is None:
                    document = read_managed_policy(self.iam, arn)
                self._managed[arn] = sagemaker_action(_policy_document(document))
            except (BotoCoreError, ClientError, ValueError) as error:
                self._managed[arn] = error
        return self._managed[arn]

    def _user(self, user: Mapping[str, Any], grants: list[SageMakerGrant] | _Unreadable) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        arn = str(user["Arn"])
        if isinstance(grants, _Unreadable):
            cause = grants.error
            message = f"{grants.policy}, which it holds, cannot be read: {cause}"
            with self._lock:
                self.errors.append(
                    AuditError(GLOBAL, IAM_USERS, grants.operation, arn, error_code(cause), message)
                )
            return
        findings: list[Finding] = []
        if grants and not self.waived:
            try:
                keys = list_access_keys(self.iam, str(user["UserName"]))
            except (BotoCoreError, ClientError) as error:
                self._error("ListAccessKeys", arn, error)
                return
            findings = [
                _key_finding(arn, str(user["UserName"]), key, grants)
                for key in keys
                if key.get("Status") == "Active"
            ]
        with self._lock:
            self.resources.append(AuditedResource(IAM_USERS, arn, GLOBAL))
            self.findings += findings

    def _error(self, operation: str, resource: str | None, error: Exception) -> None:
        with self._lock:
            self.errors.append(
                AuditError(GLOBAL, IAM_USERS, operation, resource, error_code(error), str(error))
            )


def _key_finding(
    arn: str, user: str, key: Mapping[str, Any], grants: Sequence[SageMakerGrant]
) -> Finding:
    """An active access key of a user who may call SageMaker, named by its last four
    characters only."""
    control = by_slug(TEMPORARY_CREDENTIALS)
    ending = str(key.get("AccessKeyId", ""))[-4:]
    created = key.get("CreateDate")
    day = created.date().isoformat() if isinstance(created, datetime) else str(created)
    first = grants[0]
    others = len(grants) - 1
    also = f" (and {others} other polic{'y' if others == 1 else 'ies'})" if others else ""
    return Finding(
        control=TEMPORARY_CREDENTIALS,
        title=control.title if control is not None else TEMPORARY_CREDENTIALS,
        resource_type=IAM_USERS,
        resource_arn=arn,
        region=GLOBAL,
        path=f"AccessKeyMetadata[...{ending}].Status",
        found=f"active access key ending {ending}, created {day}; the user may call "
        f"{first.action} through {first.source}{also}",
        expected="no active access key on an IAM user that may call SageMaker: people and "
        "programs sign with temporary credentials",
        remedy=f"move what signs with the key ending {ending} to temporary credentials, then "
        f"deactivate and delete it (aws iam update-access-key --user-name {user} "
        "--access-key-id KEY --status Inactive; aws iam delete-access-key), or take the "
        "user's SageMaker permissions away"
        + (f"; {control.remedy}" if control is not None else "."),
        anchors=control.anchors if control is not None else Anchors(),
    )
