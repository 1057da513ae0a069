"""The calls that start or open a stored resource, for moto, which does not emulate these two.

:func:`install` adds them to moto's own SageMaker response class, so a real boto3
``sagemaker`` client reaches them over moto's wire protocol (JSON), in server mode
(:class:`~safeai.testing.Sandbox`, ``ThreadedMotoServer``) and under ``mock_aws`` alike. It is
idempotent and process-wide. The guard checks what these calls start or open (the stored
notebook instance, the definition the execution ran) before they are sent; the sandbox lets
the ones it lets through succeed.

* ``CreatePresignedNotebookInstanceUrl``: for a notebook instance moto knows (AWS's
  ``ValidationException`` otherwise), an ``AuthorizedUrl`` on the instance's own URL, with a
  token that stands for nothing.
* ``RetryPipelineExecution``: for an execution moto knows (its ``ValidationException``
  otherwise), the execution's ARN, as AWS answers; moto's executions succeed at once, so the
  retry changes nothing else.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["install"]

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Teach moto's SageMaker backend the calls above (see the module docstring).

    Idempotent and process-wide: it patches moto's ``SageMakerResponse`` class, which serves
    ``mock_aws`` and every ``ThreadedMotoServer`` in this process. A moto that implements a call
    itself keeps its own.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.sagemaker.responses import SageMakerResponse

        for name, handler in _HANDLERS.items():
            if not hasattr(SageMakerResponse, name):
                setattr(SageMakerResponse, name, handler)
        _installed = True


def _create_presigned_notebook_instance_url(self: Any) -> Any:
    from moto.core.responses import ActionResult

    notebook = self.sagemaker_backend.get_notebook_instance(self._get_param("NotebookInstanceName"))
    return ActionResult({"AuthorizedUrl": f"https://{notebook.url}?authToken=sandbox"})


def _retry_pipeline_execution(self: Any) -> Any:
    from moto.core.responses import ActionResult

    arn = self._get_param("PipelineExecutionArn")
    described = self.sagemaker_backend.describe_pipeline_execution(arn)
    return ActionResult({"PipelineExecutionArn": described["PipelineExecutionArn"]})


_HANDLERS = {
    "create_presigned_notebook_instance_url": _create_presigned_notebook_instance_url,
    "retry_pipeline_execution": _retry_pipeline_execution,
}
