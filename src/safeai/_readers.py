"""The reads of AWS the guard and the audit judge: the one layer, with the preflight checks, that
calls AWS while a request is checked.

* **Referenced resources**: the model, endpoint configuration, endpoint or inference component
  a request names, and the stored resources a request starts, opens or names (a pipeline, a
  pipeline execution's definition, a notebook instance, a monitoring job definition: the
  registry's ``Resource.stored``), read with the caller's own client and kept for
  :data:`REFERENCE_TTL_SECONDS` in a bounded single-flight
  :class:`~safeai.preflight._cache.TtlCache` (what can change in place is never kept: an
  endpoint can be moved to another configuration at any time, a pipeline or a notebook
  instance updated). :func:`clear_caches` empties it, and ``safeai.preflight.clear_caches()``
  calls that.
* **Stored objects**: a pipeline definition kept in S3.
* **Bucket settings**: a bucket's ``Get*`` answers, "not configured" included.
* **The audit's listings**: the clients of one region, every page of a ``List*`` call, the
  ``Describe*`` of one listed resource.
* **The audit's identity reads**: the account's IAM users, groups and policies, an AWS managed
  policy's document, a user's access keys (ids and status only).
* **Sibling clients**: a client of another service with a guarded client's credentials.

What is read is judged elsewhere (:mod:`safeai._references`, :mod:`safeai._buckets`,
:mod:`safeai._detective`, :mod:`safeai._securing`). A service's client is handed over either
itself, when the read is made with the caller's own client, or as a :data:`ClientFactory`, so
a client is made only when a read needs it. Clients are typed ``Any``: botocore builds their
methods at run time. botocore is imported where it is used, so that ``import safeai`` stays
light.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from ._exceptions import PreflightError
from .preflight._cache import TtlCache, scope

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

    import botocore.session

    from ._buckets import Setting
    from .controls import AuditListing
    from .controls._resources import StoredResource

    #: Service name (``"s3"``, ``"sts"``, ...) -> a client of that service.
    ClientFactory = Callable[[str], Any]

__all__ = [
    "NOT_CONFIGURED",
    "REFERENCE_TTL_SECONDS",
    "assumed_session",
    "audit_clients",
    "caller_account_id",
    "clear_caches",
    "describe_endpoint",
    "describe_endpoint_config",
    "describe_inference_component",
    "describe_listed",
    "describe_model",
    "list_access_keys",
    "list_entries",
    "organization_accounts",
    "read_authorization_details",
    "read_bucket_settings",
    "read_managed_policy",
    "read_stored",
    "read_text_object",
    "sibling_client",
    "twin_client",
]

# -- referenced resources -------------------------------------------------------------------------

#: How long a referenced resource's answer is reused. Models and endpoint configurations cannot
#: be changed in place, only deleted and created again under the same name.
REFERENCE_TTL_SECONDS = 300.0
#: The referenced resources read so far, by where they were read and what they are; at most
#: this many are kept, the least recently used going first.
_MAX_CACHED = 1024
_cache = TtlCache(max_entries=_MAX_CACHED)


def clear_caches() -> None:
    """Forget every cached referenced resource."""
    _cache.clear()


def describe_model(client: Any, name: str) -> Mapping[str, Any]:
    """``DescribeModel`` of ``name`` with the caller's SageMaker ``client`` (cached).

    Raises :class:`safeai.PreflightError` with the AWS error chained when it cannot be read."""
    return _describe(client, "model", name, lambda: client.describe_model(ModelName=name))


def describe_endpoint_config(client: Any, name: str) -> Mapping[str, Any]:
    """``DescribeEndpointConfig`` of ``name`` with the caller's SageMaker ``client`` (cached).

    Raises :class:`safeai.PreflightError` with the AWS error chained when it cannot be read."""
    return _describe(
        client,
        "endpoint configuration",
        name,
        lambda: client.describe_endpoint_config(EndpointConfigName=name),
    )


def describe_endpoint(client: Any, name: str) -> Mapping[str, Any]:
    """``DescribeEndpoint`` of ``name`` with the caller's SageMaker ``client``, never cached: an
    endpoint can be moved to another configuration at any time.

    Raises :class:`safeai.PreflightError` with the AWS error chained when it cannot be read."""
    return _describe(
        client,
        "endpoint",
        name,
        lambda: client.describe_endpoint(EndpointName=name),
        cached=False,
    )


def describe_inference_component(client: Any, name: str) -> Mapping[str, Any]:
    """``DescribeInferenceComponent`` of ``name`` with the caller's SageMaker ``client``
    (cached).

    Raises :class:`safeai.PreflightError` with the AWS error chained when it cannot be read."""
    return _describe(
        client,
        "inference component",
        name,
        lambda: client.describe_inference_component(InferenceComponentName=name),
    )


def read_stored(
    client: Any, stored: StoredResource, parameters: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The ``Describe*`` answer (``stored.describe_operation``) of the stored resource that
    ``parameters`` name, with the caller's SageMaker ``client``; kept for
    :data:`REFERENCE_TTL_SECONDS` only when it cannot change in place (``stored.cached``).

    Raises :class:`safeai.PreflightError` (filed under ``stored.control``) with the AWS error
    chained when it cannot be read."""
    from botocore import xform_name

    describe = getattr(client, xform_name(stored.describe_operation))
    name = str(parameters[stored.describe_parameter])
    # The version a pipeline execution names is part of what is read.
    extra = tuple(sorted((key, str(value)) for key, value in parameters.items()))
    return _describe(
        client,
        _words(stored.describe_operation.removeprefix("Describe")),
        name,
        lambda: describe(**parameters),
        cached=stored.cached,
        control=stored.control,
        extra=extra,
    )


def _words(noun: str) -> str:
    """``NotebookInstance`` -> ``notebook instance``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", noun).lower()


def _describe(
    client: Any,
    kind: str,
    name: str,
    call: Callable[[], Mapping[str, Any]],
    *,
    cached: bool = True,
    control: str | None = None,
    extra: tuple[object, ...] = (),
) -> Mapping[str, Any]:
    """``call()``'s answer, kept for :data:`REFERENCE_TTL_SECONDS` unless the resource can
    change in place (``cached=False``). Concurrent reads of the same resource ask AWS once.
    ``extra``: more of what tells one read from another, besides ``kind`` and ``name``."""
    if not cached:
        return _read(kind, name, call, control)
    # The scope holds the access key, which stands for the account: two accounts may use the
    # same resource names.
    return _cache.get(
        (*scope(client), kind, name, *extra),
        REFERENCE_TTL_SECONDS,
        lambda: _read(kind, name, call, control),
    )


def _read(
    kind: str, name: str, call: Callable[[], Mapping[str, Any]], control: str | None = None
) -> Mapping[str, Any]:
    """``call()``'s answer; an AWS error refuses the request (fail closed), filed under
    ``control`` when one is given."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except (BotoCoreError, ClientError) as error:  # anything else is a bug: it propagates
        raise PreflightError(
            f"cannot read {kind} {name!r} to check it ({error}); the request was refused",
            control=control,
            resource=name,
        ) from error


# -- stored objects -------------------------------------------------------------------------------


def read_text_object(clients: ClientFactory, bucket: str, key: str, version: str | None) -> str:
    """The S3 object ``bucket``/``key`` (at ``version`` when given) as UTF-8 text, read with
    ``clients("s3")``. AWS errors and ``UnicodeDecodeError`` propagate: the caller says what
    could not be read."""
    extra = {"VersionId": version} if version else {}
    body = clients("s3").get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
    return str(body.decode("utf-8"))


# -- bucket settings ------------------------------------------------------------------------------

#: The error codes with which S3 answers "this setting is not configured".
NOT_CONFIGURED = frozenset(
    {
        "ServerSideEncryptionConfigurationNotFoundError",
        "NoSuchPublicAccessBlockConfiguration",
        "OwnershipControlsNotFoundError",
        "NoSuchBucketPolicy",
    }
)


def read_bucket_settings(s3: Any, bucket: str, settings: Iterable[Setting]) -> dict[str, object]:
    """``Put*`` operation -> the value of the setting it sets, for each of ``settings``, read
    with its ``Get*`` operation (its stand-in ``absent`` when S3 answers "not configured"). Any
    other AWS error propagates."""
    from botocore import xform_name
    from botocore.exceptions import ClientError

    found: dict[str, object] = {}
    for setting in settings:
        try:
            answer = getattr(s3, xform_name(setting.get))(Bucket=bucket)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) not in NOT_CONFIGURED:
                raise
            found[setting.put] = setting.absent
        else:
            found[setting.put] = answer.get(setting.member, setting.absent)
    return found


# -- the audit's listings -------------------------------------------------------------------------

#: The largest page every SageMaker List* call accepts (the default page is 10).
_PAGE_SIZE = 100


def audit_clients(
    session: Any,
    region: str,
    services: Collection[str],
    *,
    workers: int,
    on_request: Callable[..., None],
) -> dict[str, Any]:
    """A client of each of ``services`` in ``region`` for the audit, made from ``session`` (a
    ``boto3.Session`` or a :class:`safeai.SecureSession`), with a connection per worker and
    ``on_request`` called before each HTTP request is sent (retries included).

    boto3 sessions are not thread-safe: call this before any thread that uses them starts."""
    from botocore.config import Config

    config = Config(
        # Adaptive mode adds client-side rate limiting to the standard retries, so a burst of
        # describes backs off as a whole when SageMaker starts throttling.
        retries={"mode": "adaptive", "max_attempts": 10},
        max_pool_connections=workers,
        user_agent_extra="safeai-audit",
    )
    clients: dict[str, Any] = {}
    for service in services:
        client = session.client(service, region_name=region, config=config)
        client.meta.events.register("before-send", on_request)
        clients[service] = client
    return clients


def caller_account_id(sts: Any) -> str:
    """The account of the credentials ``sts`` signs with (``GetCallerIdentity``: no permission
    is needed for it)."""
    return str(sts.get_caller_identity()["Account"])


def organization_accounts(organizations: Any) -> list[str]:
    """The ids of the organization's ACTIVE accounts (``ListAccounts``, every page): from its
    management account or a delegated administrator. ``State`` replaces the deprecated
    ``Status``; either is read."""
    ids: list[str] = []
    for page in organizations.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            if account.get("State", account.get("Status")) == "ACTIVE":
                ids.append(str(account["Id"]))
    return ids


def assumed_session(
    sts: Any, role_arn: str, *, external_id: str | None, region: str, like: Any
) -> Any:
    """A ``boto3.Session`` on the role's temporary credentials (``AssumeRole`` now, so a role
    that cannot be assumed fails here, for one hour: an account's audit takes minutes).

    It shares the data loader of ``like`` (the caller's session): the service models are then
    parsed once for every account, not once per account (a quarter of a second each)."""
    import boto3
    import botocore.session

    request: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "safeai-audit"}
    if external_id:
        request["ExternalId"] = external_id
    credentials = sts.assume_role(**request)["Credentials"]
    core = botocore.session.Session()
    base = getattr(getattr(like, "boto_session", like), "_session", None)
    if isinstance(base, botocore.session.Session):
        core.register_component("data_loader", base.get_component("data_loader"))
    return boto3.Session(
        botocore_session=core,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def list_entries(client: Any, listing: AuditListing) -> list[Mapping[str, Any]]:
    """Every entry (``listing.list_key``) of every page of ``listing``'s ``List*`` call.
    An AWS error propagates, and what the pages before it listed is not returned: the listing
    as a whole could not be read. ``listing.list_parameters`` go with every page."""
    from botocore import xform_name

    name = xform_name(listing.list_operation)
    asked = dict(listing.list_parameters)
    if client.can_paginate(name):
        pages = client.get_paginator(name).paginate(
            **asked, PaginationConfig={"PageSize": _PAGE_SIZE}
        )
    else:
        pages = _pages(getattr(client, name), asked)
    return [entry for page in pages for entry in page.get(listing.list_key, [])]


def _pages(call: Any, asked: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The pages of a listing botocore has no paginator for (``ListHubs``), by ``NextToken``."""
    token: str | None = None
    while True:
        page = call(**asked, MaxResults=_PAGE_SIZE, **({"NextToken": token} if token else {}))
        yield page
        token = page.get("NextToken")
        if not token:
            return


def describe_listed(
    client: Any, listing: AuditListing, parameters: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``Describe*`` answer (``listing.describe_operation``) of the resource that
    ``parameters`` name (:meth:`~safeai.controls.AuditListing.describe_parameters`). AWS errors
    propagate."""
    from botocore import xform_name

    describe = getattr(client, xform_name(listing.describe_operation))
    return dict(describe(**parameters))


# -- the audit's identity reads -------------------------------------------------------------------

#: The largest page ``GetAccountAuthorizationDetails`` accepts.
_IAM_PAGE_SIZE = 1000
#: What the identity audit reads of the account's authorization details: users, their groups,
#: and the customer managed policies either may hold (AWS managed ones are read one by one).
_AUTHORIZATION_FILTER = ("User", "Group", "LocalManagedPolicy")


def read_authorization_details(iam: Any) -> dict[str, list[Mapping[str, Any]]]:
    """Every page of ``GetAccountAuthorizationDetails`` for the account's users, groups and
    customer managed policies, merged: ``{"UserDetailList": [...], "GroupDetailList": [...],
    "Policies": [...]}``. An AWS error propagates, and the pages before it are not returned."""
    found: dict[str, list[Mapping[str, Any]]] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "Policies": [],
    }
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = paginator.paginate(
        Filter=list(_AUTHORIZATION_FILTER), PaginationConfig={"PageSize": _IAM_PAGE_SIZE}
    )
    for page in pages:
        for key, entries in found.items():
            entries += page.get(key, [])
    return found


def read_managed_policy(iam: Any, arn: str) -> object:
    """The document of the default version of the managed policy ``arn`` (``GetPolicy``, then
    ``GetPolicyVersion``): what an AWS managed policy attached to a user or group grants. AWS
    errors propagate."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def list_access_keys(iam: Any, user: str) -> list[Mapping[str, Any]]:
    """The ``AccessKeyMetadata`` of every access key of the IAM user ``user`` (id, status,
    creation date; never a secret). AWS errors propagate."""
    paginator = iam.get_paginator("list_access_keys")
    return [key for page in paginator.paginate(UserName=user) for key in page["AccessKeyMetadata"]]


# -- sibling clients ------------------------------------------------------------------------------


def sibling_client(
    client: Any, service: str, session: botocore.session.Session | None = None
) -> Any:
    """A new client of ``service`` with ``client``'s credentials, region and endpoint
    configuration: from ``session`` (the one ``client`` was made from) when known, else from
    ``client``'s own credentials."""
    if session is not None:
        return session.create_client(service, region_name=client.meta.region_name)
    import botocore.session

    # botocore exposes a client's credentials only through this private accessor.
    frozen = client._get_credentials().get_frozen_credentials()
    return botocore.session.Session().create_client(
        service,
        region_name=client.meta.region_name,
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )


#: Makes every twin client: one session, so the service models are parsed once per process.
_twin_session: botocore.session.Session | None = None
_twin_lock = threading.Lock()


def twin_client(client: Any, credentials: tuple[str, str, str | None] | None) -> Any:
    """A botocore client like ``client`` (service, region, endpoint, configuration), signed
    with ``credentials`` (access key, secret key, token; unsigned when None): the synchronous
    twin of an aiobotocore client, for the guard's work (:mod:`safeai._async_door`)."""
    global _twin_session
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    # An AioConfig carries aiohttp settings too; only botocore's own options carry over.
    options = {
        name: value
        for name, value in client.meta.config._user_provided_options.items()
        if name in Config.OPTION_DEFAULTS
    }
    if credentials is None:
        options["signature_version"] = UNSIGNED
    with _twin_lock:
        if _twin_session is None:
            _twin_session = botocore.session.Session()
        session = _twin_session
        access_key, secret_key, token = credentials or (None, None, None)
        return session.create_client(
            client.meta.service_model.service_name,
            region_name=client.meta.region_name,
            endpoint_url=client.meta.endpoint_url,
            config=Config(**options),
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=token,
        )
