"""Controls for the model registry and its neighbours: model package versions (their metadata key
and the validation jobs SageMaker runs for them), algorithms (their validation training and
transform jobs) and model cards (their key)."""

from __future__ import annotations

from ._builders import KMS, KMS_REMEDY, ROLE, ROLE_REMEDY, at
from ._schema import Anchors, Control, Target

__all__ = ["CONTROLS"]

PACKAGE = ("CreateModelPackage",)
ALGORITHM = ("CreateAlgorithm",)
CARD = ("CreateModelCard",)

_ROLE_ANCHORS = Anchors(iam_condition_keys=("iam:PassedToService",))
_VALIDATION = "ValidationSpecification"
_PROFILES = f"{_VALIDATION}.ValidationProfiles[]"
_TRANSFORM = f"{_PROFILES}.TransformJobDefinition"
_TRAINING = f"{_PROFILES}.TrainingJobDefinition"
#: The keys of a validation transform job, below its ``TransformJobDefinition``.
_TRANSFORM_KEYS = (
    ("TransformOutput.KmsKeyId", "TransformOutput", ()),
    ("TransformResources.VolumeKmsKeyId", "TransformResources", ("InstanceType",)),
)
_TRAINING_KEYS = (
    ("OutputDataConfig.KmsKeyId", "OutputDataConfig", ()),
    ("ResourceConfig.VolumeKmsKeyId", "ResourceConfig", ("InstanceType",)),
)


def _keys(
    operations: tuple[str, ...], prefix: str, keys: tuple[tuple[str, str, tuple[str, ...]], ...]
) -> tuple[Target, ...]:
    return tuple(
        target
        for path, within, instance_types in keys
        for target in at(
            operations, path, prefix=prefix, within=within, instance_types=instance_types
        )
    )


CONTROLS: tuple[Control, ...] = (
    Control(
        slug="model_package.kms",
        title="Model package versions are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(PACKAGE, "SecurityConfig.KmsKeyId"),
        remedy=KMS_REMEDY.format(field="SecurityConfig.KmsKeyId"),
    ),
    Control(
        slug="model_package.validation_role",
        title="A model package's validation jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(PACKAGE, f"{_VALIDATION}.ValidationRole", within=_VALIDATION),
        remedy=ROLE_REMEDY.format(field=f"{_VALIDATION}.ValidationRole"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="model_package.validation_kms",
        title="A model package's validation transform jobs encrypt their volumes and output "
        "with the policy's KMS key",
        requirement=KMS,
        targets=_keys(PACKAGE, _TRANSFORM, _TRANSFORM_KEYS),
        remedy=KMS_REMEDY.format(
            field="TransformOutput.KmsKeyId and TransformResources.VolumeKmsKeyId of each "
            "validation profile"
        ),
    ),
    Control(
        slug="algorithm.validation_role",
        title="An algorithm's validation jobs run as the policy's execution role",
        requirement=ROLE,
        targets=at(ALGORITHM, f"{_VALIDATION}.ValidationRole", within=_VALIDATION),
        remedy=ROLE_REMEDY.format(field=f"{_VALIDATION}.ValidationRole"),
        anchors=_ROLE_ANCHORS,
    ),
    Control(
        slug="algorithm.validation_kms",
        title="An algorithm's validation training and transform jobs encrypt their volumes and "
        "output with the policy's KMS key",
        requirement=KMS,
        targets=(
            _keys(ALGORITHM, _TRAINING, _TRAINING_KEYS)
            + _keys(ALGORITHM, _TRANSFORM, _TRANSFORM_KEYS)
        ),
        remedy=KMS_REMEDY.format(
            field="the output and volume keys of each validation profile's training and "
            "transform job definitions"
        ),
    ),
    Control(
        slug="model_card.kms",
        title="Model cards are encrypted with the policy's KMS key",
        requirement=KMS,
        targets=at(CARD, "SecurityConfig.KmsKeyId"),
        remedy=KMS_REMEDY.format(field="SecurityConfig.KmsKeyId"),
    ),
)
