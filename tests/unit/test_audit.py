"""Redaction of free-form values before anything is logged."""

from __future__ import annotations

from safeai._audit import REDACTED, redact


def test_free_form_maps_keep_keys_and_hide_values() -> None:
    request = {
        "TrainingJobName": "j",
        "HyperParameters": {"lr": "0.1", "token": "abc"},
        "Environment": {"AWS_SECRET_ACCESS_KEY": "xyz"},
        "PrimaryContainer": {"Environment": {"DB_URL": "postgres://u:p@h/db"}, "Image": "i"},
    }
    safe = redact(request)
    assert safe["TrainingJobName"] == "j"
    assert safe["HyperParameters"] == {"lr": REDACTED, "token": REDACTED}
    assert safe["Environment"] == {"AWS_SECRET_ACCESS_KEY": REDACTED}
    assert safe["PrimaryContainer"] == {"Environment": {"DB_URL": REDACTED}, "Image": "i"}


def test_secret_looking_names_and_opaque_values_are_hidden() -> None:
    safe = redact({"ClientSecret": "s", "Body": b"\x00" * 10, "Stream": object(), "N": 3})
    assert safe == {"ClientSecret": REDACTED, "Body": "<10 bytes>", "Stream": "<object>", "N": 3}


def test_pipeline_definitions_are_summarised_not_copied() -> None:
    safe = redact({"PipelineDefinition": '{"Steps": []}'})
    assert safe["PipelineDefinition"].startswith("<13 characters, sha256 ")
