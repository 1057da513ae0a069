"""SageMaker resource families moto does not emulate, and what its feature groups and model
packages lose.

:func:`install` adds the operations below to moto's own SageMaker response class, so a real
boto3 ``sagemaker`` client reaches them over moto's wire protocol (JSON), in server mode
(:class:`~safeai.testing.Sandbox`, ``ThreadedMotoServer``) and under ``mock_aws`` alike. It is
idempotent and process-wide.

One table, :data:`_FAMILIES`, names each family the sandbox keeps itself; its handlers are
generated from it and from botocore's SageMaker model:

* MlflowTrackingServer (``mlflow-tracking-server/<name>``): Create, Describe, List, Update,
  Delete.
* MlflowApp (``mlflow-app/app-<id>``): Create, Describe, List, Update, Delete.
* InferenceRecommendationsJob (``inference-recommendations-job/<name>``): Create, Describe,
  List.
* InferenceExperiment (``inference-experiment/<name>``): Create, Describe, List, Update, Delete.
* FlowDefinition (``flow-definition/<name>``): Create, Describe, List, Delete.
* EdgePackagingJob (``edge-packaging-job/<name>``): Create, Describe, List.
* DeviceFleet (``device-fleet/<name>``): Create, Describe, List, Update, Delete.
* Image (``image/<name>``): Create, Describe, List, Update, Delete.
* Hub (``hub/<name>``): Create, Describe, List, Update, Delete.
* PartnerApp (``partner-app/app-<id>``): Create, Describe, List, Update, Delete.
* Algorithm (``algorithm/<name>``): Create, Describe, List, Delete.
* AIBenchmarkJob (``ai-benchmark-job/<name>``) and AIRecommendationJob
  (``ai-recommendation-job/<name>``): Create, Describe, List, Delete.

(ARNs are ``arn:aws:sagemaker:<region>:<account>:`` and the part given.) The operations:

* ``Create<family>``: the members of the request that botocore's ``Describe<family>`` answer
  (or ``List<family>s`` summary) also has are kept as sent, with the ARN, ``CreationTime``,
  ``LastModifiedTime`` and the family's final status at once (``Created``, ``COMPLETED``,
  ``Active``, ``CREATED``, ``InService``, ``Available``, ``Completed``; a completed job also has
  its ``CompletionTime``). A few members are derived as AWS derives them: an inference
  experiment's ``EndpointMetadata`` from ``EndpointName`` and its variants ``InService``; a device
  fleet's ``IotRoleAlias`` when ``EnableIotRoleAlias`` is true; a tracking server's URL; a
  recommendations job's model and sample payload (in its summary) from ``InputConfig``. The
  answer is the ARN, in the member(s) botocore's output shape has. ``Tags`` are accepted and not
  kept. A name taken is ``ResourceInUse`` where botocore declares that error for the operation,
  else ``ConflictException`` where it declares that one, else ``ValidationException``.
* ``Describe<family>``: by name (or ARN), or by ``Arn`` for MlflowApp and PartnerApp; only
  members of botocore's Describe output shape. A resource that does not exist is
  ``ResourceNotFound`` where an operation of the family declares that error, else
  ``ValidationException`` (Algorithm), as for ``Update`` and ``Delete``.
* ``Update<family>``: each member of the request that the Describe answer has replaces the
  stored one; ``DeleteProperties`` (``UpdateImage``) removes the named ones;
  ``LastModifiedTime`` moves. ``Delete<family>``: gone at once.
* ``List<family>s``: the summaries botocore's List output shape has (its list member, e.g.
  ``TrackingServerSummaries``, ``Summaries``, ``Images``, with the summary members botocore
  knows). ``NameContains`` (and the other ``…Contains``), ``StatusEquals`` (and the other
  ``…Equals``, or the family's own status member), the creation and modification time bounds;
  ``SortBy`` any member of the summary (``Name``/``NAME`` and ``Status`` stand for the family's
  own, ``CreationTime`` when not named), ``SortOrder`` ascending by default; pages of
  ``MaxResults`` (at most 100, 10 by default) with ``NextToken``.

moto's own feature groups and model packages, corrected where lossy:

* ``CreateFeatureGroup``: moto drops ``OnlineStoreConfig`` (its key), ``ThroughputConfig`` and
  ``Description``, and fails (HTTP 500) on a group without an offline store; the sandbox stores
  the group through moto and keeps what moto drops. ``DescribeFeatureGroup`` answers the
  request's members as sent (merged into moto's answer, which adds the offline store's catalog
  and resolved URI), ``OfflineStoreStatus`` ``Active`` for a group with an offline store, and
  ``ResourceNotFound`` (moto: HTTP 500) for a group that does not exist. ``ListFeatureGroups``
  (moto has none): ``FeatureGroupSummaries`` of moto's groups, with the filters, order and pages
  above.
* ``CreateModelPackage``: moto drops ``SecurityConfig`` (the package's key) and the other
  members its package does not model; ``DescribeModelPackage`` answers them as sent.
  ``ListModelPackages``: a ``ModelPackageType`` outside botocore's enum (``Versioned``,
  ``Unversioned``, ``Both``) is AWS's ``ValidationException`` (moto: HTTP 500).
* ``DescribeModelCard`` already answers ``SecurityConfig`` as sent: moto's own is kept.

Everything is kept per emulated account and region, on moto's SageMaker backend: moto's reset
(the sandbox's, at start and on :meth:`~safeai.testing.Sandbox.reset`) forgets it.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = ["install"]

_installed = False
_install_lock = threading.Lock()
#: The default and largest page of a List call.
_DEFAULT_PAGE = 10
_LARGEST_PAGE = 100
#: Final statuses that mean the resource's work is done: it also has a CompletionTime.
_COMPLETED = frozenset({"COMPLETED", "Completed"})
#: The time bounds of a List request: request member -> (record member, True for "after").
_BOUNDS = {
    "CreationTimeAfter": ("CreationTime", True),
    "CreatedAfter": ("CreationTime", True),
    "CreationTimeBefore": ("CreationTime", False),
    "CreatedBefore": ("CreationTime", False),
    "LastModifiedTimeAfter": ("LastModifiedTime", True),
    "LastModifiedTimeBefore": ("LastModifiedTime", False),
}

#: (stored record, request, backend) -> members derived from the request, at Create and Update.
_Derive = Callable[[Mapping[str, Any], Mapping[str, Any], Any], dict[str, Any]]
_Handler = Callable[[Any], Any]


def _tracking_server(
    record: Mapping[str, Any], request: Mapping[str, Any], backend: Any
) -> dict[str, Any]:
    name = record["TrackingServerName"]
    return {
        "IsActive": "Active",
        "TrackingServerUrl": f"https://{name}.{backend.region_name}.experiments.sagemaker.aws",
    }


def _recommendations_job(
    record: Mapping[str, Any], request: Mapping[str, Any], backend: Any
) -> dict[str, Any]:
    # The summary names the model, the package version and the payload the job's input names.
    given = request.get("InputConfig") or {}
    return {
        member: given[member]
        for member in ("ModelName", "ModelPackageVersionArn", "SamplePayloadUrl")
        if member in given
    }


def _inference_experiment(
    record: Mapping[str, Any], request: Mapping[str, Any], backend: Any
) -> dict[str, Any]:
    derived: dict[str, Any] = {}
    endpoint_name = request.get("EndpointName")
    if endpoint_name is not None:
        metadata = {"EndpointName": endpoint_name}
        endpoint = backend.endpoints.get(endpoint_name)
        if endpoint is not None:
            metadata["EndpointConfigName"] = endpoint.endpoint_config_name
            metadata["EndpointStatus"] = endpoint.endpoint_status
        derived["EndpointMetadata"] = metadata
    if request.get("ModelVariants") is not None:
        derived["ModelVariants"] = [
            {**variant, "Status": "InService"} for variant in request["ModelVariants"]
        ]
    return derived


def _device_fleet(
    record: Mapping[str, Any], request: Mapping[str, Any], backend: Any
) -> dict[str, Any]:
    if not request.get("EnableIotRoleAlias"):
        return {}
    alias = f"SageMakerEdge-{record['DeviceFleetName']}"
    return {
        "IotRoleAlias": f"arn:aws:iot:{backend.region_name}:{backend.account_id}:rolealias/{alias}"
    }


@dataclass(frozen=True)
class _Family:
    """A SageMaker resource family the sandbox keeps itself.

    The list key and the summary members come from botocore's List output shape, what is kept
    from its Describe output shape (see :class:`_Shapes`).
    """

    #: The operations are ``<verb><noun>`` (``List<noun>s``).
    noun: str
    #: The member of the Create request naming the resource (and of Describe, unless by_arn).
    name: str
    #: The ARN's resource type: ``arn:aws:sagemaker:<region>:<account>:<arn_type>/<id>``.
    arn_type: str
    #: The member of the Describe answer holding the ARN.
    arn: str
    #: The member of the Describe answer holding the status, and its value at once.
    status: str | None
    final: str | None
    verbs: tuple[str, ...]
    #: Describe, Update and Delete name the resource by ``Arn``, whose id is generated.
    by_arn: bool = False
    derive: _Derive | None = None


_ALL = ("Create", "Describe", "List", "Update", "Delete")
_NO_UPDATE = ("Create", "Describe", "List", "Delete")
_JOB = ("Create", "Describe", "List")

_FAMILIES = (
    _Family(
        "MlflowTrackingServer",
        "TrackingServerName",
        "mlflow-tracking-server",
        "TrackingServerArn",
        "TrackingServerStatus",
        "Created",
        _ALL,
        derive=_tracking_server,
    ),
    _Family("MlflowApp", "Name", "mlflow-app", "Arn", "Status", "Created", _ALL, by_arn=True),
    _Family(
        "InferenceRecommendationsJob",
        "JobName",
        "inference-recommendations-job",
        "JobArn",
        "Status",
        "COMPLETED",
        _JOB,
        derive=_recommendations_job,
    ),
    _Family(
        "InferenceExperiment",
        "Name",
        "inference-experiment",
        "Arn",
        "Status",
        "Created",
        _ALL,
        derive=_inference_experiment,
    ),
    _Family(
        "FlowDefinition",
        "FlowDefinitionName",
        "flow-definition",
        "FlowDefinitionArn",
        "FlowDefinitionStatus",
        "Active",
        _NO_UPDATE,
    ),
    _Family(
        "EdgePackagingJob",
        "EdgePackagingJobName",
        "edge-packaging-job",
        "EdgePackagingJobArn",
        "EdgePackagingJobStatus",
        "COMPLETED",
        _JOB,
    ),
    _Family(
        "DeviceFleet",
        "DeviceFleetName",
        "device-fleet",
        "DeviceFleetArn",
        None,
        None,
        _ALL,
        derive=_device_fleet,
    ),
    _Family("Image", "ImageName", "image", "ImageArn", "ImageStatus", "CREATED", _ALL),
    _Family("Hub", "HubName", "hub", "HubArn", "HubStatus", "InService", _ALL),
    _Family("PartnerApp", "Name", "partner-app", "Arn", "Status", "Available", _ALL, by_arn=True),
    *(
        _Family(
            noun,
            f"{noun}Name",
            arn_type,
            f"{noun}Arn",
            f"{noun}Status",
            "Completed",
            ("Create", "Describe", "List", "Delete"),
        )
        for noun, arn_type in (
            ("AIBenchmarkJob", "ai-benchmark-job"),
            ("AIRecommendationJob", "ai-recommendation-job"),
        )
    ),
    _Family(
        "Algorithm",
        "AlgorithmName",
        "algorithm",
        "AlgorithmArn",
        "AlgorithmStatus",
        "Completed",
        _NO_UPDATE,
    ),
)


@dataclass(frozen=True)
class _Listing:
    """What a List call reads and answers, from botocore's List operation."""

    name: str
    status: str | None
    #: The members of the List request.
    request: frozenset[str]
    #: The answer's list member and the members of one summary.
    key: str
    summary: frozenset[str]


@dataclass(frozen=True)
class _Shapes:
    """One family's members, from botocore's SageMaker model."""

    create: frozenset[str]
    #: The members a Describe answer may hold.
    describe: frozenset[str]
    #: The members of a Create request kept: in the Describe answer or the List summary.
    kept: frozenset[str]
    #: The members of an Update request, and those of them that replace stored ones.
    update: frozenset[str]
    updated: frozenset[str]
    #: The ARN member(s) of each verb's answer.
    answers: Mapping[str, frozenset[str]]
    listing: _Listing | None
    missing: type[Exception]
    taken: type[Exception]


def install() -> None:
    """Teach moto's SageMaker backend the families above (see the module docstring).

    Idempotent and process-wide: it patches moto's ``SageMakerResponse`` class, which serves
    ``mock_aws`` and every ``ThreadedMotoServer`` in this process.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        import botocore.session
        from moto.sagemaker.responses import SageMakerResponse

        model = botocore.session.get_session().get_service_model("sagemaker")
        handlers = _family_handlers(model)
        handlers.update(_feature_group_handlers(model))
        handlers.update(_model_package_handlers(model, SageMakerResponse))
        for name, handler in handlers.items():
            setattr(SageMakerResponse, name, handler)
        _installed = True


# Shapes ------------------------------------------------------------------------------------


def _members(model: Any, operation: str, side: str) -> frozenset[str]:
    shape = getattr(model.operation_model(operation), side)
    return frozenset(shape.members) if shape is not None else frozenset()


def _errors(model: Any, operations: Iterable[str]) -> frozenset[str]:
    return frozenset(
        error.name
        for operation in operations
        if operation in model.operation_names
        for error in model.operation_model(operation).error_shapes
    )


def _listing(model: Any, operation: str, name: str, status: str | None) -> _Listing:
    output = model.operation_model(operation).output_shape
    (key,) = (member for member, shape in output.members.items() if shape.type_name == "list")
    return _Listing(
        name=name,
        status=status,
        request=_members(model, operation, "input_shape"),
        key=key,
        summary=frozenset(output.members[key].member.members),
    )


def _shapes(model: Any, family: _Family) -> _Shapes:
    from moto.sagemaker.exceptions import (
        ConflictException,
        ResourceInUseException,
        ResourceNotFound,
        ValidationError,
    )

    operations = {
        verb: f"{verb}{family.noun}{'s' if verb == 'List' else ''}" for verb in family.verbs
    }
    describe = _members(model, operations["Describe"], "output_shape")
    listing = _listing(model, operations["List"], family.name, family.status)
    stored = describe | listing.summary
    key = "Arn" if family.by_arn else family.name
    create = _members(model, operations["Create"], "input_shape")
    update = (
        _members(model, operations["Update"], "input_shape")
        if "Update" in operations
        else frozenset()
    )
    created_errors = _errors(model, [operations["Create"]])
    taken: type[Exception] = (
        ResourceInUseException
        if "ResourceInUse" in created_errors
        else ConflictException
        if "ConflictException" in created_errors
        else ValidationError
    )
    missing: type[Exception] = (
        ResourceNotFound
        if "ResourceNotFound" in _errors(model, operations.values())
        else ValidationError
    )
    return _Shapes(
        create=create,
        describe=describe,
        kept=create & stored,
        update=update,
        updated=update & stored - {key},
        answers={
            verb: frozenset(
                member
                for member in _members(model, operation, "output_shape")
                if member.endswith("Arn")
            )
            for verb, operation in operations.items()
        },
        listing=listing,
        missing=missing,
        taken=taken,
    )


# The families' handlers ----------------------------------------------------------------------


def _family_handlers(model: Any) -> dict[str, _Handler]:
    from botocore import xform_name

    handlers: dict[str, _Handler] = {}
    for family in _FAMILIES:
        shapes = _shapes(model, family)
        for verb in family.verbs:
            operation = f"{verb}{family.noun}{'s' if verb == 'List' else ''}"
            handlers[xform_name(operation)] = _handler(_VERBS[verb], family, shapes)
    return handlers


def _handler(
    verb: Callable[[_Family, _Shapes, Any], Any], family: _Family, shapes: _Shapes
) -> _Handler:
    # A function (not a partial): moto dispatches to the response class's functions, bound.
    def handle(self: Any) -> Any:
        return verb(family, shapes, self)

    return handle


def _store(response: Any, family: _Family) -> dict[str, dict[str, Any]]:
    """ARN -> the stored resource of ``family``, in the response's account and region."""
    backend = response.sagemaker_backend
    families: dict[str, dict[str, dict[str, Any]]] | None = getattr(
        backend, "safeai_families", None
    )
    if families is None:
        families = {}
        backend.safeai_families = families
    return families.setdefault(family.noun, {})


def _request(response: Any, members: Iterable[str]) -> dict[str, Any]:
    found = {member: response._get_param(member) for member in members}
    return {member: value for member, value in found.items() if value is not None}


def _arn(response: Any, family: _Family, resource_id: str) -> str:
    from moto.sagemaker.utils import arn_formatter

    backend = response.sagemaker_backend
    return arn_formatter(family.arn_type, resource_id, backend.account_id, backend.region_name)


def _find(family: _Family, shapes: _Shapes, response: Any) -> dict[str, Any]:
    named = str(response._get_param("Arn" if family.by_arn else family.name))
    arn = named if family.by_arn or named.startswith("arn:") else _arn(response, family, named)
    record = _store(response, family).get(arn)
    if record is None:
        raise shapes.missing(f"{family.noun} {named} does not exist.")
    return record


def _answer(record: Mapping[str, Any], members: Iterable[str]) -> dict[str, Any]:
    return {member: record[member] for member in members if member in record}


def _arn_answer(family: _Family, shapes: _Shapes, verb: str, record: Mapping[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(dict.fromkeys(shapes.answers[verb], record[family.arn]))


def _create(family: _Family, shapes: _Shapes, response: Any) -> Any:
    request = _request(response, shapes.create)
    name = str(request.get(family.name))
    store = _store(response, family)
    if any(record.get(family.name) == name for record in store.values()):
        raise shapes.taken(f"{family.noun} {name} already exists.")
    resource_id = f"app-{uuid.uuid4().hex[:12]}" if family.by_arn else name
    now = datetime.now(timezone.utc)
    record = _answer(request, shapes.kept)
    record.update({family.arn: _arn(response, family, resource_id), "CreationTime": now})
    record["LastModifiedTime"] = now
    if family.status is not None:
        record[family.status] = family.final
    if family.final in _COMPLETED:
        record["CompletionTime"] = now
    if family.derive is not None:
        record.update(family.derive(record, request, response.sagemaker_backend))
    store[record[family.arn]] = record
    return _arn_answer(family, shapes, "Create", record)


def _describe(family: _Family, shapes: _Shapes, response: Any) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(_answer(_find(family, shapes, response), shapes.describe))


def _update(family: _Family, shapes: _Shapes, response: Any) -> Any:
    record = _find(family, shapes, response)
    request = _request(response, shapes.update)
    for member in request.pop("DeleteProperties", ()):
        if member in shapes.updated:
            record.pop(member, None)
    record.update(_answer(request, shapes.updated))
    if family.derive is not None:
        record.update(family.derive(record, request, response.sagemaker_backend))
    record["LastModifiedTime"] = datetime.now(timezone.utc)
    return _arn_answer(family, shapes, "Update", record)


def _delete(family: _Family, shapes: _Shapes, response: Any) -> Any:
    record = _find(family, shapes, response)
    del _store(response, family)[record[family.arn]]
    return _arn_answer(family, shapes, "Delete", record)


def _list(family: _Family, shapes: _Shapes, response: Any) -> Any:
    assert shapes.listing is not None
    return _listed(response, _store(response, family).values(), shapes.listing)


_VERBS: dict[str, Callable[[_Family, _Shapes, Any], Any]] = {
    "Create": _create,
    "Describe": _describe,
    "List": _list,
    "Update": _update,
    "Delete": _delete,
}


# Lists -------------------------------------------------------------------------------------


def _instant(value: object) -> datetime:
    """A time bound of a request (epoch seconds on the JSON wire) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        return datetime.fromtimestamp(float(str(value)), timezone.utc)
    except ValueError:
        return _instant(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _status_of(value: object) -> object:
    # OfflineStoreStatus is a structure: its Status is what a filter or an order reads.
    return value.get("Status") if isinstance(value, Mapping) else value


def _stands_for(member: str, listing: _Listing) -> str | None:
    """The record member a filter's stem (``Name`` of ``NameContains``) or a SortBy names."""
    folded = member.replace("_", "").lower()
    if folded == "name":
        return listing.name
    if folded == "status":
        return listing.status
    known = listing.summary | {listing.name} | ({listing.status} if listing.status else set())
    return next((candidate for candidate in known if candidate.lower() == folded), None)


def _matches(record: Mapping[str, Any], request: Mapping[str, Any], listing: _Listing) -> bool:
    """Whether ``record`` passes the request's filters (those it does not know pass all)."""
    for member, wanted in request.items():
        if member in _BOUNDS:
            held, after = _BOUNDS[member]
            when = record.get(held)
            bound = _instant(wanted)
            if when is None or (when <= bound if after else when >= bound):
                return False
        elif member.endswith("Contains"):
            held_member = _stands_for(member.removesuffix("Contains"), listing)
            if held_member is not None and str(wanted) not in str(record.get(held_member, "")):
                return False
        elif member.endswith("Equals") or member == listing.status:
            held_member = _stands_for(member.removesuffix("Equals"), listing)
            if held_member is not None and _status_of(record.get(held_member)) != wanted:
                return False
    return True


def _sort_key(member: str) -> Callable[[Mapping[str, Any]], tuple[bool, Any]]:
    def key(record: Mapping[str, Any]) -> tuple[bool, Any]:
        value = _status_of(record.get(member))
        if value is None:
            return (True, 0)
        return (False, value if isinstance(value, (str, int, float, datetime)) else str(value))

    return key


def _listed(response: Any, records: Iterable[Mapping[str, Any]], listing: _Listing) -> Any:
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError

    request = _request(response, listing.request)
    size = int(request.pop("MaxResults", _DEFAULT_PAGE))
    token = request.pop("NextToken", None)
    sort_by = request.pop("SortBy", "CreationTime")
    descending = str(request.pop("SortOrder", "Ascending")).lower() == "descending"
    if not 1 <= size <= _LARGEST_PAGE:
        raise ValidationError(f"MaxResults must be between 1 and {_LARGEST_PAGE}.")
    try:
        start = int(token or 0)
    except ValueError:
        raise ValidationError(f"Invalid NextToken {token!r}.") from None
    found = sorted(
        (record for record in records if _matches(record, request, listing)),
        key=_sort_key(_stands_for(str(sort_by), listing) or "CreationTime"),
        reverse=descending,
    )
    answer: dict[str, Any] = {
        listing.key: [_answer(record, listing.summary) for record in found[start : start + size]]
    }
    if start + size < len(found):
        answer["NextToken"] = str(start + size)
    return ActionResult(answer)


# moto's feature groups ---------------------------------------------------------------------

#: What moto's CreateFeatureGroup needs for a group without an offline store (moto's model
#: always builds one); the group's offline store is then cleared.
_NO_OFFLINE_STORE = {"S3StorageConfig": {"S3Uri": "s3://none"}}


def _merged(ours: object, sent: object) -> object:
    """``sent`` over ``ours``: structures member by member, anything else as sent."""
    if isinstance(ours, Mapping) and isinstance(sent, Mapping):
        return {**ours, **{key: _merged(ours.get(key), value) for key, value in sent.items()}}
    return sent


def _feature_group_answer(group: Any) -> dict[str, Any]:
    answer: dict[str, Any] = group.describe()
    for member, sent in getattr(group, "safeai_sent", {}).items():
        answer[member] = _merged(answer.get(member), sent)
    if answer.get("OfflineStoreConfig") is None:
        answer.pop("OfflineStoreConfig", None)
    else:
        answer.setdefault("OfflineStoreStatus", {"Status": "Active"})
    return answer


def _feature_group_handlers(model: Any) -> dict[str, _Handler]:
    kept = _members(model, "CreateFeatureGroup", "input_shape") & _members(
        model, "DescribeFeatureGroup", "output_shape"
    )
    listing = _listing(model, "ListFeatureGroups", "FeatureGroupName", "FeatureGroupStatus")

    def create_feature_group(self: Any) -> Any:
        from moto.core.responses import ActionResult

        sent = copy.deepcopy(_request(self, kept))
        backend = self.sagemaker_backend
        arn = backend.create_feature_group(
            feature_group_name=sent.get("FeatureGroupName"),
            record_identifier_feature_name=sent.get("RecordIdentifierFeatureName"),
            event_time_feature_name=sent.get("EventTimeFeatureName"),
            feature_definitions=sent.get("FeatureDefinitions"),
            offline_store_config=copy.deepcopy(sent.get("OfflineStoreConfig", _NO_OFFLINE_STORE)),
            role_arn=sent.get("RoleArn"),
            tags=self._get_param("Tags"),
        )
        group = backend.feature_groups[arn]
        if "OfflineStoreConfig" not in sent:
            group.offline_store_config = None
        group.safeai_sent = sent
        return ActionResult({"FeatureGroupArn": arn})

    def describe_feature_group(self: Any) -> Any:
        from moto.core.responses import ActionResult
        from moto.sagemaker.exceptions import ResourceNotFound

        named = self._get_param("FeatureGroupName")
        for group in self.sagemaker_backend.feature_groups.values():
            if named in (group.feature_group_name, group.arn):
                return ActionResult(_feature_group_answer(group))
        raise ResourceNotFound(f"Resource Not Found: FeatureGroup {named} does not exist.")

    def list_feature_groups(self: Any) -> Any:
        groups = self.sagemaker_backend.feature_groups.values()
        return _listed(self, [_feature_group_answer(group) for group in groups], listing)

    return {
        "create_feature_group": create_feature_group,
        "describe_feature_group": describe_feature_group,
        "list_feature_groups": list_feature_groups,
    }


# moto's model packages ---------------------------------------------------------------------


def _model_package_handlers(model: Any, response_class: Any) -> dict[str, _Handler]:
    kept = _members(model, "CreateModelPackage", "input_shape") & _members(
        model, "DescribeModelPackage", "output_shape"
    )
    types = tuple(model.shape_for("ModelPackageType").enum)
    create_model_package = response_class.create_model_package
    describe_model_package = response_class.describe_model_package
    list_model_packages = response_class.list_model_packages

    def create_model_package_keeping_all(self: Any) -> Any:
        sent = copy.deepcopy(_request(self, kept))
        result = create_model_package(self)
        package = self.sagemaker_backend.model_packages[result.result["ModelPackageArn"]]
        package.safeai_sent = sent
        return result

    def describe_model_package_keeping_all(self: Any) -> Any:
        result = describe_model_package(self)
        package = self.sagemaker_backend.describe_model_package(self._get_param("ModelPackageName"))
        for member, sent in getattr(package, "safeai_sent", {}).items():
            result.result.setdefault(member, sent)
        return result

    def list_model_packages_of_a_known_type(self: Any) -> Any:
        from moto.sagemaker.exceptions import ValidationError

        wanted = self._get_param("ModelPackageType")
        if wanted is not None and wanted not in types:
            raise ValidationError(
                f"1 validation error detected: Value '{wanted}' at 'modelPackageType' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{', '.join(types)}]"
            )
        return list_model_packages(self)

    return {
        "create_model_package": create_model_package_keeping_all,
        "describe_model_package": describe_model_package_keeping_all,
        "list_model_packages": list_model_packages_of_a_known_type,
    }
