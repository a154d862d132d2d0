"""Untrusted uploads in, deployable trees, forms or located problems out: safe parsing (xmlsafe), an
upload's BPMN, DMN and form files checked together (batch), vendor expression languages (expressions,
juel, feel, cron), dialects (dialects, rewrites, flow_rewrites), decision tables (dmn), forms read from
the files or generated for tasks (vendor_forms, task_forms), lint with the property values higher layers
accept (lint, vocabulary), and the diagram's geometry for server-drawn SVG (diagram). It may import
engine.core only; it never sees SpiffWorkflow (engine.bpmn, its sibling)."""
