"""pytest plugin: the ``safeai_sandbox`` fixture (one moto server per test session)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ._sandbox import Sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["safeai_sandbox"]


@pytest.fixture(scope="session")
def safeai_sandbox() -> Iterator[Sandbox]:
    """An open :class:`~safeai.testing.Sandbox` shared by the test session."""
    with Sandbox() as sandbox:
        yield sandbox
