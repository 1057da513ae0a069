"""aiobotocore clients (so aioboto3, s3fs, and the pandas, polars and dask writes on top of
s3fs): the same guard, awaited.

aiobotocore's event emitter awaits whatever a handler returns. Everything the guard does with a
request is synchronous: the engine, and preflight's reads of IAM, KMS, EC2 and S3 through
botocore clients (cached, but the first read of a role or a bucket is a round trip). So a
guarded aiobotocore client gets, for each of the guard's handlers, an ``async`` one that runs
the synchronous handler in a worker thread (``asyncio.to_thread``: the event loop goes on
serving other tasks meanwhile, and the context, the active waivers with it, goes along) on a
*mirror*: a botocore client of the same service, region, endpoint and configuration, holding
the aiobotocore client's credentials as the signer will use them for this call. Credentials
are awaited as aiobotocore awaits them (a refreshable set refreshes then), and the mirror is
made again when they change.

Nothing here imports aiobotocore: a client is recognised by its class, which only exists once
aiobotocore was imported by whoever made the client.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from typing import TYPE_CHECKING, Any

from ._readers import twin_client

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from botocore.client import BaseClient

__all__ = ["Mirror", "awaited", "is_async"]


def is_async(client: object) -> bool:
    """Whether ``client`` is an aiobotocore client (its calls are coroutines)."""
    module = sys.modules.get("aiobotocore.client")
    base = getattr(module, "AioBaseClient", None)
    return base is not None and isinstance(client, base)


class Mirror:
    """A synchronous botocore twin of one aiobotocore client, for the guard's work.

    :meth:`refresh` (awaited before each handler runs) reads the credentials the client's
    signer holds and remakes the twin when they changed; :meth:`current` hands the twin to the
    synchronous handler (None once the aiobotocore client is gone).
    """

    def __init__(self, client: Any) -> None:
        self._client: weakref.ReferenceType[Any] = weakref.ref(client)
        self._twin: BaseClient | None = None
        self._credentials: tuple[str, str, str | None] | None = None

    def current(self) -> BaseClient | None:
        """The twin as of the last :meth:`refresh`."""
        return self._twin

    async def refresh(self) -> None:
        """Await the client's credentials and remake the twin if they are new."""
        client = self._client()
        if client is None:
            return
        # The signer's credentials are what the request will be signed with (botocore and
        # aiobotocore expose them only there). None: an unsigned client.
        held = client._request_signer._credentials
        frozen = await held.get_frozen_credentials() if held is not None else None
        key = (frozen.access_key, frozen.secret_key, frozen.token) if frozen else None
        if self._twin is None or key != self._credentials:
            self._twin = await asyncio.to_thread(twin_client, client, key)
            self._credentials = key


def awaited(handler: Callable[..., None], mirror: Mirror) -> Callable[..., Awaitable[None]]:
    """``handler`` (one of the guard's synchronous handlers, reading its client from
    ``mirror``) as an aiobotocore handler: the mirror refreshed, then the handler run in a
    worker thread. What it raises (a refusal) is raised to the caller of the request."""

    async def run(**kwargs: Any) -> None:
        await mirror.refresh()
        await asyncio.to_thread(handler, **kwargs)

    return run
