"""Type aliases shared across safeai's modules."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Literal

__all__ = ["FieldPath", "OperationName", "Outcome", "Params", "PiiMode"]

#: A botocore operation name, e.g. ``"CreateTrainingJob"``.
OperationName = str
#: A field path in a request shape, e.g. ``"TrainingJobDefinitions[].VpcConfig"``.
FieldPath = str
#: A request as botocore receives it: the keyword arguments of a client call.
Params = MutableMapping[str, Any]
#: What the engine did for one control at one place in a request.
Outcome = Literal["injected", "compliant", "waived", "disabled"]
PiiMode = Literal["block", "warn", "off"]
