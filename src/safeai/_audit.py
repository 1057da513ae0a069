"""Structured audit records on the ``safeai.audit`` logger, with free-form values redacted.

Records never hold credentials (requests carry none) and never hold the values of free-form
fields such as ``Environment`` or ``HyperParameters``, which routinely carry secrets.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import deque
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "Collector", "emit", "logger", "redact"]

logger = logging.getLogger("safeai.audit")

REDACTED = "***"
#: Members whose values are free-form maps or lists set by users: keys are kept, values hidden.
_FREE_FORM = frozenset(
    {
        "Environment",
        "HyperParameters",
        "StaticHyperParameters",
        "ContainerArguments",
        "ContainerEntrypoint",
        "ProcessingEnvironment",
        "ContainerConfig",
        "CustomAttributes",
        "PipelineParameters",
        # S3 user-defined object metadata.
        "Metadata",
    }
)
#: Members whose values are secrets: SSE-C keys and their digests, MFA serial and code.
_SECRET_NAME = re.compile(
    r"secret|password|passwd|token|credential|private[-_]?key|customer[-_]?key|^mfa$",
    re.IGNORECASE,
)
_LARGE_DOCUMENTS = frozenset({"PipelineDefinition"})


def redact(value: Any, *, _key: str = "") -> Any:
    """A copy of a request that is safe to log."""
    if _key in _LARGE_DOCUMENTS and isinstance(value, str):
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        return f"<{len(value)} characters, sha256 {digest}…>"
    if _key in _FREE_FORM or _SECRET_NAME.search(_key):
        if isinstance(value, Mapping):
            return dict.fromkeys(value, REDACTED)
        return REDACTED
    if isinstance(value, Mapping):
        return {key: redact(item, _key=str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, _key=_key) for item in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return f"<{type(value).__name__}>"


def emit(record: dict[str, Any]) -> None:
    """Write one record; the dict is attached as ``record.safeai`` for structured handlers."""
    summary = f"{record.get('outcome')} {record.get('operation')}"
    if record.get("resource"):
        summary += f" {record['resource']}"
    logger.info(summary, extra={"safeai": record})


class Collector(logging.Handler):
    """Keeps the request records of the ``safeai.audit`` log (the last ``keep`` of them).

    As a context manager it attaches itself and lets INFO records through for the block.
    """

    def __init__(self, keep: int | None = None) -> None:
        super().__init__(logging.INFO)
        self.records: deque[dict[str, Any]] = deque(maxlen=keep)
        self._level = logging.NOTSET

    def attach(self) -> None:
        """Start collecting, with the audit logger let through at INFO."""
        self._level = logger.level
        if not logger.isEnabledFor(logging.INFO):
            logger.setLevel(logging.INFO)
        logger.addHandler(self)

    def detach(self) -> None:
        """Stop collecting and give the audit logger its level back."""
        logger.removeHandler(self)
        logger.setLevel(self._level)

    def __enter__(self) -> Collector:
        self.attach()
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()

    def emit(self, record: logging.LogRecord) -> None:
        data = getattr(record, "safeai", None)
        if isinstance(data, dict) and data.get("event") == "request":
            self.records.append(data)
