"""Forms other modelers define for a task, read into govflow's own form definition (the JSON of
forms/, docs/forms.md), so the inbox renders, validates and stores them like shipped forms:

- Camunda 7 generated forms: camunda:formData / camunda:formField (types, enum values, validation);
- Activiti and Flowable: activiti:formProperty / flowable:formProperty (types, enums, required,
  readable/writable, variable, expression, default);
- Camunda Forms (form-js JSON): a .form file named by camunda:formRef or camunda:formKey
  'camunda-forms:...', or embedded in the BPMN as zeebe:userTaskForm;
- SpiffArena: a JSON-schema file (spiffworkflow property formJsonSchemaFilename) with its UI schema.

Field ids that are no variable names (spaces, dots, dashes, Python keywords) get a safe name;
`Reader.renamed` keeps the mapping, which the designer shows and conditions use."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.intake.expressions import VENDOR_NAMESPACES

FieldDict = dict[str, Any]
_YES_NO = [{"value": True, "label": {"zh": "是", "en": "Yes"}}, {"value": False, "label": {"zh": "否", "en": "No"}}]


def text(value: str) -> dict[str, str]:
    """A label in both languages from a modeler's one-language text."""
    return {"zh": value, "en": value}


def variable_name(raw: str) -> str:
    """The name a value is stored under: the id itself when it is a usable name, else a safe one."""
    name = raw.strip()
    if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_"):
        return name
    if keyword.iskeyword(name):
        return f"v_{name}"  # the alias translated expressions read (engine/intake/juel.py)
    cleaned = re.sub(r"[^\w\u4e00-\u9fff]+", "_", name).strip("_") or "field"
    return f"v_{cleaned}" if cleaned[0].isdigit() or keyword.iskeyword(cleaned) else cleaned


@dataclass
class Reader:
    """Collects fields and the ids it had to rename."""

    renamed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def name(self, raw: str) -> str:
        safe = variable_name(raw)
        if safe != raw.strip():
            self.renamed[raw.strip()] = safe
        return safe


def _choices(pairs: list[tuple[Any, str]]) -> list[dict[str, Any]]:
    return [{"value": value, "label": text(label or str(value))} for value, label in pairs]


def _number(value: Any) -> float | int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


# --- Camunda 7 formData --------------------------------------------------------------------------

def camunda_form_data(node: etree._Element, reader: Reader) -> list[FieldDict]:
    ns = VENDOR_NAMESPACES["camunda"]
    fields = []
    for item in node.iterfind(f".//{{{ns}}}formData/{{{ns}}}formField"):
        ident = item.get("id") or ""
        if not ident:
            continue
        kind = (item.get("type") or "string").strip()
        values = [(v.get("id"), v.get("name")) for v in item.iterfind(f"{{{ns}}}value")]
        built = _typed(reader.name(ident), kind, item.get("label") or ident, values, reader)
        constraints = {c.get("name"): c.get("config") for c in item.iterfind(f".//{{{ns}}}constraint")}
        _constrain(built, constraints)
        if item.get("defaultValue") not in (None, ""):
            built["default"] = _default(built, item.get("defaultValue") or "")
        fields.append(built)
    return fields


def _typed(name: str, kind: str, label: str, values: list[tuple[Any, Any]], reader: Reader) -> FieldDict:
    """One field of a Camunda/Activiti type (string, long, double, boolean, date, enum, bigtext, users)."""
    built: FieldDict = {"name": name, "label": text(label)}
    kind = kind.lower()
    if kind == "enum" and values:
        built.update(type="choice", choices=_choices(values))
    elif kind == "boolean":  # a checkbox: left alone, it says no
        built.update(type="decision", choices=_YES_NO, default=False)
    elif kind in ("long", "integer", "int", "short"):
        built.update(type="number", integer=True)
    elif kind in ("double", "float", "number"):
        built["type"] = "number"
    elif kind == "date":
        built["type"] = "date"
    elif kind in ("bigtext", "textarea"):
        built["type"] = "longtext"
    elif kind in ("users", "user"):
        built.update(type="user", multiple=kind == "users")
    else:
        if kind not in ("string", ""):
            reader.notes.append(f"field '{name}' has type '{kind}', shown as text")
        built["type"] = "text"
    return built


def _constrain(built: FieldDict, constraints: Mapping[str | None, str | None]) -> None:
    if "required" in constraints:
        built["required"] = True
    if "readonly" in constraints:
        built["readonly"] = True
    for key, target in (("min", "min"), ("max", "max")):
        value = _number(constraints.get(key))
        if value is not None and built["type"] == "number":
            built[target] = value
    length = _number(constraints.get("maxlength"))
    if length is not None and built["type"] in ("text", "longtext"):
        built["max_length"] = int(length)


def _default(built: FieldDict, raw: str) -> Any:
    if built["type"] == "decision":
        return raw.strip().lower() == "true"
    if built["type"] == "number":
        return _number(raw)
    return raw


# --- Activiti / Flowable formProperty ------------------------------------------------------------

def form_properties(node: etree._Element, reader: Reader) -> list[FieldDict]:
    fields = []
    for prefix in ("activiti", "flowable"):
        ns = VENDOR_NAMESPACES[prefix]
        for item in node.iterfind(f"{{*}}extensionElements/{{{ns}}}formProperty"):
            built = _form_property(item, ns, reader)
            if built is not None:
                fields.append(built)
    return fields


def _form_property(item: etree._Element, ns: str, reader: Reader) -> FieldDict | None:
    ident = (item.get("id") or "").strip()
    kind = (item.get("type") or "string").strip().lower()
    if not ident or (item.get("readable") or "true").lower() == "false":
        return None
    if kind in ("javascript", "script"):
        reader.notes.append(f"form property '{ident}' is a page script, left out")
        return None
    target = (item.get("variable") or "").strip() or _expression_variable(item.get("expression")) or ident
    values = [(v.get("id"), v.get("name")) for v in item.iterfind(f"{{{ns}}}value")]
    built = _typed(reader.name(target), kind, item.get("name") or ident, values, reader)
    if target != ident:
        reader.renamed.setdefault(ident, built["name"])
    if (item.get("required") or "").lower() == "true":
        built["required"] = True
    if (item.get("writable") or "true").lower() == "false":
        built["readonly"] = True
        built.pop("required", None)
    default = item.get("default")
    if default not in (None, "") and not re.search(r"[$#]\{", default or ""):
        built["default"] = _default(built, default or "")
    return built


def _expression_variable(expression: str | None) -> str | None:
    found = re.fullmatch(r"\s*[$#]\{\s*([A-Za-z_]\w*)\s*\}\s*", expression or "")
    return found.group(1) if found else None


# --- Camunda Forms (form-js) ---------------------------------------------------------------------

_FORM_JS = {"textfield": "text", "textarea": "longtext", "number": "number", "datetime": "date",
            "select": "choice", "radio": "choice", "checkbox": "decision", "checklist": "multichoice",
            "taglist": "multichoice", "filepicker": "file"}


def form_js(schema: Mapping[str, Any], reader: Reader) -> list[FieldDict]:
    """The input components of a form-js schema, groups flattened, display-only components left out."""
    fields = []
    for component in _components(schema):
        kind = _FORM_JS.get(str(component.get("type")))
        key = component.get("key") or component.get("path")
        if kind is None or not isinstance(key, str) or not key:
            continue
        label = str(component.get("label") or key)
        built: FieldDict = {"name": reader.name(key), "type": kind, "label": text(label)}
        values = component.get("values") or []
        if kind in ("choice", "multichoice"):
            built["choices"] = _choices([(v.get("value"), str(v.get("label") or v.get("value")))
                                         for v in values if isinstance(v, dict)])
            if not built["choices"]:  # options loaded at run time in Camunda: entered as text here
                built["type"] = "text"
                built.pop("choices")
        if kind == "decision":  # a checkbox: left alone, it says no
            built.update(choices=_YES_NO, default=False)
        validate = component.get("validate") or {}
        if validate.get("required"):
            built["required"] = True
        _limits(built, validate.get("min"), validate.get("max"), validate.get("maxLength"), validate.get("pattern"))
        if component.get("readonly") or component.get("disabled"):
            built["readonly"] = True
        if component.get("defaultValue") is not None:
            built["default"] = component["defaultValue"]
        if component.get("description"):
            built["help"] = text(str(component["description"]))
        fields.append(built)
    return fields


def _components(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for component in schema.get("components") or []:
        if isinstance(component, dict):
            found.append(component)
            found.extend(_components(component))  # groups and dynamic lists hold components too
    return found


def _limits(built: FieldDict, low: Any, high: Any, length: Any, pattern: Any) -> None:
    if built["type"] == "number":
        if _number(low) is not None:
            built["min"] = _number(low)
        if _number(high) is not None:
            built["max"] = _number(high)
    if built["type"] in ("text", "longtext"):
        if _number(length) is not None:
            built["max_length"] = int(_number(length) or 0)
        if isinstance(pattern, str) and pattern:
            built["pattern"] = pattern


# --- SpiffArena JSON schema ----------------------------------------------------------------------

def json_schema(schema: Mapping[str, Any], ui: Mapping[str, Any] | None, reader: Reader) -> list[FieldDict]:
    """Top-level properties of a JSON schema, in the UI schema's order, hidden ones left out."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    ui = ui or {}
    order = [n for n in ui.get("ui:order") or [] if n in properties] + [n for n in properties
                                                                         if n not in (ui.get("ui:order") or [])]
    fields = []
    for name in order:
        spec, hints = properties.get(name) or {}, ui.get(name) or {}
        if not isinstance(spec, dict) or hints.get("ui:widget") == "hidden":
            continue
        built = _schema_field(reader.name(name), spec, hints, reader)
        if built is None:
            continue
        if name in required:
            built["required"] = True
        if spec.get("readOnly") or hints.get("ui:readonly") or hints.get("ui:disabled"):
            built["readonly"] = True
        if spec.get("description") or hints.get("ui:help"):
            built["help"] = text(str(spec.get("description") or hints.get("ui:help")))
        fields.append(built)
    return fields


def _schema_field(name: str, spec: Mapping[str, Any], hints: Mapping[str, Any], reader: Reader) -> FieldDict | None:
    label = text(str(spec.get("title") or name))
    kind = spec.get("type")
    options = [(o.get("const"), str(o.get("title") or o.get("const"))) for o in spec.get("oneOf") or []
               if isinstance(o, dict) and "const" in o] or [(v, str(v)) for v in spec.get("enum") or []]
    built: FieldDict = {"name": name, "label": label}
    if kind == "array":
        items = spec.get("items") or {}
        choices = [(v, str(v)) for v in items.get("enum") or []] + [
            (o.get("const"), str(o.get("title") or o.get("const"))) for o in items.get("oneOf") or []
            if isinstance(o, dict) and "const" in o]
        if not choices:
            reader.notes.append(f"'{name}' is a list of objects, which this form cannot enter; left out")
            return None
        built.update(type="multichoice", choices=_choices(choices))
    elif kind == "object":
        reader.notes.append(f"'{name}' is a nested object, which this form cannot enter; left out")
        return None
    elif options:
        built.update(type="decision" if hints.get("ui:widget") == "radio" else "choice", choices=_choices(options))
    elif kind == "boolean":  # a checkbox: left alone, it says no
        built.update(type="decision", choices=_YES_NO, default=False)
    elif kind in ("integer", "number"):
        built.update(type="number", integer=kind == "integer")
        _limits(built, spec.get("minimum"), spec.get("maximum"), None, None)
    elif spec.get("format") == "date":
        built["type"] = "date"
    else:
        built["type"] = "longtext" if hints.get("ui:widget") == "textarea" else "text"
        _limits(built, None, None, spec.get("maxLength"), spec.get("pattern"))
    if "default" in spec:
        built["default"] = spec["default"]
    return built
