"""Controls on the client a request travels through: its endpoint, its region, its account and
the kind of credentials it signs with.

The guard checks them on the client itself rather than on a request field (so they have no
targets), before anything else. The first three cannot be waived: a waiver names a risk a
reviewer accepted for one workload, whereas these say the request would go somewhere the policy
does not describe (clear text, another region or account), where none of the policy's other
controls mean anything. Signing with a long-lived key is such a risk, so that one can be.
"""

from __future__ import annotations

from ._schema import Control, Requirement

__all__ = ["ACCOUNT", "CONTROLS", "REGION", "TEMPORARY_CREDENTIALS", "TLS"]

_ON_THE_CLIENT = Requirement("client")

TLS = Control(
    slug="client.tls",
    title="Guarded clients call AWS over HTTPS only",
    requirement=_ON_THE_CLIENT,
    targets=(),
    waivable=False,
    remedy="create the client without endpoint_url=http://... and without use_ssl=False; "
    "for a local emulator on loopback, set Policy(allow_loopback_http=True).",
)
REGION = Control(
    slug="client.region",
    title="Guarded clients call the region where the policy's role, key and subnets live",
    requirement=_ON_THE_CLIENT,
    targets=(),
    waivable=False,
    remedy="create the client with region_name set to the policy's region (Policy.region, or "
    "the region of Policy.kms_key_id), or guard it with a policy for the client's region.",
)
ACCOUNT = Control(
    slug="client.account",
    title="Guarded clients sign with credentials of the execution role's account",
    requirement=_ON_THE_CLIENT,
    targets=(),
    waivable=False,
    remedy="use credentials of that account (safeai.SecureSession(policy, role_arn=...) "
    "assumes a role there), or guard with a policy for this account.",
)

TEMPORARY_CREDENTIALS = Control(
    slug="client.temporary_credentials",
    title="Guarded clients sign with temporary credentials, never a long-lived IAM user key",
    requirement=_ON_THE_CLIENT,
    targets=(),
    remedy="sign with temporary credentials instead of an IAM user's access key: assume a role "
    "(safeai.SecureSession(policy, role_arn=..., mfa_serial=..., mfa_token=...)), sign in "
    "with IAM Identity Center (a profile with sso_session, then aws sso login), or run where an "
    "instance, container or Lambda role provides them; to accept the key for one workload, "
    'safeai.waive("client.temporary_credentials", reason=...).',
)

CONTROLS: tuple[Control, ...] = (TLS, REGION, ACCOUNT, TEMPORARY_CREDENTIALS)
