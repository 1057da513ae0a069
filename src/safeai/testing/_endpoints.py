"""AWS endpoints that SDKs hard-code, served by the sandbox.

``AWS_ENDPOINT_URL`` sends every client to the sandbox, except one created with an explicit
``endpoint_url``: SageMaker SDK v2's ``Session.default_bucket()`` and ``account_id()`` ask STS at
``https://sts.<region>.amazonaws.com`` that way, so SDK code would leave the sandbox (and fail:
there is no network) although the user changed nothing. While a sandbox is open, a client
created with an explicit AWS endpoint is created on the sandbox's instead; an endpoint that is
not AWS's (a user's own emulator) is left alone.
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["serve_hard_coded_endpoints"]

#: An AWS service endpoint: a host under amazonaws.com (or amazonaws.com.cn in China).
_AWS_ENDPOINT = re.compile(r"^https?://[^/?#]+\.amazonaws\.com(?:\.cn)?(?::\d+)?(?:[/?#].*)?$")
#: ``create_client``'s positional parameters after ``self``, up to ``endpoint_url``.
_ENDPOINT_URL_POSITION = 5

_lock = threading.Lock()
_sandbox_endpoint: str | None = None
_wrapper: Any = None


def serve_hard_coded_endpoints(sandbox_endpoint: str | None) -> None:
    """From now on, create clients asked for an AWS endpoint on ``sandbox_endpoint`` instead
    (None: stop). The wrapper around ``create_client`` stays once installed and does nothing
    while no sandbox is open: taking it out would also take out whatever was wrapped around it
    since (the guard wraps ``create_client`` too)."""
    global _sandbox_endpoint
    with _lock:
        _sandbox_endpoint = sandbox_endpoint
        if sandbox_endpoint is not None:
            _install()


def _install() -> None:
    global _wrapper
    import botocore.session

    current = botocore.session.Session.create_client
    function: Any = current
    while function is not None:
        if function is _wrapper:
            return
        function = getattr(function, "__wrapped__", None)
    original = current

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        target = _sandbox_endpoint
        if target is not None:
            if len(args) > _ENDPOINT_URL_POSITION and _is_aws(args[_ENDPOINT_URL_POSITION]):
                args = (*args[:_ENDPOINT_URL_POSITION], target, *args[_ENDPOINT_URL_POSITION + 1 :])
            elif _is_aws(kwargs.get("endpoint_url")):
                kwargs["endpoint_url"] = target
        return original(self, *args, **kwargs)

    create_client.__wrapped__ = original  # type: ignore[attr-defined]
    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    _wrapper = create_client


def _is_aws(endpoint_url: object) -> bool:
    return isinstance(endpoint_url, str) and _AWS_ENDPOINT.match(endpoint_url) is not None
