"""``safeai policy show`` and ``safeai policy check``: the resolved policy and its problems."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any, TextIO

from .._exceptions import PolicyError
from .._policy import Policy, check, resolve


def register(commands: Any) -> None:
    """Add ``safeai policy`` to the command parsers."""
    parser = commands.add_parser("policy", help="show or check the policy configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show", help="print the resolved policy and where each value came from"
    )
    show.add_argument("--config", help="the configuration file (default: searched upward)")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.set_defaults(run=lambda args, out: _show(out, args.config, args.format))
    validate = actions.add_parser(
        "check",
        help="validate a configuration and each of its profiles; exit 1 listing every problem",
        description="Validates the configuration file, each of its profiles and the SAFEAI_* "
        "variables, and lists every problem (unknown keys, malformed values), each with the "
        "file, the key, what is expected and, for a likely typo, what was meant.",
    )
    validate.add_argument(
        "config",
        nargs="?",
        metavar="FILE",
        help="the configuration file (default: $SAFEAI_CONFIG, else searched upward)",
    )
    validate.set_defaults(run=lambda args, out: _check(out, args.config))


def _show(out: TextIO, config: str | None, output: str) -> int:
    try:
        policy = Policy.load(config)
        _, sources = resolve(config)
    except PolicyError as error:
        out.write(f"safeai policy show: {error}\n")
        return 1
    rows = []
    for field in fields(Policy):
        if not field.init:
            continue
        value = getattr(policy, field.name)
        if hasattr(value, "items"):
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        rows.append((field.name, value, sources.get(field.name, "default")))
    if output == "json":
        document = {name: {"value": value, "source": source} for name, value, source in rows}
        out.write(json.dumps(document, indent=2) + "\n")
        return 0
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        out.write(f"{name:<{width}}  {json.dumps(value)}\n{'':<{width}}    from {source}\n")
    return 0


def _check(out: TextIO, file: str | None) -> int:
    problems = check(file)
    for problem in problems:
        out.write(f"{problem}\n")
    if problems:
        out.write(f"{len(problems)} problem(s)\n")
        return 1
    out.write("configuration is valid\n")
    return 0
