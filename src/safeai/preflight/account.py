"""Which account a client's credentials belong to (``sts:GetCallerIdentity``, once per key)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .._exceptions import PreflightError
from ._cache import TtlCache

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["caller_account", "clear_caches"]

#: The accounts looked up so far, by access key. An access key belongs to one account for
#: ever, so an answer never expires; the least recently used goes first past this many.
_accounts = TtlCache(max_entries=256)


def clear_caches() -> None:
    """Forget every account looked up so far."""
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
    return _accounts.get(access_key, math.inf, lambda: _ask(sts))


def _ask(sts: Callable[[], Any]) -> str:
    """The account ``sts()`` says the credentials are in; an AWS error refuses (fail closed)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(sts().get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"cannot tell which account the client's credentials belong to ({error}); the "
            "request was refused. Allow sts:GetCallerIdentity, or set Policy(preflight=False) "
            "to skip the checks that call AWS",
            control="client.account",
        ) from error
