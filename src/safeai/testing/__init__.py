"""An offline sandbox for testing code that uses safeai: moto in server mode on loopback with a
secure baseline (``pip install 'safeai[sandbox]'``).

The pytest plugin in :mod:`safeai.testing.pytest_plugin` provides the ``safeai_sandbox``
fixture.
"""

from __future__ import annotations

from ._recorder import RequestRecorder, SentRequest
from ._sandbox import Baseline, Sandbox, provision

__all__ = ["Baseline", "RequestRecorder", "Sandbox", "SentRequest", "provision"]
