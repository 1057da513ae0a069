"""Requests whose security lives in another resource: an endpoint names an endpoint
configuration (which names models), a transform job names a model, and a pipeline may keep its
definition in S3. These lookups use the caller's own client and are cached briefly. Clients are
typed ``Any``: botocore builds their methods at run time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from ._engine import evaluate
from ._exceptions import PreflightError, SecurityViolation

if TYPE_CHECKING:
    from ._policy import Policy

__all__ = [
    "REFERENCING_OPERATIONS",
    "check_references",
    "clear_caches",
    "inline_pipeline_definition",
]

#: How long a referenced resource's verdict is reused. Models and endpoint configurations cannot
#: be changed in place, only deleted and created again under the same name.
REFERENCE_TTL_SECONDS = 300.0
_PIPELINE_DEFINITION_LIMIT = 1_048_576

REFERENCING_OPERATIONS = frozenset(
    {
        "CreateEndpoint",
        "UpdateEndpoint",
        "CreateTransformJob",
        "CreateInferenceComponent",
        "UpdateInferenceComponent",
    }
)

_cache: dict[tuple[object, ...], tuple[float, Mapping[str, Any]]] = {}
_lock = threading.Lock()


def clear_caches() -> None:
    """Forget every cached referenced resource."""
    with _lock:
        _cache.clear()


def _describe(
    client: Any,
    kind: str,
    name: str,
    call: Callable[[], Mapping[str, Any]],
    *,
    cached: bool = True,
) -> Mapping[str, Any]:
    """``call()``'s answer, kept for :data:`REFERENCE_TTL_SECONDS` unless the resource can
    change in place (``cached=False``)."""
    # The access key stands for the account: two accounts may use the same resource names.
    credentials = client._get_credentials()
    access_key = credentials.get_frozen_credentials().access_key if credentials else None
    key = (client.meta.endpoint_url, client.meta.region_name, access_key, kind, name)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key) if cached else None
    if hit is not None and now - hit[0] < REFERENCE_TTL_SECONDS:
        return hit[1]
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        document = call()
    except (BotoCoreError, ClientError) as error:  # anything else is a bug: it propagates
        raise PreflightError(
            f"cannot read {kind} {name!r} to check it ({error}); the request was refused",
            resource=name,
        ) from error
    if cached:
        with _lock:
            _cache[key] = (now, document)
    return document


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
    )


def check_references(
    client: Any, operation: str, params: Mapping[str, Any], policy: Policy
) -> list[SecurityViolation]:
    """What is wrong with the resources ``operation`` names, as violations of ``operation``."""
    if operation == "CreateTransformJob":
        return _check_model(client, operation, params.get("ModelName"), "ModelName", policy)
    if operation in ("CreateInferenceComponent", "UpdateInferenceComponent"):
        specification = params.get("Specification")
        if not isinstance(specification, Mapping):
            return []
        if "ModelName" not in specification and "Container" in specification:
            return _check_inline_container(client, operation, params, specification, policy)
        model = specification.get("ModelName")
        return _check_model(client, operation, model, "Specification.ModelName", policy)
    name = params.get("EndpointConfigName")
    if not isinstance(name, str):
        return []
    config = _describe(
        client,
        "endpoint configuration",
        name,
        lambda: client.describe_endpoint_config(EndpointConfigName=name),
    )
    via = f"EndpointConfigName={name!r}"
    found = [_refuse(operation, via, v) for v in evaluate("CreateEndpointConfig", config, policy)]
    for variants in ("ProductionVariants", "ShadowProductionVariants"):
        for index, variant in enumerate(config.get(variants) or []):
            found += _check_model(
                client,
                operation,
                variant.get("ModelName"),
                f"{via} {variants}[{index}].ModelName",
                policy,
            )
    return found


def _check_model(
    client: Any, operation: str, name: object, via: str, policy: Policy
) -> list[SecurityViolation]:
    if not isinstance(name, str):
        return []
    model = _describe(client, "model", name, lambda: client.describe_model(ModelName=name))
    return [
        _refuse(operation, f"{via}={name!r}", violation)
        for violation in evaluate("CreateModel", model, policy)
    ]


def _check_inline_container(
    client: Any,
    operation: str,
    params: Mapping[str, Any],
    specification: Mapping[str, Any],
    policy: Policy,
) -> list[SecurityViolation]:
    """An inference component's inline container is a model defined in place: it runs as the
    endpoint configuration's role, in its VpcConfig, with its EnableNetworkIsolation, so the
    model controls are checked on those."""
    endpoint = params.get("EndpointName")
    if operation == "UpdateInferenceComponent":
        name = str(params.get("InferenceComponentName"))
        component = _describe(
            client,
            "inference component",
            name,
            lambda: client.describe_inference_component(InferenceComponentName=name),
        )
        endpoint = component.get("EndpointName")
    endpoint = str(endpoint)
    # An endpoint can be moved to another configuration at any time: never kept.
    described = _describe(
        client,
        "endpoint",
        endpoint,
        lambda: client.describe_endpoint(EndpointName=endpoint),
        cached=False,
    )
    config_name = str(described.get("EndpointConfigName"))
    config = _describe(
        client,
        "endpoint configuration",
        config_name,
        lambda: client.describe_endpoint_config(EndpointConfigName=config_name),
    )
    as_model = {
        member: config[member]
        for member in ("ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation")
        if member in config
    }
    as_model["PrimaryContainer"] = specification["Container"]
    via = (
        f"Specification.Container on EndpointName={endpoint!r} (EndpointConfigName={config_name!r})"
    )
    return [
        _refuse(operation, via, found, _MOVE_THE_CONTAINER)
        for found in evaluate("CreateModel", as_model, policy)
    ]


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
