"""The resource kinds: what safeai knows about each family of resources, besides its controls.

A :class:`Resource` says, for one family (the slug prefix of its controls), which operations
create, change and start it, what its ARNs are called, where its requests name the S3 data a
job will read, which pipeline steps stand for its requests, which of its requests name other
stored resources, whether it hosts models, which of its requests take tags, whether its jobs
assume the execution role, and how the audit lists it. Every table the doors, preflight, the
audit, the role and SCP generators and the docs need is derived from :data:`RESOURCES` (see
the views at the end of this module); a conformance test ties them to the catalogue.

Adding an operation is adding it here (and its controls to the catalogue), never editing a
table in another module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "QUALIFIED_SERVICES",
    "RESOURCES",
    "TAG_CHANGES",
    "AuditListing",
    "Resource",
    "S3Inputs",
    "StoredResource",
    "audit_listings",
    "botocore_operation",
    "hosting_operations",
    "input_family",
    "input_places",
    "operation_key",
    "pii_families",
    "pipeline_definitions",
    "pipeline_executions",
    "referencing_operations",
    "resource_of",
    "role_assuming_types",
    "step_operations",
    "stored_resources",
    "tag_resource_types",
    "tagged_operations",
]


@dataclass(frozen=True, slots=True)
class S3Inputs:
    """Where ``operation``'s request names S3 data a job reads: in each ``container`` (a path
    with ``[]`` for list items), the ``uri`` member, and the ``data_type`` member that says how
    to read it (None: the URI names a manifest, or data outside S3 when ``uri`` is not a URI).
    ``scanned=False``: a store the resource keeps its own data in (an MLflow artifact store),
    whose bucket's posture is checked but whose objects are not scanned for personal data."""

    operation: str
    container: str
    uri: str
    data_type: str | None = None
    scanned: bool = True


_S3_DATA_SOURCE = ("DataSource.S3DataSource.S3Uri", "DataSource.S3DataSource.S3DataType")


def _channels(operation: str, *containers: str) -> tuple[S3Inputs, ...]:
    """The usual input channels: ``DataSource.S3DataSource`` in each container."""
    return tuple(S3Inputs(operation, container, *_S3_DATA_SOURCE) for container in containers)


@dataclass(frozen=True, slots=True)
class AuditListing:
    """How the audit finds stored resources of one ARN type and reads each one.

    ``arn_type`` is the resource type as it appears in the ARN. ``list_operation`` pages through
    ``list_key`` entries that carry the resource's name (``name_key``) and ARN (``arn_key``);
    ``describe_operation`` takes the name as ``describe_parameter``, and each of ``keys`` (other
    members of the entry: the domain a user profile belongs to) under its own name. Where the
    listing carries no ARN (``arn_listed`` false), ``arn_key`` is read from the ``Describe*``
    answer instead. The answer is checked as a ``create_operation`` request, after ``renames``
    (Describe member -> Create member) where the two shapes spell a member differently.
    ``references``: checked as the guard checks a request that names other resources (an
    endpoint, through its configuration and models). ``list_parameters``: what the listing is
    asked besides the page (model packages: versioned ones too). ``unseen``: controls whose
    fields the ``Describe*`` answer never holds (an Inference Recommender job's output key), so
    the audit cannot judge them.
    """

    arn_type: str
    create_operation: str
    list_operation: str
    list_key: str
    name_key: str
    arn_key: str
    describe_operation: str
    describe_parameter: str
    renames: tuple[tuple[str, str], ...] = ()
    references: bool = False
    service: str = "sagemaker"
    keys: tuple[str, ...] = ()
    arn_listed: bool = True
    list_parameters: tuple[tuple[str, str], ...] = ()
    unseen: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The name users give the audit (``--resource-type``): the ARN type."""
        return self.arn_type

    def describe_parameters(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """The ``Describe*`` parameters of one listed ``entry``."""
        return {
            **{key: entry[key] for key in self.keys},
            self.describe_parameter: entry[self.name_key],
        }

    def label(self, entry: Mapping[str, Any]) -> str:
        """The listed resource as its ARN ends (``user-profile/d-1/alice``), for a report that
        must name a resource whose ARN the listing does not give."""
        return "/".join((self.arn_type, *(str(entry[key]) for key in (*self.keys, self.name_key))))


def _listed(
    arn_type: str,
    noun: str,
    list_key: str,
    *,
    renames: tuple[tuple[str, str], ...] = (),
    references: bool = False,
    unseen: tuple[str, ...] = (),
) -> AuditListing:
    """The usual spelling: ``List<Noun>s`` pages ``list_key`` entries holding ``<Noun>Name`` and
    ``<Noun>Arn``, ``Describe<Noun>`` takes ``<Noun>Name``, and ``Create<Noun>`` made it."""
    return AuditListing(
        arn_type,
        f"Create{noun}",
        f"List{noun}s",
        list_key,
        f"{noun}Name",
        f"{noun}Arn",
        f"Describe{noun}",
        f"{noun}Name",
        renames=renames,
        references=references,
        unseen=unseen,
    )


def _listed_by_arn(arn_type: str, noun: str) -> AuditListing:
    """Resources named by their ARN alone (MLflow Apps, Partner AI Apps): ``List<Noun>s`` pages
    ``Summaries`` holding ``Arn``, which ``Describe<Noun>`` takes."""
    return AuditListing(
        arn_type,
        f"Create{noun}",
        f"List{noun}s",
        "Summaries",
        "Arn",
        "Arn",
        f"Describe{noun}",
        "Arn",
    )


def _job_definition(kind: str, prefix: str) -> AuditListing:
    return AuditListing(
        arn_type=f"{kind}-job-definition",
        create_operation=f"Create{prefix}JobDefinition",
        list_operation=f"List{prefix}JobDefinitions",
        list_key="JobDefinitionSummaries",
        name_key="MonitoringJobDefinitionName",
        arn_key="MonitoringJobDefinitionArn",
        describe_operation=f"Describe{prefix}JobDefinition",
        describe_parameter="JobDefinitionName",
    )


@dataclass(frozen=True, slots=True)
class StoredResource:
    """A request that starts, opens or names a stored resource whose security lives in it: the
    guard reads that resource and checks it as the request that would create it.

    ``operation``'s request names the resource at ``name`` (a path). ``when`` (a path and a
    value): the row applies only to requests holding that value there (a schedule's
    ``MonitoringType`` says which kind of job definition it names). The resource is read with
    ``describe_operation``, the name given as ``describe_parameter`` and each of ``passed`` (a
    pipeline version) as the request gave it; the answer is checked as a ``create_operation``
    request after ``renames`` (Describe member -> Create member), without injection: a missing
    control is a refusal. ``within``: where the answer holds only part of the create request
    (an execution's definition, without the pipeline's role), the members it holds: only the
    controls at those are checked. ``cached``: the resource cannot change in place, so its
    answer is reused for a while. ``control``: what a read that fails is filed under (its mode
    decides whether that refuses), None for the policy's mode. ``fix``: what the remedy adds.
    """

    operation: str
    name: str
    describe_operation: str
    describe_parameter: str
    create_operation: str
    renames: tuple[tuple[str, str], ...] = ()
    when: tuple[str, str] | None = None
    passed: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    cached: bool = False
    control: str | None = None
    fix: str = ""


def _stored(
    operations: tuple[str, ...],
    listing: AuditListing,
    *,
    name: str | None = None,
    when: tuple[str, str] | None = None,
    passed: tuple[str, ...] = (),
    cached: bool = False,
    control: str | None = None,
    fix: str,
) -> tuple[StoredResource, ...]:
    """Stored resources read and checked as the audit reads and checks them: with ``listing``'s
    describe, create operation and renames. ``name``: where the request names the resource
    (the describe's own parameter when None)."""
    return tuple(
        StoredResource(
            operation,
            name or listing.describe_parameter,
            listing.describe_operation,
            listing.describe_parameter,
            listing.create_operation,
            renames=listing.renames,
            when=when,
            passed=passed,
            cached=cached,
            control=control,
            fix=fix,
        )
        for operation in operations
    )


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource family: the slug prefix ``family`` of its controls, and what its requests do.

    ``title`` and ``scope`` head its section of the control reference. ``creates``, ``updates``
    and ``starts`` are the operations that make, change and run (or open) it; ``changes`` are
    other operations that change a stored one's security (a resource policy, a bucket setting,
    an object write). ``arn_types`` are the resource types in its ARNs. ``inputs``: where its
    requests name S3 data a job reads (checked by ``<family>.pii`` and ``s3.posture``).
    ``steps``: (pipeline step type, the operation whose request the step's ``Arguments`` hold).
    ``references``: its operations whose requests name stored resources (other ones, or its
    own that they start), which the guard reads and checks with the controls of ``reads``, the
    families those resources belong to; ``stored``: how those that are read as they are and
    checked as their create request are read (see :class:`StoredResource`).
    ``hosts``: it places model containers behind an endpoint (its subnets must span two
    Availability Zones). ``tagged``: its operations that take ``Tags``.
    ``assumes_role``: the ARN types whose jobs or instances assume the execution role (they belong
    in a trust policy's ``aws:SourceArn``). ``pipeline``: its requests carry pipeline definitions
    whose steps are the requests of other families, and its ``starts`` run stored ones.
    ``audit``: how the audit lists it; ``unaudited``: why the audit does not, where it has
    stored resources but no ``audit`` listing.
    """

    family: str
    title: str
    scope: str
    creates: tuple[str, ...] = ()
    updates: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    arn_types: tuple[str, ...] = ()
    inputs: tuple[S3Inputs, ...] = ()
    steps: tuple[tuple[str, str], ...] = ()
    references: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    stored: tuple[StoredResource, ...] = ()
    hosts: bool = False
    tagged: tuple[str, ...] = ()
    assumes_role: tuple[str, ...] = ()
    pipeline: bool = False
    audit: tuple[AuditListing, ...] = ()
    unaudited: str = ""
    service: str = "sagemaker"

    @property
    def operations(self) -> tuple[str, ...]:
        """Every operation of this family, without repeats."""
        return tuple(dict.fromkeys(self.creates + self.updates + self.starts + self.changes))


_NOT_LISTED_YET = "the audit does not list {what} yet: it is listed here so that the gap is visible"
_MONITORING_DEFINITIONS = (
    ("data-quality", "DataQuality"),
    ("model-quality", "ModelQuality"),
    ("model-bias", "ModelBias"),
    ("model-explainability", "ModelExplainability"),
)

#: How the audit lists (and the guard reads) notebook instances, pipelines and the job
#: definitions a monitoring schedule can name.
_NOTEBOOK_INSTANCES = _listed(
    "notebook-instance",
    "NotebookInstance",
    "NotebookInstances",
    renames=(("SecurityGroups", "SecurityGroupIds"),),
)
_PIPELINES = _listed("pipeline", "Pipeline", "PipelineSummaries")
_JOB_DEFINITIONS = tuple(_job_definition(kind, noun) for kind, noun in _MONITORING_DEFINITIONS)

_CREATE_ANOTHER = "create a compliant one through a guarded client and name it instead."

#: Every resource family safeai knows, in the order of the control reference and the audit.
RESOURCES: tuple[Resource, ...] = (
    Resource(
        "training",
        "Training jobs",
        "`CreateTrainingJob` (and `UpdateTrainingJob`), and LoRA fine-tuning sessions "
        "(`CreateTrainingSession`).",
        creates=("CreateTrainingJob", "CreateTrainingSession"),
        updates=("UpdateTrainingJob",),
        arn_types=("training-job", "training-session"),
        inputs=_channels("CreateTrainingJob", "InputDataConfig[]"),
        steps=(("Training", "CreateTrainingJob"),),
        tagged=("CreateTrainingJob", "CreateTrainingSession"),
        assumes_role=("training-job", "training-session"),
        audit=(_listed("training-job", "TrainingJob", "TrainingJobSummaries"),),
    ),
    Resource(
        "processing",
        "Processing jobs",
        "`CreateProcessingJob`.",
        creates=("CreateProcessingJob",),
        arn_types=("processing-job",),
        inputs=(
            S3Inputs(
                "CreateProcessingJob", "ProcessingInputs[]", "S3Input.S3Uri", "S3Input.S3DataType"
            ),
            # An Athena or Redshift query: data outside S3, which no scanner reads.
            S3Inputs("CreateProcessingJob", "ProcessingInputs[]", "DatasetDefinition"),
        ),
        steps=(
            ("Processing", "CreateProcessingJob"),
            ("QualityCheck", "CreateProcessingJob"),
            ("ClarifyCheck", "CreateProcessingJob"),
        ),
        tagged=("CreateProcessingJob",),
        assumes_role=("processing-job",),
        audit=(_listed("processing-job", "ProcessingJob", "ProcessingJobSummaries"),),
    ),
    Resource(
        "transform",
        "Batch transform jobs",
        "`CreateTransformJob`. A transform job has no VPC or isolation fields of its own: they "
        "come from the model it names, which the guard reads and checks against the `model.*` "
        "controls (see [referenced resources](guard.md#referenced-resources)).",
        creates=("CreateTransformJob",),
        arn_types=("transform-job",),
        inputs=_channels("CreateTransformJob", "TransformInput"),
        steps=(("Transform", "CreateTransformJob"),),
        references=("CreateTransformJob",),
        reads=("model",),
        tagged=("CreateTransformJob",),
        assumes_role=("transform-job",),
        # The model a transform job ran is audited as a model (it may be long gone by now).
        audit=(_listed("transform-job", "TransformJob", "TransformJobSummaries"),),
    ),
    Resource(
        "tuning",
        "Hyperparameter tuning jobs",
        "`CreateHyperParameterTuningJob`: `TrainingJobDefinition` and every entry of "
        "`TrainingJobDefinitions`.",
        creates=("CreateHyperParameterTuningJob",),
        arn_types=("hyper-parameter-tuning-job",),
        inputs=_channels(
            "CreateHyperParameterTuningJob",
            "TrainingJobDefinition.InputDataConfig[]",
            "TrainingJobDefinitions[].InputDataConfig[]",
        ),
        steps=(("Tuning", "CreateHyperParameterTuningJob"),),
        tagged=("CreateHyperParameterTuningJob",),
        assumes_role=("hyper-parameter-tuning-job",),
        audit=(
            _listed(
                "hyper-parameter-tuning-job",
                "HyperParameterTuningJob",
                "HyperParameterTuningJobSummaries",
            ),
        ),
    ),
    Resource(
        "automl",
        "AutoML jobs",
        "`CreateAutoMLJob` and `CreateAutoMLJobV2`.",
        creates=("CreateAutoMLJob", "CreateAutoMLJobV2"),
        arn_types=("automl-job",),
        inputs=(
            *_channels("CreateAutoMLJob", "InputDataConfig[]"),
            *_channels("CreateAutoMLJobV2", "AutoMLJobInputDataConfig[]"),
        ),
        steps=(("AutoML", "CreateAutoMLJob"),),
        tagged=("CreateAutoMLJob", "CreateAutoMLJobV2"),
        assumes_role=("automl-job",),
        unaudited=_NOT_LISTED_YET.format(what="AutoML jobs"),
    ),
    Resource(
        "compilation",
        "Compilation jobs (Neo)",
        "`CreateCompilationJob`.",
        creates=("CreateCompilationJob",),
        arn_types=("compilation-job",),
        tagged=("CreateCompilationJob",),
        assumes_role=("compilation-job",),
        audit=(_listed("compilation-job", "CompilationJob", "CompilationJobSummaries"),),
    ),
    Resource(
        "optimization",
        "Inference optimization jobs",
        "`CreateOptimizationJob`.",
        creates=("CreateOptimizationJob",),
        arn_types=("optimization-job",),
        tagged=("CreateOptimizationJob",),
        assumes_role=("optimization-job",),
        unaudited=_NOT_LISTED_YET.format(what="optimization jobs"),
    ),
    Resource(
        "labeling",
        "Labeling jobs",
        "`CreateLabelingJob`; the VPC and volume key apply to automated labeling only.",
        creates=("CreateLabelingJob",),
        arn_types=("labeling-job",),
        inputs=(
            S3Inputs("CreateLabelingJob", "InputConfig", "DataSource.S3DataSource.ManifestS3Uri"),
        ),
        tagged=("CreateLabelingJob",),
        assumes_role=("labeling-job",),
        unaudited=_NOT_LISTED_YET.format(what="labeling jobs"),
    ),
    Resource(
        "cluster",
        "HyperPod clusters",
        "`CreateCluster` and `UpdateCluster`.",
        creates=("CreateCluster",),
        updates=("UpdateCluster",),
        arn_types=("cluster",),
        tagged=("CreateCluster",),
        assumes_role=("cluster",),
        unaudited=_NOT_LISTED_YET.format(what="HyperPod clusters"),
    ),
    Resource(
        "model",
        "Models",
        "`CreateModel`. These controls are also evaluated, without injection, on the model a "
        "transform job or an endpoint configuration names.",
        creates=("CreateModel",),
        arn_types=("model",),
        steps=(("Model", "CreateModel"),),
        hosts=True,
        tagged=("CreateModel",),
        assumes_role=("model",),
        audit=(_listed("model", "Model", "Models"),),
    ),
    Resource(
        "endpoint_config",
        "Endpoint configurations",
        "`CreateEndpointConfig`. Endpoints carry no security fields: `CreateEndpoint` and "
        "`UpdateEndpoint` are checked through the configuration (and its models) they name, "
        "without injection.",
        creates=("CreateEndpointConfig",),
        arn_types=("endpoint-config",),
        steps=(("EndpointConfig", "CreateEndpointConfig"),),
        hosts=True,
        tagged=("CreateEndpointConfig",),
        assumes_role=("endpoint-config",),
        audit=(_listed("endpoint-config", "EndpointConfig", "EndpointConfigs"),),
    ),
    Resource(
        "endpoint",
        "Endpoints",
        "`CreateEndpoint` and `UpdateEndpoint`, checked through the configuration they name; "
        "`PutEndpointPolicy`, who else may invoke the endpoint.",
        creates=("CreateEndpoint",),
        updates=("UpdateEndpoint",),
        changes=("PutEndpointPolicy",),
        arn_types=("endpoint",),
        references=("CreateEndpoint", "UpdateEndpoint"),
        reads=("endpoint_config", "model"),
        tagged=("CreateEndpoint",),
        assumes_role=("endpoint",),
        audit=(_listed("endpoint", "Endpoint", "Endpoints", references=True),),
    ),
    Resource(
        "inference_component",
        "Inference components",
        "`CreateInferenceComponent` and `UpdateInferenceComponent`: a component's inline "
        "container is checked as a model under its endpoint's configuration, and a model it "
        "names is read and checked against the `model.*` controls.",
        creates=("CreateInferenceComponent",),
        updates=("UpdateInferenceComponent",),
        arn_types=("inference-component",),
        references=("CreateInferenceComponent", "UpdateInferenceComponent"),
        reads=("model",),
        unaudited=_NOT_LISTED_YET.format(what="inference components"),
    ),
    # --8<-- [start:resource]
    Resource(
        "feature_group",
        "Feature Store feature groups",
        "`CreateFeatureGroup`: the online store's key, and the offline store's key and the role "
        "that writes it.",
        creates=("CreateFeatureGroup",),
        arn_types=("feature-group",),
        tagged=("CreateFeatureGroup",),
        audit=(_listed("feature-group", "FeatureGroup", "FeatureGroupSummaries"),),
    ),
    # --8<-- [end:resource]
    Resource(
        "model_package_group",
        "Model package groups",
        "`PutModelPackageGroupPolicy`: who else may use the group's model versions.",
        changes=("PutModelPackageGroupPolicy",),
        arn_types=("model-package-group",),
    ),
    Resource(
        "model_package",
        "Model registry: model package versions",
        "`CreateModelPackage` (and a pipeline's `RegisterModel` step, whose arguments are its "
        "request): the key of the package's metadata, and the role and keys of the batch "
        "transform jobs its `ValidationSpecification` has SageMaker run. Deploying a package "
        "goes through `CreateModel`.",
        creates=("CreateModelPackage",),
        arn_types=("model-package",),
        steps=(("RegisterModel", "CreateModelPackage"),),
        tagged=("CreateModelPackage",),
        assumes_role=("model-package",),
        audit=(
            # Versions in a group are named by their ARN (their name is the group's), and the
            # listing shows only unversioned packages unless asked for both.
            AuditListing(
                arn_type="model-package",
                create_operation="CreateModelPackage",
                list_operation="ListModelPackages",
                list_key="ModelPackageSummaryList",
                name_key="ModelPackageArn",
                arn_key="ModelPackageArn",
                describe_operation="DescribeModelPackage",
                describe_parameter="ModelPackageName",
                list_parameters=(("ModelPackageType", "Both"),),
            ),
        ),
    ),
    Resource(
        "algorithm",
        "Algorithms",
        "`CreateAlgorithm`: the role and keys of the training and transform jobs its "
        "`ValidationSpecification` has SageMaker run.",
        creates=("CreateAlgorithm",),
        arn_types=("algorithm",),
        tagged=("CreateAlgorithm",),
        assumes_role=("algorithm",),
        audit=(_listed("algorithm", "Algorithm", "AlgorithmSummaryList"),),
    ),
    Resource(
        "model_card",
        "Model cards",
        "`CreateModelCard`: the key that encrypts the card.",
        creates=("CreateModelCard",),
        arn_types=("model-card",),
        tagged=("CreateModelCard",),
        audit=(_listed("model-card", "ModelCard", "ModelCardSummaries"),),
    ),
    Resource(
        "mlflow",
        "Managed MLflow",
        "`CreateMlflowTrackingServer`, `CreateMlflowApp` and their updates: the role they reach "
        "the artifact store as, an App's key, and the posture of the artifact store's bucket "
        "(`s3.posture`, whose objects are not scanned).",
        creates=("CreateMlflowTrackingServer", "CreateMlflowApp"),
        updates=("UpdateMlflowTrackingServer", "UpdateMlflowApp"),
        arn_types=("mlflow-tracking-server", "mlflow-app"),
        inputs=tuple(
            S3Inputs(operation, "", "ArtifactStoreUri", scanned=False)
            for operation in (
                "CreateMlflowTrackingServer",
                "UpdateMlflowTrackingServer",
                "CreateMlflowApp",
                "UpdateMlflowApp",
            )
        ),
        tagged=("CreateMlflowTrackingServer", "CreateMlflowApp"),
        assumes_role=("mlflow-tracking-server", "mlflow-app"),
        audit=(
            AuditListing(
                arn_type="mlflow-tracking-server",
                create_operation="CreateMlflowTrackingServer",
                list_operation="ListMlflowTrackingServers",
                list_key="TrackingServerSummaries",
                name_key="TrackingServerName",
                arn_key="TrackingServerArn",
                describe_operation="DescribeMlflowTrackingServer",
                describe_parameter="TrackingServerName",
            ),
            _listed_by_arn("mlflow-app", "MlflowApp"),
        ),
    ),
    Resource(
        "inference_recommender",
        "Inference Recommender jobs",
        "`CreateInferenceRecommendationsJob`: the endpoints it load-tests (role, VPC, volume "
        "key) and the key of its results.",
        creates=("CreateInferenceRecommendationsJob",),
        arn_types=("inference-recommendations-job",),
        tagged=("CreateInferenceRecommendationsJob",),
        assumes_role=("inference-recommendations-job",),
        audit=(
            AuditListing(
                arn_type="inference-recommendations-job",
                create_operation="CreateInferenceRecommendationsJob",
                list_operation="ListInferenceRecommendationsJobs",
                list_key="InferenceRecommendationsJobs",
                name_key="JobName",
                arn_key="JobArn",
                describe_operation="DescribeInferenceRecommendationsJob",
                describe_parameter="JobName",
                unseen=("inference_recommender.output_kms",),
            ),
        ),
    ),
    Resource(
        "inference_experiment",
        "Inference experiments",
        "`CreateInferenceExperiment` and `UpdateInferenceExperiment`: the shadow test's role, "
        "the key of its instances' storage and of the data it captures.",
        creates=("CreateInferenceExperiment",),
        updates=("UpdateInferenceExperiment",),
        arn_types=("inference-experiment",),
        tagged=("CreateInferenceExperiment",),
        assumes_role=("inference-experiment",),
        # Listed by name only: the ARN is in the Describe answer.
        audit=(
            AuditListing(
                arn_type="inference-experiment",
                create_operation="CreateInferenceExperiment",
                list_operation="ListInferenceExperiments",
                list_key="InferenceExperiments",
                name_key="Name",
                arn_key="Arn",
                describe_operation="DescribeInferenceExperiment",
                describe_parameter="Name",
                arn_listed=False,
            ),
        ),
    ),
    Resource(
        "ai_benchmark",
        "AI benchmark jobs",
        "`CreateAIBenchmarkJob`: the role and network of a job that measures generative AI "
        "inference endpoints.",
        creates=("CreateAIBenchmarkJob",),
        arn_types=("ai-benchmark-job",),
        tagged=("CreateAIBenchmarkJob",),
        assumes_role=("ai-benchmark-job",),
        audit=(_listed("ai-benchmark-job", "AIBenchmarkJob", "AIBenchmarkJobs"),),
    ),
    Resource(
        "ai_recommendation",
        "AI recommendation jobs",
        "`CreateAIRecommendationJob`: the role of a job that recommends how to deploy a "
        "generative AI model.",
        creates=("CreateAIRecommendationJob",),
        arn_types=("ai-recommendation-job",),
        tagged=("CreateAIRecommendationJob",),
        assumes_role=("ai-recommendation-job",),
        audit=(_listed("ai-recommendation-job", "AIRecommendationJob", "AIRecommendationJobs"),),
    ),
    Resource(
        "flow_definition",
        "Human review workflows (Amazon Augmented AI)",
        "`CreateFlowDefinition`: the workflow's role and the key of the reviewers' results.",
        creates=("CreateFlowDefinition",),
        arn_types=("flow-definition",),
        tagged=("CreateFlowDefinition",),
        assumes_role=("flow-definition",),
        audit=(_listed("flow-definition", "FlowDefinition", "FlowDefinitionSummaries"),),
    ),
    Resource(
        "workforce",
        "Private workforces",
        "`CreateWorkforce` and `UpdateWorkforce`: where the worker portal is placed, when it is "
        "placed in a VPC.",
        creates=("CreateWorkforce",),
        updates=("UpdateWorkforce",),
        arn_types=("workforce",),
        tagged=("CreateWorkforce",),
        unaudited="a workforce's only setting safeai checks is optional and check-only (its "
        "VPC); one without a VPC is not a finding, and one with the policy's subnets needs no "
        "second look",
    ),
    Resource(
        "edge",
        "Edge Manager: packaging jobs and device fleets",
        "`CreateEdgePackagingJob`, `CreateDeviceFleet` and `UpdateDeviceFleet`: the packaging "
        "job's role, the role a fleet hands its devices, and the keys of packages and of the "
        "data devices send back.",
        creates=("CreateEdgePackagingJob", "CreateDeviceFleet"),
        updates=("UpdateDeviceFleet",),
        arn_types=("edge-packaging-job", "device-fleet"),
        tagged=("CreateEdgePackagingJob", "CreateDeviceFleet"),
        assumes_role=("edge-packaging-job",),
        audit=(
            _listed("edge-packaging-job", "EdgePackagingJob", "EdgePackagingJobSummaries"),
            _listed("device-fleet", "DeviceFleet", "DeviceFleetSummaries"),
        ),
    ),
    Resource(
        "image",
        "SageMaker AI images",
        "`CreateImage` and `UpdateImage`: the role SageMaker manages the image as. The Studio "
        "apps that run an image are governed by the `domain.*` controls.",
        creates=("CreateImage",),
        updates=("UpdateImage",),
        arn_types=("image",),
        tagged=("CreateImage",),
        assumes_role=("image",),
        audit=(_listed("image", "Image", "Images"),),
    ),
    Resource(
        "hub",
        "Private hubs",
        "`CreateHub`: the posture of the bucket the hub keeps its content in "
        "(`S3StorageConfig.S3OutputPath`, `s3.posture`, whose objects are not scanned), and "
        "its tags.",
        creates=("CreateHub",),
        arn_types=("hub",),
        inputs=(S3Inputs("CreateHub", "S3StorageConfig", "S3OutputPath", scanned=False),),
        tagged=("CreateHub",),
        audit=(_listed("hub", "Hub", "HubSummaries"),),
    ),
    Resource(
        "partner_app",
        "Partner AI Apps",
        "`CreatePartnerApp`: the role the partner application acts as and the key of its data.",
        creates=("CreatePartnerApp",),
        arn_types=("partner-app",),
        tagged=("CreatePartnerApp",),
        assumes_role=("partner-app",),
        audit=(_listed_by_arn("partner-app", "PartnerApp"),),
    ),
    Resource(
        "notebook",
        "Notebook instances",
        "`CreateNotebookInstance`, `UpdateNotebookInstance`. `StartNotebookInstance` and "
        "`CreatePresignedNotebookInstanceUrl` are checked through the stored notebook instance "
        "they start or open (see [referenced resources](guard.md#referenced-resources)).",
        creates=("CreateNotebookInstance",),
        updates=("UpdateNotebookInstance",),
        # Opening a notebook (a presigned URL) hands its user the instance as it is stored.
        starts=("StartNotebookInstance", "CreatePresignedNotebookInstanceUrl"),
        arn_types=("notebook-instance",),
        references=("StartNotebookInstance", "CreatePresignedNotebookInstanceUrl"),
        reads=("notebook",),
        # An instance can change in place (UpdateNotebookInstance, while it is stopped).
        stored=_stored(
            ("StartNotebookInstance", "CreatePresignedNotebookInstanceUrl"),
            _NOTEBOOK_INSTANCES,
            fix="Its DirectInternetAccess, SubnetId, SecurityGroupIds and KmsKeyId cannot be "
            "changed in place: create a compliant notebook instance through a guarded client "
            "and use it instead (RoleArn, RootAccess and the IMDS version can be updated while "
            "it is stopped, with UpdateNotebookInstance through a guarded client).",
        ),
        tagged=("CreateNotebookInstance",),
        assumes_role=("notebook-instance",),
        audit=(_NOTEBOOK_INSTANCES,),
    ),
    Resource(
        "domain",
        "Studio domains and user profiles",
        "`CreateDomain`, `UpdateDomain`, `CreateUserProfile`, `UpdateUserProfile`.",
        creates=("CreateDomain", "CreateUserProfile"),
        updates=("UpdateDomain", "UpdateUserProfile"),
        arn_types=("domain", "user-profile"),
        tagged=("CreateDomain", "CreateUserProfile"),
        audit=(
            AuditListing(
                arn_type="domain",
                create_operation="CreateDomain",
                list_operation="ListDomains",
                list_key="Domains",
                name_key="DomainId",
                arn_key="DomainArn",
                describe_operation="DescribeDomain",
                describe_parameter="DomainId",
            ),
            # A profile is named by its domain and its own name, and listed without its ARN.
            # One that sets no ExecutionRole runs as its domain's default, audited on the domain.
            AuditListing(
                arn_type="user-profile",
                create_operation="CreateUserProfile",
                list_operation="ListUserProfiles",
                list_key="UserProfiles",
                name_key="UserProfileName",
                arn_key="UserProfileArn",
                describe_operation="DescribeUserProfile",
                describe_parameter="UserProfileName",
                keys=("DomainId",),
                arn_listed=False,
            ),
        ),
    ),
    Resource(
        "space",
        "Studio spaces",
        "`CreateSpace`, `UpdateSpace`.",
        creates=("CreateSpace",),
        updates=("UpdateSpace",),
        arn_types=("space",),
        tagged=("CreateSpace",),
        unaudited=_NOT_LISTED_YET.format(what="Studio spaces"),
    ),
    Resource(
        "monitoring",
        "Model monitoring",
        "Schedules with an inline job definition, and the four job definition operations a "
        "schedule can name instead. A schedule that names a job definition "
        "(`MonitoringJobDefinitionName`, as SDK v2's model monitors do) is checked through it.",
        creates=(
            "CreateMonitoringSchedule",
            *(f"Create{noun}JobDefinition" for _, noun in _MONITORING_DEFINITIONS),
        ),
        updates=("UpdateMonitoringSchedule",),
        arn_types=(
            "monitoring-schedule",
            *(f"{kind}-job-definition" for kind, _ in _MONITORING_DEFINITIONS),
        ),
        references=("CreateMonitoringSchedule", "UpdateMonitoringSchedule"),
        reads=("monitoring",),
        # A job definition cannot be changed once made: its answer is kept.
        stored=tuple(
            row
            for (_, noun), listing in zip(_MONITORING_DEFINITIONS, _JOB_DEFINITIONS, strict=True)
            for row in _stored(
                ("CreateMonitoringSchedule", "UpdateMonitoringSchedule"),
                listing,
                name="MonitoringScheduleConfig.MonitoringJobDefinitionName",
                when=("MonitoringScheduleConfig.MonitoringType", noun),
                cached=True,
                fix=f"A job definition cannot be changed: {_CREATE_ANOTHER}",
            )
        ),
        tagged=(
            "CreateMonitoringSchedule",
            *(f"Create{noun}JobDefinition" for _, noun in _MONITORING_DEFINITIONS),
        ),
        # A schedule's jobs run as processing jobs the schedule starts: its ARN is the source.
        assumes_role=("monitoring-schedule",),
        audit=(
            _listed("monitoring-schedule", "MonitoringSchedule", "MonitoringScheduleSummaries"),
            *_JOB_DEFINITIONS,
        ),
    ),
    Resource(
        "pipeline",
        "Pipelines",
        "`CreatePipeline` and `UpdatePipeline`. A pipeline definition held in S3 "
        "(`PipelineDefinitionS3Location`) is read and sent inline, so what is checked is what "
        "runs. `StartPipelineExecution` and `RetryPipelineExecution` are checked through the "
        "stored definition they run, as `CreatePipeline` checks it.",
        creates=("CreatePipeline",),
        updates=("UpdatePipeline",),
        starts=("StartPipelineExecution", "RetryPipelineExecution"),
        arn_types=("pipeline",),
        references=(
            "CreatePipeline",
            "UpdatePipeline",
            "StartPipelineExecution",
            "RetryPipelineExecution",
        ),
        reads=("model", "pipeline"),
        stored=(
            # The pipeline as it is now (it can be updated in place), at the version the
            # execution names, if any.
            *_stored(
                ("StartPipelineExecution",),
                _PIPELINES,
                passed=("PipelineVersionId", "PipelineVersionAlias"),
                control="pipeline.steps",
                fix="Update the pipeline through a guarded client (UpdatePipeline secures every "
                "step), then start the new version.",
            ),
            # A retry runs the definition its execution started with, which cannot change.
            StoredResource(
                "RetryPipelineExecution",
                "PipelineExecutionArn",
                "DescribePipelineDefinitionForExecution",
                "PipelineExecutionArn",
                "CreatePipeline",
                within=("PipelineDefinition",),
                cached=True,
                control="pipeline.steps",
                fix="A retry runs the definition its execution started with, which cannot be "
                "changed: update the pipeline through a guarded client and start a new "
                "execution instead.",
            ),
        ),
        tagged=("CreatePipeline",),
        assumes_role=("pipeline",),
        pipeline=True,
        audit=(_PIPELINES,),
    ),
    Resource(
        "runtime",
        "Predictions (SageMaker Runtime)",
        "`InvokeEndpoint`, `InvokeEndpointAsync` and `InvokeEndpointWithResponseStream` of a "
        "`sagemaker-runtime` client: the client must reach the endpoint through an interface "
        "VPC endpoint (`runtime.private_link`), and the object an asynchronous invocation reads "
        "(`InputLocation`) is checked like a job's input (`runtime.pii`, `s3.posture`). The "
        "endpoint itself is checked where it is created (`endpoint`). See "
        "[predictions over PrivateLink](guard.md#predictions-over-privatelink).",
        # An invocation runs the endpoint; it creates and changes nothing.
        starts=("InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"),
        inputs=(S3Inputs("InvokeEndpointAsync", "", "InputLocation"),),
        unaudited="an invocation stores nothing the audit could list: the endpoint it calls is "
        "audited as an endpoint",
        service="sagemaker-runtime",
    ),
    # -- what guarded requests name or travel through, read by preflight and the door ---------
    Resource(
        "client",
        "Clients",
        "The client a request is sent through: its endpoint, region and account, checked by "
        "the guard before anything else.",
    ),
    Resource(
        "role",
        "Execution roles (preflight)",
        "The roles guarded requests name, read from IAM before the request is sent.",
        service="iam",
    ),
    Resource(
        "kms",
        "KMS keys (preflight)",
        "The keys guarded requests name, read from KMS.",
        service="kms",
    ),
    Resource(
        "network",
        "Private network (preflight)",
        "The subnets and security groups guarded requests name, and their VPC's endpoints, "
        "read from EC2.",
        service="ec2",
    ),
    Resource(
        "s3",
        "Amazon S3",
        "Object writes (and so boto3's transfer manager, managed copies, the resource API and "
        "presigned PUT URLs made by a guarded client) and the bucket settings a program can "
        "weaken. A forbidden operation is refused whole unless its control is waived. See "
        "[S3](s3.md).",
        creates=("CreateBucket",),
        changes=(
            "PutObject",
            "CopyObject",
            "CreateMultipartUpload",
            "UpdateObjectEncryption",
            "PutObjectAcl",
            "PutBucketAcl",
            "PutBucketEncryption",
            "DeleteBucketEncryption",
            "PutBucketPolicy",
            "DeleteBucketPolicy",
            "PutPublicAccessBlock",
            "DeletePublicAccessBlock",
            "PutBucketOwnershipControls",
            "DeleteBucketOwnershipControls",
            "PutBucketVersioning",
        ),
        service="s3",
    ),
    Resource(
        "s3control",
        "Amazon S3 account settings and access points",
        "The account's Block Public Access (`PutPublicAccessBlock`, `DeletePublicAccessBlock` "
        "of the `s3control` client, named `s3control:<Operation>` here), the Block Public Access "
        "of new access points and Multi-Region Access Points, and access point policies. See "
        "[S3](s3.md#account-settings-and-access-points).",
        creates=("s3control:CreateAccessPoint", "s3control:CreateMultiRegionAccessPoint"),
        changes=(
            "s3control:PutPublicAccessBlock",
            "s3control:DeletePublicAccessBlock",
            "s3control:PutAccessPointPolicy",
            "s3control:PutAccessPointPolicyForObjectLambda",
            "s3control:PutMultiRegionAccessPointPolicy",
        ),
        service="s3control",
    ),
)


#: Services whose operation names repeat another guarded service's (s3control's
#: PutPublicAccessBlock is the account's setting, s3's a bucket's): the catalogue, the registry
#: and the engine name their operations ``<service>:<Operation>``.
QUALIFIED_SERVICES = frozenset({"s3control"})


def operation_key(service: str, operation: str) -> str:
    """The name the catalogue gives ``service``'s botocore ``operation``."""
    return f"{service}:{operation}" if service in QUALIFIED_SERVICES else operation


def botocore_operation(key: str) -> str:
    """The botocore operation name of a catalogue operation name (:func:`operation_key`)."""
    return key.rpartition(":")[2]


#: Operations that change the tags of a stored resource of any tagged family (named by its ARN):
#: each is checked against that family's ``<family>.tags`` control.
TAG_CHANGES = frozenset({"AddTags", "DeleteTags"})


# -- the derived views ------------------------------------------------------------------------


@cache
def _by_family() -> dict[str, Resource]:
    return {resource.family: resource for resource in RESOURCES}


def resource_of(family: str) -> Resource | None:
    """The resource family with this slug prefix, or None."""
    return _by_family().get(family)


@cache
def tagged_operations() -> dict[str, tuple[str, ...]]:
    """Family -> its operations that take ``Tags`` (each family has a ``<family>.tags``)."""
    return {r.family: r.tagged for r in RESOURCES if r.tagged}


@cache
def tag_resource_types() -> dict[str, str]:
    """The resource type in an ARN -> its family, for the families that carry tags
    (``AddTags`` and ``DeleteTags`` name a resource by its ARN)."""
    return {arn_type: r.family for r in RESOURCES if r.tagged for arn_type in r.arn_types}


@cache
def input_places() -> dict[str, tuple[str, tuple[S3Inputs, ...]]]:
    """Operation -> (its family, where its request names the S3 data a job reads)."""
    places: dict[str, tuple[str, tuple[S3Inputs, ...]]] = {}
    for resource in RESOURCES:
        for inputs in resource.inputs:
            family, found = places.get(inputs.operation, (resource.family, ()))
            places[inputs.operation] = (family, (*found, inputs))
    return places


@cache
def _input_families() -> dict[str, str]:
    families = {operation: family for operation, (family, _) in input_places().items()}
    for resource in RESOURCES:
        if resource.pipeline:
            families.update(dict.fromkeys(resource.operations, resource.family))
    return families


def input_family(operation: str) -> str | None:
    """The family whose ``<family>.pii`` control covers the S3 data ``operation`` has a job
    read (``pipeline`` for a pipeline's requests, whose steps read it), or None."""
    return _input_families().get(operation)


@cache
def pii_families() -> tuple[Resource, ...]:
    """The families whose requests have jobs read S3 data, each of which has a
    ``<family>.pii``."""
    return tuple(r for r in RESOURCES if any(i.scanned for i in r.inputs) or r.pipeline)


@cache
def step_operations() -> dict[str, str]:
    """Pipeline step ``Type`` -> the operation whose request shape its ``Arguments`` hold."""
    return {step: operation for r in RESOURCES for step, operation in r.steps}


@cache
def pipeline_executions() -> frozenset[str]:
    """The operations that run a stored pipeline: what they read is in the definition and
    parameters AWS holds."""
    return frozenset(operation for r in RESOURCES if r.pipeline for operation in r.starts)


@cache
def pipeline_definitions() -> frozenset[str]:
    """The operations whose requests carry a pipeline definition."""
    return frozenset(op for r in RESOURCES if r.pipeline for op in r.creates + r.updates)


@cache
def referencing_operations() -> frozenset[str]:
    """The operations whose requests name stored resources the guard reads and checks (other
    resources, or the stored one they start, open or name)."""
    return frozenset(operation for r in RESOURCES for operation in r.references)


@cache
def stored_resources() -> dict[str, tuple[StoredResource, ...]]:
    """Operation -> how the stored resources its requests start, open or name are read and
    checked (several rows: one for each value of the member that says which kind it names)."""
    found: dict[str, tuple[StoredResource, ...]] = {}
    for resource in RESOURCES:
        for row in resource.stored:
            found[row.operation] = (*found.get(row.operation, ()), row)
    return found


@cache
def hosting_operations() -> frozenset[str]:
    """The operations that create what hosts model containers (their subnets must span two
    Availability Zones)."""
    return frozenset(operation for r in RESOURCES if r.hosts for operation in r.creates)


@cache
def role_assuming_types() -> tuple[str, ...]:
    """The ARN types whose jobs and instances assume the execution role, sorted."""
    return tuple(sorted(arn_type for r in RESOURCES for arn_type in r.assumes_role))


@cache
def audit_listings() -> tuple[AuditListing, ...]:
    """What the audit lists and describes, in report order."""
    return tuple(listing for r in RESOURCES for listing in r.audit)
