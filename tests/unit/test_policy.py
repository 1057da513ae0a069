"""Policy validation and loading: every error names the field, and the file or variable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import safeai

if TYPE_CHECKING:
    from pathlib import Path

ROLE = "arn:aws:iam::111122223333:role/ml-training"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VALID: dict[str, Any] = {
    "execution_role_arn": ROLE,
    "kms_key_id": KEY,
    "subnets": ["subnet-0a1", "subnet-0b2"],
    "security_group_ids": ["sg-0c3"],
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SAFEAI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_valid_policy_normalises_lists_and_derives_region_and_account() -> None:
    policy = safeai.Policy(**VALID)
    assert policy.subnets == ("subnet-0a1", "subnet-0b2")
    assert policy.effective_region == "us-east-1"
    assert policy.account_id == "111122223333"
    assert policy == safeai.Policy(**VALID)
    assert hash(policy) == hash(safeai.Policy(**VALID))
    with pytest.raises(AttributeError):
        policy.kms_key_id = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("execution_role_arn", "ml-training", "is not a role ARN"),
        ("kms_key_id", "my key", "is not a KMS key"),
        ("subnets", ["sg-0c3"], "is not a subnet id"),
        ("subnets", "subnet-0a1", "expected a list"),
        ("security_group_ids", ["subnet-0a1"], "is not a security group id"),
        ("allowed_role_arns", ["arn:aws:iam::1:user/x"], "is not a role ARN"),
        ("allowed_kms_key_ids", ["nope"], "is not a KMS key"),
        ("network_isolation", "yes", "expected true or false"),
        ("pii", "maybe", "expected one of block, warn, off"),
        ("waivers", {"training.nope": "why"}, "is not a control slug"),
        ("waivers", {"training.vpc": "  "}, "needs a written reason"),
        ("region", "Virginia", "is not a region name"),
        ("region", "eu-west-1", "differs from the region of kms_key_id"),
        ("preflight_ttl_seconds", -1, "expected a number of seconds >= 0"),
        ("required_vpc_endpoints", ["sagemaker api"], "is not a VPC endpoint service suffix"),
    ],
)
def test_malformed_values_raise_policy_error_naming_the_field(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(safeai.PolicyError) as refused:
        safeai.Policy(**{**VALID, field: value})
    assert refused.value.field == field
    assert str(refused.value).startswith(f"{field}: ")
    assert message in str(refused.value)


def test_load_reads_safeai_toml_searching_upward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "safeai.toml").write_text(
        f'execution_role_arn = "{ROLE}"\nkms_key_id = "{KEY}"\n'
        'subnets = ["subnet-0a1"]\nsecurity_group_ids = ["sg-0c3"]\n'
        '[waivers]\n"training.network_isolation" = "needs pip; INC-7"\n'
    )
    nested = tmp_path / "project" / "notebooks"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    policy = safeai.Policy.load()
    assert policy.execution_role_arn == ROLE
    assert dict(policy.waivers) == {"training.network_isolation": "needs pip; INC-7"}


def test_load_reads_the_tool_table_of_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n[tool.safeai]\nexecution_role_arn = "{ROLE}"\n'
        f'kms_key_id = "{KEY}"\nnetwork_isolation = false\n'
    )
    policy = safeai.Policy.load()
    assert policy.network_isolation is False


def test_pyproject_without_a_tool_table_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "safeai.toml").write_text(f'kms_key_id = "{KEY}"\n')
    child = tmp_path / "child"
    child.mkdir()
    (child / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.chdir(child)
    assert safeai.Policy.load().kms_key_id == KEY


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "safeai.toml").write_text(f'kms_key_id = "{KEY}"\nsubnets = ["subnet-0a1"]\n')
    monkeypatch.setenv("SAFEAI_SUBNETS", "subnet-0b2, subnet-0c3")
    monkeypatch.setenv("SAFEAI_PREFLIGHT", "false")
    monkeypatch.setenv("SAFEAI_PREFLIGHT_TTL_SECONDS", "60")
    policy = safeai.Policy.load()
    assert policy.subnets == ("subnet-0b2", "subnet-0c3")
    assert policy.preflight is False
    assert policy.preflight_ttl_seconds == 60.0


def test_explicit_path_wins(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text(f'execution_role_arn = "{ROLE}"\n')
    assert safeai.Policy.load(config).execution_role_arn == ROLE


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('subnetz = ["subnet-0a1"]\n', "safeai.toml: subnetz: unknown key"),
        ('subnets = ["sg-1"]\n', "safeai.toml: subnets: 'sg-1' is not a subnet id"),
        ("subnets = [\n", "safeai.toml: not valid TOML"),
    ],
)
def test_configuration_errors_name_file_and_key(
    tmp_path: Path, content: str, expected: str
) -> None:
    (tmp_path / "safeai.toml").write_text(content)
    with pytest.raises(safeai.PolicyError) as refused:
        safeai.Policy.load()
    assert expected in str(refused.value)
    assert str(tmp_path) in str(refused.value)


def test_pyproject_errors_name_the_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.safeai]\npii = "sometimes"\n')
    with pytest.raises(safeai.PolicyError, match=r"pyproject.toml \[tool.safeai\]: pii: expected"):
        safeai.Policy.load()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SAFEAI_SUBNET", "subnet-0a1", "environment variable SAFEAI_SUBNET: unknown variable"),
        ("SAFEAI_WAIVERS", "{}", "waivers belong in a reviewed configuration file"),
        ("SAFEAI_NETWORK_ISOLATION", "maybe", "SAFEAI_NETWORK_ISOLATION: expected true or false"),
        ("SAFEAI_KMS_KEY_ID", "bad key", "environment variable SAFEAI_KMS_KEY_ID: kms_key_id:"),
    ],
)
def test_environment_errors_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(safeai.PolicyError) as refused:
        safeai.Policy.load()
    assert expected in str(refused.value)


def test_no_configuration_anywhere_says_where_it_looked() -> None:
    with pytest.raises(safeai.PolicyError, match="no configuration found"):
        safeai.Policy.load()


PROFILED = f"""
[tool.safeai]
execution_role_arn = "{ROLE}"
kms_key_id = "{KEY}"
subnets = ["subnet-0a1"]
security_group_ids = ["sg-0c3"]
mode = "report"

[tool.safeai.profiles.prod]
mode = "enforce"
subnets = ["subnet-0b2"]
tags = {{ cost-center = "ml-42" }}

[tool.safeai.profiles.broken]
subnets = ["sg-1"]
pii = "maybe"
"""


def test_a_profile_inherits_from_the_top_level_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROFILED)
    base = safeai.Policy.load()
    prod = safeai.Policy.load(profile="prod")
    assert (base.mode, base.subnets) == ("report", ("subnet-0a1",))
    assert (prod.mode, prod.subnets) == ("enforce", ("subnet-0b2",))
    assert prod.kms_key_id == KEY
    assert dict(prod.tags) == {"cost-center": "ml-42"}


def test_precedence_is_code_then_environment_then_profile_then_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeai._policy import resolve

    (tmp_path / "pyproject.toml").write_text(PROFILED)
    monkeypatch.setenv("SAFEAI_PROFILE", "prod")
    monkeypatch.setenv("SAFEAI_MODE", "warn")
    monkeypatch.setenv("SAFEAI_TAGS", "cost-center=ml-7, owner=ana")
    assert safeai.Policy.load().mode == "warn"
    assert dict(safeai.Policy.load().tags) == {"cost-center": "ml-7", "owner": "ana"}
    assert safeai.Policy.load(mode="enforce").mode == "enforce"
    values, sources = resolve(overrides={"mode": "enforce"})
    assert values["mode"] == "enforce"
    assert sources["mode"] == "code (Policy.load keyword)"
    assert sources["tags"] == "environment variable SAFEAI_TAGS"
    assert sources["subnets"].endswith("[tool.safeai.profiles.prod]")
    assert sources["kms_key_id"].endswith("[tool.safeai]")


def test_profile_errors_name_file_profile_and_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROFILED)
    with pytest.raises(safeai.PolicyError) as refused:
        safeai.Policy.load(profile="broken")
    assert "[tool.safeai.profiles.broken]: subnets: 'sg-1' is not a subnet id" in str(refused.value)
    with pytest.raises(
        safeai.PolicyError, match=r"no profile 'staging' \(profiles: broken, prod\)"
    ):
        safeai.Policy.load(profile="staging")


def test_check_lists_every_problem_of_every_profile(tmp_path: Path) -> None:
    from safeai._policy import check

    (tmp_path / "pyproject.toml").write_text(PROFILED)
    problems = [str(problem) for problem in check()]
    assert len(problems) == 2
    assert any("profiles.broken]: subnets:" in problem for problem in problems)
    assert any(
        "profiles.broken]: pii: expected one of block, warn, off" in problem for problem in problems
    )
