"""``safeai demo``'s rollout section: each mode's line counts every control of the launch."""

from __future__ import annotations

import re
import subprocess
import sys

import safeai
from safeai._decisions import Decision
from safeai.cli._demo import _tally


def _violation(control: str, *additional: safeai.SecurityViolation) -> safeai.SecurityViolation:
    return safeai.SecurityViolation(
        control=control,
        operation="CreateTrainingJob",
        path="EnableNetworkIsolation",
        found=False,
        expected=True,
        remedy="omit it",
        additional=additional,
    )


def test_the_tally_counts_refusals_with_the_decisions() -> None:
    decisions = [
        Decision("training.role", "RoleArn", "compliant"),
        Decision("training.vpc", "VpcConfig", "injected"),
        Decision("training.volume_kms", "ResourceConfig.VolumeKmsKeyId", "injected"),
        Decision("training.tags", "Tags", "waived", reason="INC-1"),
        Decision("kms.key", "KmsKeyId -> key", "compliant"),  # preflight: section 8's
    ]
    assert _tally(decisions, None) == "1 compliant, 2 injected, 1 waived"
    refused = _violation("training.network_isolation", _violation("training.output_kms"))
    assert _tally(decisions, refused) == "1 compliant, 2 injected, 2 refused, 1 waived"


def test_every_mode_counts_every_control_of_the_launch() -> None:
    # A process of its own: the demo opens a sandbox, and moto keeps one account per process.
    demo = subprocess.run(
        [sys.executable, "-m", "safeai", "demo"], capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stderr
    lines = {
        match[1]: match[2]
        for match in re.finditer(
            r"^   (report|warn|enforce) .* decisions: (.*)$", demo.stdout, re.M
        )
    }
    assert lines == {
        "report": "1 compliant, 4 would_inject, 1 would_refuse",
        "warn": "1 compliant, 4 injected, 1 warned",
        "enforce": "1 compliant, 4 injected, 1 refused",
    }
