"""The only package that imports SpiffWorkflow: parser, sandbox (with EL's operators: el), serializer
and the runtime facade (start, load, ready tasks, complete, send back, cancel, fire timers, save), the
element properties modelers write, DMN decision tables (decisions), event sub-processes as BPMN runs
them (event_subprocesses), cron cycles (cron), local patches of SpiffWorkflow 3.2.0 and timers read
from the operation's clock.
Everything above sees the project's own types. It may import engine.core only."""
