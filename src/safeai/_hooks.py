"""The event-hook door: secures requests of guarded botocore clients before they are built.

Three scopes, one mechanism. A guard attaches a ``before-parameter-build.sagemaker`` handler to
each guarded client's own event emitter. Process-wide and session guards reach clients created
later by wrapping ``botocore.session.Session.create_client`` (botocore copies a session's
handlers into a client only when the client is created, and the SageMaker SDK v3 builds sessions
and caches clients of its own, so registering on sessions alone would miss them). Clients that
existed before a process-wide guard are found, guarded too, and reported.

This module only attaches and dispatches: what is done with a request, a presigned form or a new
bucket is :mod:`safeai._securing`'s.
"""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ._async_door import Mirror, awaited, is_async
from ._policy import Policy
from ._securing import (
    ClientState,
    apply_baseline,
    check_signing_credentials,
    check_transport,
    refuse_presigned_bucket,
    secure_presigned_post,
    secure_request,
)
from .controls import secured_operations, services
from .controls._resources import operation_key

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, MutableMapping

    import boto3
    import botocore.session
    from botocore.client import BaseClient
    from botocore.model import OperationModel

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


_lock = threading.RLock()
_states: weakref.WeakKeyDictionary[BaseClient, ClientState] = weakref.WeakKeyDictionary()
_process_handles: list[GuardHandle] = []
_session_handles: weakref.WeakKeyDictionary[botocore.session.Session, list[GuardHandle]] = (
    weakref.WeakKeyDictionary()
)
_wrapper: Any = None
_plugin_wrapper: Any = None
_crt_wrapper: Any = None
#: Where boto3 looks up the CRT transfer manager's factory (set when awscrt is installed).
_CRT_MANAGER = "create_crt_transfer_manager"
#: Set once the first guarded transfer was kept off CRT (said once per process).
_crt_declined = threading.Event()
#: The private ``Session`` method botocore and aiobotocore both call with each new client.
_REGISTER_PLUGINS = "_register_client_plugins"


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
        _install_crt_wrapper()
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
    asynchronous = is_async(client)
    if asynchronous:
        # Its session makes aiobotocore clients: checks read AWS through the mirror's
        # credentials instead.
        session = None
    state = _states.get(client)
    if state is None:
        state = ClientState(session=weakref.ref(session) if session is not None else None)
        endpoint = str(client.meta.endpoint_url)
        if endpoint.lower().startswith("http://"):
            state.plain_http = endpoint
        _states[client] = state
        # The handlers read their client through ``source``: the client itself, or for an
        # aiobotocore client its synchronous mirror (see safeai._async_door).
        mirror = Mirror(client) if asynchronous else None
        source: Callable[[], BaseClient | None] = (
            mirror.current if mirror is not None else weakref.ref(client)
        )

        def door(handler: Callable[..., None]) -> Callable[..., Any]:
            return awaited(handler, mirror) if mirror is not None else handler

        client.meta.events.register_last(
            f"before-parameter-build.{_service_id(client)}",
            door(_make_handler(source, state, _service_name(client))),
            unique_id=_HANDLER_ID,
        )
        if _service_name(client) == "s3":
            client.meta.events.register_last(
                _AFTER_CREATE_BUCKET,
                door(_make_baseline_handler(source, state)),
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
    _install_plugin_wrapper()


def _install_plugin_wrapper() -> None:
    """Reach the clients aiobotocore sessions create (s3fs makes its own): their
    ``create_client`` is aiobotocore's own, but like botocore's it ends by registering the
    client's plugins, with the finished client. Installed once per process, like the
    ``create_client`` wrapper, and acting on aiobotocore clients only (botocore's are reached
    by that wrapper)."""
    global _plugin_wrapper
    import botocore.session

    current = getattr(botocore.session.Session, _REGISTER_PLUGINS)
    if _plugin_wrapper is not None and _wraps(current, _plugin_wrapper):
        return
    original = current

    def register_client_plugins(self: botocore.session.Session, client: Any) -> None:
        original(self, client)
        if not is_async(client):
            return
        with _lock:
            for handle in [*_process_handles, *_session_handles.get(self, ())]:
                _attach(handle, client, session=None)

    register_client_plugins.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(botocore.session.Session, _REGISTER_PLUGINS, register_client_plugins)
    _plugin_wrapper = register_client_plugins


def _install_crt_wrapper() -> None:
    """Keep guarded clients' transfers off boto3's CRT transfer manager (chosen with
    ``TransferConfig(preferred_transfer_client="crt")``, or on its own on p4d, p5 and trn1
    hosts when awscrt is installed). The CRT manager builds each object write with a
    process-wide, unsigned botocore client of its own and sends it outside botocore, so no
    guard on the caller's client sees it. For a guarded client the wrapper answers None, which
    boto3 takes as "use the classic manager": the transfer then goes through the client and
    its guard (``PutObject``, ``CreateMultipartUpload``). Unguarded clients keep CRT."""
    global _crt_wrapper
    import boto3.s3.transfer as transfer

    current = getattr(transfer, _CRT_MANAGER, None)
    if current is None or (_crt_wrapper is not None and _wraps(current, _crt_wrapper)):
        return  # awscrt is not installed, or the wrapper is in place
    original = current

    def create_crt_transfer_manager(client: Any, config: Any) -> Any:
        with _lock:
            state = _states.get(client)
            if state is not None and state.policies:
                if not _crt_declined.is_set():
                    _crt_declined.set()
                    _log.info(
                        "safeai: transfers of guarded clients use boto3's classic transfer "
                        "manager, not the CRT one, whose requests no guard can see"
                    )
                return None
        return original(client, config)

    create_crt_transfer_manager.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(transfer, _CRT_MANAGER, create_crt_transfer_manager)
    _crt_wrapper = create_crt_transfer_manager


def _wraps(function: Any, wrapper: Any) -> bool:
    """Whether ``wrapper`` is ``function`` or somewhere in its chain of ``__wrapped__``."""
    while function is not None:
        if function is wrapper:
            return True
        function = getattr(function, "__wrapped__", None)
    return False


# -- the handlers: each hands its event to the service, safeai._securing ----------------------


def _make_handler(
    client_ref: Callable[[], BaseClient | None], state: ClientState, service: str
) -> Callable[..., None]:
    """The handler of one client of ``service``. It holds the client weakly (the client's
    emitter holds the handler) and its guard state directly (read on every request)."""
    relevant = secured_operations()

    def before_parameter_build(
        params: MutableMapping[str, Any], model: OperationModel, context: dict[str, Any], **_: Any
    ) -> None:
        operation = operation_key(service, model.name)
        if state.plain_http is not None:
            for policy in state.policies:
                check_transport(state.plain_http, operation, policy)
        if operation not in relevant:
            client = client_ref()
            if client is not None:
                for policy in state.policies:
                    check_signing_credentials(client, state, operation, params, policy, context)
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
            secure_request(client, state, operation, params, policy, context)
        if operation == "CreateBucket":
            context[_NEW_BUCKET] = params.get("Bucket")

    return before_parameter_build


_AFTER_CREATE_BUCKET = "after-call.s3.CreateBucket"
#: ``generate_presigned_post`` signs its form as a PutObject: the one moment its fields and
#: conditions can be read and changed. A presigned CreateBucket URL is signed as itself.
_BEFORE_SIGN = ("before-sign.s3.PutObject", "before-sign.s3.CreateBucket")


def _make_post_handler(state: ClientState) -> Any:
    """Secures the form of a presigned POST (``generate_presigned_post``) like a PutObject,
    and refuses a presigned CreateBucket URL."""

    def before_sign(request: Any, operation_name: str, **_: Any) -> None:
        if operation_name == "CreateBucket":
            if request.context.get("is_presign_request"):
                for policy in state.policies:
                    refuse_presigned_bucket(policy)
            return
        fields = request.context.get("s3-presign-post-fields")
        post_policy = request.context.get("s3-presign-post-policy")
        if fields is None or not isinstance(post_policy, dict):
            return  # a request, secured at before-parameter-build
        for policy in state.policies:
            secure_presigned_post(state, fields, post_policy["conditions"], policy, request.context)

    return before_sign


def _make_baseline_handler(
    client_ref: Callable[[], BaseClient | None], state: ClientState
) -> Callable[..., None]:
    """Brings a bucket the client created to the secure baseline (control ``s3.baseline``)."""

    def after_create_bucket(http_response: Any, context: dict[str, Any], **_: Any) -> None:
        bucket = context.get(_NEW_BUCKET)
        client = client_ref()
        if not isinstance(bucket, str) or client is None or http_response.status_code >= 300:
            return
        for policy in state.policies:
            apply_baseline(client, state, bucket, policy, context)

    return after_create_bucket
