"""Task spec classes govflow adds to SpiffWorkflow's."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask


class ExternalTask(ServiceTaskMixin, SpiffBpmnTask):
    """Service/mail task whose implementation lives in another system: it waits (STARTED) until an
    operator or connector completes it, instead of failing or silently doing nothing."""

    def _run_hook(self, task: Any) -> None:
        return None
