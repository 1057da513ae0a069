"""Identity: no long-lived keys, MFA for people, a least-privilege caller role.

1. A client signing with an IAM user's long-lived access key (``AKIA...``) is refused at its
   first call; the message shows only the key's last four characters.
2. ``SecureSession`` assumes the caller role with MFA: ``mfa_token`` is the six-digit code, or a
   callable asked again at every refresh (``getpass.getpass`` in a notebook). Here a stand-in
   callable answers, as the sandbox accepts any code.
3. ``safeai.iam.caller_role`` writes that role: trust only the named people (with MFA) and CI
   roles; allow only what the guard secures, with the SCP's conditions.

Run it offline against the sandbox: ``python -m safeai.testing examples/identity.py``.
"""

from __future__ import annotations

import logging

import boto3

import safeai
from safeai import iam


# --8<-- [start:handler]
class PrintAudit(logging.Handler):
    """Print how each request's credentials were obtained, from its audit record."""

    def emit(self, record: logging.LogRecord) -> None:
        audit = getattr(record, "safeai", {})
        if audit.get("event") == "request":
            print(f"  audit: {audit['outcome']} {audit['operation']} as {audit['credentials']}")


# --8<-- [end:handler]


def main() -> None:
    policy = safeai.Policy.load()
    account = policy.account_id
    audit = logging.getLogger("safeai.audit")
    audit.setLevel(logging.INFO)
    audit.addHandler(PrintAudit())

    # --8<-- [start:long-lived]
    user_keys = boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",  # AWS's documentation example key
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region_name=policy.effective_region,
    )
    with safeai.guarded(policy, session=user_keys):
        try:
            user_keys.client("sagemaker").list_training_jobs()
        except safeai.SecurityViolation as refused:
            print(f"refused: {refused.control}: {refused.found}")
    # --8<-- [end:long-lived]

    # --8<-- [start:mfa]
    def ask_for_code(prompt: str) -> str:
        print(f"  ({prompt.strip()} -> 123456)")  # in a notebook: mfa_token=getpass.getpass
        return "123456"

    with safeai.SecureSession(
        policy,
        role_arn=f"arn:aws:iam::{account}:role/ml-caller",
        mfa_serial=f"arn:aws:iam::{account}:mfa/ada",
        mfa_token=ask_for_code,
    ) as session:
        print(session)
        session.client("sagemaker").list_training_jobs()
    # --8<-- [end:mfa]

    # --8<-- [start:caller-role]
    role = iam.caller_role(
        policy,
        principals=[f"arn:aws:iam::{account}:user/ada", f"arn:aws:iam::{account}:role/ci-runner"],
        data_buckets=["safeai-sandbox-ml-data"],
    )
    for statement in role.trust_policy["Statement"]:
        print(f"trust {statement['Sid']}: {statement['Principal']['AWS']}")
    permissions = [s for d in role.permissions_policies for s in d["Statement"]]
    print(
        f"permissions: {len(role.permissions_policies)} document(s), {len(permissions)} "
        f"statements, {sum(s['Effect'] == 'Deny' for s in permissions)} of them Deny"
    )
    # --8<-- [end:caller-role]


if __name__ == "__main__":
    main()
