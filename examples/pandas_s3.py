"""Write a DataFrame to S3 from a notebook, with pandas and s3fs, under the guard.

pandas writes ``s3://`` paths through s3fs, which sends its requests with aiobotocore: the
process-wide guard reaches those clients too, with no change to the notebook's code.

Run it offline against the sandbox: ``python -m safeai.testing examples/pandas_s3.py``.
"""

from __future__ import annotations

import boto3
import pandas as pd

import safeai
from safeai.s3 import secure_bucket


def main() -> None:
    policy = safeai.Policy.load()
    secure_bucket("churn-features", client=boto3.client("s3"), policy=policy)
    # --8<-- [start:pandas]
    safeai.guard(policy)  # once, at the top of the notebook

    frame = pd.DataFrame({"customer": [1, 2, 3], "tenure": [12, 2, 40], "churned": [0, 1, 0]})
    frame.to_csv("s3://churn-features/train/train.csv", index=False)

    try:  # asking s3fs for weaker encryption is refused, and nothing is written
        frame.to_csv(
            "s3://churn-features/train/aes.csv",
            storage_options={"s3_additional_kwargs": {"ServerSideEncryption": "AES256"}},
        )
    except safeai.SecurityViolation as refused:
        print(f"refused: {refused.control} at {refused.path}")
    # --8<-- [end:pandas]
    head = boto3.client("s3").head_object(Bucket="churn-features", Key="train/train.csv")
    print("stored with:", head["ServerSideEncryption"], head["SSEKMSKeyId"])
    print("read back:", len(pd.read_csv("s3://churn-features/train/train.csv")), "rows")


if __name__ == "__main__":
    main()
