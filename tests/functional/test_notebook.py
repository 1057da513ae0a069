"""The notebook door in a real IPython shell: %load_ext safeai, %safeai status, HTML reprs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

import safeai
from tests.conftest import job

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safeai.testing import Sandbox

IPython = pytest.importorskip("IPython")


@pytest.fixture
def shell(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    policy = sandbox.policy
    monkeypatch.setenv("SAFEAI_EXECUTION_ROLE_ARN", str(policy.execution_role_arn))
    monkeypatch.setenv("SAFEAI_KMS_KEY_ID", str(policy.kms_key_id))
    monkeypatch.setenv("SAFEAI_SUBNETS", ",".join(policy.subnets))
    monkeypatch.setenv("SAFEAI_SECURITY_GROUP_IDS", ",".join(policy.security_group_ids))
    monkeypatch.setenv("SAFEAI_MODE", "warn")
    from IPython.testing import globalipapp

    # The test shell is started once per process (a second start answers None); afterwards
    # the module's get_ipython is the started shell.
    globalipapp.start_ipython()
    ip = globalipapp.get_ipython()
    yield ip
    ip.run_line_magic("unload_ext", "safeai")


def test_load_ext_guards_the_kernel_and_status_shows_mode_and_requests(
    shell: Any, capsys: Any
) -> None:
    shell.run_line_magic("load_ext", "safeai")
    line = capsys.readouterr().out
    assert line.startswith("safeai: guarding every SageMaker client in this kernel (mode warn")
    boto3.client("sagemaker").create_training_job(**job("from-a-notebook"))
    status = shell.run_line_magic("safeai", "status")
    text = repr(status)
    assert "mode             warn" in text
    assert "secured   CreateTrainingJob from-a-notebook" in text
    assert "injected     training.vpc" in text
    page = status._repr_html_()
    assert "<th style='text-align:left'>mode</th><td style='text-align:left'>warn</td>" in page
    assert "CreateTrainingJob from-a-notebook" in page


def test_the_extension_shows_refusals_and_decisions_as_html_while_loaded(
    shell: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = shell.display_formatter.formatters["text/html"]
    # A terminal shell renders text only; Jupyter asks for HTML as well.
    monkeypatch.setattr(html, "enabled", True)
    policy = safeai.Policy(
        execution_role_arn="arn:aws:iam::111122223333:role/ml",
        kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        subnets=["subnet-0a1"],
        security_group_ids=["sg-0c3"],
    )
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateModel", {"EnableNetworkIsolation": False, "Note": "<b>"}, policy)
    _, decisions = safeai.enforce("CreateModel", {"ModelName": "<m>"}, policy)
    assert html(decisions[0]) is None, "a Decision carries no notebook code of its own"

    shell.run_line_magic("load_ext", "safeai")
    page = html(refused.value)
    assert "model.network_isolation" in page
    assert "safeai.waive(&quot;model.network_isolation&quot;" in page
    assert "<td style='text-align:left'>injected</td>" in html(decisions[0])

    shell.run_line_magic("unload_ext", "safeai")
    assert html(decisions[0]) is None, "unloading the extension forgets its HTML forms"
