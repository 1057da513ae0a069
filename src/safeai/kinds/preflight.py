"""``preflight`` and ``client``: checked by the guard on what requests name or travel through,
not on a request field."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._kind import Kind

if TYPE_CHECKING:
    from .._policy import Policy
    from ..controls import Control, Requirement

__all__ = ["CLIENT", "PREFLIGHT"]


def _describe(control: Control, policy: Policy) -> str:
    return f"what {control.slug} checks against AWS before the request is sent"


def _document(requirement: Requirement) -> str:
    return (
        "checked against AWS by preflight on what guarded requests name (the role, key and "
        "network; the buckets a job reads), not on a request field (see "
        "[preflight](preflight.md))"
    )


#: No handler: preflight, not the engine, checks it.
PREFLIGHT = Kind(describe=_describe, document=_document)


def _describe_client(control: Control, policy: Policy) -> str:
    return f"what {control.slug} checks on the client before the request is sent"


def _document_client(requirement: Requirement) -> str:
    return (
        "checked by the guard on the client every guarded request is sent through (its "
        "endpoint, region and credentials), before the request's fields (see "
        "[the guard](guard.md))"
    )


#: No handler: the guard checks the client before the engine runs.
CLIENT = Kind(describe=_describe_client, document=_document_client)
