"""Secure a request you build yourself with the pure engine: no client, no network.

``safeai.enforce`` is what every door calls. Use it to check requests in a code generator, a
CI step, or a test, or to see what the guard would send.

Run it offline against the sandbox: ``python -m safeai.testing examples/enforce_offline.py``
(the sandbox only provides the ``SAFEAI_*`` variables; ``enforce`` itself calls nothing).
"""

from __future__ import annotations

import json
from typing import Any

import safeai

REQUEST: dict[str, Any] = {
    "ProcessingJobName": "churn-features",
    "AppSpecification": {
        "ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1"
    },
    "ProcessingResources": {
        "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30}
    },
    "ProcessingOutputConfig": {
        "Outputs": [
            {
                "OutputName": "features",
                "S3Output": {
                    "S3Uri": "s3://safeai-sandbox-ml-data/features/",
                    "LocalPath": "/opt/ml/processing/output",
                    "S3UploadMode": "EndOfJob",
                },
            }
        ]
    },
}


def main() -> None:
    policy = safeai.Policy.load()

    secured, decisions = safeai.enforce("CreateProcessingJob", REQUEST, policy)
    for decision in decisions:
        print(f"{decision.outcome:<9} {decision.control:<40} {decision.path}")
    print(json.dumps(secured["NetworkConfig"], indent=2))
    assert "NetworkConfig" not in REQUEST  # the input is left as it was

    weaker = {**REQUEST, "NetworkConfig": {"EnableNetworkIsolation": False}}
    try:
        safeai.enforce("CreateProcessingJob", weaker, policy)
    except safeai.SecurityViolation as violation:
        print(f"refused: {violation.control} at {violation.path} (found {violation.found!r})")

    _, untouched = safeai.enforce("ListTrainingJobs", {"MaxResults": 10}, policy)
    print("decisions for an operation no control covers:", untouched)


if __name__ == "__main__":
    main()
