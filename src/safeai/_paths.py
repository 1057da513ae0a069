"""Reading and writing request fields by path.

A path is a dotted list of member names; ``Name[]`` steps into every element of a list:
``"TrainingJobDefinitions[].VpcConfig"``. Concrete paths in decisions and errors use indexes:
``"TrainingJobDefinitions[1].VpcConfig"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Final

__all__ = ["MISSING", "containers", "join", "lookup", "put", "values"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


#: What :func:`lookup` returns for a field that is absent.
MISSING: Final = _Missing()


def join(prefix: str, name: str) -> str:
    """``prefix.name``, or ``name`` alone at the top level."""
    return f"{prefix}.{name}" if prefix else name


def containers(
    params: MutableMapping[str, Any], within: str
) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
    """Every structure reached by ``within`` that exists in ``params``, with its concrete path.

    Absent members, empty structures and values of the wrong type yield nothing: a control
    scoped to ``DataCaptureConfig`` does not apply to a request without one (``Describe*``
    answers of some emulators hold ``{}`` for "not configured").
    """
    if not within:
        yield "", params
        return
    yield from _descend(params, within.split("."), "")


def _descend(
    node: MutableMapping[str, Any], segments: list[str], concrete: str
) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
    head, rest = segments[0], segments[1:]
    if head.endswith("[]"):
        name = head[:-2]
        items = node.get(name)
        if not isinstance(items, list):
            return
        for index, item in enumerate(items):
            if isinstance(item, MutableMapping) and item:
                here = f"{join(concrete, name)}[{index}]"
                if rest:
                    yield from _descend(item, rest, here)
                else:
                    yield here, item
        return
    child = node.get(head)
    if not isinstance(child, MutableMapping) or not child:
        return
    here = join(concrete, head)
    if rest:
        yield from _descend(child, rest, here)
    else:
        yield here, child


def lookup(container: Mapping[str, Any], path: str) -> tuple[object, str]:
    """The value at ``path`` (no list steps) and the part of the path that was reached.

    Returns ``(MISSING, path)`` when a member is absent, and ``(value, partial_path)`` when a
    member on the way is not a structure, so the caller can report what it actually found.
    """
    node: object = container
    reached = ""
    for name in path.split("."):
        if not isinstance(node, Mapping):
            return node, reached
        if name not in node:
            return MISSING, path
        node = node[name]
        reached = join(reached, name)
    return node, reached


def put(container: MutableMapping[str, Any], path: str, value: object) -> None:
    """Set ``path`` (no list steps) to ``value``, creating the structures on the way."""
    *parents, last = path.split(".")
    node = container
    for name in parents:
        child = node.get(name)
        if not isinstance(child, MutableMapping):
            child = {}
            node[name] = child
        node = child
    node[last] = value


def values(container: Mapping[str, Any], path: str) -> Iterator[object]:
    """Every value at ``path``, which may step through lists (``"ProductionVariants[].X"``)."""
    nodes: list[object] = [container]
    for segment in path.split("."):
        name = segment.removesuffix("[]")
        step: list[object] = []
        for node in nodes:
            if isinstance(node, Mapping) and name in node:
                child = node[name]
                if segment.endswith("[]"):
                    if isinstance(child, list):
                        step.extend(child)
                else:
                    step.append(child)
        nodes = step
    yield from nodes
