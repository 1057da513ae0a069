"""The event-hook door: secures requests of guarded botocore clients before they are built.

Three scopes, one mechanism. A guard attaches a ``before-parameter-build.sagemaker`` handler to
each guarded client's own event emitter. Process-wide and session guards reach clients created
later by wrapping ``botocore.session.Session.create_client`` (botocore copies a session's
handlers into a client only when the client is created, and the SageMaker SDK v3 builds sessions
and caches clients of its own, so registering on sessions alone would miss them). Clients that
existed before a process-wide guard are found, guarded too, and reported.
"""

from __future__ import annotations

import gc
import logging
import threading
import warnings
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from . import _audit
from ._engine import (
    Decision,
    copy_members,
    handled_operations,
    secure_in_place,
)
from ._exceptions import PreflightError, SafeAIError, SecurityViolation, SecurityWarning
from ._inputs import EXECUTIONS
from ._policy import Policy
from ._references import REFERENCING_OPERATIONS, check_references, inline_pipeline_definition
from ._waivers import active_waivers
from .controls import services
from .preflight import caller_account

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping

    import boto3
    import botocore.session
    from botocore.client import BaseClient
    from botocore.model import OperationModel

    from ._types import Outcome

__all__ = ["GuardHandle", "guard", "guarded", "unguard"]

_log = logging.getLogger("safeai")
GUARDED_SERVICES = services()
_HANDLER_ID = "safeai.guard"
#: botocore keeps one handler per unique id per client, whatever the event: a second id.
_BASELINE_HANDLER_ID = "safeai.guard.baseline"
_POST_HANDLER_ID = "safeai.guard.presigned-post"
#: Where the request context carries the name of a bucket being created, for the baseline.
_NEW_BUCKET = "safeai.new_bucket"
Scope = Literal["process", "session", "client"]


@dataclass(eq=False)
class GuardHandle:
    """What :func:`guard` returns: pass it to :func:`unguard` to undo exactly that guard.

    ``preexisting_clients`` counts the clients that already existed when a process-wide guard
    started and were guarded then.
    """

    policy: Policy
    scope: Scope
    active: bool = True
    credentials: str = "ambient (not assumed by safeai)"
    preexisting_clients: int = 0
    _clients: weakref.WeakSet[BaseClient] = field(default_factory=weakref.WeakSet, repr=False)
    _session: Any = field(default=None, repr=False)

    def __enter__(self) -> GuardHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        unguard(self)


@dataclass
class _ClientState:
    """The guards on one client; each distinct policy is enforced in turn, so a request must
    satisfy all of them and a second guard can never weaken the first."""

    handles: list[GuardHandle] = field(default_factory=list)
    session: weakref.ReferenceType[botocore.session.Session] | None = None
    #: The distinct policies of ``handles``, kept current by ``refresh`` (read on every call).
    policies: tuple[Policy, ...] = ()
    #: Clients of other services (iam, kms, ec2, s3) for the checks, by service and the access
    #: key they were made with (credentials rotate).
    siblings: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: The client's endpoint when it is plain HTTP (checked on every call), else None.
    plain_http: str | None = None

    def refresh(self) -> None:
        self.policies = tuple(dict.fromkeys(h.policy for h in self.handles if h.active))


_lock = threading.RLock()
_states: weakref.WeakKeyDictionary[BaseClient, _ClientState] = weakref.WeakKeyDictionary()
_process_handles: list[GuardHandle] = []
_session_handles: weakref.WeakKeyDictionary[botocore.session.Session, list[GuardHandle]] = (
    weakref.WeakKeyDictionary()
)
_wrapper: Any = None


def guard(
    policy: Policy,
    *,
    session: boto3.Session | botocore.session.Session | None = None,
    client: BaseClient | None = None,
) -> GuardHandle:
    """Secure SageMaker requests with ``policy``.

    With neither ``session`` nor ``client``: process-wide, every client that any boto3 or
    botocore session creates from now on (the default session and the sessions SDKs build
    themselves included), plus the clients that already exist. With ``session``: the clients
    that session creates from now on. With ``client``: that one client.

    Guarding a target twice with the same policy applies it once; guarding it with two
    policies enforces both. Returns a handle for :func:`unguard`; it is also a context manager.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"guard() needs a safeai.Policy, got {type(policy).__name__}")
    if session is not None and client is not None:
        raise TypeError("guard() takes session= or client=, not both")
    with _lock:
        if client is not None:
            handle = GuardHandle(policy, "client")
            _attach(handle, client, session=None)
            return handle
        _install_create_client_wrapper()
        if session is not None:
            core = _botocore_session(session)
            handle = GuardHandle(policy, "session", _session=weakref.ref(core))
            _session_handles.setdefault(core, []).append(handle)
            return handle
        handle = GuardHandle(policy, "process")
        existing = _existing_clients()
        _process_handles.append(handle)
        try:
            for found in existing:
                _attach(handle, found, session=None)
        except BaseException:
            unguard(handle)  # a guard that failed to start leaves nothing behind
            raise
        handle.preexisting_clients = len(existing)
    if existing:
        _log.warning(
            "safeai.guard(): %d client(s) created before the guard are guarded too",
            len(existing),
        )
    return handle


def unguard(handle: GuardHandle) -> None:
    """Undo exactly the guard ``handle`` stands for; other guards stay in force."""
    with _lock:
        if not handle.active:
            return
        handle.active = False
        if handle.scope == "process":
            _process_handles.remove(handle)
        elif handle.scope == "session":
            core = handle._session() if handle._session is not None else None
            if core is not None and core in _session_handles:
                _session_handles[core].remove(handle)
                if not _session_handles[core]:
                    del _session_handles[core]
        for client in list(handle._clients):
            state = _states.get(client)
            if state is None:
                continue
            state.handles = [h for h in state.handles if h is not handle]
            state.refresh()
            if not state.handles:
                client.meta.events.unregister(
                    f"before-parameter-build.{_service_id(client)}", unique_id=_HANDLER_ID
                )
                client.meta.events.unregister(_AFTER_CREATE_BUCKET, unique_id=_BASELINE_HANDLER_ID)
                for event in _BEFORE_SIGN:
                    client.meta.events.unregister(event, unique_id=f"{_POST_HANDLER_ID}.{event}")
                del _states[client]


@contextmanager
def guarded(
    policy: Policy,
    *,
    session: boto3.Session | botocore.session.Session | None = None,
    client: BaseClient | None = None,
) -> Iterator[GuardHandle]:
    """:func:`guard` for the duration of a ``with`` block."""
    handle = guard(policy, session=session, client=client)
    try:
        yield handle
    finally:
        unguard(handle)


def active_handles() -> list[GuardHandle]:
    """Every guard currently in force (for status displays)."""
    with _lock:
        handles = list(_process_handles)
        for session_handles in _session_handles.values():
            handles.extend(session_handles)
        for state in _states.values():
            handles.extend(h for h in state.handles if h.scope == "client")
    return list(dict.fromkeys(handles))


# -- attaching to clients ----------------------------------------------------------------------


def _botocore_session(session: Any) -> botocore.session.Session:
    import botocore.session

    if isinstance(session, botocore.session.Session):
        return session
    core = getattr(session, "_session", None)
    if isinstance(core, botocore.session.Session):
        return core
    raise TypeError(f"guard(session=...) needs a boto3 or botocore Session, got {session!r}")


def _service_id(client: BaseClient) -> str:
    return str(client.meta.service_model.service_id.hyphenize())


def _service_name(client: BaseClient) -> str:
    return str(client.meta.service_model.service_name)


def _attach(
    handle: GuardHandle, client: BaseClient, session: botocore.session.Session | None
) -> None:
    if _service_name(client) not in GUARDED_SERVICES:
        return
    state = _states.get(client)
    if state is None:
        state = _ClientState(session=weakref.ref(session) if session is not None else None)
        endpoint = str(client.meta.endpoint_url)
        if endpoint.lower().startswith("http://"):
            state.plain_http = endpoint
        _states[client] = state
        client_ref = weakref.ref(client)
        client.meta.events.register_last(
            f"before-parameter-build.{_service_id(client)}",
            _make_handler(client_ref, state),
            unique_id=_HANDLER_ID,
        )
        if _service_name(client) == "s3":
            client.meta.events.register_last(
                _AFTER_CREATE_BUCKET,
                _make_baseline_handler(client_ref, state),
                unique_id=_BASELINE_HANDLER_ID,
            )
            signing = _make_post_handler(state)
            for event in _BEFORE_SIGN:
                # A unique id registers once per emitter, whatever the event: one id per event.
                client.meta.events.register_last(
                    event, signing, unique_id=f"{_POST_HANDLER_ID}.{event}"
                )
    elif state.session is None and session is not None:
        state.session = weakref.ref(session)
    if handle not in state.handles:
        state.handles.append(handle)
        state.refresh()
    handle._clients.add(client)


def _existing_clients() -> list[BaseClient]:
    from botocore.client import BaseClient

    # botocore keeps weak proxies of clients (S3 clients hold one of themselves); a proxy passes
    # isinstance but is not a client to guard.
    return [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, BaseClient)
        and not isinstance(obj, weakref.ProxyTypes)
        and _service_name(obj) in GUARDED_SERVICES
    ]


def _install_create_client_wrapper() -> None:
    """Wrap ``Session.create_client`` once per process. The wrapper stays in place once
    installed, doing nothing while no process or session guard is active: taking it out again
    would also take out whatever another library wrapped around it since (and a wrapper
    restored by someone else must not silently end the guard)."""
    global _wrapper
    import botocore.session

    current = botocore.session.Session.create_client
    if _wrapper is not None and _wraps(current, _wrapper):
        return
    original = current

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        with _lock:
            for handle in [*_process_handles, *_session_handles.get(self, ())]:
                _attach(handle, client, session=self)
        return client

    create_client.__wrapped__ = original  # type: ignore[attr-defined]
    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    _wrapper = create_client


def _wraps(function: Any, wrapper: Any) -> bool:
    """Whether ``wrapper`` is ``function`` or somewhere in its chain of ``__wrapped__``."""
    while function is not None:
        if function is wrapper:
            return True
        function = getattr(function, "__wrapped__", None)
    return False


# -- the handler ---------------------------------------------------------------------------------


def _make_handler(client_ref: weakref.ReferenceType[BaseClient], state: _ClientState) -> Any:
    """The handler of one client. It holds the client weakly (the client's emitter holds the
    handler) and its guard state directly (read on every request)."""
    relevant = handled_operations() | REFERENCING_OPERATIONS | EXECUTIONS

    def before_parameter_build(
        params: MutableMapping[str, Any], model: OperationModel, context: dict[str, Any], **_: Any
    ) -> None:
        operation = model.name
        if state.plain_http is not None:
            for policy in state.policies:
                _check_transport(state.plain_http, operation, policy)
        if operation not in relevant:
            return
        if (
            operation == "CreateBucket"
            and context.get("is_presign_request")
            and params.keys() == {"Bucket"}
        ):
            # generate_presigned_post builds its URL from a bare CreateBucket (its form is
            # secured at before-sign, where a presigned CreateBucket URL is refused too): there
            # is nothing here to check, and no request to record.
            return
        client = client_ref()
        if client is None:
            return
        for policy in state.policies:
            _secure_request(client, state, operation, params, policy, context)
        if operation == "CreateBucket":
            context[_NEW_BUCKET] = params.get("Bucket")

    return before_parameter_build


_AFTER_CREATE_BUCKET = "after-call.s3.CreateBucket"
#: ``generate_presigned_post`` signs its form as a PutObject: the one moment its fields and
#: conditions can be read and changed. A presigned CreateBucket URL is signed as itself.
_BEFORE_SIGN = ("before-sign.s3.PutObject", "before-sign.s3.CreateBucket")


def _make_post_handler(state: _ClientState) -> Any:
    """Secures the form of a presigned POST (``generate_presigned_post``) like a PutObject,
    and refuses a presigned CreateBucket URL."""

    def before_sign(request: Any, operation_name: str, **_: Any) -> None:
        if operation_name == "CreateBucket":
            if request.context.get("is_presign_request"):
                for policy in state.policies:
                    _refuse_presigned_bucket(policy)
            return
        fields = request.context.get("s3-presign-post-fields")
        post_policy = request.context.get("s3-presign-post-policy")
        if fields is None or not isinstance(post_policy, dict):
            return  # a request, secured at before-parameter-build
        for policy in state.policies:
            _secure_post(state, fields, post_policy["conditions"], policy, request.context)

    return before_sign


def _refuse_presigned_bucket(policy: Policy) -> None:
    """A bucket made later from a presigned URL is out of the guard's reach: the baseline
    follows a CreateBucket call, and there is none to follow."""
    if "s3.baseline" in active_waivers(policy):
        return
    found = SecurityViolation(
        control="s3.baseline",
        operation="CreateBucket",
        path="presigned URL",
        found="a presigned CreateBucket URL",
        expected="a bucket created by a guarded client, which brings it to the baseline",
        remedy="create the bucket through a guarded client, or run `safeai bucket secure NAME` "
        "once it exists and waive s3.baseline for the URL with a reason.",
    )
    for violation in _route([found], policy, None):
        warnings.warn(_warning_text(violation), SecurityWarning, stacklevel=3)


def _secure_post(
    state: _ClientState,
    fields: dict[str, Any],
    conditions: list[Any],
    policy: Policy,
    context: dict[str, Any],
) -> None:
    from ._presigned_post import open_conditions, secure_post_form

    decisions: list[Decision] | None = [] if _audit.logger.isEnabledFor(logging.INFO) else None
    operation = "PutObject (presigned POST)"
    waivers = active_waivers(policy)
    try:
        opened = [v for v in open_conditions(conditions) if v.control not in waivers]
        let_through = _route(opened, policy, decisions)
        let_through += secure_post_form(fields, conditions, policy, decisions=decisions)
    except SafeAIError as error:
        _conclude(state, operation, fields, policy, context, decisions, [], error)
        raise
    _conclude(state, operation, fields, policy, context, decisions, let_through, None)


def _make_baseline_handler(
    client_ref: weakref.ReferenceType[BaseClient], state: _ClientState
) -> Any:
    """Brings a bucket the client created to the secure baseline (control ``s3.baseline``)."""

    def after_create_bucket(http_response: Any, context: dict[str, Any], **_: Any) -> None:
        bucket = context.get(_NEW_BUCKET)
        client = client_ref()
        if not isinstance(bucket, str) or client is None or http_response.status_code >= 300:
            return
        for policy in state.policies:
            _apply_baseline(client, state, bucket, policy, context)

    return after_create_bucket


def _apply_baseline(
    client: BaseClient,
    state: _ClientState,
    bucket: str,
    policy: Policy,
    context: dict[str, Any],
) -> None:
    from .s3 import secure_bucket

    waivers = active_waivers(policy)
    if "s3.baseline" in waivers:
        decision = Decision("s3.baseline", "Bucket", "waived", bucket, waivers["s3.baseline"])
    elif policy.mode_of("s3.baseline") == "report":
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


def _check_transport(endpoint: str, operation: str, policy: Policy) -> None:
    """Refuse a call over plain HTTP, except to loopback when the policy allows it."""
    from urllib.parse import urlsplit

    host = (urlsplit(endpoint).hostname or "").lower()
    if policy.allow_loopback_http and _is_loopback(host):
        return
    raise SecurityViolation(
        control="client.tls",
        operation=operation,
        path="client endpoint",
        found=endpoint,
        expected="an https:// endpoint: requests and credentials must not travel in clear text",
        remedy="create the client without endpoint_url=http://... and without use_ssl=False; "
        "for a local emulator on loopback, set Policy(allow_loopback_http=True).",
        waivable=False,
    )


def _secure_request(
    client: BaseClient,
    state: _ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    context: dict[str, Any],
) -> None:
    decisions: list[Decision] | None = [] if _audit.logger.isEnabledFor(logging.INFO) else None
    let_through: list[SecurityViolation] = []
    try:
        found = _client_checks(client, state, operation, context, policy)
        if found:
            let_through += _route(found, policy, decisions)
        # ``params`` is botocore's own dict for this call, but the structures in it are the
        # caller's: copy them all, so the caller's stay as they were, and as plain dicts and
        # lists, so every check reads a tuple or a read-only mapping as botocore sends it.
        # A refusal aborts the call, so a half-secured ``params`` is never sent.
        copy_members(params)
        # What the references and preflight read: ``params``, or in report mode a copy with a
        # definition kept in S3 read in (the request itself must leave as written).
        checked: MutableMapping[str, Any] = params
        if operation in _PIPELINE_OPERATIONS and "PipelineDefinitionS3Location" in params:
            checked = _secure_stored_pipeline(client, state, operation, params, policy, decisions)
        let_through += secure_in_place(operation, params, policy, decisions=decisions)
        if operation in REFERENCING_OPERATIONS:
            try:
                found = check_references(client, operation, checked, policy)
            except PreflightError as error:
                _unchecked(error, policy, decisions)
            else:
                let_through += _route(found, policy, decisions)
        if policy.preflight:
            let_through += _preflight(client, state, operation, checked, policy, decisions)
    except SafeAIError as error:
        _conclude(state, operation, params, policy, context, decisions, [], error)
        raise
    _conclude(state, operation, params, policy, context, decisions, let_through, None)


def _conclude(
    state: _ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    context: dict[str, Any],
    decisions: list[Decision] | None,
    let_through: list[SecurityViolation],
    error: SafeAIError | None,
) -> None:
    """After a request (or form) was secured or refused: warn about what warn mode let
    through, and write the audit record when the audit log is on."""
    for violation in let_through:
        warnings.warn(_warning_text(violation), SecurityWarning, stacklevel=4)
    if decisions is not None:
        _audit.emit(_record(state, operation, params, policy, context, decisions, error))


_PIPELINE_OPERATIONS = frozenset({"CreatePipeline", "UpdatePipeline"})


def _warning_text(violation: SecurityViolation) -> str:
    return (
        f"{violation.control}: {violation.operation} sent in warn mode, though enforce mode "
        f"would refuse it: {violation.path}={violation.found!r}\n"
        f"  required: {violation.expected}\n"
        f"  fix: {violation.remedy}"
    )


def _secure_stored_pipeline(
    client: BaseClient,
    state: _ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    decisions: list[Decision] | None,
) -> MutableMapping[str, Any]:
    """Send a definition kept in S3 inline, so that what is checked is what runs. In report
    mode the request must leave as written: the definition is checked on a copy instead, which
    is returned for the other checks to read."""
    if policy.mode_of("pipeline.steps") != "report":
        inline_pipeline_definition(params, _s3_reader(client, state))
        return params
    copy = dict(params)
    inline_pipeline_definition(copy, _s3_reader(client, state))
    found: list[Decision] = []
    secure_in_place(operation, copy, policy, decisions=found)
    if decisions is not None:
        decisions.extend(d for d in found if d.path.startswith("PipelineDefinition"))
    return copy


def _preflight(
    client: BaseClient,
    state: _ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    decisions: list[Decision] | None,
) -> list[SecurityViolation]:
    """Check against AWS what the secured request names (its role, keys and network) and the
    S3 data its job will read (the buckets' posture, personal data in the objects)."""
    from .preflight import verify
    from .preflight.inputs import check_inputs

    def clients(service: str) -> Any:
        return _sibling(client, state, service)

    let_through: list[SecurityViolation] = []
    try:
        checked = verify(clients, operation, params, policy)
    except SecurityViolation as found:
        let_through += _route([found, *found.additional], policy, decisions)
    except PreflightError as error:
        _unchecked(error, policy, decisions)
    else:
        if decisions is not None:
            decisions.extend(checked)
    try:
        inputs = check_inputs(clients, operation, params, policy)
    except PreflightError as error:
        _unchecked(error, policy, decisions)
        return let_through
    if decisions is not None:
        decisions.extend(inputs.decisions)
    let_through += _route(inputs.violations, policy, decisions)
    for warned in inputs.warnings:  # unclassifiable objects under Policy.pii_unknown="warn"
        if decisions is not None:
            decisions.append(
                Decision(
                    warned.control,
                    warned.path,
                    "warned",
                    value=warned.found,
                    reason=f"required: {warned.expected}",
                )
            )
    return let_through + inputs.warnings


def _unchecked(error: PreflightError, policy: Policy, decisions: list[Decision] | None) -> None:
    """A check that could not run refuses the request, except in a control's report or warn
    mode, which refuse nothing: there it is recorded (and warned about) instead."""
    mode = policy.mode_of(error.control) if error.control else policy.mode
    if mode == "enforce":
        raise error
    if mode == "warn":
        warnings.warn(f"{error} (sent in warn mode)", SecurityWarning, stacklevel=3)
    if decisions is not None:
        outcome: Outcome = "warned" if mode == "warn" else "would_refuse"
        decisions.append(Decision(error.control or "preflight", "", outcome, reason=str(error)))


def _sibling(client: BaseClient, state: _ClientState, service: str) -> Any:
    """A client of ``service`` with the guarded client's credentials, region and endpoint
    configuration: from its session when known, else from its own credentials."""
    import botocore.session

    signer: Any = client
    frozen = signer._get_credentials().get_frozen_credentials()
    key = (service, frozen.access_key)
    with _lock:
        found = state.siblings.get(key)
    if found is not None:
        return found
    session = state.session() if state.session is not None else None
    if session is not None:
        made = session.create_client(service, region_name=client.meta.region_name)
    else:
        made = botocore.session.Session().create_client(
            service,
            region_name=client.meta.region_name,
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
        )
    with _lock:
        return state.siblings.setdefault(key, made)


def _client_checks(
    client: BaseClient,
    state: _ClientState,
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


def _route(
    violations: list[SecurityViolation], policy: Policy, decisions: list[Decision] | None
) -> list[SecurityViolation]:
    """Raise the violations whose control is in enforce mode; record the others and return
    those in warn mode, to be warned about."""
    refused = [v for v in violations if policy.mode_of(v.control) == "enforce"]
    if refused:
        raise SecurityViolation.combined(refused)
    for violation in violations:
        if decisions is not None:
            outcome: Outcome = (
                "warned" if policy.mode_of(violation.control) == "warn" else ("would_refuse")
            )
            decisions.append(
                Decision(
                    violation.control,
                    violation.path,
                    outcome,
                    value=violation.found,
                    reason=f"required: {violation.expected}",
                )
            )
    return [v for v in violations if policy.mode_of(v.control) == "warn"]


def _check_region(operation: str, client_region: object, policy: Policy) -> list[SecurityViolation]:
    expected = policy.effective_region
    if not expected or client_region == expected:
        return []
    return [
        SecurityViolation(
            control="client.region",
            operation=operation,
            path="client region",
            found=client_region,
            expected=f"{expected!r}, where the policy's role, key and subnets live",
            remedy=f"create the client with region_name={expected!r}, or guard it with a policy "
            f"for {client_region!r}.",
            waivable=False,
        )
    ]


def _check_account(
    client: BaseClient, state: _ClientState, operation: str, expected: str
) -> list[SecurityViolation]:
    found = caller_account(client, lambda: _sibling(client, state, "sts"))
    if found == expected:
        return []
    return [
        SecurityViolation(
            control="client.account",
            operation=operation,
            path="client credentials",
            found=f"account {found}",
            expected=f"account {expected}, where the policy's execution role lives",
            remedy="use credentials of that account (safeai.SecureSession(policy, "
            "role_arn=...) assumes a role there), or guard with a policy for this account.",
            waivable=False,
        )
    ]


def _s3_reader(client: BaseClient, state: _ClientState) -> Any:
    def read(bucket: str, key: str, version: str | None) -> str:
        s3 = _sibling(client, state, "s3")
        extra = {"VersionId": version} if version else {}
        body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        return str(body.decode("utf-8"))

    return read


def _resource_name(params: MutableMapping[str, Any]) -> str | None:
    """The name the request gives its resource (``TrainingJobName``, ``ModelName``, ...)."""
    return next(
        (value for key, value in params.items() if key.endswith("Name") and isinstance(value, str)),
        None,
    )


def _record(
    state: _ClientState,
    operation: str,
    params: MutableMapping[str, Any],
    policy: Policy,
    context: dict[str, Any],
    decisions: list[Decision],
    error: SafeAIError | None,
) -> dict[str, Any]:
    outcomes = {d.outcome for d in decisions}
    if error is not None:
        outcome = "refused"
    elif "warned" in outcomes:
        outcome = "warned"
    elif outcomes & {"would_inject", "would_refuse"}:
        outcome = "reported"
    else:
        outcome = "secured"
    record: dict[str, Any] = {
        "event": "request",
        "outcome": outcome,
        "mode": policy.mode,
        "operation": operation,
        "resource": _resource_name(params),
        "region": context.get("client_region"),
        "credentials": next(
            (h.credentials for h in state.handles if h.policy == policy),
            "ambient (not assumed by safeai)",
        ),
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
