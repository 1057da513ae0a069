"""Controls for predictions (the ``sagemaker-runtime`` service): a guarded runtime client reaches
its endpoints privately, through an interface VPC endpoint (AWS PrivateLink).

``runtime.private_link`` is checked on the client, like the ``client.*`` controls, but only on
clients of ``sagemaker-runtime`` (``InvokeEndpoint``, ``InvokeEndpointAsync``,
``InvokeEndpointWithResponseStream``), against what EC2 says about the policy's VPC (see
:mod:`safeai.preflight.private_link`). What an asynchronous invocation reads from S3 is checked
like a job's inputs (``runtime.pii``, from :mod:`.pii`, and ``s3.posture``): the registry's
``runtime`` row names the place.
"""

from __future__ import annotations

from ._resources import resource_of
from ._schema import Control, Requirement

__all__ = ["CONTROLS", "OPERATIONS", "PRIVATE_LINK", "SERVICE"]

#: The botocore service whose clients these controls are checked on.
SERVICE = "sagemaker-runtime"


def _operations() -> frozenset[str]:
    row = resource_of("runtime")
    if row is None:  # pragma: no cover - the registry tests keep a row for every family
        raise LookupError("the resource registry has no runtime row")
    return frozenset(row.operations)


#: Every operation of a ``sagemaker-runtime`` client (the registry's ``runtime`` row starts
#: them): the guard checks ``runtime.private_link`` on each call, whatever its fields.
OPERATIONS = _operations()

PRIVATE_LINK = Control(
    slug="runtime.private_link",
    title="Guarded sagemaker-runtime clients reach endpoints through an interface VPC endpoint "
    "(PrivateLink)",
    requirement=Requirement("client"),
    targets=(),
    remedy="call through an interface VPC endpoint for "
    "com.amazonaws.<region>.sagemaker.runtime in the policy's VPC: create it with private DNS "
    "(`safeai network provision --apply`) and run where that private DNS answers (inside the "
    "VPC), or create the client with "
    "endpoint_url=https://vpce-...runtime.sagemaker.<region>.vpce.amazonaws.com; where no "
    "VPC can be used (a laptop, CI), "
    'Policy(modes={"runtime.private_link": "warn"}) sends with a warning instead.',
    service=SERVICE,
)

CONTROLS: tuple[Control, ...] = (PRIVATE_LINK,)
