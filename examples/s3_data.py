"""Secure a data bucket, upload training data through the guard, and see a weakening refused.

Run it offline against the sandbox: ``python -m safeai.testing examples/s3_data.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import boto3

import safeai
from safeai.s3 import secure_bucket


def main() -> None:
    policy = safeai.Policy.load()
    s3 = boto3.client("s3")

    # Create the bucket (or bring an existing one) to the baseline; run it twice: idempotent.
    print(secure_bucket("churn-training-data", client=s3, policy=policy))
    print(secure_bucket("churn-training-data", client=s3, policy=policy))

    with safeai.guarded(policy, client=s3), tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "train.csv"
        data.write_text("label,tenure,spend\n0,12,31.5\n1,2,80.0\n")
        # No encryption arguments: the guard sends SSE-KMS with the policy's key.
        s3.upload_file(str(data), "churn-training-data", "train/train.csv")
        head = s3.head_object(Bucket="churn-training-data", Key="train/train.csv")
        print("stored with:", head["ServerSideEncryption"], head["SSEKMSKeyId"])

        try:
            s3.delete_public_access_block(Bucket="churn-training-data")
        except safeai.SecurityViolation as refused:
            print(f"refused: {refused.control} ({refused.operation})")


if __name__ == "__main__":
    main()
