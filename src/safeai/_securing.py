"""What the guard does with one call of a guarded client: the service behind the event hooks.

:mod:`safeai._hooks` attaches handlers to clients and calls in here; this module secures what they
hand over. A request is checked in this order, and refused at the first step that refuses:

1. the client itself: its endpoint (``client.tls``) and the kind of credentials it signs with
   (``client.temporary_credentials``), on every call; its region and its account
   (``client.region``, ``client.account``);
2. the request's fields, by the engine (a pipeline definition kept in S3 is read in first);
3. the resources it names (an endpoint's configuration and models, a transform job's model);
4. preflight against AWS: the role, keys and network it names, and the S3 data its job reads.

Violations are routed by one :class:`~safeai._decide.DecisionRouter` per request and policy, with
the waivers resolved once, here. Afterwards what warn mode let through is warned about and, with
the ``safeai.audit`` logger on, one record is written. A bucket a guarded client created is
brought to the secure baseline, and a presigned POST form is secured like a ``PutObject``.
"""

from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from . import _audit
from ._decide import DecisionRouter, warn_about
from ._decisions import Decision
from ._engine import copy_members, secure_in_place
from ._exceptions import PreflightError, SafeAIError, SecurityViolation
from ._readers import read_text_object, sibling_client
from ._references import REFERENCING_OPERATIONS, check_references, inline_pipeline_definition
from .controls._resources import pipeline_definitions
from .controls.client import ACCOUNT, REGION, TEMPORARY_CREDENTIALS, TLS
from .controls.runtime import OPERATIONS as RUNTIME_OPERATIONS
from .preflight import caller_account

if TYPE_CHECKING:
    import weakref
    from collections.abc import Callable, Iterator, MutableMapping

    import botocore.session
    from botocore.client import BaseClient

    from ._hooks import GuardHandle
    from ._policy import Policy
    from .controls import Control

__all__ = [
    "ClientState",
    "apply_baseline",
    "check_signing_credentials",
    "check_transport",
    "refuse_presigned_bucket",
    "secure_presigned_post",
    "secure_request",
]

_PIPELINE_DEFINITIONS = pipeline_definitions()
#: Guards ``ClientState.siblings`` (clients may be used from several threads).
_siblings_lock = threading.Lock()
#: How far a warning of the service is from the botocore frame that ran the hook: the service
#: function, the hook, botocore's emitter.
_WARNING_STACKLEVEL = 3


@dataclass
class ClientState:
    """The guards on one client; each distinct policy is enforced in turn, so a request must
    satisfy all of them and a second guard can never weaken the first."""

    handles: list[GuardHandle] = field(default_factory=list)
    session: weakref.ReferenceType[botocore.session.Session] | None = None
    #: The distinct policies of ``handles``, kept current by ``refresh`` (read on every call).
    policies: tuple[Policy, ...] = ()
    #: Clients of other services (iam, kms, ec2, s3, sts) for the checks, by service and the
    #: access key they were made with (credentials rotate).
    siblings: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: The client's endpoint when it is plain HTTP (checked on every call), else None.
    plain_http: str | None = None

    def refresh(self) -> None:
        """Recompute ``policies`` after ``handles`` changed."""
        self.policies = tuple(dict.fromkeys(h.policy for h in self.handles if h.active))

    def credentials(self, policy: Policy) -> str:
        """How the credentials of the guard that brought ``policy`` were obtained."""
        return next(
            (h.credentials for h in self.handles if h.policy == policy),
            "ambient (not assumed by safeai)",
        )


# -- requests -------------------------------------------------------------------------------------


def secure_request(
    client: BaseClient,
    state: ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    context: dict[str, Any],
) -> None:
    """Secure one request of a guarded client in place under ``policy``, or refuse it: raises
    :class:`safeai.SecurityViolation` or :class:`safeai.PreflightError`, and nothing is sent."""
    with _routed(state, operation, params, policy, context) as (router, let_through):
        # Before anything is asked with them (the account check calls STS).
        let_through += router.route(_check_credentials(client, operation))
        found = _client_checks(client, state, operation, context, policy)
        if found:
            let_through += router.route(found)
        if operation in RUNTIME_OPERATIONS and policy.preflight:
            # InvokeEndpointAsync: its input is checked below, with preflight.
            let_through += _routed_private_link(client, state, operation, router)
        # ``params`` is botocore's own dict for this call, but the structures in it are the
        # caller's: copy them all, so the caller's stay as they were, and as plain dicts and
        # lists, so every check reads a tuple or a read-only mapping as botocore sends it.
        # A refusal aborts the call, so a half-secured ``params`` is never sent.
        copy_members(params)
        # What the references and preflight read: ``params``, or in report mode a copy with a
        # definition kept in S3 read in (the request itself must leave as written).
        checked: MutableMapping[str, Any] = params
        if operation in _PIPELINE_DEFINITIONS and "PipelineDefinitionS3Location" in params:
            checked = _secure_stored_pipeline(client, state, operation, params, router)
        let_through += secure_in_place(
            operation, params, policy, decisions=router.decisions, waivers=router.waivers
        )
        if operation in REFERENCING_OPERATIONS:
            let_through += _check_references(client, operation, checked, router)
        if policy.preflight:
            let_through += _preflight(client, state, operation, checked, router)


@contextmanager
def _routed(
    state: ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    context: dict[str, Any],
) -> Iterator[tuple[DecisionRouter, list[SecurityViolation]]]:
    """The router of one request and the list of what it lets through; on leaving, refused or
    not, what warn mode let through is warned about and the audit record is written."""
    decisions: list[Decision] | None = [] if _audit.logger.isEnabledFor(logging.INFO) else None
    router = DecisionRouter(policy, decisions=decisions)
    let_through: list[SecurityViolation] = []
    try:
        yield router, let_through
    except SafeAIError as error:
        _conclude(state, operation, params, router, context, [], error)
        raise
    _conclude(state, operation, params, router, context, let_through, None)


def _conclude(
    state: ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    router: DecisionRouter,
    context: dict[str, Any],
    let_through: list[SecurityViolation],
    error: SafeAIError | None,
) -> None:
    """After a request (or form) was secured or refused: warn about what warn mode let
    through, and write the audit record when the audit log is on."""
    warn_about(let_through, stacklevel=_WARNING_STACKLEVEL + 1)
    if router.decisions is not None:
        _audit.emit(
            _record(state, operation, params, router.policy, context, router.decisions, error)
        )


def _secure_stored_pipeline(
    client: BaseClient,
    state: ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    router: DecisionRouter,
) -> MutableMapping[str, Any]:
    """Send a definition kept in S3 inline, so that what is checked is what runs. In report
    mode the request must leave as written: the definition is checked on a copy instead, which
    is returned for the other checks to read."""
    if router.mode("pipeline.steps") != "report":
        inline_pipeline_definition(params, _s3_reader(client, state))
        return params
    copy = dict(params)
    inline_pipeline_definition(copy, _s3_reader(client, state))
    found: list[Decision] = []
    secure_in_place(operation, copy, router.policy, decisions=found, waivers=router.waivers)
    router.record(d for d in found if d.path.startswith("PipelineDefinition"))
    return copy


def _check_references(
    client: BaseClient, operation: str, params: MutableMapping[str, Any], router: DecisionRouter
) -> list[SecurityViolation]:
    """Check the stored resources the request names (with the caller's own client)."""
    try:
        found = check_references(client, operation, params, router.policy, waivers=router.waivers)
    except PreflightError as error:
        router.unchecked(error)
        return []
    return router.route(found)


def _preflight(
    client: BaseClient,
    state: ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    router: DecisionRouter,
) -> list[SecurityViolation]:
    """Check against AWS what the secured request names (its role, keys and network) and the
    S3 data its job will read (the buckets' posture, personal data in the objects)."""
    from .preflight import verify
    from .preflight.inputs import check_inputs

    def clients(service: str) -> Any:
        return _sibling(client, state, service)

    let_through: list[SecurityViolation] = []
    try:
        passed = verify(clients, operation, params, router.policy, waivers=router.waivers)
    except SecurityViolation as found:
        let_through += router.route([found, *found.additional])
    except PreflightError as error:
        router.unchecked(error)
    else:
        router.record(passed)
    try:
        inputs = check_inputs(clients, operation, params, router.policy, waivers=router.waivers)
    except PreflightError as error:
        router.unchecked(error)
        return let_through
    router.record(inputs.decisions)
    let_through += router.route(inputs.violations)
    return let_through + router.warned(inputs.warnings)


# -- the client itself ----------------------------------------------------------------------------


def check_transport(endpoint: str, operation: str, policy: Policy) -> None:
    """Refuse a call over plain HTTP, except to loopback when the policy allows it.

    This one check is not routed by mode: the call would carry its signature and its data in
    clear text even in report mode, and ``Policy.allow_loopback_http`` is the only way out.
    """
    from urllib.parse import urlsplit

    host = (urlsplit(endpoint).hostname or "").lower()
    if policy.allow_loopback_http and _is_loopback(host):
        return
    raise _client_violation(
        TLS,
        operation,
        path="client endpoint",
        found=endpoint,
        expected="an https:// endpoint: requests and credentials must not travel in clear text",
    )


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address; never a name that merely starts like one
    (``127.0.0.1.nip.io`` resolves wherever its owner likes)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _client_checks(
    client: BaseClient,
    state: ClientState,
    operation: str,
    context: dict[str, Any],
    policy: Policy,
) -> list[SecurityViolation]:
    """The checks on the client itself, before its request: its region and account."""
    # A presigned URL is built without the client region in its context.
    region = context.get("client_region") or client.meta.region_name
    found = _check_region(operation, region, policy)
    if policy.preflight and policy.account_id:
        found += _check_account(client, state, operation, policy.account_id)
    return found


def check_signing_credentials(
    client: BaseClient,
    state: ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    context: dict[str, Any],
) -> None:
    """The checks on the client of a call :func:`secure_request` does not act on (a read, a
    download): ``client.temporary_credentials``; and of a prediction (a sagemaker-runtime call
    without fields to secure), also its region, its account and ``runtime.private_link``.
    Routed by mode and waivers like any control, and recorded when they find something; nothing
    else is built for a call they pass (the private-link verdict is cached per client and
    policy)."""
    found = _check_credentials(client, operation)
    unchecked: PreflightError | None = None
    if operation in RUNTIME_OPERATIONS:
        found += _client_checks(client, state, operation, context, policy)
        if policy.preflight:
            try:
                found += _check_private_link(client, state, operation, policy)
            except PreflightError as error:
                unchecked = error
    if not found and unchecked is None:
        return
    with _routed(state, operation, params, policy, context) as (router, let_through):
        let_through += router.route(found)
        if unchecked is not None:
            router.unchecked(unchecked)


def _check_private_link(
    client: BaseClient, state: ClientState, operation: str, policy: Policy
) -> list[SecurityViolation]:
    """``runtime.private_link``: a sagemaker-runtime client reaches its endpoint through an
    interface VPC endpoint of the policy's VPC. The verdict is kept per client and policy for the
    preflight TTL (:mod:`safeai.preflight.private_link`). Raises :class:`safeai.PreflightError`
    when EC2 or DNS cannot answer."""
    from .preflight.private_link import check_private_link

    return check_private_link(
        client, policy, operation=operation, ec2=partial(_sibling, client, state, "ec2")
    )


def _routed_private_link(
    client: BaseClient, state: ClientState, operation: str, router: DecisionRouter
) -> list[SecurityViolation]:
    """:func:`_check_private_link` with its findings routed; a check that cannot run refuses
    unless the control's mode is warn or report."""
    try:
        found = _check_private_link(client, state, operation, router.policy)
    except PreflightError as error:
        router.unchecked(error)
        return []
    return router.route(found)


#: The access key ids AWS issues: a prefix that says what the key is, then 16 characters (IAM
#: User Guide, "IAM identifiers", unique ID prefixes: AKIA an IAM user's long-lived access key,
#: ASIA a temporary key from STS). Any other key (a local emulator's ``testing``) is not judged.
_AWS_ACCESS_KEY = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")


def _check_credentials(client: BaseClient, operation: str) -> list[SecurityViolation]:
    """A long-lived IAM user key, or a temporary key without its session token. The key is
    never shown whole: its kind and its last four characters at most."""
    access_key, token = _signing_key(client)
    match = _AWS_ACCESS_KEY.match(access_key or "")
    if match is None or (match.group(1) == "ASIA" and token):
        return []
    ending = match.string[-4:]
    what = (
        f"a long-lived IAM user access key (AKIA..., ending {ending})"
        if match.group(1) == "AKIA"
        else f"a temporary access key (ASIA..., ending {ending}) without its session token"
    )
    return [
        _client_violation(
            TEMPORARY_CREDENTIALS,
            operation,
            path="client credentials",
            found=what,
            expected="temporary credentials (an assumed role, IAM Identity Center, an instance "
            "or container role): an ASIA... key with its session token",
        )
    ]


def _signing_key(client: BaseClient) -> tuple[str | None, str | None]:
    """The access key and session token the client signs with; (None, None) when unsigned.

    Read as the credentials hold them, without a refresh (botocore refreshes when it signs, a
    moment later; a refreshed key is never a long-lived one). Read from the request signer, not
    with ``client._get_credentials()``, which aiobotocore makes a coroutine: an aiobotocore
    client that existed when a process-wide guard started is guarded too, and its handlers run
    synchronously. Credentials fetched on first use (an assumed role's) hold no key before it:
    a botocore client's are fetched here; an aiobotocore client's would need an ``await``.
    """
    # botocore keeps a client's credentials on its request signer only.
    credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    if credentials is None:
        return None, None
    # Credentials hold their key as ``access_key``; refreshable ones as ``_access_key``.
    held = vars(credentials)
    key = held.get("access_key", held.get("_access_key"))
    if key is None and not _awaitable(credentials.get_frozen_credentials):
        frozen = credentials.get_frozen_credentials()
        return frozen.access_key, frozen.token
    return key, held.get("token", held.get("_token"))


def _awaitable(function: object) -> bool:
    import inspect

    return inspect.iscoroutinefunction(function)


def _check_region(operation: str, client_region: object, policy: Policy) -> list[SecurityViolation]:
    expected = policy.effective_region
    if not expected or client_region == expected:
        return []
    return [
        _client_violation(
            REGION,
            operation,
            path="client region",
            found=client_region,
            expected=f"{expected!r}, where the policy's role, key and subnets live",
        )
    ]


def _check_account(
    client: BaseClient, state: ClientState, operation: str, expected: str
) -> list[SecurityViolation]:
    found = caller_account(client, lambda: _sibling(client, state, "sts"))
    if found == expected:
        return []
    return [
        _client_violation(
            ACCOUNT,
            operation,
            path="client credentials",
            found=f"account {found}",
            expected=f"account {expected}, where the policy's execution role lives",
        )
    ]


def _client_violation(
    control: Control, operation: str, *, path: str, found: object, expected: str
) -> SecurityViolation:
    return SecurityViolation(
        control=control.slug,
        operation=operation,
        path=path,
        found=found,
        expected=expected,
        remedy=control.remedy,
        waivable=control.waivable,
    )


def _sibling(client: BaseClient, state: ClientState, service: str) -> Any:
    """A client of ``service`` with the guarded client's credentials, region and endpoint
    configuration, made once per access key (:func:`safeai._readers.sibling_client`)."""
    signer: Any = client
    key = (service, signer._get_credentials().get_frozen_credentials().access_key)
    with _siblings_lock:
        found = state.siblings.get(key)
    if found is not None:
        return found
    session = state.session() if state.session is not None else None
    made = sibling_client(client, service, session)
    with _siblings_lock:
        return state.siblings.setdefault(key, made)


def _s3_reader(client: BaseClient, state: ClientState) -> Callable[[str, str, str | None], str]:
    """Reads an S3 object as text with the guarded client's credentials; the S3 client is made
    on the first read."""
    return partial(read_text_object, partial(_sibling, client, state))


# -- S3: the bucket baseline and presigned forms --------------------------------------------------


def apply_baseline(
    client: BaseClient,
    state: ClientState,
    bucket: str,
    policy: Policy,
    context: dict[str, Any],
) -> None:
    """Bring a bucket the client has just created to the secure baseline (``s3.baseline``);
    in report mode record what would change, and leave a waived one as it is."""
    from .s3 import secure_bucket

    router = DecisionRouter(policy)
    disposition = router.disposition("s3.baseline")
    if disposition == "waived":
        decision = router.waived("s3.baseline", "Bucket", bucket)
    elif disposition == "report":
        report = secure_bucket(bucket, client=client, policy=policy, dry_run=True)  # type: ignore[arg-type]
        decision = Decision("s3.baseline", "Bucket", "would_inject", _settings(report))
    else:
        report = secure_bucket(bucket, client=client, policy=policy)  # type: ignore[arg-type]
        decision = Decision("s3.baseline", "Bucket", "injected", _settings(report))
    if _audit.logger.isEnabledFor(logging.INFO):
        params = {"Bucket": bucket}
        _audit.emit(_record(state, "CreateBucket", params, policy, context, [decision], None))


def _settings(report: Any) -> list[str]:
    return [change.setting for change in report.changes]


def refuse_presigned_bucket(policy: Policy) -> None:
    """A bucket made later from a presigned URL is out of the guard's reach: the baseline
    follows a CreateBucket call, and there is none to follow."""
    found = SecurityViolation(
        control="s3.baseline",
        operation="CreateBucket",
        path="presigned URL",
        found="a presigned CreateBucket URL",
        expected="a bucket created by a guarded client, which brings it to the baseline",
        remedy="create the bucket through a guarded client, or run `safeai bucket secure NAME` "
        "once it exists and waive s3.baseline for the URL with a reason.",
    )
    warn_about(DecisionRouter(policy).route([found]), stacklevel=_WARNING_STACKLEVEL)


def secure_presigned_post(
    state: ClientState,
    fields: dict[str, Any],
    conditions: list[Any],
    policy: Policy,
    context: dict[str, Any],
) -> None:
    """Secure a presigned POST form (its fields and its policy's conditions) in place like a
    ``PutObject``, or refuse it."""
    from ._presigned_post import secure_post_form

    decisions: list[Decision] | None = [] if _audit.logger.isEnabledFor(logging.INFO) else None
    router = DecisionRouter(policy, decisions=decisions)
    operation = "PutObject (presigned POST)"
    try:
        let_through = secure_post_form(fields, conditions, router)
    except SafeAIError as error:
        _conclude(state, operation, fields, router, context, [], error)
        raise
    _conclude(state, operation, fields, router, context, let_through, None)


# -- the audit record -----------------------------------------------------------------------------


def _resource_name(params: MutableMapping[str, Any]) -> str | None:
    """The name the request gives its resource (``TrainingJobName``, ``ModelName``, ...)."""
    return next(
        (value for key, value in params.items() if key.endswith("Name") and isinstance(value, str)),
        None,
    )


def _record(
    state: ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    context: dict[str, Any],
    decisions: list[Decision],
    error: SafeAIError | None,
) -> dict[str, Any]:
    """The audit record of one request (or form), secured or refused."""
    outcomes = {d.outcome for d in decisions}
    if error is not None:
        outcome = "refused"
    elif "warned" in outcomes:
        outcome = "warned"
    elif outcomes & {"would_inject", "would_refuse"}:
        outcome = "reported"
    elif "waived" in outcomes:
        # Sent with a control switched off by a written waiver: not "secured".
        outcome = "waived"
    else:
        outcome = "secured"
    record: dict[str, Any] = {
        "event": "request",
        "outcome": outcome,
        "mode": policy.mode,
        "operation": operation,
        "resource": _resource_name(params),
        "region": context.get("client_region"),
        "credentials": state.credentials(policy),
        "decisions": [_audit.redact(d.as_dict()) for d in decisions],
        "waivers": [
            {"control": d.control, "reason": d.reason} for d in decisions if d.outcome == "waived"
        ],
        "request": _audit.redact(params),
    }
    if policy.modes:
        record["modes"] = dict(policy.modes)
    if isinstance(error, SecurityViolation):
        record["violations"] = [
            {"control": v.control, "path": v.path, "found": _audit.redact(v.found)}
            for v in (error, *error.additional)
        ]
    elif isinstance(error, PreflightError | SafeAIError):
        record["error"] = str(error)
    return record
