"""pytest plugin: the ``safeai_sandbox`` fixture (one moto server per test session) and
``safeai_session``, a guarded session on it for each test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ._sandbox import Sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._session import SecureSession

__all__ = ["safeai_sandbox", "safeai_session"]


@pytest.fixture(scope="session")
def safeai_sandbox() -> Iterator[Sandbox]:
    """An open :class:`~safeai.testing.Sandbox` shared by the test session: moto over HTTPS on
    loopback, the secure baseline, Macie emulated."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def safeai_session(safeai_sandbox: Sandbox) -> Iterator[SecureSession]:
    """A :class:`safeai.SecureSession` on the sandbox with its baseline policy: every SageMaker
    and S3 client it makes is guarded. Closed after the test."""
    from .._session import SecureSession

    with SecureSession(safeai_sandbox.policy) as session:
        yield session
