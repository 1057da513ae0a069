"""The guard's service (safeai._securing) without AWS: the checks on the client come from the
catalogue, and the resources requests name are cached in one bounded, single-flight cache."""

from __future__ import annotations

import dataclasses
import threading
from types import SimpleNamespace
from typing import Any

import pytest

import safeai
from safeai import _readers, _securing, preflight
from safeai._engine import handled_operations
from safeai.controls import referencing_operations, secured_operations
from safeai.controls._resources import pipeline_executions
from safeai.controls.client import ACCOUNT, REGION, TLS

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/ml",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
)


class _Client:
    """Just enough of a botocore client for the cache key: endpoint, region, access key."""

    def __init__(self, access_key: str = "AKIAEXAMPLE") -> None:
        self.meta = SimpleNamespace(endpoint_url="https://api.sagemaker", region_name="us-east-1")
        self._frozen = SimpleNamespace(access_key=access_key)

    def _get_credentials(self) -> Any:
        return SimpleNamespace(get_frozen_credentials=lambda: self._frozen)


def test_a_client_in_another_region_is_refused_with_the_catalogue_remedy() -> None:
    [found] = _securing._check_region("CreateModel", "eu-west-1", POLICY)
    assert (found.control, found.remedy, found.waivable) == (REGION.slug, REGION.remedy, False)
    assert found.found == "eu-west-1"
    assert "'us-east-1'" in str(found.expected)
    assert _securing._check_region("CreateModel", "us-east-1", POLICY) == []


def test_a_plain_http_endpoint_is_refused_with_the_catalogue_remedy() -> None:
    with pytest.raises(safeai.SecurityViolation) as refused:
        _securing.check_transport("http://127.0.0.1:9", "PutObject", POLICY)
    assert (refused.value.control, refused.value.remedy) == (TLS.slug, TLS.remedy)
    assert not refused.value.waivable
    lenient = dataclasses.replace(POLICY, allow_loopback_http=True)
    _securing.check_transport("http://127.0.0.1:9", "PutObject", lenient)
    with pytest.raises(safeai.SecurityViolation):
        _securing.check_transport("http://127.0.0.1.nip.io", "PutObject", lenient)


def test_the_account_remedy_is_the_catalogue_s() -> None:
    assert "SecureSession" in ACCOUNT.remedy


def test_the_service_acts_on_the_engine_s_references_and_executions_operations() -> None:
    secured = secured_operations()
    assert handled_operations() <= secured
    assert referencing_operations() <= secured
    assert pipeline_executions() <= secured


def test_referenced_resources_are_cached_per_client_scope() -> None:
    calls: list[str] = []

    def read(name: str) -> dict[str, str]:
        calls.append(name)
        return {"ModelName": name}

    client = _Client()
    for _ in range(2):
        assert _readers._describe(client, "model", "m", lambda: read("m")) == {"ModelName": "m"}
    _readers._describe(_Client("AKIAOTHER"), "model", "m", lambda: read("m"))
    assert calls == ["m", "m"], "another access key (account) asks again"
    _readers._describe(client, "endpoint", "e", lambda: read("e"), cached=False)
    _readers._describe(client, "endpoint", "e", lambda: read("e"), cached=False)
    assert calls == ["m", "m", "e", "e"], "what can change in place is never kept"


def test_the_reference_cache_is_bounded_least_recently_used_first() -> None:
    client = _Client()
    limit = _readers._MAX_CACHED
    for index in range(limit + 1):
        _readers._describe(client, "model", f"m{index}", dict)
    assert len(_readers._cache) == limit
    asked: list[str] = []

    def read(name: str) -> dict[str, str]:
        asked.append(name)
        return {}

    _readers._describe(client, "model", "m0", lambda: read("m0"))
    _readers._describe(client, "model", f"m{limit}", lambda: read("last"))
    assert asked == ["m0"], "the oldest went first; the newest is kept"


def test_concurrent_reads_of_one_resource_ask_aws_once() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> dict[str, str]:
        calls.append(1)
        started.set()
        release.wait(5)
        return {"ModelName": "m"}

    client = _Client()
    threads = [
        threading.Thread(target=lambda: _readers._describe(client, "model", "m", slow))
        for _ in range(4)
    ]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == [1]


def test_one_public_reset_forgets_the_referenced_resources_too() -> None:
    client = _Client()
    _readers._describe(client, "model", "m", dict)
    assert len(_readers._cache) == 1
    preflight.clear_caches()
    assert len(_readers._cache) == 0


def test_an_account_is_asked_once_per_access_key_until_the_caches_are_cleared() -> None:
    from safeai.preflight import caller_account

    asked: list[str] = []

    class _Sts:
        def get_caller_identity(self) -> dict[str, str]:
            asked.append("sts")
            return {"Account": "111122223333"}

    for _ in range(2):
        assert caller_account(_Client(), _Sts) == "111122223333"
    assert asked == ["sts"]
    preflight.clear_caches()
    caller_account(_Client(), _Sts)
    assert asked == ["sts", "sts"]
