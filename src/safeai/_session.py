"""The SecureSession door: a boto3 session on assumed-role credentials, guarded from birth."""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Any

from ._exceptions import PolicyError, SafeAIError
from ._hooks import GuardHandle, guard, unguard
from ._policy import _ROLE_ARN, Policy

if TYPE_CHECKING:
    import boto3

__all__ = ["SecureSession"]


class SecureSession:
    """A guarded boto3 session whose credentials come from ``sts:AssumeRole``.

    With ``role_arn``, the calling code never holds long-lived keys: botocore assumes the role
    with the ambient (or ``profile_name``) credentials and refreshes the temporary credentials
    before they expire. Without ``role_arn``, the ambient credentials are used and every audit
    record says so. Every SageMaker client it creates is guarded by ``policy``.

    >>> session = safeai.SecureSession(policy, role_arn="arn:aws:iam::111122223333:role/ml-caller")
    >>> sm = session.client("sagemaker")
    """

    def __init__(
        self,
        policy: Policy,
        *,
        role_arn: str | None = None,
        region_name: str | None = None,
        profile_name: str | None = None,
        external_id: str | None = None,
        source_identity: str | None = None,
        duration_seconds: int = 3600,
    ) -> None:
        import boto3
        import botocore.session

        if not isinstance(policy, Policy):
            raise TypeError(f"SecureSession needs a safeai.Policy, got {type(policy).__name__}")
        if not 900 <= duration_seconds <= 43200:
            raise PolicyError(
                f"must be between 900 and 43200 seconds, found {duration_seconds}",
                field="duration_seconds",
            )
        region = region_name or policy.effective_region
        core = botocore.session.Session(profile=profile_name)
        if region:
            core.set_config_variable("region", region)
        self.role_arn = role_arn
        if role_arn is not None:
            match = _ROLE_ARN.match(role_arn)
            if match is None:
                raise PolicyError(f"{role_arn!r} is not a role ARN", field="role_arn")
            if policy.account_id and match.group(1) != policy.account_id:
                raise PolicyError(
                    f"{role_arn!r} is in account {match.group(1)}, but the policy's execution "
                    f"role is in account {policy.account_id}",
                    field="role_arn",
                )
            _use_assumed_role(
                core,
                role_arn,
                region=region,
                profile_name=profile_name,
                external_id=external_id,
                source_identity=source_identity,
                duration_seconds=duration_seconds,
            )
        self.policy = policy
        self.boto_session: boto3.Session = boto3.Session(botocore_session=core)
        self._handle: GuardHandle = guard(policy, session=self.boto_session)
        self._handle.credentials = (
            f"assumed-role {role_arn}" if role_arn else "ambient (not assumed by safeai)"
        )

    @property
    def region_name(self) -> str | None:
        """The session's region."""
        return self.boto_session.region_name

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A guarded client, as ``boto3.Session.client`` (typed ``Any``: botocore builds client
        methods at run time; annotate the result with a ``mypy_boto3_*`` type if you use them)."""
        session: Any = self.boto_session
        return session.client(service_name, **kwargs)

    def resource(self, service_name: str, **kwargs: Any) -> Any:
        """A resource whose client is guarded, as ``boto3.Session.resource``."""
        session: Any = self.boto_session
        return session.resource(service_name, **kwargs)

    def sagemaker_session(self, *, telemetry: bool = False, **options: Any) -> Any:
        """A SageMaker Python SDK session on this guarded boto3 session, for the installed SDK
        major version: ``sagemaker.session.Session`` (v2) or
        ``sagemaker.core.helper.session_helper.Session`` (v3). ``options`` go to its constructor.

        The SDK's telemetry is an unsigned HTTPS request outside boto3 (it fails in a private
        network, and it carries failure messages out); unless ``telemetry=True`` it is switched
        off with the SDK's own setting, ``SageMaker.PythonSDK.Modules.TelemetryOptOut``, added to
        whatever configuration the SDK loaded.

        The SDK is also steered to build the secure layout itself: the policy's network
        isolation and traffic encryption go into the SDK's defaults for training and processing
        jobs (``SageMaker.TrainingJob.EnableNetworkIsolation`` and the like), so a script-mode
        estimator ships its code as a ``code`` channel on its own instead of having the guard
        move it. Values the caller passes explicitly still win in the SDK, and the guard still
        checks every request.
        """
        from importlib.metadata import PackageNotFoundError, version

        try:
            major = int(version("sagemaker").split(".")[0])
        except PackageNotFoundError as error:
            raise SafeAIError(
                "sagemaker_session() needs the SageMaker Python SDK: "
                "pip install 'safeai[sagemaker]'"
            ) from error
        if major >= 3:
            from sagemaker.core.helper.session_helper import Session
        else:
            from sagemaker.session import Session
        session = Session(boto_session=self.boto_session, **options)
        config = _with_policy_defaults(session.sagemaker_config, self.policy)
        session.sagemaker_config = config if telemetry else _without_telemetry(config)
        return session

    def close(self) -> None:
        """Stop guarding this session's clients. The session stays usable but unguarded, so
        drop it too; prefer ``with SecureSession(...) as session:``."""
        unguard(self._handle)

    def __enter__(self) -> SecureSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        how = f"role_arn={self.role_arn!r}" if self.role_arn else "ambient credentials"
        return f"<safeai.SecureSession {how} region={self.region_name!r}>"


def _with_policy_defaults(config: Any, policy: Policy) -> dict[str, Any]:
    """The SDK configuration with the policy's switches as the SDK's own defaults for training
    and processing jobs, leaving the caller's copy alone. Only switches that hold for every
    request (a key or VPC default could collide with an instance type or a serverless
    endpoint, which the guard decides request by request), and only where the guard would
    fill them in itself: not in report mode, and not for a control the policy waives."""
    merged: dict[str, Any] = copy.deepcopy(dict(config or {}))
    merged.setdefault("SchemaVersion", "1.0")
    sagemaker = merged.setdefault("SageMaker", {})
    for family, place in (
        ("training", ("TrainingJob",)),
        ("processing", ("ProcessingJob", "NetworkConfig")),
    ):
        on = {
            member: True
            for member, control, switch in (
                ("EnableNetworkIsolation", "network_isolation", policy.network_isolation),
                (
                    "EnableInterContainerTrafficEncryption",
                    "inter_container_encryption",
                    policy.inter_container_encryption,
                ),
            )
            if _filled_in(policy, f"{family}.{control}", switch)
        }
        if on:
            node = sagemaker
            for name in place:
                node = node.setdefault(name, {})
            node.update(on)
    return merged


def _filled_in(policy: Policy, slug: str, switch: bool) -> bool:
    """Whether the guard itself would fill ``slug``'s switch in on every request."""
    return switch and slug not in policy.waivers and policy.mode_of(slug) != "report"


def _without_telemetry(config: Any) -> dict[str, Any]:
    """The SDK configuration with ``TelemetryOptOut`` set, leaving the caller's copy alone."""
    merged: dict[str, Any] = copy.deepcopy(dict(config or {}))
    merged.setdefault("SchemaVersion", "1.0")
    modules = merged.setdefault("SageMaker", {}).setdefault("PythonSDK", {})
    modules.setdefault("Modules", {})["TelemetryOptOut"] = True
    return merged


def _use_assumed_role(
    core: Any,
    role_arn: str,
    *,
    region: str | None,
    profile_name: str | None,
    external_id: str | None,
    source_identity: str | None,
    duration_seconds: int,
) -> None:
    import botocore.session
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        CredentialProvider,
        CredentialResolver,
        DeferredRefreshableCredentials,
    )

    source = botocore.session.Session(profile=profile_name)
    if region:
        source.set_config_variable("region", region)
    source_credentials = source.get_credentials()
    if source_credentials is None:
        raise PolicyError(
            "no credentials to assume the role with: configure a profile, environment "
            "variables or an instance role",
            field="role_arn",
        )
    extra: dict[str, Any] = {
        "RoleSessionName": f"safeai-{os.getpid()}",
        "DurationSeconds": duration_seconds,
    }
    if external_id:
        extra["ExternalId"] = external_id
    if source_identity:
        extra["SourceIdentity"] = source_identity
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=source.create_client,
        source_credentials=source_credentials,
        role_arn=role_arn,
        extra_args=extra,
    )

    class _AssumedRole(CredentialProvider):
        METHOD = "safeai-assume-role"

        def load(self) -> DeferredRefreshableCredentials:
            return DeferredRefreshableCredentials(
                method=self.METHOD, refresh_using=fetcher.fetch_credentials
            )

    core.register_component("credential_provider", CredentialResolver([_AssumedRole()]))
