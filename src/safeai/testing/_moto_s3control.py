"""S3 Control requests reach the sandbox.

botocore's endpoint rules for ``s3control`` put the account in front of the host
(``https://<AccountId>.<endpoint>``), a custom endpoint included: on the sandbox that is
``https://123456789012.127.0.0.1:PORT``, a name nothing resolves (and the sandbox's certificate
does not name). moto's server needs no such label: it dispatches ``/v20180820/`` paths to its
s3control backend, and reads the account from the ``x-amz-account-id`` header botocore sends
too. :func:`install` takes an account label off an endpoint on the loopback interface
(``127.0.0.1``, ``localhost``), before the request is signed; every other endpoint is left as
the rules made it. Idempotent and process-wide.
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["install"]

#: An account label in front of a loopback host: ``https://123456789012.127.0.0.1:8443/...``.
_ACCOUNT_ON_LOOPBACK = re.compile(
    r"^(?P<scheme>https?://)\d{12}\.(?P<rest>(?:127\.0\.0\.1|localhost)(?::\d+)?(?:[/?#].*)?)$"
)

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Resolve an ``s3control`` endpoint on the loopback interface without its account label."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from botocore.regions import EndpointRulesetResolver

        original = EndpointRulesetResolver.construct_endpoint

        def construct_endpoint(self: Any, *args: Any, **kwargs: Any) -> Any:
            endpoint = original(self, *args, **kwargs)
            fixed = loopback_without_account(endpoint.url)
            return endpoint if fixed == endpoint.url else endpoint._replace(url=fixed)

        construct_endpoint.__wrapped__ = original  # type: ignore[attr-defined]
        EndpointRulesetResolver.construct_endpoint = construct_endpoint  # type: ignore[method-assign]
        _installed = True


def loopback_without_account(url: str) -> str:
    """``url`` without an account label in front of a loopback host; any other URL as it is."""
    match = _ACCOUNT_ON_LOOPBACK.match(url)
    return f"{match['scheme']}{match['rest']}" if match else url
