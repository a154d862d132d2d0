"""The only package that imports SpiffWorkflow: parser, sandbox, serializer and runtime facade."""
