"""DMN decision tables for business rule tasks, through SpiffWorkflow's dmn package, with what it lacks:

- every decision of a DMN file is callable (SpiffWorkflow registers only a file's first decision and
  refuses files with several);
- the decision a task calls may be named the Camunda 7 way (camunda:decisionRef) or the Camunda 8 way
  (zeebe:calledDecision), besides Spiff's spiffworkflow:calledDecisionId;
- hit policies as DMN 1.3 defines them: UNIQUE refuses a second matching rule, ANY requires the matches
  to agree, FIRST takes the first, RULE ORDER and COLLECT collect (COLLECT SUM/MIN/MAX/COUNT aggregate,
  kept as hit policy 'COLLECT:SUM' in the stored table);
- the result goes where the task says: camunda:resultVariable with mapDecisionResult (singleEntry,
  singleResult, collectEntries, resultList) or zeebe:calledDecision's resultVariable; without one, each
  output is set under its name (Spiff's way).

Intake has already turned the table's FEEL into Python (engine/intake/dmn.py); rules are tested with
SpiffWorkflow's DMNEngine.evaluate, in the sandbox."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser, SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


class DecisionParser(DMNParser):
    """SpiffWorkflow's DMN parser for one decision of a file (its own takes the file's first)."""

    def __init__(self, parser: Any, node: Any, nsmap: dict[str, str], decision: Any, filename: str | None):
        super().__init__(parser, node, nsmap, filename=filename)
        self.decision_node = decision

    @property
    def bpmn_id(self) -> str:
        return str(self.decision_node.get("id"))

    def get_name(self) -> str:
        return str(self.decision_node.get("name") or self.bpmn_id)

    def parse(self) -> None:
        self.decision = self._parse_decision([self.decision_node])
        table_node = self.decision_node.find("dmn:decisionTable", namespaces=self.nsmap)
        aggregation = (table_node.get("aggregation") or "").upper() if table_node is not None else ""
        for table in self.decision.decisionTables:
            if aggregation:
                table.hit_policy = f"{table.hit_policy}:{aggregation}"  # stored with the spec as is


def add_dmn(parser: Any, node: Any, filename: str | None) -> None:
    """Register every decision of a DMN tree with the parser."""
    namespaces = dict(parser.namespaces)
    namespaces.update({k: v for k, v in node.nsmap.items() if k})
    if None in node.nsmap:
        namespaces["dmn"] = node.nsmap[None]
    for decision in node.findall("dmn:decision", namespaces=namespaces):
        one = DecisionParser(parser, node, namespaces, decision, filename)
        parser.dmn_parsers[one.bpmn_id] = one
        parser.dmn_parsers_by_name[one.get_name()] = one


def decision_ref(node: Any) -> str | None:
    camunda = node.get(f"{{{CAMUNDA_NS}}}decisionRef")
    if camunda:
        return str(camunda).strip()
    called = node.find(f".//{{{ZEEBE_NS}}}calledDecision")
    if called is not None and called.get("decisionId"):
        return str(called.get("decisionId")).strip()
    found = SpiffTaskParser._parse_extensions(node).get("calledDecisionId")
    return str(found).strip() if found else None


class DecisionTaskParser(BusinessRuleTaskParser):
    """A business rule task naming its decision any of the three ways."""

    def create_task(self) -> Any:
        ref = decision_ref(self.node)
        if ref is None:
            raise ValidationException("the business rule task names no decision", node=self.node,
                                      file_name=self.filename)
        extensions = self.parse_extensions()
        return DecisionTask(self.spec, self.bpmn_id, dmnEngine=self.process_parser.parser.get_engine(ref, self.node),
                            prescript=extensions.get("preScript"), postscript=extensions.get("postScript"),
                            **self.bpmn_attributes)

    @staticmethod
    def get_decision_ref(node: Any) -> str | None:
        return decision_ref(node)


class DecisionTask(BusinessRuleTask):
    """A business rule task applying DMN's hit policies and the task's result mapping."""

    def _run_hook(self, my_task: Any) -> Any:
        try:
            table = self.dmnEngine.decision_table
            matched = [rule for rule in table.rules if _matches(self.dmnEngine, rule, my_task)]
            outputs = [rule.output_as_dict(my_task) for rule in _hits(table, matched)]
            store(my_task, table, outputs, (self.extensions or {}).get("govflow") or {})
        except SpiffWorkflowException as exc:
            exc.add_note(f"Business Rule Task '{self.bpmn_name}'.")
            raise
        except Exception as exc:
            error = WorkflowTaskException(str(exc), task=my_task, exception=exc)
            error.add_note(f"Business Rule Task '{self.bpmn_name}'.")
            raise error from exc
        return super(BusinessRuleTaskMixin, self)._run_hook(my_task)


def _matches(engine: DMNEngine, rule: Any, task: Any) -> bool:
    for entry in rule.inputEntries:
        for test in entry.lhs:
            if test is None or test == "-":
                continue
            try:
                if not engine.evaluate(entry.input.expression, test, task):
                    return False
            except SpiffWorkflowException as exc:
                exc.add_note(f"Rule failed on row {rule.row_number}")
                raise
    return True


def _hits(table: Any, matched: list[Any]) -> list[Any]:
    policy = table.hit_policy.split(":")[0]
    if policy == "UNIQUE" and len(matched) > 1:
        rows = ", ".join(str(r.row_number) for r in matched)
        raise ValueError(f"decision '{table.name or table.id}' has hit policy UNIQUE but rules {rows} all match; "
                         "correct the table so at most one rule matches, or choose hit policy FIRST")
    if policy in ("UNIQUE", "FIRST"):
        return matched[:1]
    if policy == "ANY":
        texts = {tuple(e.text for e in r.outputEntries) for r in matched}
        if len(texts) > 1:
            raise ValueError(f"decision '{table.name or table.id}' has hit policy ANY but the matching rules "
                             "give different outputs")
        return matched[:1]
    return matched  # RULE ORDER and COLLECT


def _aggregate(values: list[Any], how: str) -> Any:
    present = [v for v in values if v is not None]
    if how == "COUNT":
        return len(present)
    if not present:
        return None
    if how == "SUM":
        return sum(present)
    return min(present) if how == "MIN" else max(present)


def store(task: Any, table: Any, outputs: list[dict[str, Any]], options: dict[str, Any]) -> None:
    """Put the decision's result into the task data as the task asks."""
    policy, _, aggregation = table.hit_policy.partition(":")
    names = [o.name or o.label for o in table.outputs]
    many = policy in ("COLLECT", "RULE ORDER")
    if aggregation:
        value = _aggregate([o.get(names[0]) for o in outputs], aggregation)
        task.data[options.get("resultVariable") or names[0]] = value
        return
    target = options.get("resultVariable")
    if not target:
        if many:
            task.data.update({name: [o.get(name) for o in outputs] for name in names})
        else:
            task.data.update(outputs[0] if outputs else dict.fromkeys(names))
        return
    mapping = options.get("mapDecisionResult") or ("zeebe" if options.get("zeebe") else "resultList")
    task.data[target] = _mapped(outputs, names, mapping, many)


def _mapped(outputs: list[dict[str, Any]], names: list[str], mapping: str, many: bool) -> Any:
    """Camunda 7's mapDecisionResult, and Camunda 8's result (one output: its value; several: a map)."""
    if mapping == "zeebe":
        rows = [o.get(names[0]) if len(names) == 1 else dict(o) for o in outputs]
        return rows if many else (rows[0] if rows else None)
    if mapping == "singleEntry":
        return outputs[0].get(names[0]) if outputs else None
    if mapping == "singleResult":
        return dict(outputs[0]) if outputs else None
    if mapping == "collectEntries":
        return [o.get(names[0]) for o in outputs]
    return [dict(o) for o in outputs]
