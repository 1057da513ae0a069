"""The records every PII scanner speaks: what was scanned, and what was found in each object.

Identifier ids are Amazon Macie's managed data identifier ids (``CREDIT_CARD_NUMBER``,
``USA_SOCIAL_SECURITY_NUMBER``, ...) whichever scanner found them, so a policy's
``pii_allowed_types`` means the same with the local scanner and with Macie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Detection", "ObjectVerdict", "S3Object", "Scanner", "Status"]

#: ``clean``: classified, nothing found. ``pii``: classified, something found. ``unknown``: could
#: not be classified (format, size, a key the scanner may not use); never treated as clean.
Status = Literal["clean", "pii", "unknown"]


@dataclass(frozen=True, slots=True)
class S3Object:
    """One object as a listing shows it: enough to know whether it changed since a scan."""

    bucket: str
    key: str
    etag: str
    size: int
    last_modified: float
    """Seconds since the epoch (UTC)."""


@dataclass(frozen=True, slots=True)
class Detection:
    """How many occurrences of one identifier type one object holds (never the values)."""

    identifier: str
    count: int


@dataclass(frozen=True, slots=True)
class ObjectVerdict:
    """What a scanner concluded about one object."""

    object: S3Object
    status: Status
    detections: tuple[Detection, ...] = ()
    reason: str | None = None
    """Why the status is ``unknown`` (or any other note), in words."""


class Scanner(Protocol):
    """Classifies objects. ``clients(service)`` gives a boto3 client of that service with the
    caller's credentials and region; ``progress(done, total)`` is called as objects are
    classified."""

    name: str

    def scan(
        self,
        clients: Callable[[str], Any],
        objects: Sequence[S3Object],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ObjectVerdict]:
        """One verdict per object in ``objects``, in the same order."""
        ...
