"""``safeai demo``: raw boto3 requests secured and refused in an offline sandbox."""

from __future__ import annotations

import gc
import json
import os
import time
from typing import TYPE_CHECKING, Any, TextIO

from .._audit import Collector
from .._decisions import Decision
from .._exceptions import SafeAIError, SecurityViolation

if TYPE_CHECKING:
    from collections.abc import Callable

_TRAINING_REQUEST: dict[str, Any] = {
    "TrainingJobName": "churn-xgboost",
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
        "TrainingInputMode": "File",
    },
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://safeai-sandbox-ml-data/train/",
                }
            },
        }
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://safeai-sandbox-ml-data/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


class _Printer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        color = out.isatty() and os.environ.get("NO_COLOR") is None
        self._bold = "\033[1m" if color else ""
        self._green = "\033[32m" if color else ""
        self._red = "\033[31m" if color else ""
        self._dim = "\033[2m" if color else ""
        self._reset = "\033[0m" if color else ""

    def heading(self, number: int, text: str) -> None:
        self.out.write(f"\n{self._bold}{number}. {text}{self._reset}\n")

    def line(self, text: str = "", *, style: str = "") -> None:
        colour = {"ok": self._green, "bad": self._red, "dim": self._dim}.get(style, "")
        self.out.write(f"{colour}{text}{self._reset if colour else ''}\n")

    def decisions(self, decisions: list[Decision]) -> None:
        width = max(len(d.control) for d in decisions)
        for decision in decisions:
            value = decision.reason if decision.outcome == "waived" else decision.value
            shown = json.dumps(value) if not isinstance(value, str) else value
            self.line(f"   {decision.outcome:<9} {decision.control:<{width}}  {shown}")


def register(commands: Any) -> None:
    """Add ``safeai demo`` to the command parsers."""
    parser = commands.add_parser(
        "demo",
        help="show safeai securing and refusing SageMaker requests in an offline AWS sandbox",
        description="Starts moto on 127.0.0.1 inside this process, provisions a secure "
        "baseline, and shows raw boto3 requests being secured and refused. "
        "No AWS account is needed.",
    )
    parser.set_defaults(run=lambda args, out: run(out))


def run(out: TextIO) -> int:
    """Run the demo; returns the exit status."""
    printer = _Printer(out)
    try:
        from ..testing import Sandbox

        sandbox = Sandbox()
        started = time.perf_counter()
        sandbox.start()
    except SafeAIError as error:
        printer.line(f"safeai demo: {error}", style="bad")
        return 1
    try:
        _walkthrough(printer, sandbox, time.perf_counter() - started)
        _rollout(printer, sandbox.policy)
        _preflight(printer, sandbox.policy)
        _s3(printer, sandbox.policy)
        _pii(printer, sandbox.policy)
        _pipeline(printer, sandbox.policy)
        _sdk(printer)
        _audit(printer, sandbox)
        _closing(printer)
    finally:
        sandbox.stop()
    return 0


def _walkthrough(printer: _Printer, sandbox: Any, startup_seconds: float) -> None:
    import boto3

    import safeai

    baseline = sandbox.baseline
    printer.line("safeai demo: every SageMaker call secure by default", style="ok")
    printer.heading(1, "An offline AWS account")
    printer.line(
        f"   moto server on {sandbox.endpoint_url} (started and provisioned in "
        f"{startup_seconds:.1f} s; no AWS account used)"
    )
    printer.line(f"   KMS key       {baseline.kms_key_arn} (rotation on, {baseline.kms_alias})")
    printer.line(
        f"   VPC           {baseline.vpc_id}, private subnets {', '.join(baseline.subnet_ids)}"
    )
    printer.line(f"   security grp  {baseline.security_group_id} (no ingress)")
    printer.line(
        f"   PrivateLink   {len(baseline.vpc_endpoint_ids)} VPC endpoints "
        "(S3 gateway; sagemaker.api, sagemaker.runtime, sts, logs, ecr.api, ecr.dkr, kms)"
    )
    printer.line(f"   role          {baseline.execution_role_arn}")
    printer.line(f"   data          {baseline.training_data_uri}")

    policy = baseline.policy()
    printer.heading(2, "The policy, and one line to switch the guard on")
    printer.line("   policy = safeai.Policy.load()   # or Policy(execution_role_arn=..., ...)")
    printer.line("   safeai.guard(policy)            # every boto3 client made from now on")

    _create_legacy_endpoint_config(baseline.execution_role_arn)
    handle = safeai.guard(policy)
    try:
        sagemaker = boto3.client("sagemaker")
        sent: list[dict[str, Any]] = []
        sagemaker.meta.events.register(
            "before-send.sagemaker",
            lambda request, **_: sent.append(json.loads(request.body or b"{}")),
        )
        printer.heading(3, "A raw boto3 training job, written with no security settings")
        printer.line('   sm = boto3.client("sagemaker")')
        printer.line(
            "   sm.create_training_job(TrainingJobName=..., AlgorithmSpecification=..., "
            "InputDataConfig=..., OutputDataConfig=..., ResourceConfig=..., StoppingCondition=...)"
        )
        decisions: list[Decision] = []
        capture = _DecisionCapture(decisions)
        with capture:
            sagemaker.create_training_job(**_TRAINING_REQUEST)
        printer.line(
            "   sent, with safeai filling in (section 8 shows the checks in AWS):", style="ok"
        )
        printer.decisions([d for d in decisions if not _is_preflight(d)])
        described = sagemaker.describe_training_job(TrainingJobName="churn-xgboost")
        printer.line(
            f"   AWS now reports: EnableNetworkIsolation={described['EnableNetworkIsolation']}, "
            f"VpcConfig.Subnets={described['VpcConfig']['Subnets']}",
            style="dim",
        )

        printer.heading(4, "An insecure request is refused before anything is sent")
        printer.line("   sm.create_training_job(..., EnableNetworkIsolation=False,")
        printer.line('       OutputDataConfig={..., "KmsKeyId": "alias/someone-elses-key"})')
        before = len(sent)
        weak = {
            **_TRAINING_REQUEST,
            "TrainingJobName": "churn-xgboost-open",
            "EnableNetworkIsolation": False,
            "OutputDataConfig": {
                **_TRAINING_REQUEST["OutputDataConfig"],
                "KmsKeyId": "alias/someone-elses-key",
            },
        }
        try:
            sagemaker.create_training_job(**weak)
        except SecurityViolation as violation:
            printer.line(f"   safeai.{type(violation).__name__}:", style="bad")
            for text in str(violation).splitlines():
                printer.line(f"   {text}")
        printer.line(f"   requests sent to AWS for it: {len(sent) - before}", style="dim")

        printer.heading(5, "A waiver needs a written reason, and is recorded")
        printer.line(
            '   with safeai.waive("training.network_isolation", '
            'reason="installs packages at start-up; INC-4711"):'
        )
        decisions.clear()
        with (
            capture,
            safeai.waive(
                "training.network_isolation", reason="installs packages at start-up; INC-4711"
            ),
        ):
            sagemaker.create_training_job(
                **{**_TRAINING_REQUEST, "TrainingJobName": "churn-xgboost-pip"}
            )
        printer.decisions([d for d in decisions if d.outcome == "waived"])

        printer.heading(6, "An endpoint is checked through the configuration and model it names")
        printer.line(
            "   (a model and endpoint configuration made earlier without safeai)", style="dim"
        )
        try:
            sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="legacy-config")
        except SecurityViolation as violation:
            printer.line(f"   refused: {violation.control}: {violation.path}", style="bad")
    finally:
        safeai.unguard(handle)


def _closing(printer: _Printer) -> None:
    printer.line(
        "\nDone: jobs secured (one under a recorded waiver), insecure requests refused before "
        "anything was sent, one launch watched in report, warn and enforce mode, preflight "
        "checking in AWS what the requests name, S3 writes encrypted and buckets kept private, "
        "personal data kept from training, a pipeline secured step by step, and an audit of "
        "what already existed.",
        style="ok",
    )
    printer.line("Docs: docs/index.md · controls: `safeai controls`", style="dim")


def _rollout(printer: _Printer, policy: Any) -> None:
    """One insecure launch under each mode, as a team rolling safeai out would see it."""
    import dataclasses
    import warnings

    import boto3

    import safeai

    printer.heading(7, "Rolling out: one insecure launch in report, warn and enforce mode")
    printer.line('   Policy(mode="report" | "warn" | "enforce", modes={slug: mode, ...})')
    launch = {
        **_TRAINING_REQUEST,
        "RoleArn": policy.execution_role_arn,
        "EnableNetworkIsolation": False,
    }
    for mode in ("report", "warn", "enforce"):
        gc.collect()  # the previous launch's client is garbage: not one the guard must adopt
        decisions: list[Decision] = []
        refused: SecurityViolation | None = None
        with (
            safeai.guarded(dataclasses.replace(policy, mode=mode)),
            _DecisionCapture(decisions),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            try:
                boto3.client("sagemaker").create_training_job(
                    **{**launch, "TrainingJobName": f"churn-xgboost-{mode}"}
                )
            except SecurityViolation as violation:
                refused = violation
        verdict = "sent" if refused is None else "refused, nothing sent"
        summary = _tally(decisions, refused)
        printer.line(f"   {mode:<8} {verdict:<22} decisions: {summary}")
        for warning in caught:
            printer.line(f"            SecurityWarning: {str(warning.message).splitlines()[0]}")


def _preflight(printer: _Printer, policy: Any) -> None:
    """What a request names is checked in AWS: the baseline passes, an opened group does not."""
    import dataclasses

    import boto3

    import safeai

    printer.heading(8, "Preflight: what a request names is checked in AWS before it is sent")
    launch = {**_TRAINING_REQUEST, "TrainingJobName": "churn-xgboost-checked"}
    decisions: list[Decision] = []
    gc.collect()
    with safeai.guarded(policy), _DecisionCapture(decisions):
        boto3.client("sagemaker").create_training_job(**launch)
    checked = sorted({d.control for d in decisions if _is_preflight(d)})
    printer.line(f"   the baseline passes: {', '.join(checked)}", style="ok")
    ec2 = boto3.client("ec2")
    vpc = ec2.describe_subnets(SubnetIds=[policy.subnets[0]])["Subnets"][0]["VpcId"]
    group = ec2.create_security_group(
        GroupName="debug-ssh", Description="temporary: ssh from anywhere", VpcId=vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    printer.line(
        f"   someone opens SSH to the world on {group}, and a policy lists it", style="dim"
    )
    opened = dataclasses.replace(policy, security_group_ids=[group])
    gc.collect()
    with safeai.guarded(opened):
        try:
            boto3.client("sagemaker").create_training_job(
                **{**launch, "TrainingJobName": "churn-xgboost-debug"}
            )
        except SecurityViolation as violation:
            printer.line(f"   refused: {violation.control}: {violation.path}", style="bad")
            printer.line(f"            found {violation.found}", style="bad")


def _tally(decisions: list[Decision], refused: SecurityViolation | None) -> str:
    """How many controls ended in each outcome, e.g. ``1 compliant, 4 injected, 1 refused``.

    A refusal is no decision in the audit record (the record lists it under ``violations``),
    so the refused controls are counted from the violation: it and the others in the same
    request, whichever check found them. The decisions of preflight checks are left out
    (section 8 shows those)."""
    counts: dict[str, int] = {}
    for decision in decisions:
        if not _is_preflight(decision):
            counts[decision.outcome] = counts.get(decision.outcome, 0) + 1
    if refused is not None:
        counts["refused"] = 1 + len(refused.additional)
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))


def _is_preflight(decision: Decision) -> bool:
    """A preflight check in AWS, rather than a field the engine filled in or checked."""
    control = decision.control
    return (
        control.split(".")[0] in ("role", "kms", "network")
        or control == "s3.posture"
        or control.endswith(".pii")
    )


_BUCKET = "churn-raw-data"
_PEOPLE = "customer,ssn,monthly_spend\nAna Silva,512-38-4471,31.50\nBen Okafor,634-21-9087,80.00\n"
_CLEAN = "label,tenure,monthly_spend\n0,12,31.50\n1,2,80.00\n"


def _s3(printer: _Printer, policy: Any) -> None:
    """A bucket brought to the baseline, an upload encrypted, weakenings refused."""
    import tempfile
    from pathlib import Path

    import boto3

    import safeai
    from safeai.s3 import secure_bucket

    printer.heading(9, "Amazon S3: every object encrypted, no bucket weakened")
    gc.collect()
    with safeai.guarded(policy):
        s3 = boto3.client("s3")
        report = secure_bucket(_BUCKET, client=s3, policy=policy)
        printer.line(f"   secure_bucket({_BUCKET!r}) created it and set:", style="ok")
        for change in report.changes:
            printer.line(f"     {change.setting}: {change.after}")
        headers: dict[str, str] = {}
        s3.meta.events.register(
            "before-send.s3.PutObject",
            lambda request, **_: headers.update(
                (k.lower(), v.decode() if isinstance(v, bytes) else v)
                for k, v in request.headers.items()
                if "server-side-encryption" in k.lower()
            ),
        )
        with tempfile.TemporaryDirectory() as scratch:
            data = Path(scratch) / "train.csv"
            data.write_text(_CLEAN)
            printer.line(f'   s3.upload_file("train.csv", "{_BUCKET}", "clean/train.csv")')
            s3.upload_file(str(data), _BUCKET, "clean/train.csv")
        printer.line("   sent with, though the caller asked for no encryption:", style="ok")
        for name, value in sorted(headers.items()):
            printer.line(f"     {name}: {value}")
        weakenings: tuple[tuple[str, Callable[[], object]], ...] = (
            (
                'put_object(..., ServerSideEncryption="AES256")',
                lambda: s3.put_object(
                    Bucket=_BUCKET, Key="x.csv", Body=b"1", ServerSideEncryption="AES256"
                ),
            ),
            (
                f'delete_public_access_block(Bucket="{_BUCKET}")',
                lambda: s3.delete_public_access_block(Bucket=_BUCKET),
            ),
        )
        for label, call in weakenings:
            try:
                call()
            except SecurityViolation as violation:
                printer.line(f"   {label}: refused by {violation.control}", style="bad")


def _pii(printer: _Printer, policy: Any) -> None:
    """Clean data launches, planted personal data is refused, a re-launch costs no scan."""
    import boto3

    import safeai
    from safeai.testing import RequestRecorder

    printer.heading(10, "PII pre-flight: a job reads only data proven free of personal data")
    gc.collect()
    with safeai.guarded(policy), RequestRecorder(services=frozenset({"macie2"})) as macie:
        boto3.client("s3").put_object(
            Bucket=_BUCKET, Key="raw/customers.csv", Body=_PEOPLE.encode()
        )
        sagemaker = boto3.client("sagemaker")
        for name, prefix in (("clean", "clean/"), ("raw", "raw/"), ("clean-again", "clean/")):
            jobs_before = len(macie.sent("CreateClassificationJob"))
            channel = {
                **_TRAINING_REQUEST["InputDataConfig"][0],
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{_BUCKET}/{prefix}",
                    }
                },
            }
            request = {
                **_TRAINING_REQUEST,
                "TrainingJobName": f"churn-{name}",
                "InputDataConfig": [channel],
            }
            try:
                sagemaker.create_training_job(**request)
                outcome, style = "launched", "ok"
            except SecurityViolation as violation:
                outcome, style = f"refused by {violation.control}", "bad"
                found = str(violation.found)
            jobs = len(macie.sent("CreateClassificationJob")) - jobs_before
            printer.line(
                f"   s3://{_BUCKET}/{prefix:<7} {outcome:<26} Macie jobs run: {jobs}", style=style
            )
        printer.line(f"   found: {found}", style="dim")
        printer.line("   (types and counts only, never the values)", style="dim")


def _pipeline(printer: _Printer, policy: Any) -> None:
    """A pipeline definition with two bare steps: each is secured as the job it stands for."""
    import boto3

    import safeai

    printer.heading(11, "A pipeline: every step secured as the request it stands for")
    steps = [
        {
            "Name": "Prepare",
            "Type": "Processing",
            "Arguments": {
                "ProcessingResources": {
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": "ml.m5.xlarge",
                        "VolumeSizeInGB": 30,
                    }
                },
                "AppSpecification": {
                    "ImageUri": _TRAINING_REQUEST["AlgorithmSpecification"]["TrainingImage"]
                },
                "RoleArn": policy.execution_role_arn,
            },
        },
        {
            "Name": "Train",
            "Type": "Training",
            "Arguments": {
                **{k: v for k, v in _TRAINING_REQUEST.items() if k != "TrainingJobName"},
                "RoleArn": policy.execution_role_arn,
            },
        },
    ]
    definition = json.dumps({"Version": "2020-12-01", "Steps": steps})
    decisions: list[Decision] = []
    gc.collect()
    with safeai.guarded(policy), _DecisionCapture(decisions):
        sagemaker: Any = boto3.client("sagemaker")  # the stubs want a ClientRequestToken
        sagemaker.create_pipeline(
            PipelineName="churn-pipeline",
            PipelineDefinition=definition,
            RoleArn=policy.execution_role_arn,
        )
    filled: dict[str, int] = {}
    for decision in decisions:
        if decision.outcome == "injected" and ":Steps[" in decision.path:
            step = decision.path.split(":Steps[", 1)[1].split("]", 1)[0]
            filled[step] = filled.get(step, 0) + 1
    for step, count in filled.items():
        printer.line(f"   step {step:<8} {count} fields filled in from the policy", style="ok")


def _sdk(printer: _Printer) -> None:
    """The SageMaker Python SDK, when installed: its session comes from SecureSession."""
    from importlib.util import find_spec

    printer.heading(12, "The SageMaker Python SDK")
    if find_spec("sagemaker") is None:
        printer.line(
            "   not installed here (pip install 'safeai[sagemaker]'); the same guard covers "
            "it: docs/sagemaker-sdk.md lists the v2 and v3 recipes CI tests",
            style="dim",
        )
        return
    printer.line(
        "   installed: session = safeai.SecureSession(policy).sagemaker_session(), or only "
        "safeai.guard(policy); docs/sagemaker-sdk.md has the tested recipes",
        style="ok",
    )


def _audit(printer: _Printer, sandbox: Any) -> None:
    """The detective audit over everything the account holds, made with or without safeai."""
    import safeai

    printer.heading(13, "Detective audit: what the account already holds")
    printer.line("   report = safeai.audit(session, policy)   # or: safeai audit --format sarif")
    report = safeai.audit(sandbox.boto_session(), sandbox.policy)
    for text in report.to_table().rstrip().splitlines():
        printer.line(f"   {text}")


def _create_legacy_endpoint_config(role_arn: str) -> None:
    """Resources made before safeai was switched on. The client is dropped before the guard
    starts, since a process-wide guard also guards the clients that already exist."""
    import boto3

    raw = boto3.client("sagemaker")
    raw.create_model(
        ModelName="legacy-model",
        PrimaryContainer={"Image": _TRAINING_REQUEST["AlgorithmSpecification"]["TrainingImage"]},
        ExecutionRoleArn=role_arn,
    )
    raw.create_endpoint_config(
        EndpointConfigName="legacy-config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": "legacy-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    del raw
    gc.collect()


class _DecisionCapture:
    """Collects the decisions of guarded calls from the ``safeai.audit`` log, as any
    structured log handler would."""

    def __init__(self, into: list[Decision]) -> None:
        self._into = into
        self._collector = Collector()

    def __enter__(self) -> None:
        self._collector.records.clear()
        self._collector.attach()

    def __exit__(self, *exc: object) -> None:
        self._collector.detach()
        self._into.extend(
            Decision.from_dict(item)
            for record in self._collector.records
            for item in record.get("decisions", [])
        )
