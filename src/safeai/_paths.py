"""Reading and writing request fields by path.

A path is a dotted list of member names; ``Name[]`` steps into every element of a list:
``"TrainingJobDefinitions[].VpcConfig"``. Concrete paths in decisions and errors use indexes:
``"TrainingJobDefinitions[1].VpcConfig"``. The functions take paths already split into
segments, because the engine splits each catalogue path once, not on every request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from functools import cache
from typing import Any, Final

__all__ = ["MISSING", "containers", "join", "lookup", "put", "split", "values"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


#: What :func:`lookup` returns for a field that is absent.
MISSING: Final = _Missing()


def split(path: str) -> tuple[str, ...]:
    """The segments of a dotted path (none for the top level)."""
    return tuple(path.split(".")) if path else ()


def join(prefix: str, name: str) -> str:
    """``prefix.name``, or ``name`` alone at the top level."""
    return f"{prefix}.{name}" if prefix else name


def containers(
    params: MutableMapping[str, Any], within: tuple[str, ...]
) -> Sequence[tuple[str, MutableMapping[str, Any]]]:
    """Every structure reached by the ``within`` segments in ``params``, with its concrete path.

    Absent members, empty structures and values of the wrong type yield nothing: a control
    scoped to ``DataCaptureConfig`` does not apply to a request without one (``Describe*``
    answers of some emulators hold ``{}`` for "not configured").
    """
    if not within:
        return (("", params),)
    if not _has_list_step(within):  # one place at most: walk straight to it, no generator
        node: object = params
        for name in within:
            node = node.get(name) if isinstance(node, dict | MutableMapping) else None
        if isinstance(node, dict | MutableMapping) and node:
            return ((_dotted(within), node),)
        return ()
    return list(_descend(params, within, 0, ""))


@cache
def _dotted(segments: tuple[str, ...]) -> str:
    return ".".join(segments)


@cache
def _has_list_step(segments: tuple[str, ...]) -> bool:
    return any(segment.endswith("[]") for segment in segments)


def _descend(
    node: MutableMapping[str, Any], segments: Sequence[str], index: int, concrete: str
) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
    head = segments[index]
    last = index == len(segments) - 1
    if head.endswith("[]"):
        name = head[:-2]
        items = node.get(name)
        if not isinstance(items, list):
            return
        for position, item in enumerate(items):
            if isinstance(item, MutableMapping) and item:
                here = f"{join(concrete, name)}[{position}]"
                if last:
                    yield here, item
                else:
                    yield from _descend(item, segments, index + 1, here)
        return
    child = node.get(head)
    if not isinstance(child, MutableMapping) or not child:
        return
    here = join(concrete, head)
    if last:
        yield here, child
    else:
        yield from _descend(child, segments, index + 1, here)


def lookup(container: Mapping[str, Any], segments: Sequence[str]) -> tuple[object, int]:
    """The value at the ``segments`` (no list steps) and how many segments were walked.

    Returns ``(MISSING, len(segments))`` when a member is absent, and ``(value, n)`` when the
    value after ``n`` segments is not a structure although the path goes on, so the caller can
    report what it actually found.
    """
    node: object = container
    for depth, name in enumerate(segments):
        if not isinstance(node, Mapping):
            return node, depth
        if name not in node:
            return MISSING, len(segments)
        node = node[name]
    return node, len(segments)


def put(container: MutableMapping[str, Any], segments: Sequence[str], value: object) -> None:
    """Set the field at ``segments`` (no list steps) to ``value``, creating structures."""
    node = container
    for name in segments[:-1]:
        child = node.get(name)
        if not isinstance(child, MutableMapping):
            child = {}
            node[name] = child
        node = child
    node[segments[-1]] = value


def values(container: Mapping[str, Any], segments: Sequence[str]) -> Iterator[object]:
    """Every value at the ``segments``, which may step through lists (``ProductionVariants[]``)."""
    nodes: list[object] = [container]
    for segment in segments:
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
