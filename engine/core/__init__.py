"""The ground every other package stands on: the database session and engine settings (db), the one
declarative Base with its naming convention and the audit trail's table (models, audit), the one clock
and its time conversions (clock), the engine's exceptions (errors), located problems in a BPMN file
(problems) and set-based SQL writes (bulk). It imports nothing of ours."""
