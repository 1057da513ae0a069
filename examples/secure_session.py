"""Run SageMaker calls on assumed-role credentials, guarded from birth.

The calling code never holds long-lived keys: the session assumes a role (here one for ML
pipelines, say) with whatever credentials the environment has, refreshes the temporary
credentials before they expire, and guards every SageMaker client it creates.

Run it offline against the sandbox: ``python -m safeai.testing examples/secure_session.py``.
"""

from __future__ import annotations

import logging
import os

import safeai


# --8<-- [start:handler]
class PrintAudit(logging.Handler):
    """Print each audit record's operation, outcome and credentials."""

    def emit(self, record: logging.LogRecord) -> None:
        audit = getattr(record, "safeai", {})
        if audit.get("event") == "request":
            print(f"  audit: {audit['outcome']} {audit['operation']} as {audit['credentials']}")


# --8<-- [end:handler]


def main() -> None:
    # --8<-- [start:audit]
    audit = logging.getLogger("safeai.audit")
    audit.setLevel(logging.INFO)  # records are built only when this logger is enabled for INFO
    audit.addHandler(PrintAudit())
    # --8<-- [end:audit]

    policy = safeai.Policy.load()
    caller_role = os.environ.get(
        "ML_CALLER_ROLE_ARN", f"arn:aws:iam::{policy.account_id}:role/ml-pipeline-caller"
    )
    session = safeai.SecureSession(policy, role_arn=caller_role, source_identity="churn-pipeline")
    print(session)
    # session.boto_session is a plain boto3.Session on the assumed role whose SageMaker clients are
    # guarded: hand it to SDKs, e.g. sagemaker.Session(boto_session=session.boto_session).
    boto_session = session.boto_session
    print("caller:", boto_session.client("sts").get_caller_identity()["Arn"])

    sagemaker = boto_session.client("sagemaker")  # the same as session.client("sagemaker")
    sagemaker.create_model(
        ModelName="churn-xgboost",
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
            "ModelDataUrl": "s3://safeai-sandbox-ml-data/models/churn/model.tar.gz",
        },
    )
    model = sagemaker.describe_model(ModelName="churn-xgboost")
    print("model role:", model["ExecutionRoleArn"])
    print("model subnets:", model["VpcConfig"]["Subnets"])
    print("model network isolation:", model["EnableNetworkIsolation"])
    session.close()  # stop guarding this session's clients


if __name__ == "__main__":
    main()
