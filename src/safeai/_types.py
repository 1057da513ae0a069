"""Type aliases shared across safeai's modules."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Literal

__all__ = [
    "BlockOrWarn",
    "FieldPath",
    "Mode",
    "OperationName",
    "Outcome",
    "Params",
    "PiiMode",
    "PiiScanner",
]

#: A botocore operation name, e.g. ``"CreateTrainingJob"``.
OperationName = str
#: A field path in a request shape, e.g. ``"TrainingJobDefinitions[].VpcConfig"``.
FieldPath = str
#: A request as botocore receives it: the keyword arguments of a client call.
Params = MutableMapping[str, Any]
#: What the engine did for one control at one place in a request.
#: ``would_inject`` and ``would_refuse`` are report mode's record of what enforce would do;
#: ``warned`` is a violation warn mode let through.
Outcome = Literal[
    "injected", "compliant", "waived", "disabled", "warned", "would_inject", "would_refuse"
]
PiiMode = Literal["block", "warn", "off"]
#: Which scanner classifies S3 inputs: Amazon Macie, or safeai's offline scanner.
PiiScanner = Literal["macie", "local"]
#: What a finding of a check that is not about a request field does: refuse, or warn.
BlockOrWarn = Literal["block", "warn"]
#: How a control acts: refuse what is weaker, warn and send it, or only report.
Mode = Literal["enforce", "warn", "report"]
