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


def test_load_lists_every_problem_with_a_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "safeai.toml"
    config.write_text(
        'subnetz = ["subnet-0a1"]\npii = "blok"\nsecurity_group_ids = ["subnet-0a1"]\n'
        '[waivers]\n"training.isolation" = "pip at start-up"\n'
    )
    monkeypatch.setenv("SAFEAI_SUBNET", "subnet-0b2")
    with pytest.raises(safeai.PolicyError) as refused:
        safeai.Policy.load()
    message = str(refused.value)
    for expected in (
        "environment variable SAFEAI_SUBNET: unknown variable; did you mean 'SAFEAI_SUBNETS'?",
        f"{config}: subnetz: unknown key; did you mean 'subnets'?",
        f"{config}: pii: expected one of block, warn, off, found 'blok'; did you mean 'block'?",
        f"{config}: security_group_ids: 'subnet-0a1' is not a security group id; expected one "
        "like 'sg-",
        f"{config}: waivers: 'training.isolation' is not a control slug; did you mean "
        "'training.network_isolation'?",
    ):
        assert expected in message
    assert "and 4 more problem(s):" in message
    # The error's own field and source are those of the first problem.
    assert refused.value.source == str(config)


def test_an_unknown_key_without_a_close_match_lists_the_keys(tmp_path: Path) -> None:
    (tmp_path / "safeai.toml").write_text('colour = "blue"\n')
    with pytest.raises(safeai.PolicyError, match=r"colour: unknown key; expected one of .*subnets"):
        safeai.Policy.load()


def test_a_misspelt_profiles_table_is_named(tmp_path: Path) -> None:
    (tmp_path / "safeai.toml").write_text(f'kms_key_id = "{KEY}"\n[profile.prod]\nmode = "warn"\n')
    with pytest.raises(safeai.PolicyError, match=r"profile: unknown key; did you mean 'profiles'"):
        safeai.Policy.load()


def test_check_profile_names_the_profiles_and_where_the_file_was_found(tmp_path: Path) -> None:
    from safeai._policy import check_profile

    with pytest.raises(safeai.PolicyError) as refused:
        check_profile("prod")
    assert "profile 'prod' given, but no configuration file was found" in str(refused.value)
    assert f"from {tmp_path} upward" in str(refused.value)
    assert "$SAFEAI_CONFIG is not set" in str(refused.value)
    (tmp_path / "pyproject.toml").write_text(PROFILED)
    check_profile("prod")
    with pytest.raises(safeai.PolicyError) as refused:
        check_profile("prd")
    assert str(refused.value).startswith(
        f"{tmp_path / 'pyproject.toml'}: no profile 'prd' (profiles: broken, prod); "
        "did you mean 'prod'? A profile is a [tool.safeai.profiles.<name>] table"
    )


KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _in_each_key_field(key: str) -> list[tuple[str, Any]]:
    return [("kms_key_id", key), ("allowed_kms_key_ids", [key])]


MULTI_REGION_KEY_ID = "mrk-1234abcd12ab34cd56ef1234567890ab"


@pytest.mark.parametrize(
    "key",
    [
        KEY_ID,
        MULTI_REGION_KEY_ID,
        f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}",
        f"arn:aws:kms:us-east-1:111122223333:key/{MULTI_REGION_KEY_ID}",
        "alias/ml-data",
        "arn:aws:kms:us-east-1:111122223333:alias/ml-data",
        # An alias that merely starts with "aws" is the customer's own.
        "alias/awsome-ml",
    ],
)
def test_well_formed_customer_keys_are_accepted(key: str) -> None:
    assert safeai.Policy(kms_key_id=key, allowed_kms_key_ids=[key]).kms_key_id == key


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "arn:aws:kms:us-east-1:111122223333:key/not-a-uuid",
            "'not-a-uuid' after key/ is not a key id",
        ),
        # 32 hex digits are a key id only after mrk- (a multi-Region key).
        (
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd12ab34cd56ef1234567890ab",
            "after key/ is not a key id",
        ),
        ("1234abcd12ab34cd56ef1234567890ab", "is not a KMS key id, key ARN, alias or alias ARN"),
        ("1234abcd-12ab-34cd-56ef-1234567890", "is not a KMS key id, key ARN, alias or alias ARN"),
        ("arn:aws:kms:us-east-1:1111:key/" + KEY_ID, "is not a KMS key ARN"),
    ],
)
def test_malformed_key_ids_are_refused_with_an_example(key: str, message: str) -> None:
    for field, value in _in_each_key_field(key):
        with pytest.raises(safeai.PolicyError) as refused:
            safeai.Policy(**{field: value})
        assert refused.value.field == field
        assert message in str(refused.value)
        assert f"like arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}" in str(refused.value)


@pytest.mark.parametrize(
    "key",
    ["alias/aws/s3", "alias/aws/sagemaker", "arn:aws:kms:us-east-1:111122223333:alias/aws/ebs"],
)
def test_aws_managed_keys_are_refused_when_the_policy_is_built(key: str) -> None:
    for field, value in _in_each_key_field(key):
        with pytest.raises(safeai.PolicyError) as refused:
            safeai.Policy(**{field: value})
        assert f"{field}: {key!r} is an AWS managed key" in str(refused.value)
        assert "create a customer managed key" in str(refused.value)


def test_policy_check_refuses_an_aws_managed_key(tmp_path: Path) -> None:
    from safeai._policy import check

    (tmp_path / "safeai.toml").write_text('kms_key_id = "alias/aws/s3"\n')
    (problem,) = check()
    assert "kms_key_id: 'alias/aws/s3' is an AWS managed key" in str(problem)
