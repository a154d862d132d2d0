"""govflow engine: BPMN runtime around SpiffWorkflow, independent of the web layer."""
