"""Requests whose security lives in another resource: an endpoint names an endpoint
configuration (which names models), a transform job names a model, a pipeline may keep its
definition in S3, and a request may start, open or name a stored resource (a pipeline and its
executions, a notebook instance, a monitoring job definition: the registry's
``Resource.stored``), which is checked as the request that would create it. This module judges
what they name; :mod:`safeai._readers` reads it (with the caller's own client, cached briefly
in a bounded single-flight cache that ``safeai.preflight.clear_caches()`` empties with the
others). Clients are typed ``Any``: botocore builds their methods at run time."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from . import _paths, _readers
from ._engine import evaluate, pipeline_steps
from ._exceptions import PreflightError, SecurityViolation
from ._waivers import active_waivers
from .controls import for_operation, referencing_operations
from .controls._resources import pipeline_definitions, stored_resources

if TYPE_CHECKING:
    from ._policy import Policy
    from .controls._resources import StoredResource

    #: Checks a stored resource as the request that creates it: (operation, document) -> found.
    _Judge = Callable[[str, Mapping[str, Any]], list[SecurityViolation]]

__all__ = [
    "REFERENCING_OPERATIONS",
    "check_references",
    "inline_pipeline_definition",
]

_PIPELINE_DEFINITION_LIMIT = 1_048_576

#: The operations whose requests name stored resources (the resource registry's
#: ``Resource.references``).
REFERENCING_OPERATIONS = referencing_operations()
_PIPELINE_DEFINITIONS = pipeline_definitions()
#: Operation -> how the stored resources it starts, opens or names are read and checked.
_STORED = stored_resources()


_NAME_ANOTHER = (
    "The referenced resource cannot be changed in place: create a compliant one (through a "
    "guarded client) and name it instead."
)
_MOVE_THE_CONTAINER = (
    "An inline container takes these from the endpoint configuration: update the endpoint to a "
    "compliant configuration (through a guarded client), or name a compliant model in "
    "Specification.ModelName instead."
)


def _refuse(
    operation: str, via: str, found: SecurityViolation, fix: str = _NAME_ANOTHER
) -> SecurityViolation:
    return SecurityViolation(
        control=found.control,
        operation=operation,
        path=f"{via} -> {found.path}",
        found=found.found,
        expected=found.expected,
        remedy=f"{found.remedy} {fix}",
        waivable=found.waivable,
    )


def check_references(
    client: Any,
    operation: str,
    params: Mapping[str, Any],
    policy: Policy,
    *,
    waivers: Mapping[str, str] | None = None,
) -> list[SecurityViolation]:
    """What is wrong with the resources ``operation`` names, as violations of ``operation``.

    ``waivers`` are the request's, resolved at the door (``None``: those active now). A stored
    resource the request starts, opens or names (the registry's ``Resource.stored``) is judged
    without them: every violation is returned, for the caller's
    :class:`~safeai._decide.DecisionRouter` to apply the waivers and record each one it
    applies."""
    rows = _STORED.get(operation)
    if rows is not None:
        return _check_stored(client, operation, params, policy, rows, waivers)

    def judge(creating: str, document: Mapping[str, Any]) -> list[SecurityViolation]:
        return evaluate(creating, document, policy, waivers=waivers)

    return _check_named(client, operation, params, judge)


def _check_named(
    client: Any, operation: str, params: Mapping[str, Any], judge: _Judge
) -> list[SecurityViolation]:
    """The other stored resources ``operation``'s request names (``params``), judged by
    ``judge``."""
    if operation == "CreateTransformJob":
        return _check_model(client, operation, params.get("ModelName"), "ModelName", judge)
    if operation in ("CreateInferenceComponent", "UpdateInferenceComponent"):
        return _check_component(client, operation, params, judge)
    if operation in _PIPELINE_DEFINITIONS:
        return _check_pipeline_models(client, operation, params, judge)
    name = params.get("EndpointConfigName")
    if not isinstance(name, str):
        return []
    config = _readers.describe_endpoint_config(client, name)
    via = f"EndpointConfigName={name!r}"
    found = [_refuse(operation, via, v) for v in judge("CreateEndpointConfig", config)]
    for variants in ("ProductionVariants", "ShadowProductionVariants"):
        for index, variant in enumerate(config.get(variants) or []):
            found += _check_model(
                client,
                operation,
                variant.get("ModelName"),
                f"{via} {variants}[{index}].ModelName",
                judge,
            )
    return found


def _check_stored(
    client: Any,
    operation: str,
    params: Mapping[str, Any],
    policy: Policy,
    rows: tuple[StoredResource, ...],
    waivers: Mapping[str, str] | None,
) -> list[SecurityViolation]:
    """The stored resource the request starts, opens or names, read as it is and checked as
    the request that would create it, without injection (the request cannot carry a fix):
    every violation is returned, unwaived (see :func:`check_references`)."""
    row = _row(operation, params, rows)
    if row is None:
        return []
    name = _paths.lookup(params, _paths.split(row.name))[0]
    parameters = {
        row.describe_parameter: name,
        **{member: params[member] for member in row.passed if params.get(member) is not None},
    }
    document = dict(_readers.read_stored(client, row, parameters))
    document.pop("ResponseMetadata", None)
    for described, created in row.renames:
        if described in document:
            document[created] = document.pop(described)
    creating = row.create_operation
    found = evaluate(creating, document, policy, waivers={})
    found = [v for v in found if not row.within or _inside(v.path, row.within)]
    found = _held(creating, found, active_waivers(policy) if waivers is None else waivers)
    if creating in REFERENCING_OPERATIONS:
        # What the stored resource names in turn (the models a pipeline's steps name): other
        # resources, which a waiver of the control holding the steps does not skip.
        def judge(named: str, described: Mapping[str, Any]) -> list[SecurityViolation]:
            return evaluate(named, described, policy, waivers={})

        found += _check_named(client, creating, document, judge)
    via = f"{row.name}={name!r}"
    return [_refuse(operation, via, violation, row.fix) for violation in found]


def _row(
    operation: str, params: Mapping[str, Any], rows: tuple[StoredResource, ...]
) -> StoredResource | None:
    """The row that says how the resource the request names is read: None when it names none
    (a schedule with an inline job definition). A name whose kind safeai cannot tell (a
    ``MonitoringType`` it does not know, or none) cannot be read, and refuses (fail closed)."""
    name = _paths.lookup(params, _paths.split(rows[0].name))[0]
    if not isinstance(name, str):
        return None
    for row in rows:
        if row.when is None or _paths.lookup(params, _paths.split(row.when[0]))[0] == row.when[1]:
            return row
    where = rows[0].when[0] if rows[0].when else ""
    known = ", ".join(repr(row.when[1]) for row in rows if row.when)
    found = _paths.lookup(params, _paths.split(where))[0]
    raise PreflightError(
        f"{operation} names {name!r} at {rows[0].name} with {where}={found!r}, so safeai "
        f"cannot tell which resource to read to check it; give {where} ({known}); the request "
        "was refused",
        resource=name,
    )


def _inside(path: str, members: tuple[str, ...]) -> bool:
    """Whether ``path`` is one of ``members`` or lies inside one (``PipelineDefinition:Steps``,
    ``VpcConfig.Subnets``)."""
    return any(
        path == member or path.startswith((f"{member}:", f"{member}.")) for member in members
    )


def _held(
    operation: str, found: list[SecurityViolation], waivers: Mapping[str, str]
) -> list[SecurityViolation]:
    """The violations of ``operation``'s controls, where those inside a field that a waived
    control holds as a whole (``pipeline.steps``: a definition's steps) become one violation
    of that control, which the router then records as waived: the waiver skips those checks,
    as it does on the request itself."""
    from .kinds import KINDS

    holders = {
        target.path: control
        for control, target in for_operation(operation)
        if control.slug in waivers and KINDS[control.requirement.kind].pipeline
    }
    if not holders:
        return found
    kept: list[SecurityViolation] = []
    held: dict[str, list[SecurityViolation]] = {}
    for violation in found:
        path = next((path for path in holders if _inside(violation.path, (path,))), None)
        if path is None:
            kept.append(violation)
        else:
            held.setdefault(path, []).append(violation)
    for path, inside in held.items():
        control = holders[path]
        kept.append(
            SecurityViolation(
                control=control.slug,
                operation=operation,
                path=path,
                found=", ".join(sorted({f"{v.control} at {v.path}" for v in inside})),
                expected=control.title,
                remedy=control.remedy,
            )
        )
    return kept


def _check_model(
    client: Any, operation: str, name: object, via: str, judge: _Judge
) -> list[SecurityViolation]:
    if not isinstance(name, str):
        return []
    model = _readers.describe_model(client, name)
    return [
        _refuse(operation, f"{via}={name!r}", violation)
        for violation in judge("CreateModel", model)
    ]


def _check_pipeline_models(
    client: Any, operation: str, params: Mapping[str, Any], judge: _Judge
) -> list[SecurityViolation]:
    """The models that Transform and EndpointConfig steps name. ``{"Get":
    "Steps.<a Model step>.ModelName"}`` is the model that step creates, secured with the
    definition. A name is read and checked like the model a ``CreateTransformJob`` names,
    whatever the pipeline's Model steps create (a branch or a failed step may leave the
    existing model in use); one that does not exist passes only when a Model step creates it.
    A parameter or any other expression chooses the model when the pipeline runs: it cannot be
    proven now and is refused."""
    steps = _definition_steps(params)
    model_steps = {
        str(step.get("Name")): step["Arguments"].get("ModelName")
        for _, step in steps
        if step.get("Type") == "Model" and isinstance(step.get("Arguments"), Mapping)
    }
    created = {name for name in model_steps.values() if isinstance(name, str)}
    found: list[SecurityViolation] = []
    for step_path, step in steps:
        for where, name in _named_models(step.get("Type"), step.get("Arguments")):
            path = f"{step_path}.Arguments.{where}"
            if isinstance(name, str):
                found += _check_named_model(client, operation, name, path, judge, created)
            elif name is not None and not _made_by_a_model_step(name, model_steps):
                found.append(_unprovable_model(operation, path, name))
    return found


def _definition_steps(params: Mapping[str, Any]) -> list[tuple[str, MutableMapping[str, Any]]]:
    """Every step of the request's ``PipelineDefinition`` (nested ones included), with its
    path; none when it is not a definition (the engine has refused it already)."""
    raw = params.get("PipelineDefinition")
    try:
        definition = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return []
    if not isinstance(definition, Mapping) or not isinstance(definition.get("Steps"), list):
        return []
    return list(pipeline_steps(definition["Steps"], "PipelineDefinition:Steps"))


def _check_named_model(
    client: Any, operation: str, name: str, path: str, judge: _Judge, created: set[str]
) -> list[SecurityViolation]:
    try:
        return _check_model(client, operation, name, path, judge)
    except PreflightError as error:
        if name in created and _not_found(error):
            return []
        raise


def _not_found(error: PreflightError) -> bool:
    from botocore.exceptions import ClientError

    cause = error.__cause__
    return (
        isinstance(cause, ClientError)
        and cause.response.get("Error", {}).get("Code") == "ValidationException"
        and "could not find" in str(cause.response.get("Error", {}).get("Message", "")).lower()
    )


def _named_models(step_type: object, arguments: object) -> list[tuple[str, object]]:
    if not isinstance(arguments, Mapping):
        return []
    if step_type == "Transform":
        return [("ModelName", arguments.get("ModelName"))]
    if step_type != "EndpointConfig":
        return []
    return [
        (f"{variants}[{index}].ModelName", variant.get("ModelName"))
        for variants in ("ProductionVariants", "ShadowProductionVariants")
        for index, variant in enumerate(arguments.get(variants) or [])
        if isinstance(variant, Mapping)
    ]


def _made_by_a_model_step(value: object, model_steps: Mapping[str, object]) -> bool:
    """``{"Get": "Steps.<name>.ModelName"}`` where ``<name>`` is a Model step: the model it
    creates (any other step's output, a Lambda's say, may name any model)."""
    if not isinstance(value, Mapping) or set(value) != {"Get"}:
        return False
    reference = value["Get"]
    if not isinstance(reference, str):
        return False
    head, _, step = reference.partition(".")
    step, _, member = step.rpartition(".")
    return head == "Steps" and member == "ModelName" and step in model_steps


def _unprovable_model(operation: str, path: str, value: object) -> SecurityViolation:
    from .controls import by_slug

    control = by_slug("pipeline.steps")
    return SecurityViolation(
        control="pipeline.steps",
        operation=operation,
        path=path,
        found=value,
        expected="the name of an existing model, or a model a step of this pipeline creates",
        remedy=(control.remedy if control is not None else "")
        + " A model chosen by a parameter when the pipeline runs cannot be checked now.",
    )


def _check_component(
    client: Any, operation: str, params: Mapping[str, Any], judge: _Judge
) -> list[SecurityViolation]:
    """Each specification of an inference component (``Specification``, or each entry of
    ``Specifications``) names a model, or holds an inline container: a model defined in place,
    which runs as the endpoint configuration's role, in its VpcConfig, with its
    EnableNetworkIsolation, so the model controls are checked on those."""
    specifications: list[tuple[str, object]] = [("Specification", params.get("Specification"))]
    listed = params.get("Specifications")
    if isinstance(listed, list):
        specifications += [(f"Specifications[{i}]", item) for i, item in enumerate(listed)]
    found: list[SecurityViolation] = []
    hosting: tuple[str, Mapping[str, Any]] | None = None
    for where, specification in specifications:
        if not isinstance(specification, Mapping):
            continue
        # Both may be given (the container then brings the runtime for the model): each is
        # checked. A null ModelName (sent with parameter validation off) names no model.
        model = specification.get("ModelName")
        found += _check_model(client, operation, model, f"{where}.ModelName", judge)
        if "Container" not in specification:
            continue
        if hosting is None:
            hosting = _hosting_configuration(client, operation, params)
        via, config = hosting
        as_model = {
            member: config[member]
            for member in ("ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation")
            if member in config
        }
        as_model["PrimaryContainer"] = specification["Container"]
        found += [
            _refuse(operation, f"{where}.Container on {via}", violation, _MOVE_THE_CONTAINER)
            for violation in judge("CreateModel", as_model)
        ]
    return found


def _hosting_configuration(
    client: Any, operation: str, params: Mapping[str, Any]
) -> tuple[str, Mapping[str, Any]]:
    """The endpoint configuration an inference component runs under, and how it was reached."""
    endpoint = params.get("EndpointName")
    if operation == "UpdateInferenceComponent":
        name = str(params.get("InferenceComponentName"))
        component = _readers.describe_inference_component(client, name)
        endpoint = component.get("EndpointName")
    endpoint = str(endpoint)
    described = _readers.describe_endpoint(client, endpoint)  # never cached: it can move
    config_name = str(described.get("EndpointConfigName"))
    config = _readers.describe_endpoint_config(client, config_name)
    return f"EndpointName={endpoint!r} (EndpointConfigName={config_name!r})", config


def inline_pipeline_definition(
    params: MutableMapping[str, Any], read_s3: Callable[[str, str, str | None], str]
) -> None:
    """Replace ``PipelineDefinitionS3Location`` with the definition it points to, so that what
    safeai checks is exactly what SageMaker runs (the object could change after the check)."""
    location = params.get("PipelineDefinitionS3Location")
    if not isinstance(location, Mapping):
        return
    bucket, key = location.get("Bucket"), location.get("ObjectKey")
    where = f"s3://{bucket}/{key}"
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        body = read_s3(str(bucket), str(key), location.get("VersionId"))
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PreflightError(
            f"the pipeline definition at {where} is not valid JSON ({error})",
            control="pipeline.steps",
        ) from error
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"cannot read the pipeline definition at {where} ({error}); the request was refused",
            control="pipeline.steps",
        ) from error
    if len(body) > _PIPELINE_DEFINITION_LIMIT:
        raise PreflightError(
            f"the pipeline definition at {where} is larger than the 1 MiB SageMaker accepts "
            "inline, so safeai cannot send exactly what it checked",
            control="pipeline.steps",
        )
    del params["PipelineDefinitionS3Location"]
    params["PipelineDefinition"] = body
