"""The S3 data a request will have a job read: pure, from the (secured) request alone.

Preflight checks these inputs before the request may leave: the posture of their buckets
(``s3.posture``) and the personal data in their objects (``<resource>.pii``). Manifests are named
here and read by preflight, which does the I/O.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from . import _paths
from .controls._resources import input_places, pipeline_definitions, pipeline_executions
from .controls.pipelines import NESTED_STEP_LISTS, STEP_OPERATIONS

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "EXECUTIONS",
    "S3Input",
    "parse_s3_uri",
    "pipeline_inputs",
    "s3_inputs",
]

#: ``prefix``: every object under it. ``manifest``: a ManifestFile (a JSON list: a prefix, then
#: keys below it). ``augmented_manifest``: JSON lines whose ``s3://`` values name objects; the
#: manifest itself holds data (labels, text) and is read as an input too.
InputKind = Literal["prefix", "manifest", "augmented_manifest", "unresolved"]


@dataclass(frozen=True, slots=True)
class S3Input:
    """One S3 location a job reads. ``path`` is where the request names it; ``family`` is the
    resource family of the request (``training``, ...), which names its ``.pii`` control. An
    ``unresolved`` input is data no check can read now; ``note`` says why. ``scanned=False``:
    a store the resource keeps its own data in, whose bucket's posture alone is checked."""

    bucket: str
    prefix: str
    kind: InputKind
    path: str
    family: str
    note: str = ""
    scanned: bool = True

    @property
    def uri(self) -> str:
        """The location as an ``s3://`` URI."""
        return f"s3://{self.bucket}/{self.prefix}"


_PIPELINES = pipeline_definitions()
#: Runs of a stored pipeline: what they read is in the definition and parameters AWS holds.
EXECUTIONS = pipeline_executions()


_HTTPS_S3 = re.compile(
    r"^https://(?:(?P<virtual>[a-z0-9][a-z0-9.-]+)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?"
    r"|s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?/(?P<path>[a-z0-9][a-z0-9.-]+))"
    r"(?:/(?P<key>.*))?$"
)


def parse_s3_uri(uri: str) -> tuple[str, str] | None:
    """``(bucket, key prefix)`` of an ``s3://`` URI or an S3 ``https://`` URL (virtual-hosted or
    path style, as SageMaker accepts), or None when it is neither."""
    if uri.startswith("s3://"):
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return (bucket, prefix) if bucket else None
    match = _HTTPS_S3.match(uri)
    if match is None:
        return None
    return match["virtual"] or match["path"], match["key"] or ""


def s3_inputs(operation: str, params: Mapping[str, Any]) -> tuple[S3Input, ...]:
    """Every S3 location a request will have a job read, pipeline steps included."""
    if operation in _PIPELINES:
        return pipeline_inputs(params.get("PipelineDefinition"))
    return tuple(_inputs(operation, params, prefix="", family=None, pipeline=_NO_PIPELINE))


def _inputs(
    operation: str,
    params: Mapping[str, Any],
    *,
    prefix: str,
    family: str | None,
    pipeline: _Pipeline,
) -> Iterator[S3Input]:
    where = input_places().get(operation)
    if where is None:
        return
    own_family, places = where
    for place in places:
        for location, container in _paths.containers(dict(params), _paths.split(place.container)):
            uri, _ = _paths.lookup(container, _paths.split(place.uri))
            data_type = (
                _paths.lookup(container, _paths.split(place.data_type))[0]
                if place.data_type
                else None
            )
            path = _paths.join(prefix, _paths.join(location, place.uri))
            found = _input(uri, data_type, path, family or own_family, pipeline)
            if found is not None:
                yield found if place.scanned else dataclasses.replace(found, scanned=False)


def _input(
    uri: object,
    data_type: object,
    path: str,
    family: str,
    pipeline: _Pipeline,
) -> S3Input | None:
    if path.endswith("DatasetDefinition"):
        if uri is _paths.MISSING:
            return None
        return S3Input("", "", "unresolved", path, family, _QUERY)
    uri = _resolve(uri, pipeline)
    if uri is _paths.MISSING or uri is _STEP_OUTPUT:
        # A job step's output is written by a job of this pipeline, secured and fed by inputs
        # that are checked here themselves.
        return None
    if not isinstance(uri, str):
        return S3Input("", "", "unresolved", path, family, _RUN_TIME)
    location = parse_s3_uri(uri)
    if location is None:
        return S3Input("", "", "unresolved", path, family, f"{uri!r} is not an S3 location")
    kind: InputKind = "prefix"
    if data_type == "ManifestFile" or path.endswith("ManifestS3Uri"):
        kind = "manifest" if data_type == "ManifestFile" else "augmented_manifest"
    elif data_type == "AugmentedManifestFile":
        kind = "augmented_manifest"
    return S3Input(location[0], location[1], kind, path, family)


_STEP_OUTPUT = object()
_QUERY = "an Athena or Redshift dataset: data outside S3 that no scanner reads"
_RUN_TIME = (
    "the location is known only when the pipeline runs (a parameter without a default, an "
    "execution variable, the output of a step that is not a job)"
)


@dataclass(frozen=True, slots=True)
class _Pipeline:
    """What a step's values resolve against: the parameters' values, and the steps that are
    jobs (whose outputs are written by a secured job of the same pipeline)."""

    parameters: Mapping[str, Any]
    job_steps: frozenset[str]


_NO_PIPELINE = _Pipeline({}, frozenset())


def _resolve(value: object, pipeline: _Pipeline) -> object:
    """A pipeline value as far as the definition decides it: a parameter becomes its value, a
    join of decided parts their join, a job step's property ``_STEP_OUTPUT``; anything else (an
    execution variable, a parameter without a default, a Lambda or callback step's output)
    stays an expression."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return value
    ((function, argument),) = value.items()
    if function == "Get" and isinstance(argument, str):
        if argument.startswith("Steps."):
            step = argument.removeprefix("Steps.").split(".", 1)[0]
            return _STEP_OUTPUT if step in pipeline.job_steps else value
        if argument.startswith("Parameters."):
            return pipeline.parameters.get(argument.removeprefix("Parameters."), value)
    if function == "Std:Join" and isinstance(argument, Mapping):
        parts = [_resolve(part, pipeline) for part in argument.get("Values", [])]
        separator = argument.get("On", "")
        if isinstance(separator, str) and all(isinstance(p, str | int | float) for p in parts):
            return separator.join(str(part) for part in parts)
    return value


def pipeline_inputs(
    definition: object, values: Mapping[str, str] | None = None
) -> tuple[S3Input, ...]:
    """The inputs of every step of a pipeline definition, its parameters at ``values`` (an
    execution's ``PipelineParameters``) or else at their defaults."""
    if not isinstance(definition, str):
        return ()
    try:
        parsed = json.loads(definition)
    except json.JSONDecodeError:
        return ()  # the engine refuses such a definition before preflight runs
    if not isinstance(parsed, Mapping):
        return ()
    parameters = {
        p["Name"]: p["DefaultValue"]
        for p in parsed.get("Parameters", [])
        if isinstance(p, Mapping) and "Name" in p and "DefaultValue" in p
    }
    parameters.update(values or {})
    steps = parsed.get("Steps", [])
    pipeline = _Pipeline(parameters, frozenset(_job_steps(steps)))
    return tuple(_steps(steps, "PipelineDefinition:Steps", pipeline))


def _job_steps(steps: object) -> Iterator[str]:
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, Mapping):
            continue
        kind = str(step.get("Type"))
        if kind in STEP_OPERATIONS:
            yield str(step.get("Name"))
        arguments = step.get("Arguments")
        for branch in NESTED_STEP_LISTS.get(kind, ()):
            if isinstance(arguments, Mapping):
                yield from _job_steps(arguments.get(branch))


def _steps(steps: object, prefix: str, pipeline: _Pipeline) -> Iterator[S3Input]:
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, Mapping):
            continue
        path = f"{prefix}[{step.get('Name', index)!s}]"
        arguments = step.get("Arguments")
        if not isinstance(arguments, Mapping):
            continue
        for branch in NESTED_STEP_LISTS.get(str(step.get("Type")), ()):
            yield from _steps(arguments.get(branch), f"{path}.Arguments.{branch}", pipeline)
        operation = STEP_OPERATIONS.get(str(step.get("Type")))
        if operation is not None:
            yield from _inputs(
                operation,
                arguments,
                prefix=f"{path}.Arguments",
                family="pipeline",
                pipeline=pipeline,
            )
