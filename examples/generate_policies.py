"""Generate the execution role, its trust policy and the SCPs for a policy, then create the role.

The generators are pure: they read the policy and their arguments and call nothing. Only
``ensure_role`` calls IAM, and a second call with the same documents changes nothing.

Run it offline against the sandbox: ``python -m safeai.testing examples/generate_policies.py``.
"""

from __future__ import annotations

import json

import safeai
import safeai.iam


def main() -> None:
    policy = safeai.Policy.load()
    # The sandbox's policy names a role (hence the account), a region and a key ARN.
    account, region, key = policy.account_id, policy.effective_region, policy.kms_key_id
    assert account is not None
    assert region is not None
    assert key is not None

    role_policy = safeai.iam.execution_role_policy(
        inputs=["s3://safeai-sandbox-ml-data/train/"],
        outputs=["s3://safeai-sandbox-ml-data/models/"],
        kms_key_arn=key,
        region=region,
        account=account,
        subnets=policy.subnets,
        security_group_ids=policy.security_group_ids,
    )
    trust = safeai.iam.trust_policy(account, region, ["training-job", "processing-job"])
    print(json.dumps(role_policy["Statement"][:3], indent=2))
    print(f"role policy: {len(role_policy['Statement'])} statements")
    print(json.dumps(trust, indent=2))

    for number, document in enumerate(safeai.scp(policy), start=1):
        sids = [statement["Sid"] for statement in document["Statement"]]
        size = len(json.dumps(document, separators=(",", ":")))  # as Organizations counts it
        print(f"SCP {number}: {size:,} characters: {', '.join(sids)}")

    for attempt in ("first", "second"):
        changes = safeai.iam.ensure_role("churn-training", trust=trust, policy=role_policy)
        print(f"{attempt} ensure_role: {'; '.join(changes) or 'nothing changed'}")


if __name__ == "__main__":
    main()
