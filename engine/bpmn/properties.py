"""The name/value properties a BPMN element carries, whichever modeler wrote them."""

from __future__ import annotations

from typing import Any


def element_properties(extensions: dict[str, Any]) -> dict[str, Any]:
    """spiffworkflow:properties overlaid with camunda/activiti/flowable/zeebe properties."""
    props = dict(extensions.get("properties") or {})
    props.update((extensions.get("govflow") or {}).get("properties") or {})
    return props
