"""Every limit the docs state is checked: a limits section holds only claims a test checks.

The limits sections are listed in ``SECTIONS``; a heading that looks like one (``limit``,
``does not reach``) and is not listed fails. Each bullet of a section is claimed by exactly one
entry of ``CLAIMS``, found by a phrase of the bullet, which names what checks it: a test of this
module, a test elsewhere (``tests/...py::test_name``), or, for what AWS itself does, the link
to where AWS says so (the bullet must carry that link). A bullet nothing claims fails: check
it here, or take it out of the docs.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

import safeai
from safeai import _hooks, _references, _scp
from safeai.controls import CATALOGUE, by_slug, services
from safeai.kinds.keys import same_key

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
THIS = "tests/unit/test_docs_limits.py"

SECTIONS = {
    ("index.md", "Limits of this release"),
    ("guard.md", "What the guard does not reach"),
    ("sagemaker-sdk.md", "Known limits"),
    ("scps.md", "Limits of what an SCP can do"),
}
_LOOKS_LIKE_LIMITS = re.compile(r"\blimits?\b|does not reach|not covered", re.IGNORECASE)
_HEADING = re.compile(r"^(#{2,6})\s+(.*?)\s*(\{[^}]*\})?\s*$")


@dataclasses.dataclass(frozen=True)
class Claim:
    page: str
    phrase: str  # a phrase of the bullet, whitespace normalised
    checks: tuple[str, ...]  # test names of this module, "tests/...::test", or "https://..."


CLAIMS = (
    # -- index.md ----------------------------------------------------------------------------
    Claim(
        "index.md",
        "Only clients of the `sagemaker`, `sagemaker-runtime`, `s3` and `s3control` services "
        "are guarded",
        (
            "test_only_sagemaker_and_s3_clients_are_guarded",
            "tests/functional/test_runtime.py::test_a_synchronous_payload_is_sent_unscanned",
        ),
    ),
    Claim(
        "index.md",
        "The engine compares KMS keys as written",
        (
            "test_the_engine_never_resolves_an_alias",
            "tests/functional/test_preflight.py::test_aliases_are_resolved",
            "test_an_scp_needs_key_arns",
        ),
    ),
    Claim(
        "index.md",
        "Clients created by botocore's `ClientCreator` directly (not through a `Session`) are "
        "not reached",
        (
            "test_client_creator_clients_are_not_reached",
            "tests/integration/test_async_clients.py::"
            "test_a_bare_write_of_a_client_made_after_the_guard_is_sent_secured",
            "tests/integration/test_async_clients.py::"
            "test_a_guarded_crt_upload_goes_through_the_guarded_client",
        ),
    ),
    # -- guard.md ----------------------------------------------------------------------------
    Claim(
        "guard.md",
        "Clients created by botocore's `ClientCreator` directly, not through",
        ("test_client_creator_clients_are_not_reached",),
    ),
    Claim(
        "guard.md",
        "Clients made by a session class with a `create_client` of its own",
        (
            "test_a_session_with_a_create_client_of_its_own_is_not_reached",
            "tests/integration/test_async_clients.py::"
            "test_a_session_guard_reaches_that_sessions_clients_only",
        ),
    ),
    Claim(
        "guard.md",
        "A client whose creation is under way in another thread while the first guard",
        (
            "test_a_client_being_made_while_the_first_guard_starts_is_missed",
            "test_once_create_client_is_wrapped_a_client_being_made_is_guarded",
        ),
    ),
    Claim(
        "guard.md",
        "Anything outside this Python process",
        ("test_a_subprocess_is_not_guarded",),
    ),
    # -- sagemaker-sdk.md --------------------------------------------------------------------
    Claim(
        "sagemaker-sdk.md",
        "A SecureSession guards what it creates, nothing else.",
        (
            "test_a_secure_session_guards_only_its_own_clients",
            "tests/integration/test_sdk_v3_recipes.py::"
            "test_core_model_endpoint_config_and_endpoint_are_secured",
        ),
    ),
    Claim(
        "sagemaker-sdk.md",
        "A `safeai.waive` block does not reach the SDK's defaults.",
        (
            "test_a_waive_block_leaves_the_sdks_defaults_as_they_are",
            "tests/unit/test_sdk_defaults.py::"
            "test_report_mode_and_waivers_leave_the_sdks_defaults_alone",
        ),
    ),
    Claim(
        "sagemaker-sdk.md",
        "Switch the process-wide guard on first.",
        (
            "tests/functional/test_guard.py::"
            "test_process_wide_guard_also_guards_clients_that_existed_before",
            "tests/integration/test_sdk.py::test_v3_core_client_cached_before_the_guard_is_secured",
        ),
    ),
    Claim(
        "sagemaker-sdk.md",
        "No `PipelineSession` from `sagemaker_session()`.",
        (
            "test_a_secure_session_makes_no_pipeline_session",
            "tests/integration/test_sdk_v2_recipes.py::test_pipeline_upsert_secures_every_step",
            "tests/integration/test_sdk_v3_recipes.py::test_pipeline_upsert_secures_every_step",
        ),
    ),
    Claim(
        "sagemaker-sdk.md",
        "Waiting in the sandbox.",
        (
            "tests/integration/test_sdk_v3_recipes.py::"
            "test_core_model_endpoint_config_and_endpoint_are_secured",
            "tests/integration/test_sdk_v3_recipes.py::test_model_builder_build_and_deploy_are_secured",
        ),
    ),
    Claim(
        "sagemaker-sdk.md",
        "Pipeline definitions over 100 KB",
        (
            "tests/functional/test_references.py::"
            "test_pipeline_definition_in_s3_is_checked_and_sent_inline",
            "test_a_pipeline_definition_over_1_mib_is_refused",
        ),
    ),
    Claim(
        "sagemaker-sdk.md",
        "Monitoring schedules in the sandbox.",
        (
            "tests/integration/test_sdk_v2_workflows.py::"
            "test_a_model_monitor_schedules_a_secured_job_definition",
            "tests/integration/test_sdk_v3_workflows.py::"
            "test_a_model_monitor_schedules_a_secured_job_definition",
        ),
    ),
    Claim(
        "sagemaker-sdk.md",
        "Not covered by these recipes",
        ("test_the_recipes_leave_out_what_the_page_says_they_do",),
    ),
    # -- scps.md -----------------------------------------------------------------------------
    Claim(
        "scps.md",
        "No condition key carries a transform job's VPC",
        ("test_no_condition_key_carries_what_only_the_guard_checks",),
    ),
    Claim(
        "scps.md",
        "SCPs do not apply to the management account or to service-linked roles",
        (
            "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
        ),
    ),
    Claim(
        "scps.md",
        "The action table (`safeai._scp.SUPPORTED_ACTIONS`) comes from a copy",
        ("test_the_scp_action_table_is_a_copy_checked_against_botocore",),
    ),
)

POLICY = safeai.Policy(
    execution_role_arn="arn:aws:iam::111122223333:role/SafeAIExecution",
    kms_key_id="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    subnets=["subnet-0a1"],
    security_group_ids=["sg-0c3"],
    preflight=False,
)


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _section(page: str, title: str) -> str:
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match and match.group(2) == title:
            level = len(match.group(1))
            body: list[str] = []
            for later in lines[index + 1 :]:
                heading = _HEADING.match(later)
                if heading and len(heading.group(1)) <= level:
                    break
                body.append(later)
            return "\n".join(body)
    raise AssertionError(f"docs/{page} has no section {title!r}")


def _bullets(section: str) -> list[str]:
    bullets: list[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:])
        elif bullets and line.startswith("  ") and line.strip():
            bullets[-1] += " " + line.strip()
    return [_normalised(bullet) for bullet in bullets]


BULLETS = [
    (page, bullet) for page, title in sorted(SECTIONS) for bullet in _bullets(_section(page, title))
]


def _test_exists(reference: str) -> bool:
    path, _, name = reference.rpartition("::") if "::" in reference else (THIS, "", reference)
    source = ROOT / path
    if not source.is_file():
        return False
    tree = ast.parse(source.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        for node in ast.walk(tree)
    )


# -- the rule ------------------------------------------------------------------------------------


def test_every_limits_section_is_listed() -> None:
    found = set()
    for page in sorted(DOCS.glob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            match = _HEADING.match(line)
            if match and _LOOKS_LIKE_LIMITS.search(match.group(2)):
                found.add((page.name, match.group(2)))
    assert found == SECTIONS


def test_sections_have_bullets() -> None:
    for page, title in SECTIONS:
        assert _bullets(_section(page, title)), f"docs/{page} '{title}' lists nothing"


@pytest.mark.parametrize(("page", "bullet"), BULLETS)
def test_every_limit_is_claimed_by_a_check(page: str, bullet: str) -> None:
    claims = [c for c in CLAIMS if c.page == page and _normalised(c.phrase) in bullet]
    assert len(claims) == 1, (
        f"docs/{page}: {bullet[:80]!r} is claimed by {len(claims)} entries of CLAIMS: check it "
        "with a test and claim it there, or take it out of the docs"
    )
    for check in claims[0].checks:
        if check.startswith("https://"):
            assert check in bullet, f"docs/{page}: {bullet[:60]!r} does not link to {check}"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.page}:{c.phrase[:30]}")
def test_every_claim_is_in_the_docs_and_its_checks_exist(claim: Claim) -> None:
    assert any(p == claim.page and _normalised(claim.phrase) in b for p, b in BULLETS), (
        f"docs/{claim.page} no longer says {claim.phrase!r}: drop the claim"
    )
    assert claim.checks
    missing = [c for c in claim.checks if not c.startswith("https://") and not _test_exists(c)]
    assert missing == []


# -- what is guarded -----------------------------------------------------------------------------


def test_only_sagemaker_and_s3_clients_are_guarded() -> None:
    # s3control: the account's S3 settings and access points (docs/s3.md); sagemaker-runtime:
    # predictions, checked on the client (runtime.private_link, docs/guard.md).
    assert services() == {"sagemaker", "sagemaker-runtime", "s3", "s3control"}
    session = boto3.Session(region_name="us-east-1")
    with safeai.guarded(POLICY, session=session):
        guarded = [
            session.client(name) for name in ("sagemaker", "sagemaker-runtime", "s3", "s3control")
        ]
        others = [session.client(name) for name in ("sagemaker-featurestore-runtime", "kms", "sts")]
        assert all(client in _hooks._states for client in guarded)
        assert not any(client in _hooks._states for client in others)


def test_the_engine_never_resolves_an_alias() -> None:
    key_arn = POLICY.kms_key_id
    assert key_arn is not None
    with_alias = dataclasses.replace(POLICY, allowed_kms_key_ids=["alias/ml"])
    # A key id is its key ARN, an alias name its alias ARN, in the policy's region and account.
    assert same_key("1234abcd-12ab-34cd-56ef-1234567890ab", key_arn, with_alias)
    assert same_key("alias/ml", "arn:aws:kms:us-east-1:111122223333:alias/ml", with_alias)
    assert not same_key("alias/ml", key_arn, with_alias)
    training: dict[str, Any] = {
        "TrainingJobName": "t",
        "AlgorithmSpecification": {"TrainingImage": "x", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/o", "KmsKeyId": "alias/ml"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    }
    with pytest.raises(safeai.SecurityViolation) as refused:
        safeai.enforce("CreateTrainingJob", training, POLICY)
    assert "training.output_kms" in {
        refused.value.control,
        *(v.control for v in refused.value.additional),
    }
    _, decisions = safeai.enforce("CreateTrainingJob", training, with_alias)
    assert [d.outcome for d in decisions if d.control == "training.output_kms"] == ["compliant"]


def test_an_scp_needs_key_arns() -> None:
    aliased = dataclasses.replace(POLICY, kms_key_id="alias/ml")
    with pytest.raises(safeai.PolicyError, match="cannot resolve an alias"):
        safeai.scp(aliased)


# -- what the guard does not reach ---------------------------------------------------------------


def _client_creator(session: Any) -> Any:
    """A ClientCreator built the way botocore's Session.create_client builds its own."""
    from botocore import retryhandler, translate
    from botocore.client import ClientCreator

    return ClientCreator(
        session.get_component("data_loader"),
        session._get_internal_component("endpoint_resolver"),
        session.user_agent(),
        session.get_component("event_emitter"),
        retryhandler,
        translate,
        session.get_component("response_parser_factory"),
        session._get_internal_component("exceptions_factory"),
        session.get_component("config_store"),
    )


def test_client_creator_clients_are_not_reached() -> None:
    session = botocore.session.get_session()
    with safeai.guarded(POLICY):
        direct = _client_creator(session).create_client("sagemaker", region_name="us-east-1")
        through_the_session = session.create_client("sagemaker", region_name="us-east-1")
        assert direct not in _hooks._states
        assert through_the_session in _hooks._states


class _OwnCreateClient(botocore.session.Session):
    """A session whose create_client neither calls botocore's nor registers the client's
    plugins (aiobotocore's AioSession does the latter, and is reached)."""

    def create_client(self, service_name: str, region_name: str | None = None, **_: Any) -> Any:  # type: ignore[override]
        return _client_creator(self).create_client(service_name, region_name=region_name)


def test_a_session_with_a_create_client_of_its_own_is_not_reached() -> None:
    with safeai.guarded(POLICY):
        client = _OwnCreateClient().create_client("sagemaker", region_name="us-east-1")
        assert client not in _hooks._states


def _create_client_before_any_guard() -> Any:
    """``Session.create_client`` as it is before the first guard: without safeai's wrapper."""
    if _hooks._wrapper is None:
        return botocore.session.Session.create_client
    return _hooks._wrapper.__wrapped__


def _made_while_a_guard_starts(
    session: botocore.session.Session,
) -> tuple[Any, safeai.GuardHandle]:
    """Start making a SageMaker client in a thread, hold it inside ``create_client`` while a
    process guard starts, then let it finish; returns the client, the guard still on."""
    inside, go_on = threading.Event(), threading.Event()

    def hold(**_: Any) -> None:  # botocore emits this before it builds the client
        inside.set()
        go_on.wait(10)

    session.register("creating-client-class.sagemaker", hold)
    made: list[Any] = []
    thread = threading.Thread(
        target=lambda: made.append(session.create_client("sagemaker", region_name="us-east-1"))
    )
    thread.start()
    assert inside.wait(10)
    handle = safeai.guard(POLICY)
    go_on.set()
    thread.join(10)
    session.unregister("creating-client-class.sagemaker", hold)
    return made[0], handle


def test_a_client_being_made_while_the_first_guard_starts_is_missed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # botocore as it is before the first guard of a process: create_client not wrapped.
    monkeypatch.setattr(
        botocore.session.Session, "create_client", _create_client_before_any_guard()
    )
    monkeypatch.setattr(_hooks, "_wrapper", None)
    session = botocore.session.get_session()
    client, handle = _made_while_a_guard_starts(session)
    try:
        assert client not in _hooks._states
        assert session.create_client("sagemaker", region_name="us-east-1") in _hooks._states
    finally:
        safeai.unguard(handle)


def test_once_create_client_is_wrapped_a_client_being_made_is_guarded() -> None:
    safeai.unguard(safeai.guard(POLICY))  # an earlier guard left the wrapper in place
    client, handle = _made_while_a_guard_starts(botocore.session.get_session())
    try:
        assert client in _hooks._states
    finally:
        safeai.unguard(handle)


def test_a_subprocess_is_not_guarded() -> None:
    child = (
        "import sys, boto3\n"
        "client = boto3.client('sagemaker', region_name='us-east-1')\n"
        "print('safeai' in sys.modules)\n"
    )
    with safeai.guarded(POLICY):
        answer = subprocess.run(
            [sys.executable, "-c", child], capture_output=True, text=True, check=True, timeout=60
        )
    assert answer.stdout.strip() == "False"


# -- the SageMaker Python SDK --------------------------------------------------------------------


def test_a_secure_session_guards_only_its_own_clients() -> None:
    with safeai.SecureSession(POLICY, region_name="us-east-1") as secure:
        own = secure.client("sagemaker")
        default = boto3.Session(region_name="us-east-1").client("sagemaker")
        assert own in _hooks._states
        assert default not in _hooks._states


def test_a_waive_block_leaves_the_sdks_defaults_as_they_are() -> None:
    from safeai._session import _with_policy_defaults

    with safeai.waive("training.network_isolation", reason="pip install at start-up; INC-1"):
        training = _with_policy_defaults({}, POLICY)["SageMaker"]["TrainingJob"]
    assert training["EnableNetworkIsolation"] is True


def test_a_secure_session_makes_no_pipeline_session() -> None:
    assert [name for name in dir(safeai.SecureSession) if "pipeline" in name.lower()] == []


def test_a_pipeline_definition_over_1_mib_is_refused() -> None:
    def definition_of(size: int) -> str:
        return json.dumps({"Steps": [], "Pad": "x" * (size - len('{"Steps": [], "Pad": ""}'))})

    location = {"PipelineDefinitionS3Location": {"Bucket": "b", "ObjectKey": "p.json"}}
    fits = dict(location)
    _references.inline_pipeline_definition(fits, lambda *_: definition_of(1 << 20))
    assert len(fits["PipelineDefinition"]) == 1 << 20
    with pytest.raises(safeai.PreflightError, match="larger than the 1 MiB"):
        _references.inline_pipeline_definition(
            dict(location), lambda *_: definition_of((1 << 20) + 1)
        )


def test_the_recipes_leave_out_what_the_page_says_they_do() -> None:
    recipes = "\n".join(
        path.read_text(encoding="utf-8").lower()
        for path in sorted((ROOT / "tests" / "integration").glob("*.py"))
    )
    for left_out in ("jumpstart", "inferencecomponent", "@remote", "notebookjob", "evaluat"):
        assert left_out not in recipes, f"the recipes now cover {left_out!r}: update the page"


# -- service control policies --------------------------------------------------------------------


def test_no_condition_key_carries_what_only_the_guard_checks() -> None:
    for slug in (
        "endpoint_config.data_capture_kms",
        "endpoint_config.async_output_kms",
        "model.private_registry",
    ):
        control = by_slug(slug)
        assert control is not None
        assert control.anchors.iam_condition_keys == ()
    assert all(
        control.anchors.iam_condition_keys == ()
        for control in CATALOGUE
        if control.slug.endswith(".pii")
    )
    for key in ("sagemaker:VpcSubnets", "sagemaker:VpcSecurityGroupIds"):
        assert "sagemaker:CreateTransformJob" not in _scp.SUPPORTED_ACTIONS[key]
        assert "CreateTransformJob" not in _scp.SUPPORTED_ACTIONS[key]


def test_the_scp_action_table_is_a_copy_checked_against_botocore() -> None:
    assert "iam-dataset" in inspect.getsource(_scp)  # where the copy comes from
    operations = set(botocore.session.get_session().get_service_model("sagemaker").operation_names)
    for key, actions in _scp.SUPPORTED_ACTIONS.items():
        assert set(actions) <= operations, key
