"""Preflight: the only code that calls AWS to check what a request names (fail closed).

Each module checks one thing and caches its answers; :func:`clear_caches` forgets them all.
"""

from __future__ import annotations

from .account import caller_account, clear_caches

__all__ = ["caller_account", "clear_caches"]
