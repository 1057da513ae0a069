"""The sandbox serves the AWS endpoints SDKs hard-code, so SDK code runs in it unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest

import safeai
from safeai.testing._endpoints import serve_hard_coded_endpoints
from safeai.testing._sandbox import ACCOUNT

if TYPE_CHECKING:
    from safeai.testing import Sandbox


@pytest.mark.parametrize(
    "endpoint",
    [
        # What SageMaker SDK v2's default_bucket() and account_id() ask (sts_regional_endpoint).
        "https://sts.us-east-1.amazonaws.com",
        "https://sts.amazonaws.com",
        "https://sts.cn-north-1.amazonaws.com.cn",
    ],
)
def test_a_client_made_for_an_aws_endpoint_reaches_the_sandbox(
    sandbox: Sandbox, endpoint: str
) -> None:
    sts = boto3.Session(region_name="us-east-1").client("sts", endpoint_url=endpoint)

    assert sts.meta.endpoint_url == sandbox.endpoint_url
    assert sts.get_caller_identity()["Account"] == ACCOUNT


def test_so_does_one_made_under_the_guard(sandbox: Sandbox) -> None:
    with safeai.guarded(sandbox.policy):
        sts = boto3.client("sts", endpoint_url="https://sts.us-east-1.amazonaws.com")
        assert sts.get_caller_identity()["Account"] == ACCOUNT


@pytest.mark.parametrize(
    "endpoint",
    ["https://127.0.0.1:9", "https://sts.example.com", "https://amazonaws.com.evil.example"],
)
def test_an_endpoint_that_is_not_aws_is_left_alone(sandbox: Sandbox, endpoint: str) -> None:
    client = boto3.Session(region_name="us-east-1").client("sts", endpoint_url=endpoint)

    assert client.meta.endpoint_url == endpoint


def test_nothing_is_redirected_once_no_sandbox_is_open(sandbox: Sandbox) -> None:
    serve_hard_coded_endpoints(None)
    try:
        client = boto3.Session(region_name="us-east-1").client(
            "sts", endpoint_url="https://sts.us-east-1.amazonaws.com"
        )
        assert client.meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"
    finally:
        serve_hard_coded_endpoints(sandbox.endpoint_url)
