"""AWS is read and written only by the modules whose job it is (issue #12).

Every module under ``src/safeai`` is parsed, not imported, and each call that can reach AWS is
found: a call of a client method named after an operation of a service safeai uses, a call
that makes a client (``client``, ``create_client``, ``resource``) or a paginator
(``get_paginator``), and ``getattr(client, xform_name(operation))``, which looks up the method
of an operation chosen at run time. Such a call is allowed only in a module of :data:`IO_MODULES`,
each listed with the reason it does I/O; the engine, the kinds, the decisions and the modules
that judge what the readers return must stay pure.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src"
#: The services whose clients safeai makes or is handed.
SERVICES = ("sagemaker", "s3", "sts", "iam", "kms", "ec2", "macie2")
#: Methods that make a client, a resource or a paginator, whatever the service.
CLIENT_MAKERS = frozenset({"client", "create_client", "resource", "get_paginator"})

#: The modules that may call AWS (a name ending in ``.*`` stands for a package and its
#: modules), and why.
IO_MODULES: dict[str, str] = {
    "safeai._readers": "the reader layer: describes, stored definitions, bucket settings, the "
    "audit's listings, sibling clients",
    "safeai.preflight.*": "the preflight checks read the roles, keys, networks, accounts and "
    "S3 inputs a request names",
    "safeai.pii._macie": "the Macie scanner runs classification jobs over the data",
    "safeai.pii._local": "the local scanner reads the objects it scans",
    "safeai.pii._fingerprint": "a fingerprint lists the objects under a prefix",
    "safeai.pii._scan": "the scan makes the clients its scanners read with",
    "safeai._session": "SecureSession assumes the role and makes guarded clients",
    "safeai.s3": "secure_bucket writes a bucket's baseline",
    "safeai.iam": "ensure_role writes a role",
    "safeai.cli.*": "the CLI door and the demo call AWS on the user's behalf",
    "safeai.testing.*": "the sandbox sets up and serves AWS locally",
}

#: The methods of compiled regular expressions (``re.Pattern``); ``search`` is also SageMaker's
#: ``Search``, so a call of it counts unless its receiver is known to be a pattern.
_REGEX_METHODS = frozenset(name for name in dir(re.Pattern) if not name.startswith("_"))
#: Calls of such a method on a pattern the scan cannot recognise by itself (a loop variable),
#: by module and call, each with what the receiver is.
NOT_AWS: dict[tuple[str, str], str] = {
    ("safeai.pii._detectors", "pattern.search"): "a compiled pattern of _COLUMN_KEYWORDS",
}


@cache
def _operations() -> frozenset[str]:
    """The client method names (snake_case) of every operation of :data:`SERVICES`."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    return frozenset(
        xform_name(operation)
        for service in SERVICES
        for operation in session.get_service_model(service).operation_names
    )


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _patterns_and_modules(module: str, tree: ast.Module) -> set[str]:
    """Names that stand for a module (``import re``, ``from . import _readers``) or a compiled
    pattern assigned at module level (``NAME = re.compile(...)``): their attributes are
    functions, not client methods (``_readers.describe_model`` is the reader layer's)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] not in ("boto3", "botocore", "aiobotocore")
            }
        elif isinstance(node, ast.ImportFrom) and node.level:
            package = _package_of(module, node)
            names |= {
                alias.asname or alias.name
                for alias in node.names
                if _is_source_module(f"{package}.{alias.name}")
            }
        elif isinstance(node, ast.Assign | ast.AnnAssign) and _is_compiled_pattern(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def _package_of(module: str, node: ast.ImportFrom) -> str:
    """The package a relative ``from ... import`` of ``module`` imports from."""
    is_package = (SOURCE / module.replace(".", "/") / "__init__.py").exists()
    parts = module.split(".")
    base = parts[: len(parts) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_source_module(name: str) -> bool:
    path = SOURCE / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _is_compiled_pattern(value: ast.expr | None) -> bool:
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "compile"
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "re"
    )


def _is_dynamic_operation(call: ast.Call) -> bool:
    """``getattr(client, xform_name(...))``: the method of an operation chosen at run time."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "getattr"):
        return False
    if len(call.args) < 2:
        return False
    name = call.args[1]
    return (
        isinstance(name, ast.Call)
        and isinstance(name.func, ast.Name | ast.Attribute)
        and (name.func.id if isinstance(name.func, ast.Name) else name.func.attr) == "xform_name"
    )


def aws_calls(module: str, source: str) -> list[str]:
    """``line: call`` for every call in ``source`` that can reach AWS."""
    tree = ast.parse(source)
    not_clients = _patterns_and_modules(module, tree)
    operations = _operations()
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _is_dynamic_operation(node):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
            continue
        func = node.func
        if not isinstance(func, ast.Attribute):
            continue
        if func.attr not in operations and func.attr not in CLIENT_MAKERS:
            continue
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id in not_clients:
            continue  # re.search(...), a module's function; boto3.client(...) still counts
        called = ast.unparse(func)
        if func.attr in _REGEX_METHODS and (module, called) in NOT_AWS:
            continue
        found.append(f"{node.lineno}: {called}")
    return found


def _allowed(module: str) -> bool:
    return any(
        module == allowed
        or (allowed.endswith(".*") and (module == allowed[:-2] or module.startswith(allowed[:-1])))
        for allowed in IO_MODULES
    )


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted((SOURCE / "safeai").rglob("*.py"))}


def test_only_the_io_modules_call_aws() -> None:
    offenders = {
        module: calls
        for module, path in _modules().items()
        if not _allowed(module)
        for calls in [aws_calls(module, path.read_text(encoding="utf-8"))]
        if calls
    }
    assert offenders == {}, (
        "these modules call AWS; move the call to safeai._readers (or, for a new kind of I/O, "
        f"list the module in IO_MODULES with its reason): {offenders}"
    )


def test_the_scan_finds_the_readers_calls() -> None:
    # Guards against a scan that silently finds nothing (a renamed module, a broken rule).
    calls = aws_calls("safeai._readers", _modules()["safeai._readers"].read_text("utf-8"))
    assert any("describe_model" in call for call in calls), calls
    assert any("get_paginator" in call for call in calls), calls


def test_every_allowlist_entry_names_existing_modules() -> None:
    modules = set(_modules())
    for allowed in IO_MODULES:
        prefix = allowed[:-1] if allowed.endswith(".*") else None
        exists = any(m.startswith(prefix) for m in modules) if prefix else allowed in modules
        assert exists, f"IO_MODULES names {allowed!r}, which does not exist"
    for module, called in NOT_AWS:
        source = _modules()[module].read_text(encoding="utf-8")
        assert f"{called}(" in source, f"NOT_AWS names {called!r} in {module}, no longer there"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("client.describe_model(ModelName='m')", ["1: client.describe_model"]),
        ("sagemaker.search(Resource='Model')", ["1: sagemaker.search"]),
        ("session.client('s3')", ["1: session.client"]),
        ("import boto3\nboto3.client('s3')", ["2: boto3.client"]),
        ("getattr(s3, xform_name(op))(Bucket=b)", ["1: getattr(s3, xform_name(op))"]),
        ("describe = getattr(c, xform_name(op))", ["1: getattr(c, xform_name(op))"]),
        ("getattr(policy, name)", []),
        ("import re\nre.search('a', s)", []),
        ("import re\n_NAME = re.compile('a')\n_NAME.search(s)", []),
        ("from . import _readers\n_readers.describe_model(c, 'm')", []),
        (
            "from ._session import SecureSession\nSecureSession().client('s3')",
            ["2: SecureSession().client"],
        ),
        ("text.split(',')", []),  # not an operation of those services
        ("verify(clients, operation)", []),  # a function, not a client method
    ],
)
def test_what_counts_as_a_call_to_aws(source: str, expected: list[str]) -> None:
    assert aws_calls("safeai.example", source) == expected
