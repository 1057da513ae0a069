"""The identity part of the detective audit (issue #15), over real boto3 clients talking HTTP to
moto in server mode: Studio user profiles and notebook instances whose execution role is not the
policy's, and IAM users with an active access key who may call SageMaker.

moto emulates no Studio user profiles: the sandbox keeps them itself
(``safeai.testing._moto_studio``), and this module also checks that emulation over the wire.

The IAM users live in an account of their own (moto maps the credentials of a role assumed in
another account to that account), so that the users they add are not in the account the other
audit tests read. moto loads AWS managed policies (``AmazonSageMakerFullAccess``) into an
account's IAM only when ``MOTO_IAM_LOAD_MANAGED_POLICIES`` is set as the account is first used;
it is set for that moment only. The denied read is a real denial: moto enforces IAM once its
``/moto-api/reset-auth`` count is 0, and the auditing user holds no permission at all.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

import safeai
from safeai._detective import AuditReport, audit
from safeai.controls import by_slug
from safeai.testing import RequestRecorder

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from safeai.testing import Sandbox

ADMIN_ROLE = "arn:aws:iam::123456789012:role/admin"
SAGEMAKER_FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"


def _found(report: AuditReport, arn: str) -> set[tuple[str, str]]:
    return {(f.control, f.path) for f in report.findings if f.resource_arn == arn}


# -- Studio user profiles and notebook instances ---------------------------------------------------

STUDIO_REGION = "eu-south-1"
DOMAIN = "d-studio"  # moto names a domain's id after the domain: d-<name>


def _sagemaker(region: str = STUDIO_REGION) -> Any:
    """An unguarded SageMaker client (typed Any: the tests send what moto keeps)."""
    return boto3.Session(region_name=region).client("sagemaker")


def _profile_arn(name: str) -> str:
    return f"arn:aws:sagemaker:{STUDIO_REGION}:123456789012:user-profile/{DOMAIN}/{name}"


def _notebook_arn(name: str) -> str:
    return f"arn:aws:sagemaker:{STUDIO_REGION}:123456789012:notebook-instance/{name}"


def _notebook(policy: safeai.Policy, name: str, role: str | None) -> dict[str, Any]:
    """A CreateNotebookInstance request meeting every control but, maybe, the role."""
    return {
        "NotebookInstanceName": name,
        "InstanceType": "ml.t3.medium",
        "RoleArn": role,
        "SubnetId": policy.subnets[0],
        "SecurityGroupIds": list(policy.security_group_ids),
        "KmsKeyId": policy.kms_key_id,
        "DirectInternetAccess": "Disabled",
        "RootAccess": "Disabled",
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    }


@pytest.fixture(scope="module")
def studio(sandbox: Sandbox) -> AuditReport:
    """A domain whose default role is the policy's; profiles with another role, the policy's
    role and none of their own; notebooks with another role and the policy's; audited once."""
    policy = sandbox.policy
    sm = _sagemaker()
    sm.create_domain(
        DomainName="studio",
        AuthMode="IAM",
        DefaultUserSettings={
            "ExecutionRole": policy.execution_role_arn,
            "SecurityGroups": list(policy.security_group_ids),
        },
        SubnetIds=list(policy.subnets),
        VpcId="vpc-studio",
        AppNetworkAccessType="VpcOnly",
        KmsKeyId=policy.kms_key_id,
    )
    for name, role in (("other-role", ADMIN_ROLE), ("policy-role", policy.execution_role_arn)):
        sm.create_user_profile(
            DomainId=DOMAIN, UserProfileName=name, UserSettings={"ExecutionRole": role}
        )
    sm.create_user_profile(DomainId=DOMAIN, UserProfileName="inherits")
    sm.create_notebook_instance(**_notebook(policy, "nb-other-role", ADMIN_ROLE))
    sm.create_notebook_instance(**_notebook(policy, "nb-policy-role", policy.execution_role_arn))
    return audit(
        boto3.Session(region_name=STUDIO_REGION),
        policy,
        regions=[STUDIO_REGION],
        resource_types=["domain", "user-profile", "notebook-instance"],
        buckets=False,
    )


def test_a_user_profile_with_another_role_is_found(studio: AuditReport) -> None:
    arn = _profile_arn("other-role")
    assert arn in {r.arn for r in studio.resources}, "the ARN comes from the Describe answer"
    assert _found(studio, arn) == {("domain.role", "UserSettings.ExecutionRole")}
    (finding,) = [f for f in studio.findings if f.resource_arn == arn]
    assert finding.found == ADMIN_ROLE
    assert finding.resource_type == "user-profile"
    assert finding.region == STUDIO_REGION


def test_a_user_profile_with_the_policys_role_is_not(studio: AuditReport) -> None:
    for name in ("policy-role", "inherits"):  # one with no role runs as its domain's default
        arn = _profile_arn(name)
        assert arn in {r.arn for r in studio.resources}
        assert _found(studio, arn) == set()


def test_the_domain_is_audited(studio: AuditReport) -> None:
    arn = f"arn:aws:sagemaker:{STUDIO_REGION}:123456789012:domain/{DOMAIN}"
    assert arn in {r.arn for r in studio.resources}
    assert ("domain.role", "DefaultUserSettings.ExecutionRole") not in _found(studio, arn)
    assert studio.resource_counts == {"notebook-instance": 2, "domain": 1, "user-profile": 3}
    assert studio.errors == ()


def test_a_notebook_instance_with_another_role_is_found(studio: AuditReport) -> None:
    assert _found(studio, _notebook_arn("nb-other-role")) == {("notebook.role", "RoleArn")}
    assert _found(studio, _notebook_arn("nb-policy-role")) == set()


def test_a_profile_that_cannot_be_described_is_an_error(sandbox: Sandbox) -> None:
    region = "eu-south-2"
    sm = _sagemaker(region)
    sm.create_domain(
        DomainName="gone",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": sandbox.policy.execution_role_arn},
        SubnetIds=list(sandbox.policy.subnets),
        VpcId="vpc-gone",
    )
    sm.create_user_profile(DomainId="d-gone", UserProfileName="alice")
    session = boto3.Session(region_name=region)

    def deny(model: Any, **_: Any) -> None:
        if model.name == "DescribeUserProfile":
            answer: Any = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}
            raise ClientError(answer, model.name)

    session.events.register("before-call.sagemaker", deny)
    report = audit(
        session, sandbox.policy, regions=[region], resource_types=["user-profile"], buckets=False
    )
    (error,) = report.errors
    assert (error.operation, error.resource, error.code) == (
        "DescribeUserProfile",
        "user-profile/d-gone/alice",  # no ARN in the listing: the end of one
        "AccessDeniedException",
    )
    assert report.exit_code == 2


# -- the sandbox's user profiles, over the wire ----------------------------------------------------

WIRE_REGION = "il-central-1"


@pytest.fixture(scope="module")
def wire(sandbox: Sandbox) -> Any:
    sm = _sagemaker(WIRE_REGION)
    sm.create_domain(
        DomainName="wire",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": sandbox.policy.execution_role_arn},
        SubnetIds=list(sandbox.policy.subnets),
        VpcId="vpc-wire",
    )
    return sm


def test_user_profiles_are_kept_as_sent(wire: Any) -> None:
    settings = {
        "ExecutionRole": ADMIN_ROLE,
        "SecurityGroups": ["sg-1"],
        "SharingSettings": {"NotebookOutputOption": "Disabled", "S3KmsKeyId": "alias/k"},
    }
    arn = wire.create_user_profile(
        DomainId="d-wire", UserProfileName="kept", UserSettings=settings
    )["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:{WIRE_REGION}:123456789012:user-profile/d-wire/kept"
    described = wire.describe_user_profile(DomainId="d-wire", UserProfileName="kept")
    assert described["UserSettings"] == settings
    assert (described["UserProfileArn"], described["Status"]) == (arn, "InService")
    wire.update_user_profile(
        DomainId="d-wire", UserProfileName="kept", UserSettings={"SecurityGroups": ["sg-2"]}
    )
    updated = wire.describe_user_profile(DomainId="d-wire", UserProfileName="kept")
    assert updated["UserSettings"] == {**settings, "SecurityGroups": ["sg-2"]}
    wire.delete_user_profile(DomainId="d-wire", UserProfileName="kept")
    with pytest.raises(ClientError) as gone:
        wire.describe_user_profile(DomainId="d-wire", UserProfileName="kept")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFound"


def test_user_profiles_are_listed_in_pages_and_filtered(wire: Any) -> None:
    for name in ("page-a", "page-b", "page-c"):
        wire.create_user_profile(DomainId="d-wire", UserProfileName=name)
    pages = wire.get_paginator("list_user_profiles").paginate(
        DomainIdEquals="d-wire", PaginationConfig={"PageSize": 2}
    )
    listed = [entry for page in pages for entry in page["UserProfiles"]]
    assert [entry["UserProfileName"] for entry in listed] == ["page-a", "page-b", "page-c"]
    assert set(listed[0]) == {
        "DomainId",
        "UserProfileName",
        "Status",
        "CreationTime",
        "LastModifiedTime",
    }
    named = wire.list_user_profiles(UserProfileNameContains="-b")["UserProfiles"]
    assert [entry["UserProfileName"] for entry in named] == ["page-b"]
    assert wire.list_user_profiles(DomainIdEquals="d-other")["UserProfiles"] == []


def test_user_profile_errors(wire: Any) -> None:
    wire.create_user_profile(DomainId="d-wire", UserProfileName="twice")
    with pytest.raises(ClientError) as taken:
        wire.create_user_profile(DomainId="d-wire", UserProfileName="twice")
    assert taken.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as no_domain:
        wire.create_user_profile(DomainId="d-missing", UserProfileName="alice")
    assert no_domain.value.response["Error"]["Code"] == "ResourceNotFound"


# -- IAM users with long-lived keys that may call SageMaker ----------------------------------------

IDENTITY_ACCOUNT = "210987654321"
IDENTITY_REGION = "us-east-2"


def _moto_api(sandbox: Sandbox, path: str, data: bytes) -> bytes:
    # As text: a form body would be read as a form, and moto would find no data.
    request = urllib.request.Request(
        f"{sandbox.endpoint_url}{path}",
        data=data,
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    context = ssl.create_default_context(cafile=sandbox.ca_bundle)
    with urllib.request.urlopen(request, timeout=10, context=context) as answer:
        body: bytes = answer.read()
    return body


def _session(credentials: Mapping[str, Any]) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
        region_name=IDENTITY_REGION,
    )


@pytest.fixture(scope="module")
def account(sandbox: Sandbox) -> boto3.Session:
    """A session in IDENTITY_ACCOUNT, whose IAM holds AWS managed policies."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        credentials = boto3.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{IDENTITY_ACCOUNT}:role/identity-audit",
            RoleSessionName="identity-audit",
        )["Credentials"]
    session = _session(credentials)
    assert session.client("sts").get_caller_identity()["Account"] == IDENTITY_ACCOUNT
    return session


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": "*"}


@pytest.fixture(scope="module")
def users(account: boto3.Session) -> dict[str, dict[str, Any]]:
    """User name -> its access key (``CreateAccessKey``'s answer), for users made to be found
    or not, and an auditor that holds no permission at all."""
    iam: Any = account.client("iam")
    keys: dict[str, dict[str, Any]] = {}

    def user(name: str, *, key: str | None = "Active") -> None:
        iam.create_user(UserName=name)
        if key is not None:
            keys[name] = iam.create_access_key(UserName=name)["AccessKey"]
            if key != "Active":
                iam.update_access_key(
                    UserName=name, AccessKeyId=keys[name]["AccessKeyId"], Status=key
                )

    user("full-access")
    iam.attach_user_policy(UserName="full-access", PolicyArn=SAGEMAKER_FULL_ACCESS)
    user("inactive-key", key="Inactive")
    iam.attach_user_policy(UserName="inactive-key", PolicyArn=SAGEMAKER_FULL_ACCESS)
    user("no-key", key=None)
    iam.attach_user_policy(UserName="no-key", PolicyArn=SAGEMAKER_FULL_ACCESS)
    user("storage-only")
    iam.put_user_policy(
        UserName="storage-only", PolicyName="data", PolicyDocument=_document(_allow("s3:*"))
    )
    iam.create_group(GroupName="ml-team")
    iam.put_group_policy(
        GroupName="ml-team",
        PolicyName="launch",
        PolicyDocument=_document(_allow(["s3:GetObject", "SageMaker:Create*"])),
    )
    user("in-group")
    iam.add_user_to_group(GroupName="ml-team", UserName="in-group")
    local = iam.create_policy(
        PolicyName="all-but-iam",
        PolicyDocument=_document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
    )["Policy"]["Arn"]
    user("not-action")
    iam.attach_user_policy(UserName="not-action", PolicyArn=local)
    user(AUDITOR)
    return keys


#: A user with an active key and no policy: clean, and denied every read once IAM is enforced.
AUDITOR = "auditor-without-rights"
#: The users the audit evaluates (AUDITOR included).
USERS = 7


#: Only the IAM users, not the buckets resources name.
_USERS_ONLY: dict[str, Any] = {"resource_types": ["iam-user"], "buckets": False}
#: The services whose requests the tests record.
_READ = frozenset({"iam", "sagemaker", "s3", "sts"})


def _user_arn(name: str) -> str:
    return f"arn:aws:iam::{IDENTITY_ACCOUNT}:user/{name}"


@pytest.fixture(scope="module")
def identity(
    sandbox: Sandbox, account: boto3.Session, users: dict[str, dict[str, Any]]
) -> tuple[AuditReport, list[str]]:
    """The IAM users audited once, with the operations of the requests it sent."""
    with RequestRecorder(services=_READ) as recorder:
        report = audit(account, sandbox.policy, regions=[IDENTITY_REGION], **_USERS_ONLY)
    return report, [request.operation for request in recorder.requests]


def test_a_user_with_an_active_key_and_sagemaker_full_access_is_found(
    identity: tuple[AuditReport, list[str]], users: dict[str, dict[str, Any]]
) -> None:
    report, _ = identity
    key = users["full-access"]["AccessKeyId"]
    (finding,) = [f for f in report.findings if f.resource_arn == _user_arn("full-access")]
    assert finding.control == "client.temporary_credentials"
    control = by_slug("client.temporary_credentials")
    assert control is not None
    assert finding.title == control.title
    assert (finding.resource_type, finding.region) == ("iam-user", "global")
    assert finding.path == f"AccessKeyMetadata[...{key[-4:]}].Status"
    assert isinstance(finding.found, str)
    assert finding.found.startswith(f"active access key ending {key[-4:]}, created ")
    assert finding.found.endswith(
        "the user may call sagemaker:* through AWS managed policy 'AmazonSageMakerFullAccess'"
    )
    assert "full-access" in finding.remedy


def test_group_and_not_action_grants_are_found(identity: tuple[AuditReport, list[str]]) -> None:
    report, _ = identity
    (group,) = [f for f in report.findings if f.resource_arn == _user_arn("in-group")]
    assert isinstance(group.found, str)
    assert group.found.endswith(
        "may call SageMaker:Create* through inline policy 'launch' of group 'ml-team'"
    )
    (not_action,) = [f for f in report.findings if f.resource_arn == _user_arn("not-action")]
    assert isinstance(not_action.found, str)
    assert "may call every action but iam:* through managed policy 'all-but-iam'" in (
        not_action.found
    )


def test_inactive_keys_no_keys_and_no_sagemaker_permission_are_not_found(
    identity: tuple[AuditReport, list[str]],
) -> None:
    report, _ = identity
    assert {f.resource_arn for f in report.findings} == {
        _user_arn(name) for name in ("full-access", "in-group", "not-action")
    }
    audited = {r.arn for r in report.resources}
    for name in ("inactive-key", "no-key", "storage-only", AUDITOR):
        assert _user_arn(name) in audited, f"{name} is evaluated, and clean"
    assert report.resource_types == ("iam-user",)
    assert report.resource_counts == {"iam-user": USERS}
    assert report.errors == ()
    assert report.exit_code == 1


def test_the_identity_audit_reads_little_and_only_reads(
    identity: tuple[AuditReport, list[str]],
) -> None:
    report, operations = identity
    assert len(operations) == report.api_calls
    # The account's id; the details once; the AWS managed policy once, though three users hold
    # it; the keys of the users who may call SageMaker only (not of storage-only, nor of the
    # auditor).
    assert sorted(operations) == sorted(
        ["GetCallerIdentity", "GetAccountAuthorizationDetails", "GetPolicy", "GetPolicyVersion"]
        + ["ListAccessKeys"] * 5
    )


@pytest.mark.parametrize("form", ["json", "sarif", "html", "table", "summary"])
def test_a_key_is_only_ever_shown_by_its_last_four_characters(
    identity: tuple[AuditReport, list[str]], users: dict[str, dict[str, Any]], form: str
) -> None:
    report, _ = identity
    text = {
        "json": report.to_json,
        "sarif": report.to_sarif,
        "html": report.to_html,
        "table": report.to_table,
        "summary": lambda: report.summary,
    }[form]()
    for name, created in users.items():
        key = created["AccessKeyId"]
        assert key not in text
        assert key[:-4] not in text, "not even its first sixteen characters"
        if form != "summary" and name in ("full-access", "in-group", "not-action"):
            assert key[-4:] in text


def test_the_sarif_result_points_at_the_user(identity: tuple[AuditReport, list[str]]) -> None:
    report, _ = identity
    (run,) = json.loads(report.to_sarif())["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    users = {
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        for result in run["results"]
        if rules[result["ruleIndex"]] == "client.temporary_credentials"
    }
    assert _user_arn("full-access") in users
    locations = [result["locations"][0]["physicalLocation"] for result in run["results"]]
    uris = {location["artifactLocation"]["uri"] for location in locations}
    assert f"aws/iam/{IDENTITY_ACCOUNT}/user/full-access" in uris


def test_iam_users_are_audited_by_default_once_for_all_regions(
    sandbox: Sandbox, account: boto3.Session
) -> None:
    regions = [IDENTITY_REGION, "us-west-1"]
    with RequestRecorder(services=_READ) as recorder:
        report = audit(account, sandbox.policy, regions=regions, buckets=False)
    assert report.resource_types[-1] == "iam-user"
    assert {"domain", "user-profile", "iam-user"} <= set(report.resource_types)
    operations = [request.operation for request in recorder.requests]
    assert operations.count("GetAccountAuthorizationDetails") == 1
    assert {r.region for r in report.resources if r.resource_type == "iam-user"} == {"global"}
    assert report.resource_counts["iam-user"] == USERS


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize("where", ["policy", "block"])
def test_a_waived_control_reports_no_key(
    sandbox: Sandbox, account: boto3.Session, where: str
) -> None:
    reason = "break-glass users, keys in a vault; SEC-12"
    assert sandbox.baseline is not None
    if where == "policy":
        policy = sandbox.baseline.policy(waivers={"client.temporary_credentials": reason})
        report = audit(account, policy, regions=[IDENTITY_REGION], **_USERS_ONLY)
    else:
        with safeai.waive("client.temporary_credentials", reason=reason):
            report = audit(account, sandbox.policy, regions=[IDENTITY_REGION], **_USERS_ONLY)
    assert report.findings == ()
    assert report.resource_counts == {"iam-user": USERS}


@pytest.fixture
def enforced_iam(sandbox: Sandbox) -> Iterator[None]:
    """moto enforces IAM on every request while the test runs."""
    previous = json.loads(_moto_api(sandbox, "/moto-api/reset-auth", b"0"))
    try:
        yield
    finally:
        _moto_api(
            sandbox,
            "/moto-api/reset-auth",
            previous["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"].encode(),
        )


def test_a_denied_authorization_read_makes_the_report_incomplete(
    sandbox: Sandbox, users: dict[str, dict[str, Any]], enforced_iam: None
) -> None:
    auditor = _session(users[AUDITOR])
    report = audit(auditor, sandbox.policy, regions=[IDENTITY_REGION], **_USERS_ONLY)
    (error,) = report.errors
    assert (error.region, error.resource_type, error.operation, error.resource) == (
        "global",
        "iam-user",
        "GetAccountAuthorizationDetails",
        None,
    )
    assert error.code == "AccessDenied"
    assert report.resources == ()
    assert report.exit_code == 2
    assert "NOT a complete audit" in report.summary
