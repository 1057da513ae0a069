"""Which S3 locations a request has a job read: pure, from the request alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from safeai._inputs import parse_s3_uri, s3_inputs


def _source(uri: Any, data_type: str = "S3Prefix") -> dict[str, Any]:
    return {"DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri}}}


def test_training_channels_of_every_data_type() -> None:
    found = s3_inputs(
        "CreateTrainingJob",
        {
            "InputDataConfig": [
                _source("s3://a/train/"),
                _source("s3://b/m.manifest", "ManifestFile"),
                _source("s3://c/labels.jsonl", "AugmentedManifestFile"),
                {"DataSource": {"FileSystemDataSource": {"FileSystemId": "fs-1"}}},
            ]
        },
    )
    assert [(i.bucket, i.prefix, i.kind, i.family) for i in found] == [
        ("a", "train/", "prefix", "training"),
        ("b", "m.manifest", "manifest", "training"),
        ("c", "labels.jsonl", "augmented_manifest", "training"),
    ]
    assert found[1].path == "InputDataConfig[1].DataSource.S3DataSource.S3Uri"


@pytest.mark.parametrize(
    ("operation", "request_", "path"),
    [
        (
            "CreateProcessingJob",
            {"ProcessingInputs": [{"S3Input": {"S3Uri": "s3://a/x/", "S3DataType": "S3Prefix"}}]},
            "ProcessingInputs[0].S3Input.S3Uri",
        ),
        (
            "CreateTransformJob",
            {"TransformInput": _source("s3://a/x/")},
            "TransformInput.DataSource.S3DataSource.S3Uri",
        ),
        (
            "CreateHyperParameterTuningJob",
            {"TrainingJobDefinitions": [{"InputDataConfig": [_source("s3://a/x/")]}]},
            "TrainingJobDefinitions[0].InputDataConfig[0].DataSource.S3DataSource.S3Uri",
        ),
        (
            "CreateAutoMLJobV2",
            {"AutoMLJobInputDataConfig": [_source("s3://a/x/")]},
            "AutoMLJobInputDataConfig[0].DataSource.S3DataSource.S3Uri",
        ),
        (
            "CreateLabelingJob",
            {"InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://a/x"}}}},
            "InputConfig.DataSource.S3DataSource.ManifestS3Uri",
        ),
    ],
)
def test_each_input_bearing_operation(operation: str, request_: Any, path: str) -> None:
    (found,) = s3_inputs(operation, request_)
    assert (found.bucket, found.path) == ("a", path)


def test_pipeline_steps_resolve_parameters_and_joins_and_skip_step_outputs() -> None:
    join = {"Std:Join": {"On": "/", "Values": ["s3:/", {"Get": "Parameters.Bucket"}, "raw"]}}
    definition = {
        "Parameters": [{"Name": "Bucket", "DefaultValue": "data"}, {"Name": "Free"}],
        "Steps": [
            {
                "Name": "Prep",
                "Type": "Processing",
                "Arguments": {"ProcessingInputs": [{"S3Input": {"S3Uri": join}}]},
            },
            {
                "Name": "Check",
                "Type": "Condition",
                "Arguments": {
                    "IfSteps": [
                        {
                            "Name": "Train",
                            "Type": "Training",
                            "Arguments": {
                                "InputDataConfig": [
                                    _source({"Get": "Steps.Prep.ProcessingOutputConfig.X"}),
                                    _source({"Get": "Parameters.Free"}),
                                ]
                            },
                        }
                    ]
                },
            },
        ],
    }
    found = s3_inputs("CreatePipeline", {"PipelineDefinition": json.dumps(definition)})
    assert [(i.kind, i.bucket, i.prefix, i.family) for i in found] == [
        ("prefix", "data", "raw", "pipeline"),
        ("unresolved", "", "", "pipeline"),
    ]
    assert found[1].path.startswith("PipelineDefinition:Steps[Check].Arguments.IfSteps[Train]")


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [("s3://b/k/x", ("b", "k/x")), ("s3://b", ("b", "")), ("https://b/k", None), ("s3://", None)],
)
def test_parse_s3_uri(uri: str, parsed: Any) -> None:
    assert parse_s3_uri(uri) == parsed


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [
        ("https://data.s3.amazonaws.com/train/x.csv", ("data", "train/x.csv")),
        ("https://data.s3.eu-west-1.amazonaws.com/train/", ("data", "train/")),
        ("https://s3.eu-west-1.amazonaws.com/data/train/", ("data", "train/")),
        ("https://example.com/data/train/", None),
    ],
)
def test_s3_https_urls_are_s3_locations(uri: str, parsed: Any) -> None:
    assert parse_s3_uri(uri) == parsed


def test_what_cannot_be_read_now_is_unresolved_never_skipped() -> None:
    found = s3_inputs(
        "CreateProcessingJob",
        {
            "ProcessingInputs": [
                {"DatasetDefinition": {"AthenaDatasetDefinition": {"Catalog": "c"}}},
                {"S3Input": {"S3Uri": "https://example.com/x"}},
            ]
        },
    )
    assert {i.kind for i in found} == {"unresolved"}
    notes = sorted(i.note for i in found)
    assert notes[0].startswith("'https://example.com/x' is not an S3 location")
    assert notes[1].startswith("an Athena or Redshift dataset")


def test_an_automl_manifest_is_read_as_one() -> None:
    (found,) = s3_inputs(
        "CreateAutoMLJobV2", {"AutoMLJobInputDataConfig": [_source("s3://a/m", "ManifestFile")]}
    )
    assert found.kind == "manifest"


def test_only_a_job_steps_output_is_trusted() -> None:
    definition = {
        "Steps": [
            {"Name": "Pick", "Type": "Lambda", "Arguments": {}},
            {
                "Name": "Train",
                "Type": "Training",
                "Arguments": {
                    "InputDataConfig": [_source({"Get": "Steps.Pick.OutputParameters['uri']"})]
                },
            },
        ]
    }
    (found,) = s3_inputs("CreatePipeline", {"PipelineDefinition": json.dumps(definition)})
    assert found.kind == "unresolved"
