"""What AWS rejects, or runs and then fails: documented constraints on the requests the guard
sends, next to the catalogue of what it enforces.

A guard that makes jobs fail on AWS gets switched off. The catalogue says what a request must
hold; this module says what a request must not hold for AWS to accept it and run it. The engine
is built to respect these (an instance-store type gets no volume key, an isolated job gets its
code as a channel, a serverless endpoint's model is waived out of the VPC); the tests run
:func:`broken_constraints` over every request the engine emits (the property tests) and every
request the SageMaker SDK workflows send through the guard on the sandbox, so a change that
would produce a request AWS documents as invalid fails there first.

Each :class:`AwsConstraint` names the rule, where AWS documents it, and a pure check over one
request (with the models created earlier in the same run, for what spans two requests).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import _paths

__all__ = ["CONSTRAINTS", "AwsConstraint", "broken_constraints"]

#: The bodies of the models created earlier in the run, by name.
Models = Mapping[str, Mapping[str, Any]]
Check = Callable[[str, Mapping[str, Any], Models], list[str]]


@dataclass(frozen=True, slots=True)
class AwsConstraint:
    """A documented constraint: ``rule`` in words, ``source`` where AWS (or the SDK, for how a
    container starts) documents it, and ``check``: what in one request breaks it."""

    name: str
    rule: str
    source: str
    check: Check


_SERVERLESS_EXCLUSIONS = (
    "Amazon SageMaker Developer Guide, Serverless Inference, feature exclusions "
    "(serverless-endpoints.html): no VPC configuration, network isolation, data capture, "
    "multiple production variants or private Docker registries"
)


def _variants(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        variant
        for member in ("ProductionVariants", "ShadowProductionVariants")
        for variant in body.get(member) or []
        if isinstance(variant, Mapping)
    ]


def _serverless_variants(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [variant for variant in _variants(body) if "ServerlessConfig" in variant]


def _serverless_models(operation: str, body: Mapping[str, Any], models: Models) -> list[str]:
    if operation != "CreateEndpointConfig":
        return []
    broken = []
    for variant in _serverless_variants(body):
        model = models.get(str(variant.get("ModelName")), {})
        if model.get("VpcConfig"):
            broken.append(f"serverless variant's model {variant.get('ModelName')} has VpcConfig")
        if model.get("EnableNetworkIsolation") is True:
            broken.append(
                f"serverless variant's model {variant.get('ModelName')} is network-isolated"
            )
        containers = [model.get("PrimaryContainer"), *(model.get("Containers") or [])]
        if any(
            isinstance(c, Mapping)
            and (c.get("ImageConfig") or {}).get("RepositoryAccessMode") == "Vpc"
            for c in containers
        ):
            broken.append(
                f"serverless variant's model {variant.get('ModelName')} pulls from a private "
                "registry"
            )
    return broken


def _serverless_endpoint(operation: str, body: Mapping[str, Any], models: Models) -> list[str]:
    if operation != "CreateEndpointConfig" or not _serverless_variants(body):
        return []
    broken = []
    if body.get("DataCaptureConfig"):
        broken.append("a serverless endpoint configuration with DataCaptureConfig")
    if len(_variants(body)) > 1:
        broken.append("a serverless endpoint configuration with more than one variant")
    return broken


def _names_a_model(body: Mapping[str, Any]) -> bool:
    """Whether a variant names a model: the configuration hosts models, not inference
    components (the SageMaker Python SDK's own test, ``Session.endpoint_from_production_variants``
    and ``is_inference_component_based_endpoint``)."""
    return any(variant.get("ModelName") is not None for variant in _variants(body))


def _inference_component_role(operation: str, body: Mapping[str, Any], models: Models) -> list[str]:
    if operation != "CreateEndpointConfig" or _names_a_model(body) or "ExecutionRoleArn" in body:
        return []
    return ["an endpoint configuration for inference components without ExecutionRoleArn"]


def _model_endpoint_isolation(operation: str, body: Mapping[str, Any], models: Models) -> list[str]:
    if operation != "CreateEndpointConfig" or not _names_a_model(body):
        return []
    if "EnableNetworkIsolation" not in body:
        return []
    return ["EnableNetworkIsolation on an endpoint configuration whose variants name models"]


def _instance_storage_keys(operation: str, body: Mapping[str, Any], models: Models) -> list[str]:
    """A volume key where AWS refuses one: an instance type with local NVMe storage (the
    catalogue's targets with ``instance_types``, judged by the key kind's own rule)."""
    from ..kinds import KINDS
    from . import for_operation

    broken = []
    for control, target in for_operation(operation):
        exempt = KINDS[control.requirement.kind].exempt
        if not target.instance_types or exempt is None:
            continue
        within = _paths.split(target.within) if target.within else ()
        places = _paths.containers(dict(body), within) if within else (("", dict(body)),)
        for where, container in places:
            value, _ = _paths.lookup(container, _paths.split(target.relative_path))
            types = tuple(_paths.split(path) for path in target.instance_types)
            if value is not _paths.MISSING and exempt(container, types) is not None:
                broken.append(f"{_paths.join(where, target.relative_path)} on instance storage")
    return broken


def _job_definitions(operation: str, body: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(where, isolation, hyperparameters) of each training job a request starts."""
    if operation == "CreateTrainingJob":
        return [("", body.get("EnableNetworkIsolation"), body.get("HyperParameters"))]
    if operation == "CreateHyperParameterTuningJob":
        definitions = [("TrainingJobDefinition", body.get("TrainingJobDefinition"))] + [
            (f"TrainingJobDefinitions[{i}]", d)
            for i, d in enumerate(body.get("TrainingJobDefinitions") or [])
        ]
        return [
            (where, d.get("EnableNetworkIsolation"), d.get("StaticHyperParameters"))
            for where, d in definitions
            if isinstance(d, Mapping)
        ]
    return []


def _isolated_code_download(operation: str, body: Mapping[str, Any], models: Models) -> list[str]:
    from ..kinds.code import SUBMIT_DIRECTORY, submit_directory

    broken = []
    for where, isolated, hyperparameters in _job_definitions(operation, body):
        if (
            isolated is True
            and isinstance(hyperparameters, Mapping)
            and submit_directory(hyperparameters.get(SUBMIT_DIRECTORY)) is not None
        ):
            broken.append(f"{where or 'the job'}: isolated, with its code to download from S3")
    if operation == "CreateModel" and body.get("EnableNetworkIsolation") is True:
        for container in [body.get("PrimaryContainer"), *(body.get("Containers") or [])]:
            environment = container.get("Environment") if isinstance(container, Mapping) else None
            uri = (environment or {}).get("SAGEMAKER_SUBMIT_DIRECTORY")
            if isinstance(uri, str) and uri.startswith("s3://"):
                broken.append("an isolated model container with its code to download from S3")
    return broken


CONSTRAINTS: tuple[AwsConstraint, ...] = (
    AwsConstraint(
        "serverless_model",
        "a serverless endpoint's model has no VpcConfig, no network isolation and no image "
        "from a private registry",
        _SERVERLESS_EXCLUSIONS,
        _serverless_models,
    ),
    AwsConstraint(
        "serverless_endpoint",
        "a serverless endpoint configuration has no data capture and one production variant",
        _SERVERLESS_EXCLUSIONS,
        _serverless_endpoint,
    ),
    AwsConstraint(
        "inference_component_role",
        "an endpoint configuration whose variants name no model (it hosts inference components) "
        "carries an ExecutionRoleArn: no model brings one",
        "SageMaker Python SDK 2.257, Session.endpoint_from_production_variants and "
        'create_endpoint_config ("ExecutionRoleArn will be needed in the endpoint config to '
        'create Endpoint" when no variant names a model); terraform-provider-aws PR #44977 '
        "(execution_role_arn added because AWS requires it when model_name is not provided)",
        _inference_component_role,
    ),
    AwsConstraint(
        "model_endpoint_isolation",
        "an endpoint configuration whose variants name models carries no "
        "EnableNetworkIsolation: each model's own applies",
        "terraform-provider-aws PR #48738 (a plan-time error for enable_network_isolation with "
        "model_name, the API supporting it only for inference-component endpoints); the "
        "SageMaker Python SDK 2.257 (Model.deploy) and 3.27 (ModelBuilder.deploy) send the "
        "endpoint configuration's VpcConfig, EnableNetworkIsolation and ExecutionRoleArn only "
        "for inference components",
        _model_endpoint_isolation,
    ),
    AwsConstraint(
        "instance_storage_volume_key",
        "no volume KMS key for instance types with local NVMe storage: AWS encrypts it in "
        "hardware and refuses the key",
        "CreateTrainingJob / CreateProcessingJob API reference, ResourceConfig.VolumeKmsKeyId",
        _instance_storage_keys,
    ),
    AwsConstraint(
        "isolated_code_download",
        "a network-isolated container does not download its code from S3: the job or endpoint "
        "would fail at start",
        "SageMaker Python SDK: with enable_network_isolation the code travels as the 'code' "
        "channel (Framework._prepare_for_training) or inside model.tar.gz (Model._upload_code)",
        _isolated_code_download,
    ),
)


def broken_constraints(requests: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Every constraint a run of requests breaks, as ``"<operation>: <name>: <what>"``: the
    requests in the order they were sent, each ``(operation, body)``; pipeline steps are
    checked as the requests they stand for."""
    broken: list[str] = []
    models: dict[str, Mapping[str, Any]] = {}
    for operation, body in _with_steps(requests):
        for constraint in CONSTRAINTS:
            broken += [
                f"{operation}: {constraint.name}: {what}"
                for what in constraint.check(operation, body, models)
            ]
        if operation == "CreateModel":
            models[str(body.get("ModelName"))] = body
    return broken


def _with_steps(
    requests: Iterable[tuple[str, Mapping[str, Any]]],
) -> Iterable[tuple[str, Mapping[str, Any]]]:
    from ._resources import step_operations

    for operation, body in requests:
        yield operation, body
        definition = body.get("PipelineDefinition")
        if operation in ("CreatePipeline", "UpdatePipeline") and isinstance(definition, str):
            try:
                steps = json.loads(definition).get("Steps", [])
            except (json.JSONDecodeError, AttributeError):
                continue
            for step in steps if isinstance(steps, list) else []:
                if not isinstance(step, Mapping):
                    continue
                step_operation = step_operations().get(str(step.get("Type")))
                arguments = step.get("Arguments")
                if step_operation and isinstance(arguments, Mapping):
                    yield step_operation, arguments
