"""Which account a client's credentials belong to (``sts:GetCallerIdentity``, once per key)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .._exceptions import PreflightError

__all__ = ["caller_account", "clear_caches"]

_MAX_ENTRIES = 256
_accounts: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def clear_caches() -> None:
    """Forget every account looked up so far."""
    with _lock:
        _accounts.clear()


def caller_account(client: Any) -> str:
    """The account id of the credentials ``client`` signs with.

    Uses the account botocore already knows when the credentials carry one; otherwise asks STS
    once per access key. Raises :class:`safeai.PreflightError` when that cannot be answered.
    """
    # botocore exposes a client's credentials only through this private accessor.
    credentials = client._get_credentials()
    if credentials is None:
        raise PreflightError("the client has no credentials, so its account cannot be checked")
    known = getattr(credentials, "account_id", None)
    if known:
        return str(known)
    frozen = credentials.get_frozen_credentials()
    with _lock:
        cached = _accounts.get(frozen.access_key)
    if cached is not None:
        return cached
    account = _ask_sts(frozen, client.meta.region_name)
    with _lock:
        _accounts[frozen.access_key] = account
        while len(_accounts) > _MAX_ENTRIES:
            _accounts.popitem(last=False)
    return account


def _ask_sts(frozen: Any, region: str | None) -> str:
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError

    sts: Any = botocore.session.Session().create_client(
        "sts",
        region_name=region,
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )
    try:
        return str(sts.get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"cannot tell which account the client's credentials belong to ({error}); the "
            "request was refused. Allow sts:GetCallerIdentity, or set Policy(preflight=False) "
            "to skip the checks that call AWS",
            control="client.account",
        ) from error
