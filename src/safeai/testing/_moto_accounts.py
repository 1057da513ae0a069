"""Role assumption into an organization's accounts in moto as AWS does it: only into a role
that exists.

moto's ``AssumeRole`` hands out credentials for any role ARN, in any account, whether or not the
role exists ("the role does not need to exist", its docstring), which is how a test switches to
an emulated account it has not set up. AWS refuses a role that does not exist with
``AccessDenied``, and an organization audit must report such an account as unread, so
:func:`install` makes moto refuse it too for the member accounts of an emulated organization
(made by ``organizations:CreateAccount``, which creates ``OrganizationAccountAccessRole`` in
them, as AWS does). Elsewhere moto's leniency is kept, for the tests that rely on it.
Idempotent and process-wide.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["install"]

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Refuse a cross-account ``AssumeRole`` of a role that does not exist (see above)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.sts.responses import TokenResponse

        original = TokenResponse.assume_role

        def assume_role(self: Any) -> Any:
            _refuse_missing_role(self.current_account, self._get_param("RoleArn"))
            return original(self)

        TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
        _installed = True


def _refuse_missing_role(caller_account: str, role_arn: object) -> None:
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError

    parts = role_arn.split(":") if isinstance(role_arn, str) else []
    if len(parts) < 6 or parts[4] == caller_account or not _member_account(parts[4]):
        return
    partition, account = parts[1], parts[4]
    iam = iam_backends[account][partition if partition != "aws" else "global"]
    if any(role.arn == role_arn for role in iam.roles.values()):
        return
    raise STSClientError(
        "AccessDenied",
        f"User: arn:{partition}:iam::{caller_account}:root is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}",
    )


def _member_account(account: str) -> bool:
    """Whether ``account`` was made by an emulated organization's ``CreateAccount``."""
    from moto.organizations.models import organizations_backends

    return any(
        backend.org is not None and any(member.id == account for member in backend.accounts)
        for by_partition in list(organizations_backends.values())
        for backend in list(by_partition.values())
    )
