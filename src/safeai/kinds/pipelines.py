"""``steps``: every step of a pipeline definition is secured as the request it stands for.

The engine walks the steps (it is the walker); this record tells it which fields hold a
definition and says what the requirement means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._kind import Kind

if TYPE_CHECKING:
    from .._policy import Policy
    from ..controls import Control, Requirement

__all__ = ["STEPS"]


def _describe(control: Control, policy: Policy) -> str:
    return "a JSON pipeline definition whose every step is secured as the request it stands for"


def _document(requirement: Requirement) -> str:
    return (
        "every step of the pipeline definition is secured as the request it stands for "
        "(see [pipeline step types](#pipeline-step-types))"
    )


STEPS = Kind(describe=_describe, document=_document, pipeline=True)
