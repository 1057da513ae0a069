"""The SageMaker resource families the sandbox keeps itself (``safeai.testing._moto_families``),
and its corrections to moto's feature groups and model packages, seen as AWS answers them:
through a real boto3 client, over HTTPS, on the session's sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from safeai.testing._sandbox import ACCOUNT

if TYPE_CHECKING:
    from collections.abc import Callable

    from safeai.testing import Sandbox

#: A region of its own: moto keeps one account for the whole test session.
REGION = "eu-west-2"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/x"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/y"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0987dcba-09ba-87dc-65fe-0987654321ba"
BUCKET = "s3://safeai-sandbox-ml-data"
VPC = {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]}
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/algorithm:1"
MODEL = botocore.session.get_session().get_service_model("sagemaker")


@pytest.fixture(scope="module")
def sm(sandbox: Sandbox) -> Any:
    """One SageMaker client on the sandbox for the module, in the module's region."""
    return boto3.Session(region_name=REGION).client("sagemaker")


def _variant(name: str) -> dict[str, Any]:
    return {
        "ModelName": f"model-{name}",
        "VariantName": name,
        "InfrastructureConfig": {
            "InfrastructureType": "RealTimeInference",
            "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        },
    }


TRAINING_DEFINITION = {
    "TrainingInputMode": "File",
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{BUCKET}/train"}},
        }
    ],
    "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/validation", "KmsKeyId": KEY},
    "ResourceConfig": {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 1,
        "VolumeSizeInGB": 10,
        "VolumeKmsKeyId": KEY,
    },
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}
TRANSFORM_DEFINITION = {
    "TransformInput": {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{BUCKET}/in"}}
    },
    "TransformOutput": {"S3OutputPath": f"{BUCKET}/out", "KmsKeyId": KEY},
    "TransformResources": {
        "InstanceType": "ml.m5.large",
        "InstanceCount": 1,
        "VolumeKmsKeyId": KEY,
    },
}
INFERENCE_SPECIFICATION = {
    "Containers": [{"Image": IMAGE, "ModelDataUrl": f"{BUCKET}/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
    "SupportedTransformInstanceTypes": ["ml.m5.large"],
    "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
}


@dataclass(frozen=True)
class Family:
    noun: str
    #: The Create request's name member, also the List summary's.
    name: str
    #: Create's request for a resource named by its argument.
    request: Callable[[str], dict[str, Any]]
    #: What Describe answers as sent (a subset of the request, or derived from it).
    described: Callable[[str], dict[str, Any]]
    #: The Describe status member and its value at once.
    status: tuple[str, str] | None
    list_key: str
    #: Describe/Update/Delete name it by ``Arn`` (else by ``name``).
    by_arn: bool = False
    #: An Update request (without the resource's name) and what Describe answers after it.
    update: dict[str, Any] | None = None
    updated: dict[str, Any] = field(default_factory=dict)
    #: Members Describe no longer answers after the update.
    removed: tuple[str, ...] = ()
    delete: bool = True
    missing: str = "ResourceNotFound"
    taken: str = "ResourceInUse"

    def operation(self, verb: str) -> str:
        return f"{verb}{self.noun}{'s' if verb == 'List' else ''}"

    def call(self, sm: Any, verb: str, **request: Any) -> Any:
        return getattr(sm, botocore.xform_name(self.operation(verb)))(**request)

    def named(self, name: str, arn: str) -> dict[str, str]:
        return {"Arn": arn} if self.by_arn else {self.name: name}


def _tracking_server(name: str) -> dict[str, Any]:
    return {
        "TrackingServerName": name,
        "ArtifactStoreUri": f"{BUCKET}/mlflow",
        "TrackingServerSize": "Small",
        "RoleArn": ROLE,
        "AutomaticModelRegistration": False,
        "WeeklyMaintenanceWindowStart": "Tue:03:30",
        "Tags": [{"Key": "team", "Value": "ml"}],
    }


def _mlflow_app(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "ArtifactStoreUri": f"{BUCKET}/mlflow-app",
        "RoleArn": ROLE,
        "KmsKeyId": KEY,
        "ModelRegistrationMode": "AutoModelRegistrationDisabled",
    }


def _recommendations_job(name: str) -> dict[str, Any]:
    return {
        "JobName": name,
        "JobType": "Default",
        "RoleArn": ROLE,
        "InputConfig": {
            "ModelPackageVersionArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/p/1",
            "JobDurationInSeconds": 7200,
            "VolumeKmsKeyId": KEY,
            "VpcConfig": VPC,
        },
        "OutputConfig": {"KmsKeyId": KEY, "CompiledOutputConfig": {"S3OutputUri": BUCKET}},
        "StoppingConditions": {"MaxInvocations": 300},
    }


def _experiment(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "ShadowMode",
        "RoleArn": ROLE,
        "EndpointName": "shadowed-endpoint",
        "ModelVariants": [_variant("production"), _variant("shadow")],
        "ShadowModeConfig": {
            "SourceModelVariantName": "production",
            "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 50}],
        },
        "DataStorageConfig": {"Destination": f"{BUCKET}/capture", "KmsKey": KEY},
        "KmsKey": KEY,
    }


def _flow_definition(name: str) -> dict[str, Any]:
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    return {
        "FlowDefinitionName": name,
        "HumanLoopConfig": {
            "WorkteamArn": f"{arn}:workteam/private-crowd/reviewers",
            "HumanTaskUiArn": f"{arn}:human-task-ui/review",
            "TaskTitle": "Review",
            "TaskDescription": "Review the prediction",
            "TaskCount": 1,
        },
        "OutputConfig": {"S3OutputPath": f"{BUCKET}/reviews", "KmsKeyId": KEY},
        "RoleArn": ROLE,
    }


def _packaging_job(name: str) -> dict[str, Any]:
    return {
        "EdgePackagingJobName": name,
        "CompilationJobName": "compiled",
        "ModelName": "edge-model",
        "ModelVersion": "1.0",
        "RoleArn": ROLE,
        "OutputConfig": {"S3OutputLocation": f"{BUCKET}/edge", "KmsKeyId": KEY},
    }


def _device_fleet(name: str) -> dict[str, Any]:
    return {
        "DeviceFleetName": name,
        "RoleArn": ROLE,
        "Description": "cameras",
        "OutputConfig": {"S3OutputLocation": f"{BUCKET}/fleet", "KmsKeyId": KEY},
        "EnableIotRoleAlias": True,
    }


def _fleet_described(name: str) -> dict[str, Any]:
    described = {k: v for k, v in _device_fleet(name).items() if k != "EnableIotRoleAlias"}
    alias = f"arn:aws:iot:{REGION}:{ACCOUNT}:rolealias/SageMakerEdge-{name}"
    return {**described, "IotRoleAlias": alias}


def _image(name: str) -> dict[str, Any]:
    return {"ImageName": name, "RoleArn": ROLE, "DisplayName": "Image", "Description": "custom"}


def _hub(name: str) -> dict[str, Any]:
    return {
        "HubName": name,
        "HubDescription": "private models",
        "HubDisplayName": "Hub",
        "HubSearchKeywords": ["llm"],
        "S3StorageConfig": {"S3OutputPath": f"{BUCKET}/hub"},
    }


def _partner_app(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "comet",
        "ExecutionRoleArn": ROLE,
        "KmsKeyId": KEY,
        "Tier": "small",
        "AuthType": "IAM",
        "ApplicationConfig": {"AdminUsers": ["admin"]},
        "MaintenanceConfig": {"MaintenanceWindowStart": "Sun:03:00"},
    }


def _algorithm(name: str) -> dict[str, Any]:
    return {
        "AlgorithmName": name,
        "TrainingSpecification": {
            "TrainingImage": IMAGE,
            "SupportedTrainingInstanceTypes": ["ml.m5.xlarge"],
            "TrainingChannels": [
                {
                    "Name": "train",
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedInputModes": ["File"],
                }
            ],
        },
        "ValidationSpecification": {
            "ValidationRole": ROLE,
            "ValidationProfiles": [
                {
                    "ProfileName": "validation",
                    "TrainingJobDefinition": TRAINING_DEFINITION,
                    "TransformJobDefinition": TRANSFORM_DEFINITION,
                }
            ],
        },
    }


def _only(make: Callable[[str], dict[str, Any]], *members: str) -> Callable[[str], dict[str, Any]]:
    return lambda name: {member: make(name)[member] for member in members}


FAMILIES = [
    Family(
        "MlflowTrackingServer",
        "TrackingServerName",
        _tracking_server,
        _only(_tracking_server, "TrackingServerName", "RoleArn", "ArtifactStoreUri"),
        ("TrackingServerStatus", "Created"),
        "TrackingServerSummaries",
        update={"TrackingServerSize": "Medium", "ArtifactStoreUri": f"{BUCKET}/mlflow-2"},
        updated={"TrackingServerSize": "Medium", "ArtifactStoreUri": f"{BUCKET}/mlflow-2"},
        taken="ValidationException",
    ),
    Family(
        "MlflowApp",
        "Name",
        _mlflow_app,
        _only(_mlflow_app, "Name", "RoleArn", "KmsKeyId", "ArtifactStoreUri"),
        ("Status", "Created"),
        "Summaries",
        by_arn=True,
        update={"ModelRegistrationMode": "AutoModelRegistrationEnabled"},
        updated={"ModelRegistrationMode": "AutoModelRegistrationEnabled", "KmsKeyId": KEY},
        taken="ValidationException",
    ),
    Family(
        "InferenceRecommendationsJob",
        "JobName",
        _recommendations_job,
        _only(_recommendations_job, "RoleArn", "InputConfig", "StoppingConditions"),
        ("Status", "COMPLETED"),
        "InferenceRecommendationsJobs",
        delete=False,
    ),
    Family(
        "InferenceExperiment",
        "Name",
        _experiment,
        lambda name: {
            **_only(_experiment, "RoleArn", "KmsKey", "DataStorageConfig", "ShadowModeConfig")(
                name
            ),
            "EndpointMetadata": {"EndpointName": "shadowed-endpoint"},
        },
        ("Status", "Created"),
        "InferenceExperiments",
        update={"DataStorageConfig": {"Destination": f"{BUCKET}/capture-2", "KmsKey": OTHER_KEY}},
        updated={
            "DataStorageConfig": {"Destination": f"{BUCKET}/capture-2", "KmsKey": OTHER_KEY},
            "KmsKey": KEY,
        },
    ),
    Family(
        "FlowDefinition",
        "FlowDefinitionName",
        _flow_definition,
        _only(_flow_definition, "RoleArn", "OutputConfig", "HumanLoopConfig"),
        ("FlowDefinitionStatus", "Active"),
        "FlowDefinitionSummaries",
    ),
    Family(
        "EdgePackagingJob",
        "EdgePackagingJobName",
        _packaging_job,
        _packaging_job,
        ("EdgePackagingJobStatus", "COMPLETED"),
        "EdgePackagingJobSummaries",
        delete=False,
        taken="ValidationException",
    ),
    Family(
        "DeviceFleet",
        "DeviceFleetName",
        _device_fleet,
        _fleet_described,
        None,
        "DeviceFleetSummaries",
        update={
            "RoleArn": OTHER_ROLE,
            "OutputConfig": {"S3OutputLocation": f"{BUCKET}/fleet-2", "KmsKeyId": OTHER_KEY},
        },
        updated={
            "RoleArn": OTHER_ROLE,
            "OutputConfig": {"S3OutputLocation": f"{BUCKET}/fleet-2", "KmsKeyId": OTHER_KEY},
            "Description": "cameras",
        },
    ),
    Family(
        "Image",
        "ImageName",
        _image,
        _image,
        ("ImageStatus", "CREATED"),
        "Images",
        update={
            "RoleArn": OTHER_ROLE,
            "DisplayName": "Renamed",
            "DeleteProperties": ["Description"],
        },
        updated={"RoleArn": OTHER_ROLE, "DisplayName": "Renamed"},
        removed=("Description",),
    ),
    Family(
        "Hub",
        "HubName",
        _hub,
        _hub,
        ("HubStatus", "InService"),
        "HubSummaries",
        update={"HubDescription": "approved models", "HubSearchKeywords": ["vision"]},
        updated={"HubDescription": "approved models", "HubSearchKeywords": ["vision"]},
    ),
    Family(
        "PartnerApp",
        "Name",
        _partner_app,
        _partner_app,
        ("Status", "Available"),
        "Summaries",
        by_arn=True,
        update={"Tier": "medium", "ApplicationConfig": {"AdminUsers": ["admin", "owner"]}},
        updated={
            "Tier": "medium",
            "ApplicationConfig": {"AdminUsers": ["admin", "owner"]},
            "KmsKeyId": KEY,
            "ExecutionRoleArn": ROLE,
        },
        taken="ConflictException",
    ),
    Family(
        "Algorithm",
        "AlgorithmName",
        _algorithm,
        _algorithm,
        ("AlgorithmStatus", "Completed"),
        "AlgorithmSummaryList",
        missing="ValidationException",
        taken="ValidationException",
    ),
]
ARN_TYPES = {
    "MlflowTrackingServer": "mlflow-tracking-server",
    "MlflowApp": "mlflow-app",
    "InferenceRecommendationsJob": "inference-recommendations-job",
    "InferenceExperiment": "inference-experiment",
    "FlowDefinition": "flow-definition",
    "EdgePackagingJob": "edge-packaging-job",
    "DeviceFleet": "device-fleet",
    "Image": "image",
    "Hub": "hub",
    "PartnerApp": "partner-app",
    "Algorithm": "algorithm",
}
by_family = pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.noun)


def _create(sm: Any, family: Family, name: str) -> str:
    """Create ``name``; its ARN (from the answer, or the summary when Create answers none)."""
    answer = family.call(sm, "Create", **family.request(name))
    arns = [value for key, value in answer.items() if key.endswith("Arn")]
    if arns:
        return str(arns[0])
    return str(_summary(sm, family, name)[f"{family.noun}Arn"])


def _listed(sm: Any, family: Family, **request: Any) -> list[dict[str, Any]]:
    """Every summary, page by page."""
    found: list[dict[str, Any]] = []
    while True:
        page = family.call(sm, "List", **request)
        found += page[family.list_key]
        if "NextToken" not in page:
            return found
        request["NextToken"] = page["NextToken"]


def _summary(sm: Any, family: Family, name: str) -> dict[str, Any]:
    (summary,) = (s for s in _listed(sm, family, MaxResults=2) if s[family.name] == name)
    return summary


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@by_family
def test_describe_answers_the_security_members_as_sent(sm: Any, family: Family) -> None:
    name = f"{family.noun.lower()[:20]}-described"
    arn = _create(sm, family, name)
    described = family.call(sm, "Describe", **family.named(name, arn))

    assert arn.startswith(f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{ARN_TYPES[family.noun]}/")
    assert {key: described.get(key) for key in family.described(name)} == family.described(name)
    assert arn in described.values()
    output: Any = MODEL.operation_model(family.operation("Describe")).output_shape
    if family.status is not None:
        member, final = family.status
        assert described[member] == final
        assert final in output.members[member].enum
    assert "CreationTime" in described


def test_a_recommendations_job_answers_no_output_config_the_describe_shape_lacks(
    sm: Any,
) -> None:
    family = FAMILIES[2]
    _create(sm, family, "recommended-shape")
    described = sm.describe_inference_recommendations_job(JobName="recommended-shape")

    assert "OutputConfig" not in described
    assert described["InputConfig"]["VolumeKmsKeyId"] == KEY
    assert described["InputConfig"]["VpcConfig"] == VPC
    assert "CompletionTime" in described


@by_family
def test_list_finds_it(sm: Any, family: Family) -> None:
    name = f"{family.noun.lower()[:20]}-listed"
    arn = _create(sm, family, name)

    summary = _summary(sm, family, name)
    # botocore's summary of an inference experiment has no ARN; every other one has.
    assert (arn in summary.values()) is (family.noun != "InferenceExperiment")
    if family.status is not None and family.status[0] in summary:
        assert summary[family.status[0]] == family.status[1]


def test_a_list_comes_in_pages_in_the_order_asked(sm: Any) -> None:
    hubs = FAMILIES[8]
    for index in range(3):
        _create(sm, hubs, f"paged-hub-{index}")

    first = sm.list_hubs(NameContains="paged-hub", MaxResults=2, SortBy="HubName")
    second = sm.list_hubs(
        NameContains="paged-hub", MaxResults=2, SortBy="HubName", NextToken=first["NextToken"]
    )
    names = [hub["HubName"] for page in (first, second) for hub in page["HubSummaries"]]
    assert names == ["paged-hub-0", "paged-hub-1", "paged-hub-2"]
    assert "NextToken" not in second
    backwards = sm.list_hubs(NameContains="paged-hub", SortBy="HubName", SortOrder="Descending")
    assert [hub["HubName"] for hub in backwards["HubSummaries"]] == names[::-1]
    with pytest.raises(ClientError) as refused:
        sm.list_hubs(MaxResults=101)
    assert _code(refused) == "ValidationException"


@pytest.mark.parametrize(
    "family", [f for f in FAMILIES if f.update is not None], ids=lambda family: family.noun
)
def test_update_changes_what_it_names(sm: Any, family: Family) -> None:
    assert family.update is not None
    name = f"{family.noun.lower()[:20]}-updated"
    arn = _create(sm, family, name)
    family.call(sm, "Update", **family.named(name, arn), **family.update)
    after = family.call(sm, "Describe", **family.named(name, arn))

    assert {key: after.get(key) for key in family.updated} == family.updated
    assert not set(family.removed) & set(after)


@by_family
def test_a_missing_resource_is_the_operations_error(sm: Any, family: Family) -> None:
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{ARN_TYPES[family.noun]}/app-missing"
    named = family.named("absent", arn)
    calls: list[tuple[str, dict[str, Any]]] = [("Describe", {})]
    if family.update is not None:
        calls.append(("Update", family.update))
    if family.delete:
        calls.append(("Delete", {}))
    for verb, request in calls:
        with pytest.raises(ClientError) as missing:
            family.call(sm, verb, **named, **request)
        assert _code(missing) == family.missing, verb


@by_family
def test_a_name_taken_is_refused(sm: Any, family: Family) -> None:
    name = f"{family.noun.lower()[:20]}-taken"
    _create(sm, family, name)
    with pytest.raises(ClientError) as taken:
        family.call(sm, "Create", **family.request(name))
    assert _code(taken) == family.taken


@pytest.mark.parametrize(
    "family", [f for f in FAMILIES if f.delete], ids=lambda family: family.noun
)
def test_delete_forgets_it(sm: Any, family: Family) -> None:
    name = f"{family.noun.lower()[:20]}-deleted"
    arn = _create(sm, family, name)

    family.call(sm, "Delete", **family.named(name, arn))

    with pytest.raises(ClientError) as gone:
        family.call(sm, "Describe", **family.named(name, arn))
    assert _code(gone) == family.missing
    assert name not in [summary[family.name] for summary in _listed(sm, family)]


# moto's feature groups ---------------------------------------------------------------------

FEATURE_GROUP: dict[str, Any] = {
    "RecordIdentifierFeatureName": "customer_id",
    "EventTimeFeatureName": "event_time",
    "FeatureDefinitions": [
        {"FeatureName": "customer_id", "FeatureType": "String"},
        {"FeatureName": "event_time", "FeatureType": "String"},
    ],
    "OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY}},
    "OfflineStoreConfig": {
        "S3StorageConfig": {"S3Uri": f"{BUCKET}/features", "KmsKeyId": OTHER_KEY}
    },
    "ThroughputConfig": {
        "ThroughputMode": "Provisioned",
        "ProvisionedReadCapacityUnits": 10,
        "ProvisionedWriteCapacityUnits": 5,
    },
    "RoleArn": ROLE,
    "Description": "customers",
}


def test_a_feature_group_answers_its_keys_and_role_as_sent(sm: Any) -> None:
    sm.create_feature_group(FeatureGroupName="customers", **FEATURE_GROUP)
    described = sm.describe_feature_group(FeatureGroupName="customers")

    assert described["RoleArn"] == ROLE
    assert described["OnlineStoreConfig"] == FEATURE_GROUP["OnlineStoreConfig"]
    assert described["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] == OTHER_KEY
    assert "ResolvedOutputS3Uri" in described["OfflineStoreConfig"]["S3StorageConfig"]
    assert described["ThroughputConfig"] == FEATURE_GROUP["ThroughputConfig"]
    assert described["Description"] == "customers"
    assert described["OfflineStoreStatus"] == {"Status": "Active"}


def test_a_feature_group_without_an_offline_store_is_stored_and_listed(sm: Any) -> None:
    online_only = {k: v for k, v in FEATURE_GROUP.items() if k != "OfflineStoreConfig"}
    sm.create_feature_group(FeatureGroupName="online-features", **online_only)

    described = sm.describe_feature_group(FeatureGroupName="online-features")
    assert "OfflineStoreConfig" not in described
    assert described["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == KEY
    (summary,) = sm.list_feature_groups(NameContains="online-feat")["FeatureGroupSummaries"]
    assert summary["FeatureGroupName"] == "online-features"
    assert summary["FeatureGroupStatus"] == "Created"
    assert "OfflineStoreStatus" not in summary


def test_list_feature_groups_pages_through_them(sm: Any) -> None:
    for index in range(3):
        sm.create_feature_group(FeatureGroupName=f"paged-features-{index}", **FEATURE_GROUP)

    first = sm.list_feature_groups(NameContains="paged-features", MaxResults=2)
    second = sm.list_feature_groups(
        NameContains="paged-features", MaxResults=2, NextToken=first["NextToken"]
    )
    names = [
        g["FeatureGroupName"] for page in (first, second) for g in page["FeatureGroupSummaries"]
    ]
    assert names == [f"paged-features-{index}" for index in range(3)]
    assert first["FeatureGroupSummaries"][0]["OfflineStoreStatus"] == {"Status": "Active"}


def test_a_missing_feature_group_is_resource_not_found(sm: Any) -> None:
    with pytest.raises(ClientError) as missing:
        sm.describe_feature_group(FeatureGroupName="no-such-features")
    assert _code(missing) == "ResourceNotFound"


# moto's model packages and cards -------------------------------------------------------------

VALIDATION = {
    "ValidationRole": ROLE,
    "ValidationProfiles": [
        {"ProfileName": "validation", "TransformJobDefinition": TRANSFORM_DEFINITION}
    ],
}


def test_a_model_package_answers_its_key_validation_and_inference_as_sent(sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="registry")
    versioned = sm.create_model_package(
        ModelPackageGroupName="registry",
        InferenceSpecification=INFERENCE_SPECIFICATION,
        ValidationSpecification=VALIDATION,
        SecurityConfig={"KmsKeyId": KEY},
        ModelApprovalStatus="PendingManualApproval",
    )["ModelPackageArn"]
    unversioned = sm.create_model_package(
        ModelPackageName="standalone",
        InferenceSpecification=INFERENCE_SPECIFICATION,
        SecurityConfig={"KmsKeyId": OTHER_KEY},
    )["ModelPackageArn"]

    described = sm.describe_model_package(ModelPackageName=versioned)
    assert described["SecurityConfig"] == {"KmsKeyId": KEY}
    assert described["ValidationSpecification"] == VALIDATION
    assert described["InferenceSpecification"] == INFERENCE_SPECIFICATION
    assert sm.describe_model_package(ModelPackageName="standalone")["SecurityConfig"] == {
        "KmsKeyId": OTHER_KEY
    }
    listed = sm.list_model_packages(ModelPackageType="Both")["ModelPackageSummaryList"]
    assert {versioned, unversioned} <= {summary["ModelPackageArn"] for summary in listed}


def test_a_model_package_type_outside_the_enum_is_refused(sm: Any) -> None:
    with pytest.raises(ClientError) as refused:
        sm.list_model_packages(ModelPackageType="BOTH")
    assert _code(refused) == "ValidationException"


def test_a_model_card_answers_its_key(sm: Any) -> None:
    sm.create_model_card(
        ModelCardName="card",
        Content="{}",
        ModelCardStatus="Draft",
        SecurityConfig={"KmsKeyId": KEY},
    )
    assert sm.describe_model_card(ModelCardName="card")["SecurityConfig"] == {"KmsKeyId": KEY}
