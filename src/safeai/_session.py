"""The SecureSession door: a boto3 session on assumed-role credentials, guarded from birth."""

from __future__ import annotations

import copy
import os
import re
from typing import TYPE_CHECKING, Any

from ._exceptions import PolicyError, SafeAIError
from ._hooks import GuardHandle, guard, unguard
from ._policy import _ROLE_ARN, Policy

if TYPE_CHECKING:
    from collections.abc import Callable

    import boto3

__all__ = ["SecureSession"]

#: ``sts:AssumeRole``'s ``SerialNumber``: a virtual device's ARN, or a hardware device's serial
#: (9 to 256 characters of ``[\w+=/:,.@-]``, the STS API reference).
_MFA_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$")
#: ``TokenCode``: the six digits the device shows.
_MFA_CODE = re.compile(r"^\d{6}$")


class SecureSession:
    """A guarded boto3 session whose credentials come from ``sts:AssumeRole``.

    With ``role_arn``, the calling code never holds long-lived keys: botocore assumes the role
    with the ambient (or ``profile_name``) credentials and refreshes the temporary credentials
    before they expire. Without ``role_arn``, the ambient credentials are used and every audit
    record says so. Every SageMaker client it creates is guarded by ``policy``.

    With ``mfa_serial`` (the ARN of the caller's MFA device), the role is assumed with
    ``SerialNumber`` and ``TokenCode``: ``mfa_token`` is the six-digit code, or a callable that
    is given a prompt and returns one (``getpass.getpass``, ``input``, a notebook widget). A
    callable is asked again whenever the credentials are refreshed, so a long-running notebook
    keeps working; a code given as a string is good for one assumption only, so a refresh then
    raises :class:`safeai.SafeAIError` asking for a callable. A profile (``profile_name``) that
    itself assumes a role with ``mfa_serial`` keeps working as botocore runs it.

    >>> session = safeai.SecureSession(policy, role_arn="arn:aws:iam::111122223333:role/ml-caller")
    >>> sm = session.client("sagemaker")
    >>> people = safeai.SecureSession(
    ...     policy, role_arn=role, mfa_serial="arn:aws:iam::111122223333:mfa/ada",
    ...     mfa_token=getpass.getpass)
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
        mfa_serial: str | None = None,
        mfa_token: str | Callable[[str], str] | None = None,
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
        prompter = _mfa_prompter(role_arn, mfa_serial, mfa_token)
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
                mfa=(mfa_serial, prompter) if mfa_serial and prompter else None,
            )
        self.policy = policy
        self.mfa_serial = mfa_serial
        self.boto_session: boto3.Session = boto3.Session(botocore_session=core)
        self._handle: GuardHandle = guard(policy, session=self.boto_session)
        self._handle.credentials = _how_obtained(core, role_arn, mfa_serial, profile_name)

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
        if self.mfa_serial:
            how += " with MFA"
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


def _mfa_prompter(
    role_arn: str | None, serial: str | None, token: str | Callable[[str], str] | None
) -> Callable[[str], str] | None:
    """What botocore asks for the MFA code (it passes a prompt), from ``mfa_token``: a callable
    asked on every assumption, or a code good for the first one only (AWS refuses a code twice)."""
    if serial is None:
        if token is not None:
            raise PolicyError("mfa_token needs mfa_serial, the MFA device's ARN", field="mfa_token")
        return None
    if role_arn is None:
        raise PolicyError(
            "MFA is used when SecureSession assumes a role: pass role_arn= too (a profile that "
            "assumes its role with mfa_serial needs neither)",
            field="mfa_serial",
        )
    if not isinstance(serial, str) or not _MFA_SERIAL.match(serial):
        raise PolicyError(
            f"{serial!r} is not an MFA device: expected its ARN, like "
            "arn:aws:iam::111122223333:mfa/ada, or a hardware device's serial number",
            field="mfa_serial",
        )
    if token is None:
        raise PolicyError(
            "mfa_serial needs mfa_token: the six-digit code, or a callable that returns one "
            "(getpass.getpass prompts for it)",
            field="mfa_token",
        )
    if callable(token):
        return lambda prompt: _checked_code(token(prompt))
    code = _checked_code(token)
    used = False

    def once(prompt: str) -> str:
        nonlocal used
        if used:
            raise SafeAIError(
                "the session's credentials expired and the MFA code given as mfa_token was "
                "already used (AWS accepts a code once): pass mfa_token=getpass.getpass, or "
                "another callable, to be asked for a new code whenever they are refreshed"
            )
        used = True
        return code

    return once


def _checked_code(code: object) -> str:
    text = code.strip() if isinstance(code, str) else code
    if not isinstance(text, str) or not _MFA_CODE.match(text):
        raise PolicyError(
            "an MFA code is the six digits the device shows, like 123456", field="mfa_token"
        )
    return text


def _how_obtained(
    core: Any, role_arn: str | None, mfa_serial: str | None, profile_name: str | None
) -> str:
    """How the session's credentials are obtained, for the audit record (never a secret)."""
    if role_arn:
        return f"assumed-role {role_arn}" + (" with MFA" if mfa_serial else " without MFA")
    scoped = core.get_scoped_config() if profile_name else {}
    if scoped.get("role_arn"):
        mfa = " with MFA" if scoped.get("mfa_serial") else " without MFA"
        return f"assumed-role {scoped['role_arn']} (profile {profile_name}){mfa}"
    return "ambient (not assumed by safeai)"


def _use_assumed_role(
    core: Any,
    role_arn: str,
    *,
    region: str | None,
    profile_name: str | None,
    external_id: str | None,
    source_identity: str | None,
    duration_seconds: int,
    mfa: tuple[str, Callable[[str], str]] | None,
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
    if mfa is not None:
        extra["SerialNumber"] = mfa[0]
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=source.create_client,
        source_credentials=source_credentials,
        role_arn=role_arn,
        extra_args=extra,
        mfa_prompter=mfa[1] if mfa is not None else None,
    )

    class _AssumedRole(CredentialProvider):
        METHOD = "safeai-assume-role"

        def load(self) -> DeferredRefreshableCredentials:
            return DeferredRefreshableCredentials(
                method=self.METHOD, refresh_using=fetcher.fetch_credentials
            )

    core.register_component("credential_provider", CredentialResolver([_AssumedRole()]))
