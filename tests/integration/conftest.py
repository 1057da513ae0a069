"""Settings every SageMaker SDK test needs against the sandbox, applied before the SDK loads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

# The SDK's telemetry sends an unsigned HTTPS request outside boto3 (no network here, and none
# in a private VPC either); the documented opt-out is this SDK configuration setting.
_SDK_CONFIG = """\
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""


@pytest.fixture(scope="session", autouse=True)
def _sdk_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    config = Path(tmp_path_factory.mktemp("sagemaker")) / "config.yaml"
    config.write_text(_SDK_CONFIG)
    settings = {
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
        # v3's ModelTrainer calls iam:SimulatePrincipalPolicy, which moto does not implement.
        "SAGEMAKER_VALIDATE_ROLE": "false",
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
