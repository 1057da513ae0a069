"""What every preflight check shares: a TTL cache whose concurrent misses run once
(single-flight), the scope a client's answers are valid in, fail-closed error translation, and
how a check reports (a Decision per check passed, a SecurityViolation per finding).

Only answers are cached, never failures: an AWS error reaches the callers waiting for it and the
next caller asks again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .._decisions import Decision
from .._exceptions import PreflightError, SecurityViolation
from ..controls import by_slug

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterator

__all__ = [
    "CACHE",
    "Results",
    "TtlCache",
    "error_code",
    "fail_closed",
    "judged",
    "scope",
    "violation",
]

T = TypeVar("T")
#: What a check returns: a Decision per check passed, a SecurityViolation per finding.
Results = list[Decision | SecurityViolation]


@dataclass(frozen=True, slots=True)
class _Entry:
    value: object
    stored_at: float


class TtlCache:
    """Answers by key, each reused for as long as the caller's TTL allows.

    The TTL is the caller's (a policy's ``preflight_ttl_seconds``), not the entry's, so two
    policies with different TTLs share what was learnt. Concurrent callers that miss the same key
    wait for the first one's answer instead of asking AWS again. At most ``max_entries`` answers
    are kept, the least recently used going first. ``clock`` is for tests.
    """

    def __init__(
        self, *, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._flights: dict[Hashable, Future[object]] = {}
        self._lock = threading.Lock()
        # Bumped by clear(): an answer fetched before a clear is not stored after it.
        self._generation = 0

    def get(self, key: Hashable, ttl: float, compute: Callable[[], T]) -> T:
        """The cached answer for ``key`` if younger than ``ttl`` seconds, else ``compute()``'s.

        ``compute`` runs in the calling thread; an exception it raises is not cached and is
        raised in every caller that was waiting for it.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() - entry.stored_at < ttl:
                self._entries.move_to_end(key)
                return cast("T", entry.value)
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = Future()
                generation = self._generation
                leader = True
            else:
                leader = False
        if not leader:
            return cast("T", flight.result())
        try:
            value = compute()
        except BaseException as error:
            with self._lock:
                del self._flights[key]
            flight.set_exception(error)
            raise
        with self._lock:
            del self._flights[key]
            if ttl > 0 and generation == self._generation:
                self._entries[key] = _Entry(value, self._clock())
                self._entries.move_to_end(key)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        flight.set_result(value)
        return value

    def clear(self) -> None:
        """Forget every answer (checks in flight finish but do not store theirs)."""
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


#: The one cache of the role, key and network checks.
CACHE = TtlCache()


def scope(client: Any) -> tuple[str, str, str]:
    """What a client's answers depend on besides the resource: its endpoint, its region and the
    access key it signs with (which fixes the account and the permissions), all known locally."""
    # botocore exposes a client's credentials only through this private accessor.
    credentials = client._get_credentials()
    access_key = credentials.get_frozen_credentials().access_key if credentials else ""
    return (str(client.meta.endpoint_url), str(client.meta.region_name), str(access_key))


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


@contextmanager
def fail_closed(control: str, resource: str, what: str, permissions: str) -> Iterator[None]:
    """Turn an AWS error (refused, throttled after botocore's retries, timed out, unreachable)
    while checking ``resource`` into :class:`safeai.PreflightError` with the error chained:
    a check that cannot be completed refuses the request."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"cannot check {what} of {resource} ({error}); the request was refused (fail "
            f"closed). Allow {permissions} to the caller, or waive {control} with a reason",
            control=control,
            resource=resource,
        ) from error


def violation(
    control: str, operation: str, path: str, found: str, expected: str
) -> SecurityViolation:
    """A finding of preflight control ``control``, ending with its remedy from the catalogue."""
    entry = by_slug(control)
    return SecurityViolation(
        control=control,
        operation=operation,
        path=path,
        found=found,
        expected=expected,
        remedy=entry.remedy if entry else "",
    )


def judged(
    control: str, operation: str, path: str, resource: str, findings: list[str], expected: str
) -> Results:
    """One check's result: compliant when there are no findings, else one violation naming
    them all, and the resource unless the path already does."""
    if not findings:
        return [Decision(control, path, "compliant", value=resource)]
    found = "; ".join(findings)
    if resource not in path:
        found = f"{resource}: {found}"
    return [violation(control, operation, path, found, expected)]
