"""safeai: every Amazon SageMaker and S3 call secure by default.

>>> import safeai
>>> policy = safeai.Policy.load()      # or safeai.Policy(execution_role_arn=..., ...)
>>> safeai.guard(policy)               # every boto3 client made from now on is guarded

This module only re-exports; the code lives in private modules.
"""

from __future__ import annotations

from ._engine import Decision, enforce
from ._exceptions import PolicyError, PreflightError, SafeAIError, SecurityViolation
from ._hooks import GuardHandle, guard, guarded, unguard
from ._policy import Policy
from ._session import SecureSession
from ._waivers import waive

__all__ = [
    "Decision",
    "GuardHandle",
    "Policy",
    "PolicyError",
    "PreflightError",
    "SafeAIError",
    "SecureSession",
    "SecurityViolation",
    "enforce",
    "guard",
    "guarded",
    "unguard",
    "waive",
]

__version__ = "0.1.0"

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("safeai."):
        _obj.__module__ = "safeai"
del _name, _obj
