"""Every control that can refuse an operation (``safeai controls --operation``), derived from the
catalogue and the resource registry."""

from __future__ import annotations

import io

import pytest

from safeai.cli._controls import run
from safeai.controls import (
    CATALOGUE,
    by_slug,
    for_operation,
    guarded_operations,
    input_family,
    referencing_operations,
)
from safeai.controls._refusing import CHECKED_ON, refusing_controls
from safeai.controls._resources import input_places, pipeline_executions
from safeai.controls.client import CONTROLS as CLIENT_CONTROLS

GUARDED = sorted(
    guarded_operations() | referencing_operations() | pipeline_executions() | set(input_places())
)
CLIENT = [control.slug for control in CLIENT_CONTROLS]


def _where(operation: str) -> dict[str, str]:
    return {r.control.slug: r.checked_on for r in refusing_controls(operation)}


def test_a_training_job_is_refused_by_its_fields_client_preflight_and_inputs() -> None:
    assert _where("CreateTrainingJob") == {
        **{control.slug: "request" for control, _ in for_operation("CreateTrainingJob")},
        **dict.fromkeys(CLIENT, "client"),
        **dict.fromkeys(
            (
                "role.trust",
                "role.least_privilege",
                "kms.key",
                "network.private_subnets",
                "network.security_groups",
                "network.privatelink",
            ),
            "preflight",
        ),
        "training.pii": "inputs",
        "s3.posture": "inputs",
    }


@pytest.mark.parametrize("operation", GUARDED)
def test_every_guarded_operation_lists_its_fields_and_the_client_once(operation: str) -> None:
    found = refusing_controls(operation)
    slugs = [r.control.slug for r in found]
    assert len(slugs) == len(set(slugs)), "each control once"
    where = _where(operation)
    assert all(where[slug] == "client" for slug in CLIENT)
    assert all(slug in where for slug in {c.slug for c, _ in for_operation(operation)})
    order = list(CHECKED_ON)
    positions = [order.index(r.checked_on) for r in found]
    assert positions == sorted(positions), "grouped in the order of CHECKED_ON"


@pytest.mark.parametrize("operation", GUARDED)
def test_operations_that_read_s3_data_list_the_pii_and_posture_controls(operation: str) -> None:
    family = input_family(operation)
    where = _where(operation)
    if family is None:
        assert not any(slug.endswith(".pii") for slug in where)
    elif by_slug(f"{family}.pii") is None:
        # A store the resource keeps its data in (an MLflow artifact store): posture only.
        assert where["s3.posture"] == "inputs"
        assert not any(slug.endswith(".pii") for slug in where)
    else:
        assert where[f"{family}.pii"] == where["s3.posture"] == "inputs"


def test_an_endpoint_is_refused_through_the_configuration_and_models_it_names() -> None:
    where = _where("CreateEndpoint")
    referenced = {slug for slug, checked_on in where.items() if checked_on == "reference"}
    assert "endpoint_config.storage_kms" in referenced
    assert "model.network_isolation" in referenced
    assert not any(slug.endswith(".tags") for slug in referenced), "Describe answers carry none"
    transform = _where("CreateTransformJob")
    assert transform["model.vpc"] == "reference"
    assert not any(slug.startswith("endpoint_config.") for slug in transform)


def test_a_pipeline_is_refused_by_its_steps_controls() -> None:
    where = _where("CreatePipeline")
    assert where["pipeline.steps"] == "request"
    assert where["training.vpc"] == where["model.network_isolation"] == "step"
    assert where["kms.key"] == "preflight", "its steps name keys"
    assert where["pipeline.pii"] == "inputs"


def test_an_operation_the_guard_does_not_act_on_has_none() -> None:
    assert refusing_controls("ListModels") == ()


def test_client_controls_are_in_the_catalogue_and_only_the_credentials_one_is_waivable() -> None:
    import safeai

    assert set(CLIENT) <= {control.slug for control in CATALOGUE}
    with safeai.waive("client.temporary_credentials", reason="a legacy CI user, until June"):
        pass
    for slug in set(CLIENT) - {"client.temporary_credentials"}:
        with (
            pytest.raises(safeai.PolicyError, match="cannot be waived"),
            safeai.waive(slug, reason="please"),
        ):
            pass


def test_the_cli_groups_the_controls_by_where_they_are_checked() -> None:
    out = io.StringIO()
    assert run(out, operation="CreateTrainingJob") == 0
    text = out.getvalue()
    headings = [line for line in text.splitlines() if line.startswith("Checked ")]
    assert headings == [
        "Checked on the request's fields:",
        "Checked on the client the request is sent through:",
        "Checked against AWS, on the roles, keys and network the request names:",
        "Checked on the S3 data the job reads:",
    ]
    assert text.index("training.vpc") < text.index("client.tls") < text.index("role.trust")
    assert text.index("role.trust") < text.index("training.pii")
    assert text.rstrip().endswith(
        f"{len(refusing_controls('CreateTrainingJob'))} controls. Reference: docs/controls.md"
    )
    out = io.StringIO()
    assert run(out, operation="ListModels") == 1
    assert out.getvalue() == "no control applies to ListModels\n"


def test_a_tag_change_can_be_refused_by_the_tag_control_of_any_family() -> None:
    where = {r.control.slug: r.checked_on for r in refusing_controls("AddTags")}
    assert where["training.tags"] == "request"
    assert where["feature_group.tags"] == "request"
    assert where["client.tls"] == "client"
    assert {r.control.slug for r in refusing_controls("DeleteTags")} == set(where)
