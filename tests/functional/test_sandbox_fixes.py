"""The sandbox's corrections to moto (``safeai.testing._moto_fixes``), seen as AWS answers them:
through a real boto3 client, over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

if TYPE_CHECKING:
    from safeai.testing import Sandbox

#: A region of its own: moto keeps one account for the whole test session.
REGION = "eu-central-1"


@pytest.mark.parametrize(
    ("name", "given", "answered"),
    [
        ("sandbox-imds-v2", {"MinimumInstanceMetadataServiceVersion": "2"}, "2"),
        ("sandbox-imds-v1", {"MinimumInstanceMetadataServiceVersion": "1"}, "1"),
        # AWS: with no value in CreateNotebookInstance, the notebook accepts IMDSv1.
        ("sandbox-imds-default", None, "1"),
    ],
)
def test_a_notebook_answers_its_metadata_service_setting(
    sandbox: Sandbox, name: str, given: dict[str, str] | None, answered: str
) -> None:
    sm: Any = boto3.Session(region_name=REGION).client("sagemaker")
    request: dict[str, Any] = {
        "NotebookInstanceName": name,
        "InstanceType": "ml.t3.medium",
        "RoleArn": sandbox.policy.execution_role_arn,
    }
    if given is not None:
        request["InstanceMetadataServiceConfiguration"] = given
    sm.create_notebook_instance(**request)
    described = sm.describe_notebook_instance(NotebookInstanceName=name)
    assert described["InstanceMetadataServiceConfiguration"] == {
        "MinimumInstanceMetadataServiceVersion": answered
    }
