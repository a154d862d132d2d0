"""The process runtime: deployed definitions and versions (definitions), instances with their saved
state (instances), the human-task projection and its candidates (projections, assignment), clocks the
BPMN declares and the deadlines inboxes show (step_clocks, task_deadlines, clock_links), task services
and operations (tasks, task_actions), who may see a case (access), attachments, forms and built-in
services. It may import engine.clocks and everything below; it knows no government process."""
