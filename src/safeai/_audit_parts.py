"""What every reader of the detective audit shares: the tally of requests and progress, the
records one reader collects, and how an AWS error is named in them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._audit_model import AuditedResource, AuditError, Finding

__all__ = ["Part", "Tally", "error_code"]


class Tally:
    """Counts the requests sent and the resources evaluated, and reports progress."""

    def __init__(self, progress: Callable[[int, int], None] | None) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self.calls = 0
        self.done = 0
        self.total = 0

    def request_sent(self, **_: Any) -> None:
        """A ``before-send`` handler: one HTTP request, retries included."""
        with self._lock:
            self.calls += 1

    def listed(self, count: int) -> None:
        with self._lock:
            self.total += count
            self._report()

    def evaluated(self) -> None:
        with self._lock:
            self.done += 1
            self._report()

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(self.done, self.total)


class Part:
    """What one reader of the audit found: findings, the resources evaluated, the errors."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.resources: list[AuditedResource] = []
        self.errors: list[AuditError] = []
        self._lock = threading.Lock()


def error_code(error: Exception) -> str:
    """The AWS error code of a ``ClientError``; the exception's class name otherwise."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__
