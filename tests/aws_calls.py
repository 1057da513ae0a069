"""Which AWS operations a module calls, read from its source with ``ast`` (for the tests that
keep a generated role's permissions in step with the code that needs them)."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

#: The verbs of the operations a string may name as a read (``"GetPolicyVersion"`` in an error
#: record); a string naming a write (``"CreateModel"``: the request a resource is checked as) is
#: not a call.
_READ_VERBS = ("Get", "List", "Describe", "Head")


def operations(services: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """snake_case method name -> every (service, Operation) of ``services`` it stands for."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    found: dict[str, list[tuple[str, str]]] = {}
    for service in services:
        for operation in session.get_service_model(service).operation_names:
            found.setdefault(xform_name(operation), []).append((service, operation))
    return found


def called(path: Path, known: dict[str, list[tuple[str, str]]]) -> set[str]:
    """The operations ``path`` calls as methods, or names as strings: a paginator's or a
    describe helper's (``"list_access_keys"``), or a read's name (``"GetPolicyVersion"``)."""
    from botocore import xform_name

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in known:
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in known:
                names.add(node.value)
            elif (
                re.fullmatch(r"[A-Z][A-Za-z0-9]+", node.value)
                and node.value.startswith(_READ_VERBS)
                and xform_name(node.value) in known
            ):
                names.add(xform_name(node.value))
    return names
