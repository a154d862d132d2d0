"""Untrusted BPMN XML in, a deployable tree or a list of located problems out: safe parsing
(xmlsafe), vendor expression languages (expressions) and dialects (dialects, rewrites), lint with the
property values higher layers accept (lint, vocabulary), and the diagram's geometry for server-drawn
SVG (diagram). It may import engine.core only; it never sees SpiffWorkflow (engine.bpmn, its sibling)."""
