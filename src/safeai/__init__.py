"""safeai: every Amazon SageMaker and S3 call secure by default.

>>> import safeai
>>> policy = safeai.Policy.load()      # or safeai.Policy(execution_role_arn=..., ...)
>>> safeai.guard(policy)               # every boto3 client made from now on is guarded

This module only re-exports; the code lives in private modules, each imported the first time
one of its names is used, so ``import safeai`` itself costs about a millisecond.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._decisions import Decision
    from ._detective import AuditReport, audit
    from ._engine import enforce
    from ._exceptions import (
        PolicyError,
        PreflightError,
        SafeAIError,
        SecurityViolation,
        SecurityWarning,
    )
    from ._hooks import GuardHandle, guard, guarded, unguard
    from ._policy import Policy
    from ._scp import scp
    from ._session import SecureSession
    from ._waivers import serverless, waive

__all__ = [
    "AuditReport",
    "Decision",
    "GuardHandle",
    "Policy",
    "PolicyError",
    "PreflightError",
    "SafeAIError",
    "SecureSession",
    "SecurityViolation",
    "SecurityWarning",
    "audit",
    "enforce",
    "guard",
    "guarded",
    "scp",
    "serverless",
    "unguard",
    "waive",
]

__version__ = "0.1.0"

_HOMES = {
    "AuditReport": "_audit_model",
    "audit": "_detective",
    "Decision": "_decisions",
    "enforce": "_engine",
    "PolicyError": "_exceptions",
    "PreflightError": "_exceptions",
    "SafeAIError": "_exceptions",
    "SecurityViolation": "_exceptions",
    "SecurityWarning": "_exceptions",
    "GuardHandle": "_hooks",
    "guard": "_hooks",
    "guarded": "_hooks",
    "unguard": "_hooks",
    "Policy": "_policy",
    "scp": "_scp",
    "SecureSession": "_session",
    "serverless": "_waivers",
    "waive": "_waivers",
    # IPython looks these up on the module that `%load_ext safeai` names.
    "load_ipython_extension": "ipython",
    "unload_ipython_extension": "ipython",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'safeai' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    # Show users safeai.Policy, not safeai._policy.Policy, in reprs, tracebacks and docs.
    value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
