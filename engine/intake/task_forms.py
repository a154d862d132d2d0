"""Which form each user task of an upload gets, as govflow form definitions (docs/forms.md):

1. a form the file itself defines (engine/intake/vendor_forms.py), or a form file of the upload it names;
2. else a govflow form the task names (formKey of forms/, e.g. leave_apply), used as it is when
   forms/ holds it (the deployment looks: engine/flow/definitions.py);
3. else a generic form of the variables the task's outgoing conditions read before the next person's
   step (so `${approved}` gets a yes/no field labelled by the gateway and its flows). Variables read
   as records (customer.age) are left out: no form field can enter them.

Forms read from the file and generic forms end with an optional opinion box (意见). The designer shows
the plan; deployment stores each definition and points the task at it (engine/flow/definitions.py)."""

from __future__ import annotations

import ast
import builtins
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.core.problems import WARNING, Problem
from engine.intake import vendor_forms
from engine.intake.dmn import decision_ref
from engine.intake.expressions import BPMN_NS, VENDOR_NAMESPACES, located
from engine.intake.tree import label, local, runnable

PEOPLE = ("userTask", "manualTask", "task", "serviceTask", "sendTask")  # service/send: external work's operator
_STOP = PEOPLE + ("endEvent", "callActivity", "subProcess", "transaction")
_BUILTINS = frozenset(dir(builtins))
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_SPIFF = VENDOR_NAMESPACES["spiffworkflow"]
_CAMUNDA = VENDOR_NAMESPACES["camunda"]
_ZEEBE = VENDOR_NAMESPACES["zeebe"]


@dataclass
class FormPlan:
    """The form a task will use, and where it comes from."""

    element_id: str
    task_name: str
    source: str  # camunda-form-data, form-property, camunda-forms, spiff-json-schema, generic, none
    definition: dict[str, Any] | None = None
    key: str | None = None  # a govflow form key (forms/) the task names; wins over a generic definition
    renamed: dict[str, str] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    line: int | None = None
    missing: list[str] = field(default_factory=list)  # form files (or ids) it names that the upload lacks
    start: bool = False  # a start event's form, filled in when a case is started


def plan(tree: etree._ElementTree, filename: str, documents: Mapping[str, Any],
         decision_outputs: Mapping[str, list[str]] | None = None) -> tuple[dict[str, FormPlan], list[Problem]]:
    """Every person's task of the file's runnable processes with its form."""
    root = tree.getroot()
    nodes = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    found: dict[str, FormPlan] = {}
    problems: list[Problem] = []
    for process in root.iterfind(f"{{{BPMN_NS}}}process"):
        if not runnable(process):
            continue
        for task in process.iter(*(f"{{{BPMN_NS}}}{k}" for k in PEOPLE)):
            found[str(task.get("id"))] = _one(task, root, nodes, filename, documents, decision_outputs or {}, problems)
        for start in process.iterfind(f"{{{BPMN_NS}}}startEvent"):
            plan_ = _start_form(start, process, root, documents, filename, problems)
            if plan_ is not None:
                found[plan_.element_id] = plan_
    return found, problems


def _start_form(start: etree._Element, process: etree._Element, root: etree._Element,
                documents: Mapping[str, Any], filename: str, problems: list[Problem]) -> FormPlan | None:
    """The form a process's start event defines: what whoever starts a case enters (no opinion box)."""
    reader = vendor_forms.Reader()
    source, fields, missing = _vendor(start, root, documents, reader, filename, problems)
    if not fields:
        return None
    definition = _definition(start, fields)
    definition["fields"] = definition["fields"][:-1]
    title = process.get("name") or start.get("name")  # the page shows it: the process, not an event id
    definition["title"] = vendor_forms.text(title) if title else {"zh": "发起申请", "en": "Start a case"}
    return FormPlan(str(start.get("id")), label(start), source, definition, renamed=reader.renamed,
                    line=start.sourceline, missing=missing, start=True)


def _one(task: etree._Element, root: etree._Element, nodes: dict[Any, etree._Element], filename: str,
         documents: Mapping[str, Any], decision_outputs: Mapping[str, list[str]], problems: list[Problem]) -> FormPlan:
    reader = vendor_forms.Reader()
    source, fields, missing = _vendor(task, root, documents, reader, filename, problems)
    plan_ = FormPlan(str(task.get("id")), label(task), source, renamed=reader.renamed, line=task.sourceline,
                     missing=missing)
    for note in reader.notes:
        problems.append(located(WARNING, "form-adapted", f"form of '{label(task)}': {note}", filename, task))
    generic, reads = _generic(task, nodes, decision_outputs)
    if fields:
        for item in fields:  # what a later condition tests must be entered, whatever the vendor form said
            if item["name"] in reads and not item.get("readonly"):
                item["required"] = True
        plan_.definition = _definition(task, fields)
        return plan_
    if generic:
        plan_.source, plan_.reads, plan_.definition = "generic", reads, _definition(task, generic)
    else:
        plan_.source = "none"
    plan_.key = _govflow_key(task)  # used instead when forms/ has it (the deployment decides)
    return plan_


def _definition(task: etree._Element, fields: list[dict[str, Any]]) -> dict[str, Any]:
    names = {f["name"] for f in fields}
    opinion = "opinion" if "opinion" not in names else "govflow_opinion"
    fields = [*fields, {"name": opinion, "type": "opinion", "label": {"zh": "意见", "en": "Opinion"}}]
    return {"key": f"bpmn:{task.get('id')}", "title": vendor_forms.text(label(task)), "fields": fields}


def _govflow_key(task: etree._Element) -> str | None:
    """A formKey naming a form of forms/ (a plain name); vendor references (embedded:, app:...) are not."""
    for name, value in task.attrib.items():
        if etree.QName(name).localname == "formKey" and _PLAIN_KEY.fullmatch(value.strip()):
            return value.strip()
    for prop in task.iter():
        if isinstance(prop.tag, str) and local(prop) == "property" and prop.get("name") == "formKey" \
                and _PLAIN_KEY.fullmatch((prop.get("value") or "").strip()):
            return (prop.get("value") or "").strip()
    return None


def _vendor(task: etree._Element, root: etree._Element, documents: Mapping[str, Any],
            reader: vendor_forms.Reader, filename: str,
            problems: list[Problem]) -> tuple[str, list[dict[str, Any]], list[str]]:
    fields = vendor_forms.camunda_form_data(task, reader)
    if fields:
        return "camunda-form-data", fields, []
    fields = vendor_forms.form_properties(task, reader)
    if fields:
        return "form-property", fields, []
    schema, source, missing = _referenced(task, root, documents)
    if missing and schema is None:
        problems.append(located(WARNING, "form-missing", f"'{label(task)}' names the form {', '.join(missing)}, "
                                "which is not in this upload; upload it with the BPMN, or the task uses a form "
                                "built from the conditions after it", filename, task))
    elif missing:
        problems.append(located(WARNING, "form-layout-missing", f"'{label(task)}' names the form layout (UI "
                                f"schema) {', '.join(missing)}, which is not in this upload; its fields are shown "
                                "in the order of the form's schema", filename, task))
    if schema is None:
        return "none", [], missing
    if source == "spiff-json-schema":
        return source, vendor_forms.json_schema(schema[0], schema[1], reader), missing
    return source, vendor_forms.form_js(schema[0], reader), missing


def _referenced(task: etree._Element, root: etree._Element,
                documents: Mapping[str, Any]) -> tuple[tuple[Any, Any] | None, str, list[str]]:
    """(schema, ui schema) of a form the task names in another file or in the BPMN, its kind, and the
    name of what it names but the upload lacks."""
    props = {p.get("name"): p.get("value") for p in task.iter(f"{{{_SPIFF}}}property")}
    schema_file = props.get("formJsonSchemaFilename")
    if schema_file:
        ui_file = props.get("formUiSchemaFilename") or ""
        found, ui = documents.get(schema_file), documents.get(ui_file)
        missing = [name for name, doc in ((schema_file, found), (ui_file, ui)) if name and doc is None]
        return ((found, ui) if found is not None else None), "spiff-json-schema", missing
    ref = task.get(f"{{{_CAMUNDA}}}formRef") or ""
    key = task.get(f"{{{_CAMUNDA}}}formKey") or ""
    zeebe = task.find(f"{{{BPMN_NS}}}extensionElements/{{{_ZEEBE}}}formDefinition")
    if zeebe is not None:
        ref = ref or zeebe.get("formId") or ""
        key = key or zeebe.get("formKey") or ""
    if key.startswith("camunda-forms:bpmn:"):
        embedded = _embedded(root, key.split(":", 2)[2])
        return ((embedded, None) if embedded else None), "camunda-forms", [] if embedded else [key]
    wanted = ref or (key.rsplit(":", 1)[-1] if key.startswith("camunda-forms:") else "")
    if not wanted:
        return None, "none", []
    for name, doc in documents.items():
        if isinstance(doc, dict) and (doc.get("id") == wanted or name == wanted or name == f"{wanted}.form"):
            return (doc, None), "camunda-forms", []
    return None, "camunda-forms", [wanted]


def _embedded(root: etree._Element, ident: str) -> Any:
    for form in root.iter(f"{{{_ZEEBE}}}userTaskForm"):
        if form.get("id") == ident:
            try:
                return json.loads(form.text or "")
            except ValueError:
                return None
    return None


# --- generic forms -------------------------------------------------------------------------------

def _generic(task: etree._Element, nodes: dict[Any, etree._Element],
             decision_outputs: Mapping[str, list[str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Fields for what the conditions after the task read, until the next person's step."""
    scope = task.getparent()
    flows = [f for f in scope.iterfind(f"{{{BPMN_NS}}}sequenceFlow")] if scope is not None else []
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
    usage: dict[str, _Use] = {}
    provided = {name for node in nodes.values() for name in _provides(node, decision_outputs)}  # computed
    for tag in ("loopCondition", "completionCondition"):  # a loop on the task itself ends on what it enters
        for cond in task.iter(f"{{{BPMN_NS}}}{tag}"):
            _read_text((cond.text or "").strip(), task.get("name") or "", None, usage, provided)
    for name in _data_outputs(task, nodes):  # what the task writes to a data object, it must hold
        usage.setdefault(name, _Use())
    for boundary in _boundaries(task, nodes):
        _read_expressions(boundary, nodes, usage, provided)
    seen: set[str] = set()
    pending = [str(task.get("id"))]
    while pending:
        current = pending.pop(0)
        for flow in outgoing.get(current, []):
            node = nodes.get(flow.get("sourceRef"))
            _read_condition(flow, node, usage, provided)
            target = nodes.get(flow.get("targetRef"))
            ident = flow.get("targetRef") or ""
            if target is not None and local(target) == "endEvent":
                _read_expressions(target, nodes, usage, provided)  # what an end event throws carries data
            if target is None or ident in seen or local(target) in _STOP:
                continue
            seen.add(ident)
            if local(target) == "scriptTask":
                _read_script(target, usage, provided)
            _read_expressions(target, nodes, usage, provided)
            pending.append(ident)
    return [u.field(name) for name, u in usage.items()], list(usage)


_EXPRESSIONS = ("condition", "timeDate", "timeDuration", "timeCycle")


def _read_expressions(node: etree._Element, nodes: dict[Any, etree._Element], usage: dict[str, _Use],
                      provided: set[str]) -> None:
    """Conditional-event conditions, timers and event payloads a step on the way evaluates."""
    for el in node.iter():
        if isinstance(el.tag, str) and local(el) in _EXPRESSIONS and (el.text or "").strip():
            _read_text((el.text or "").strip(), node.get("name") or "", None, usage, provided)
        for attr in ("signalRef", "escalationRef", "messageRef"):
            shared = nodes.get(el.get(attr)) if isinstance(el.tag, str) and el.get(attr) else None
            for payload in shared.iter(f"{{{_SPIFF}}}payloadExpression") if shared is not None else []:
                _read_text((payload.text or "").strip(), "", None, usage, provided)


def _boundaries(task: etree._Element, nodes: dict[Any, etree._Element]) -> list[etree._Element]:
    return [n for n in nodes.values() if local(n) == "boundaryEvent" and n.get("attachedToRef") == task.get("id")]


def _data_outputs(task: etree._Element, nodes: dict[Any, etree._Element]) -> list[str]:
    """Data objects the task writes (SpiffWorkflow takes them from task data under the object's id)."""
    found = []
    for assoc in task.iterfind(f"{{{BPMN_NS}}}dataOutputAssociation"):
        ref = nodes.get((assoc.findtext(f"{{{BPMN_NS}}}targetRef") or "").strip())
        target = nodes.get(ref.get("dataObjectRef")) if ref is not None else None
        if target is not None and str(target.get("id")).isidentifier():
            found.append(str(target.get("id")))
    return found


def _read_script(script: etree._Element, usage: dict[str, _Use], provided: set[str]) -> None:
    """Names a Python script reads before it sets them: a person before it has to enter them."""
    try:
        tree = ast.parse(script.findtext(f"{{{BPMN_NS}}}script") or "")
    except SyntaxError:
        return
    assigned: set[str] = set()
    arithmetic = {n.id for b in ast.walk(tree) if isinstance(b, ast.BinOp) for n in (b.left, b.right)
                  if isinstance(n, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            assigned.add(node.id)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    records = {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute | ast.Subscript)
               and isinstance(n.value, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in assigned \
                and node.id not in called and node.id not in records and node.id not in provided \
                and node.id not in _BUILTINS:
            use = usage.setdefault(node.id, _Use())
            if node.id in arithmetic and use.kind == "text":
                use.kind = "number"


@dataclass
class _Use:
    kind: str = "text"
    values: dict[Any, str] = field(default_factory=dict)
    label: str = ""
    yes: str = ""
    no: str = ""

    def field(self, name: str) -> dict[str, Any]:
        asks = self.kind == "decision" or (self.kind == "choice" and len(self.values) > 1)
        title = vendor_forms.text((self.label if asks else "") or name.removeprefix("v_"))  # a question labels its answer
        if self.kind == "decision":
            yes, no = self.yes or "是", self.no or "否"
            return {"name": name, "type": "decision", "label": title, "required": True,
                    "choices": [{"value": True, "label": vendor_forms.text(yes)},
                                {"value": False, "label": vendor_forms.text(no)}]}
        if self.kind == "choice" and len(self.values) > 1:
            return {"name": name, "type": "choice", "label": title, "required": True,
                    "choices": [{"value": v, "label": vendor_forms.text(t or str(v))} for v, t in self.values.items()]}
        numeric = self.kind == "number" or (self.kind == "choice" and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in self.values))
        # one value tested for is no choice to offer: the value is entered; what later steps read is required
        return {"name": name, "type": "number" if numeric else "text", "label": title, "required": True}


def _read_condition(flow: etree._Element, gateway: etree._Element | None, usage: dict[str, _Use],
                    provided: set[str]) -> None:
    text = (flow.findtext(f"{{{BPMN_NS}}}conditionExpression") or "").strip()
    if not text or text in ("True", "False"):
        if gateway is not None and flow.get("id") == gateway.get("default"):
            for use in usage.values():
                use.no = use.no or (flow.get("name") or "")
        return
    _read_text(text, (gateway.get("name") if gateway is not None else "") or "", flow.get("name") or "",
               usage, provided)


def _read_text(text: str, question: str, answer: str | None, usage: dict[str, _Use], provided: set[str]) -> None:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return
    for name, kind, value, positive in _uses(tree.body):
        if name in provided:
            continue
        use = usage.setdefault(name, _Use(label=question))
        _merge(use, kind, value, positive, answer or "")


def _merge(use: _Use, kind: str, value: Any, positive: bool, flow_name: str) -> None:
    if kind == "decision":
        use.kind = "decision"
        if positive:
            use.yes = use.yes or flow_name
        else:
            use.no = use.no or flow_name
    elif kind == "choice" and use.kind in ("text", "choice"):
        use.kind = "choice"
        use.values.setdefault(value, flow_name)
    elif kind == "number" and use.kind == "text":
        use.kind = "number"


_TRUTH = ("el_bool", "truthy")
_EQUAL = ("el_eq", "el_ne")
_ORDER = ("el_lt", "el_gt", "el_le", "el_ge")


def _uses(node: ast.AST, positive: bool = True) -> list[tuple[str, str, Any, bool]]:
    """(variable, kind, compared value, tested positively) for the variables a condition tests."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _uses(node.operand, not positive)
    if isinstance(node, ast.BoolOp):
        return [u for value in node.values for u in _uses(value, positive)]
    if isinstance(node, ast.Name):
        return [(node.id, "decision", True, positive)] if node.id not in ("True", "False", "None") else []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
        name = node.args[0].id if isinstance(node.args[0], ast.Name) else None
        other = node.args[1] if len(node.args) > 1 else None
        if node.func.id in _TRUTH and name:
            return [(name, "decision", True, positive)]
        if node.func.id in _EQUAL + _ORDER and name and isinstance(other, ast.Constant):
            return [_compared(name, node.func.id in _ORDER, other.value, positive ^ (node.func.id == "el_ne"))]
    if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and len(node.comparators) == 1 \
            and isinstance(node.comparators[0], ast.Constant):
        ordered = not isinstance(node.ops[0], ast.Eq | ast.NotEq)
        return [_compared(node.left.id, ordered, node.comparators[0].value,
                          positive ^ isinstance(node.ops[0], ast.NotEq))]
    records = {a.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
               and c.func.id in ("el_get", "el_call") and c.args for a in c.args[:1] if isinstance(a, ast.Name)}
    records |= {n.value.id for n in ast.walk(node) if isinstance(n, ast.Attribute | ast.Subscript)
                and isinstance(n.value, ast.Name)}
    return [(n.id, "text", None, positive) for n in ast.walk(node) if isinstance(n, ast.Name)
            and not _called(node, n) and n.id not in ("True", "False", "None") and n.id not in records]


def _compared(name: str, ordered: bool, value: Any, positive: bool) -> tuple[str, str, Any, bool]:
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")):
        truth = value if isinstance(value, bool) else value.lower() == "true"
        return name, "decision", True, positive == truth
    if ordered:
        return name, "number" if isinstance(value, int | float) else "text", value, positive
    return name, "choice", value, positive  # tested for equal values: offer those values


def _called(root: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(root))


def _provides(node: etree._Element, decision_outputs: Mapping[str, list[str]]) -> set[str]:
    """Variables a script or business rule task of the process sets, so no person is asked for them."""
    if local(node) == "scriptTask":
        try:
            tree = ast.parse(node.findtext(f"{{{BPMN_NS}}}script") or "")
        except SyntaxError:
            return set()
        return {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    if local(node) == "businessRuleTask":
        result = node.get(f"{{{_CAMUNDA}}}resultVariable")
        return {result} if result else set(decision_outputs.get(decision_ref(node) or "", []))
    return set()
