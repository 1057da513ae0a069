"""Which account a client's credentials belong to (``sts:GetCallerIdentity``, once per key)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from .._exceptions import PreflightError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["caller_account", "clear_caches"]

_MAX_ENTRIES = 256
_accounts: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def clear_caches() -> None:
    """Forget every account looked up so far."""
    with _lock:
        _accounts.clear()


def caller_account(client: Any, sts: Callable[[], Any]) -> str:
    """The account id of the credentials ``client`` signs with.

    Uses the account botocore already knows when the credentials carry one; otherwise asks
    ``sts()`` (an STS client with the same credentials) once per access key. Raises
    :class:`safeai.PreflightError` when that cannot be answered.
    """
    # botocore exposes a client's credentials only through this private accessor.
    credentials = client._get_credentials()
    if credentials is None:
        raise PreflightError("the client has no credentials, so its account cannot be checked")
    known = getattr(credentials, "account_id", None)
    if known:
        return str(known)
    access_key = credentials.get_frozen_credentials().access_key
    with _lock:
        cached = _accounts.get(access_key)
    if cached is not None:
        return cached
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        account = str(sts().get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"cannot tell which account the client's credentials belong to ({error}); the "
            "request was refused. Allow sts:GetCallerIdentity, or set Policy(preflight=False) "
            "to skip the checks that call AWS",
            control="client.account",
        ) from error
    with _lock:
        _accounts[access_key] = account
        while len(_accounts) > _MAX_ENTRIES:
            _accounts.popitem(last=False)
    return account
