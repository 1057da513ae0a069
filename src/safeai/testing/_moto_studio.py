"""Studio user profiles for moto, which emulates Studio domains but no user profiles.

:func:`install` adds the operations below to moto's own SageMaker response class, so a real
boto3 ``sagemaker`` client reaches them over moto's wire protocol (JSON), in server mode
(:class:`~safeai.testing.Sandbox`, ``ThreadedMotoServer``) and under ``mock_aws`` alike. It is
idempotent and process-wide.

* ``CreateUserProfile``: in a domain moto knows (``ResourceNotFound`` otherwise; a name taken in
  that domain is ``ResourceInUse``); ``UserSettings`` and the single sign-on identity are kept
  as the request gave them. ``Tags`` are accepted and not kept.
* ``DescribeUserProfile``: AWS's answer, ``UserProfileArn``
  (``arn:aws:sagemaker:<region>:<account>:user-profile/<domain id>/<name>``) and ``UserSettings``
  as sent; the profile is ``InService`` at once.
* ``UpdateUserProfile``: each top-level member of the request's ``UserSettings`` replaces the
  stored one.
* ``ListUserProfiles``: ``DomainIdEquals``, ``UserProfileNameContains``, ``SortBy``
  (``CreationTime``, the default, or ``LastModifiedTime``), ``SortOrder`` (``Ascending`` by
  default), pages of ``MaxResults`` (at most 100, 10 by default) with ``NextToken``.
* ``DeleteUserProfile``: gone at once.

Profiles are kept per emulated account and region, on moto's SageMaker backend: moto's reset
(the sandbox's, at start and on :meth:`~safeai.testing.Sandbox.reset`) forgets them.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

__all__ = ["install"]

_installed = False
_install_lock = threading.Lock()
#: The default and largest page of ``ListUserProfiles``.
_DEFAULT_PAGE = 10
_LARGEST_PAGE = 100
_SUMMARY = ("DomainId", "UserProfileName", "Status", "CreationTime", "LastModifiedTime")
#: The members of a ``CreateUserProfile`` request kept as they were sent.
_KEPT = ("SingleSignOnUserIdentifier", "SingleSignOnUserValue", "UserSettings")


def install() -> None:
    """Teach moto's SageMaker backend Studio user profiles (see the module docstring).

    Idempotent and process-wide: it patches moto's ``SageMakerResponse`` class, which serves
    ``mock_aws`` and every ``ThreadedMotoServer`` in this process.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.sagemaker.responses import SageMakerResponse

        for name, handler in _HANDLERS.items():
            setattr(SageMakerResponse, name, handler)
        _installed = True


def _profiles(response: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(domain id, profile name) -> the stored profile, in the response's account and region."""
    backend = response.sagemaker_backend
    found: dict[tuple[str, str], dict[str, Any]] | None = getattr(
        backend, "safeai_user_profiles", None
    )
    if found is None:
        found = {}
        backend.safeai_user_profiles = found
    return found


def _named(response: Any) -> tuple[str, str]:
    return str(response._get_param("DomainId")), str(response._get_param("UserProfileName"))


def _profile(response: Any) -> dict[str, Any]:
    from moto.sagemaker.exceptions import ResourceNotFound

    domain, name = _named(response)
    profile = _profiles(response).get((domain, name))
    if profile is None:
        raise ResourceNotFound(message=f"User profile {name!r} does not exist in domain {domain}.")
    return profile


def _create_user_profile(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound
    from moto.sagemaker.utils import arn_formatter

    domain, name = _named(self)
    backend = self.sagemaker_backend
    if domain not in backend.domains:
        raise ResourceNotFound(message=f"Domain {domain!r} does not exist.")
    profiles = _profiles(self)
    if (domain, name) in profiles:
        raise ResourceInUseException(
            message=f"User profile {name!r} already exists in domain {domain}."
        )
    now = datetime.now(timezone.utc)
    arn = arn_formatter("user-profile", f"{domain}/{name}", backend.account_id, backend.region_name)
    profile: dict[str, Any] = {
        "DomainId": domain,
        "UserProfileArn": arn,
        "UserProfileName": name,
        "HomeEfsFileSystemUid": str(200000 + len(profiles)),
        "Status": "InService",
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    for member in _KEPT:
        value = self._get_param(member)
        if value is not None:
            profile[member] = value
    profiles[(domain, name)] = profile
    return ActionResult({"UserProfileArn": arn})


def _describe_user_profile(self: Any) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(_profile(self))


def _update_user_profile(self: Any) -> Any:
    from moto.core.responses import ActionResult

    profile = _profile(self)
    settings = self._get_param("UserSettings")
    if settings:
        profile["UserSettings"] = {**profile.get("UserSettings", {}), **settings}
    profile["LastModifiedTime"] = datetime.now(timezone.utc)
    return ActionResult({"UserProfileArn": profile["UserProfileArn"]})


def _delete_user_profile(self: Any) -> Any:
    from moto.core.responses import ActionResult

    profile = _profile(self)
    del _profiles(self)[(profile["DomainId"], profile["UserProfileName"])]
    return ActionResult({})


def _list_user_profiles(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError

    domain = self._get_param("DomainIdEquals")
    contains = self._get_param("UserProfileNameContains")
    sort_by = self._get_param("SortBy") or "CreationTime"
    descending = self._get_param("SortOrder") == "Descending"
    size = int(self._get_param("MaxResults") or _DEFAULT_PAGE)
    token = self._get_param("NextToken")
    if not 1 <= size <= _LARGEST_PAGE:
        raise ValidationError(message=f"MaxResults must be between 1 and {_LARGEST_PAGE}.")
    profiles = sorted(
        (
            profile
            for profile in _profiles(self).values()
            if (domain is None or profile["DomainId"] == domain)
            and (contains is None or contains in profile["UserProfileName"])
        ),
        key=lambda profile: (profile[sort_by], profile["DomainId"], profile["UserProfileName"]),
        reverse=descending,
    )
    try:
        start = int(token or 0)
    except ValueError:
        raise ValidationError(message=f"Invalid NextToken {token!r}.") from None
    page = profiles[start : start + size]
    answer: dict[str, Any] = {
        "UserProfiles": [{key: profile[key] for key in _SUMMARY} for profile in page]
    }
    if start + size < len(profiles):
        answer["NextToken"] = str(start + size)
    return ActionResult(answer)


_HANDLERS = {
    "create_user_profile": _create_user_profile,
    "describe_user_profile": _describe_user_profile,
    "update_user_profile": _update_user_profile,
    "delete_user_profile": _delete_user_profile,
    "list_user_profiles": _list_user_profiles,
}
