"""PII pre-flight: prove a job's S3 inputs hold no personal data the policy forbids.

>>> from safeai.pii import scan
>>> print(scan("s3://ml-data/train/", policy=policy).table())

Two scanners speak the same identifier ids (Amazon Macie's managed data identifiers):
:class:`MacieScanner` runs Macie classification jobs, :class:`LocalScanner` reads the objects
itself (offline, for development and air-gapped accounts). A :class:`VerdictCache` in front of
either scans an object again only when it changed. The guard runs all of this before a job may
read its inputs (controls ``<family>.pii``); see ``docs/pii.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._archives import ArchiveLimits
    from ._fingerprint import VerdictCache, scan_targets
    from ._local import LocalScanner
    from ._macie import MacieScanner
    from ._scan import ScanReport, scan
    from ._verdict import Detection, ObjectVerdict, S3Object, Scanner

__all__ = [
    "ArchiveLimits",
    "Detection",
    "LocalScanner",
    "MacieScanner",
    "ObjectVerdict",
    "S3Object",
    "ScanReport",
    "Scanner",
    "VerdictCache",
    "scan",
    "scan_targets",
]

_HOMES = {
    "ArchiveLimits": "_archives",
    "VerdictCache": "_fingerprint",
    "scan_targets": "_fingerprint",
    "LocalScanner": "_local",
    "MacieScanner": "_macie",
    "ScanReport": "_scan",
    "scan": "_scan",
    "Detection": "_verdict",
    "ObjectVerdict": "_verdict",
    "S3Object": "_verdict",
    "Scanner": "_verdict",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'safeai.pii' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
