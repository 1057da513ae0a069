"""``code_channel`` and ``code_location``: a container under network isolation cannot download
its code from S3 at start-up, so code must reach it as an input channel or inside the model.

The SageMaker Python SDK's framework estimators (script mode) upload ``sourcedir.tar.gz`` and,
without network isolation, pass its S3 URI in the ``sagemaker_submit_directory``
hyperparameter for the container to fetch; with isolation they ship it as a ``code`` input
channel instead and point the hyperparameter at ``/opt/ml/input/data/code/sourcedir.tar.gz``
(the SDK's ``CONTAINER_CODE_CHANNEL_SOURCEDIR_PATH``). When safeai turns isolation on behind
the SDK's back, ``code_channel`` makes the same rewrite, so the job still starts. A model
cannot be rewritten that way (its code belongs inside ``model.tar.gz``, which only the SDK
repacks), so ``code_location`` refuses it with the one-line fix.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._run import Problem
from ._kind import Kind

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

    from .._policy import Policy
    from .._run import Compiled, Run
    from ..controls import Control, Requirement

__all__ = ["CODE_CHANNEL", "CODE_LOCATION", "SUBMIT_DIRECTORY", "submit_directory"]

#: The hyperparameter SDK v2 script mode passes the code's location in.
SUBMIT_DIRECTORY = "sagemaker_submit_directory"
#: The environment variable hosting containers read it from.
SUBMIT_DIRECTORY_VARIABLE = "SAGEMAKER_SUBMIT_DIRECTORY"
CODE_CHANNEL_NAME = "code"
_CHANNEL_DIRECTORY = "/opt/ml/input/data/code/"
_ARCHIVE = ".tar.gz"


def submit_directory(value: object) -> tuple[str, bool] | None:
    """The S3 URI a submit-directory value names, and whether it was JSON-quoted (SDK v2
    JSON-encodes hyperparameter values); None when it names no S3 location."""
    if not isinstance(value, str):
        return None
    quoted = value.startswith('"')
    if quoted:
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
        if not isinstance(value, str):
            return None
    return (value, quoted) if value.startswith("s3://") else None


def _isolated(container: Mapping[str, Any]) -> bool:
    return container.get("EnableNetworkIsolation") is True


def _code_channel(
    item: Compiled, container: MutableMapping[str, Any], where: str, run: Run
) -> None:
    """Move an S3 submit directory of an isolated job into a ``code`` input channel."""
    hyperparameters = container.get(item.relative_path)
    if not run.inject or not _isolated(container) or not isinstance(hyperparameters, dict):
        return
    found = submit_directory(hyperparameters.get(SUBMIT_DIRECTORY))
    if found is None:
        return
    uri, quoted = found
    control, path = item.control, item.path_in(where)
    channels = container.get("InputDataConfig")
    if not uri.endswith(_ARCHIVE) or not isinstance(channels, list | None):
        expected = f"an S3 submit directory that is one {_ARCHIVE} archive, as the SDK uploads"
        run.problem(Problem(control, path, uri, expected))
        return
    existing = [c for c in channels or [] if c.get("ChannelName") == CODE_CHANNEL_NAME]
    if existing:
        expected = f"no '{CODE_CHANNEL_NAME}' input channel besides the submit directory"
        run.problem(Problem(control, path, uri, expected))
        return
    local = _CHANNEL_DIRECTORY + uri.rsplit("/", 1)[-1]
    channel = {
        "ChannelName": CODE_CHANNEL_NAME,
        # A file where the container looks for it, whatever the job's own input mode (Pipe
        # would stream it instead).
        "InputMode": "File",
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }
    if run.reporting(control):
        run.decide(control, path, "would_inject", value={SUBMIT_DIRECTORY: local})
        return
    hyperparameters[SUBMIT_DIRECTORY] = json.dumps(local) if quoted else local
    container["InputDataConfig"] = [*(channels or []), channel]
    run.injected += 1
    run.decide(control, path, "injected", value={SUBMIT_DIRECTORY: local, "channel": uri})


def _code_location(
    item: Compiled, container: MutableMapping[str, Any], where: str, run: Run
) -> None:
    """Refuse an isolated model whose container would fetch its code from S3."""
    if not _isolated(container):
        return
    found = container.get(item.relative_path)
    containers = found if isinstance(found, list) else [found]
    for index, model_container in enumerate(containers):
        if not isinstance(model_container, dict):
            continue
        environment = model_container.get("Environment")
        if not isinstance(environment, dict):
            continue
        uri = environment.get(SUBMIT_DIRECTORY_VARIABLE)
        if isinstance(uri, str) and uri.startswith("s3://"):
            at = f"[{index}]" if isinstance(found, list) else ""
            path = f"{item.path_in(where)}{at}.Environment.{SUBMIT_DIRECTORY_VARIABLE}"
            expected = "code inside the model archive (/opt/ml/model/code), not fetched from S3"
            run.problem(Problem(item.control, path, uri, expected))


def _describe_channel(control: Control, policy: Policy) -> str:
    return "the job's code as a 'code' input channel when the container is network-isolated"


def _document_channel(requirement: Requirement) -> str:
    return (
        "when the job is network-isolated and `sagemaker_submit_directory` names an S3 "
        "archive (SDK script mode), the archive becomes a `code` input channel and the "
        "hyperparameter its path in the container, as the SageMaker SDK does itself with "
        "`enable_network_isolation=True`"
    )


def _describe_location(control: Control, policy: Policy) -> str:
    return "code inside the model archive when the model is network-isolated"


def _document_location(requirement: Requirement) -> str:
    return (
        "when the model is network-isolated, no container's `SAGEMAKER_SUBMIT_DIRECTORY` names "
        "S3: an isolated container cannot download it, so the endpoint would never start"
    )


CODE_CHANNEL = Kind(describe=_describe_channel, document=_document_channel, handle=_code_channel)
CODE_LOCATION = Kind(
    describe=_describe_location, document=_document_location, handle=_code_location
)
