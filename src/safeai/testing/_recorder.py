"""Record the requests that actually leave botocore, to assert on what was sent.

``Describe*`` answers of an emulator can be lossy; the bytes a client sends are not.
"""

from __future__ import annotations

import gc
import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["RequestRecorder", "SentRequest"]

_HANDLER_ID = "safeai.testing.recorder"
#: The private ``Session`` method botocore and aiobotocore both call with each new client.
_REGISTER_PLUGINS = "_register_client_plugins"
#: Headers that carry credentials or keys: recorded as "***" so that test output never shows them.
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-amz-security-token",
        "x-amz-server-side-encryption-customer-key",
        "x-amz-copy-source-server-side-encryption-customer-key",
    }
)


@dataclass(frozen=True)
class SentRequest:
    """One request as it left the client: service, operation, headers and body."""

    service: str
    operation: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (the SageMaker API speaks JSON)."""
        return json.loads(self.body or b"{}")


@dataclass
class RequestRecorder:
    """Records requests of every client created while it is open, and of existing clients.

    Examples:
        >>> with RequestRecorder() as recorder:
        ...     run_my_pipeline()
        >>> [r.operation for r in recorder.requests]
        ['CreateTrainingJob']
    """

    services: frozenset[str] = frozenset({"sagemaker", "s3"})
    requests: list[SentRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _original: Any = field(default=None, repr=False)
    _wrapper: Any = field(default=None, repr=False)
    _active: bool = field(default=False, repr=False)
    _clients: list[Any] = field(default_factory=list, repr=False)

    def sent(self, operation: str) -> list[SentRequest]:
        """The recorded requests of one operation, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.operation == operation]

    def last(self, operation: str) -> SentRequest:
        """The newest recorded request of ``operation``; AssertionError when there is none."""
        found = self.sent(operation)
        assert found, f"no {operation} request was sent"
        return found[-1]

    def __enter__(self) -> RequestRecorder:
        import botocore.session
        from botocore.client import BaseClient

        # Every new client, botocore's and aiobotocore's alike, is handed to this method once
        # it is made (aiobotocore sessions have a create_client of their own).
        original = getattr(botocore.session.Session, _REGISTER_PLUGINS)
        self._original = original
        recorder = self

        def register_client_plugins(session: Any, client: Any) -> None:
            original(session, client)
            if recorder._active:
                recorder._watch(client)

        register_client_plugins.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(botocore.session.Session, _REGISTER_PLUGINS, register_client_plugins)
        self._wrapper = register_client_plugins
        self._active = True
        for obj in gc.get_objects():
            if isinstance(obj, BaseClient) and not isinstance(obj, weakref.ProxyTypes):
                self._watch(obj)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        import botocore.session

        self._active = False
        # Restore only our own wrapper: whatever was wrapped around it since (a guard) stays.
        if getattr(botocore.session.Session, _REGISTER_PLUGINS) is self._wrapper:
            setattr(botocore.session.Session, _REGISTER_PLUGINS, self._original)
        for client in self._clients:
            client.meta.events.unregister("before-send", unique_id=_HANDLER_ID)
        self._clients.clear()

    def _watch(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        if service not in self.services:
            return
        client.meta.events.register("before-send", self._record, unique_id=_HANDLER_ID)
        self._clients.append(client)

    def _record(self, request: Any, event_name: str, **_: Any) -> None:
        _event, service, operation = event_name.split(".", 2)
        raw = request.body
        if isinstance(raw, bytes):
            body = raw
        elif hasattr(raw, "read"):
            body = b"<stream>"
        else:
            body = str(raw or "").encode()
        with self._lock:
            self.requests.append(
                SentRequest(
                    service=service,
                    operation=operation,
                    headers={
                        k: "***" if k.lower() in _SECRET_HEADERS else _text(v)
                        for k, v in request.headers.items()
                    },
                    body=body,
                )
            )


def _text(value: object) -> str:
    """A header value as text: botocore holds some as bytes once the request is prepared."""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
