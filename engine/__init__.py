"""govflow engine: the BPMN runtime around SpiffWorkflow, in layers, independent of the web layer.

From the ground up: core, then bpmn and intake side by side, org, calendar, clocks, flow, gov and ops.
A package imports only the packages below it (setup.cfg's import contracts, docs/architecture.md)."""
