"""Scan an S3 location for personal data, outside any request: the ``safeai scan`` command and
anyone who wants a verdict before launching. The guard's preflight judges verdicts the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._exceptions import PolicyError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import boto3

    from .._policy import Policy
    from ._fingerprint import VerdictCache
    from ._verdict import Detection, ObjectVerdict, Scanner

__all__ = ["ScanReport", "offending", "scan", "scanner_for", "unclassified", "verdict_cache"]


def offending(
    verdicts: Iterable[ObjectVerdict], allowed: Iterable[str]
) -> list[tuple[ObjectVerdict, tuple[Detection, ...]]]:
    """The objects holding identifier types outside ``allowed``, with those detections."""
    permitted = set(allowed)
    found = []
    for verdict in verdicts:
        if verdict.status != "pii":
            continue
        detections = tuple(d for d in verdict.detections if d.identifier not in permitted)
        if detections:
            found.append((verdict, detections))
    return found


def unclassified(verdicts: Iterable[ObjectVerdict]) -> list[ObjectVerdict]:
    """The objects that could not be classified: never clean."""
    return [verdict for verdict in verdicts if verdict.status == "unknown"]


@dataclass(frozen=True)
class ScanReport:
    """The verdicts on every object under ``uri`` and what the policy makes of them."""

    uri: str
    scanner: str
    verdicts: tuple[ObjectVerdict, ...]
    allowed_types: tuple[str, ...]
    unknown_blocks: bool

    @property
    def offending(self) -> list[tuple[ObjectVerdict, tuple[Detection, ...]]]:
        """Objects with identifier types the policy does not allow."""
        return offending(self.verdicts, self.allowed_types)

    @property
    def unknown(self) -> list[ObjectVerdict]:
        """Objects that could not be classified."""
        return unclassified(self.verdicts)

    @property
    def blocked(self) -> bool:
        """Whether the policy would refuse a job reading this location."""
        return bool(self.offending) or (self.unknown_blocks and bool(self.unknown))

    def table(self) -> str:
        """A plain-text table: one row per object with findings or without a verdict."""
        rows = [("object", "status", "identifier types (count)")]
        for verdict, detections in self.offending:
            found = ", ".join(f"{d.identifier} ({d.count})" for d in detections)
            if verdict.reason:  # where in an archive, or that it was sampled
                found += f"; {verdict.reason}"
            rows.append((_name(verdict), "pii", found))
        rows += [(_name(v), "unknown", v.reason or "not classified") for v in self.unknown]
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        lines = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in rows]
        outcome = "blocked" if self.blocked else "passes"
        summary = (
            f"{self.uri}: {len(self.verdicts)} object(s) scanned with {self.scanner}; "
            f"{len(self.offending)} with personal data, {len(self.unknown)} unclassified: "
            f"{outcome} under the policy"
        )
        return "\n".join([*(lines if len(rows) > 1 else []), summary])


def _name(verdict: ObjectVerdict) -> str:
    return f"s3://{verdict.object.bucket}/{verdict.object.key}"


def scanner_for(policy: Policy, name: str | None = None) -> Scanner:
    """The scanner ``name`` (default: the policy's), set up with the policy's timeout and
    sampling."""
    chosen = name or policy.pii_scanner
    if chosen == "local":
        from ._local import LocalScanner

        return LocalScanner(sampling_percentage=policy.pii_sampling_percentage)
    if chosen == "macie":
        from ._macie import MacieScanner

        return MacieScanner(
            timeout_s=policy.pii_timeout_s, sampling_percentage=policy.pii_sampling_percentage
        )
    raise PolicyError(f"expected macie or local, found {chosen!r}", field="pii_scanner")


_caches: dict[str | None, VerdictCache] = {}
_caches_lock = threading.Lock()


def verdict_cache(directory: str | None) -> VerdictCache:
    """The process's verdict cache for ``directory`` (None: in memory only)."""
    from ._fingerprint import VerdictCache

    with _caches_lock:
        found = _caches.get(directory)
        if found is None:
            found = _caches[directory] = VerdictCache(directory)
        return found


def clear_caches() -> None:
    """Forget the verdicts kept in this process (a disk cache's file stays)."""
    with _caches_lock:
        for cache in _caches.values():
            cache.clear()
        _caches.clear()


def scan(
    uri: str,
    *,
    policy: Policy,
    session: boto3.Session | None = None,
    scanner: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScanReport:
    """Scan every object under ``uri`` (``s3://bucket/prefix``) with the policy's scanner (or
    ``scanner``), reusing verdicts of unchanged objects; raises :class:`safeai.PreflightError`
    when AWS cannot answer."""
    from .._inputs import parse_s3_uri
    from ._fingerprint import scan_targets

    location = parse_s3_uri(uri)
    if location is None:
        raise PolicyError(f"expected s3://bucket/prefix, found {uri!r}", field="uri")
    if session is None:
        import boto3

        session = boto3.Session(region_name=policy.region)
    made: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service)  # type: ignore[call-overload]
        return made[service]

    chosen = scanner_for(policy, scanner)
    verdicts = scan_targets(
        [location], chosen, clients, cache=verdict_cache(policy.pii_cache_dir), progress=progress
    )
    return ScanReport(
        uri=uri,
        scanner=chosen.name,
        verdicts=tuple(verdicts),
        allowed_types=tuple(policy.pii_allowed_types),
        unknown_blocks=policy.pii_unknown == "block",
    )
