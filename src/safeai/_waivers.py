"""Waivers granted in code for the current thread or task: ``with safeai.waive(...)``."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING

from ._exceptions import PolicyError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from ._policy import Policy

__all__ = ["active_waivers", "waive"]

_EMPTY: Mapping[str, str] = MappingProxyType({})
_scoped: ContextVar[Mapping[str, str]] = ContextVar("safeai_waivers", default=_EMPTY)
_audit = logging.getLogger("safeai.audit")


@contextmanager
def waive(slug: str, *, reason: str) -> Iterator[None]:
    """Waive one control inside the ``with`` block, for this thread or asyncio task only.

    The reason is required and is recorded in every decision the waiver affects, and the waiver
    itself is written to the ``safeai.audit`` log when it starts.

    >>> with safeai.waive("training.network_isolation", reason="needs pip at start-up; INC-123"):
    ...     estimator.fit()
    """
    from .controls import by_slug

    control = by_slug(slug)
    if control is None:
        raise PolicyError(f"{slug!r} is not a control slug (see docs/controls.md)", field="slug")
    if not control.waivable:
        raise PolicyError(f"{slug!r} cannot be waived (see docs/waivers.md)", field="slug")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError(f"waiving {slug!r} needs a written reason", field="reason")
    _audit.info(
        "waiver %s: %s",
        slug,
        reason.strip(),
        extra={"safeai": {"event": "waiver", "control": slug, "reason": reason.strip()}},
    )
    token = _scoped.set(MappingProxyType({**_scoped.get(), slug: reason.strip()}))
    try:
        yield
    finally:
        _scoped.reset(token)


def active_waivers(policy: Policy) -> Mapping[str, str]:
    """The policy's waivers and those of enclosing ``waive`` blocks (the innermost reason wins)."""
    scoped = _scoped.get()
    if not scoped:
        return policy.waivers
    return {**policy.waivers, **scoped}
