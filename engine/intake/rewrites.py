"""Structural adaptations of vendor files: multi-instance attributes, missing referenced elements,
data stores. Each returns the warnings (or errors) it produced."""

from __future__ import annotations

import re

from lxml import etree

from engine.core.problems import ERROR, WARNING, Problem
from engine.intake.expressions import (
    BPMN_NS,
    VENDOR_NAMESPACES,
    UntranslatableExpression,
    located,
    translate_expression,
)
from engine.intake.vendor_forms import variable_name

_REFS = {"errorRef": ("error", "errorCode"), "escalationRef": ("escalation", "escalationCode"),
         "signalRef": ("signal", None), "messageRef": ("message", None)}


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _collection_variable(text: str, el: etree._Element, filename: str, problems: list[Problem]) -> str | None:
    """`${users}`, `=users` or `users` name the list variable; anything else cannot be used."""
    value = text.strip()
    try:
        translated = translate_expression(value, boolean=False) if re.match(r"[$#]\{|=", value) else value
    except UntranslatableExpression as exc:
        problems.append(located(ERROR, "untranslatable-expression", str(exc), filename, el))
        return None
    if not translated.isidentifier():
        problems.append(located(ERROR, "untranslatable-expression",
                                f"multi-instance collection '{value}' must name a list variable", filename, el))
        return None
    return translated


def _add_child(mi: etree._Element, tag: str, text: str | None = None, **attrs: str) -> None:
    child = etree.SubElement(mi, _q(tag), attrs)
    child.text = text
    # keep the standard children before extensionElements-free ordering: SpiffWorkflow uses xpath, order-free


def fix_vendor_multi_instance(root: etree._Element, filename: str) -> list[Problem]:
    """activiti/flowable/camunda collection+elementVariable and zeebe loopCharacteristics -> standard."""
    problems: list[Problem] = []
    for mi in root.iter(_q("multiInstanceLoopCharacteristics")):
        if mi.find(_q("loopDataInputRef")) is not None or mi.find(_q("loopCardinality")) is not None:
            continue
        collection, element = _vendor_collection(mi)
        if collection is None:
            continue
        variable = _collection_variable(collection, mi, filename, problems)
        if variable is None:
            continue
        _add_child(mi, "loopDataInputRef", variable)
        if element:
            _add_child(mi, "inputDataItem", id=element, name=element)
        problems.append(located(WARNING, "adapted-multi-instance",
                                f"vendor multi-instance over '{collection}' runs as loopDataInputRef "
                                f"'{variable}'" + (f" with item '{element}'" if element else ""), filename, mi))
    return problems


def _vendor_collection(mi: etree._Element) -> tuple[str | None, str | None]:
    for prefix in ("activiti", "flowable", "camunda"):
        ns = VENDOR_NAMESPACES[prefix]
        if mi.get(f"{{{ns}}}collection"):
            return mi.get(f"{{{ns}}}collection"), mi.get(f"{{{ns}}}elementVariable")
    zeebe = VENDOR_NAMESPACES["zeebe"]
    found = mi.find(f"{_q('extensionElements')}/{{{zeebe}}}loopCharacteristics")
    if found is not None and found.get("inputCollection"):
        return found.get("inputCollection"), found.get("inputElement")
    return None, None


def fix_missing_refs(root: etree._Element, filename: str) -> list[Problem]:
    """An errorRef naming no <error> (Activiti writes the error code there) gets a matching element."""
    problems: list[Problem] = []
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    created: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr, (tag, code_attr) in _REFS.items():
            ref = el.get(attr)
            if not ref or ref in ids or ref in created:
                continue
            if etree.QName(el).localname in ("process", "participant"):
                continue
            attrs = {"id": ref, "name": ref}
            if code_attr:
                attrs[code_attr] = ref
            new = etree.Element(_q(tag), attrs)
            first_process = root.find(_q("process"))
            if first_process is not None:
                first_process.addprevious(new)
            else:
                root.append(new)
            created.add(ref)
            problems.append(located(WARNING, "created-reference",
                                    f"{attr}='{ref}' names no <{tag}> element; govflow created one with that "
                                    f"id{' and code' if code_attr else ''}", filename, el))
    return problems


def fix_data_stores(root: etree._Element, filename: str) -> list[Problem]:
    """Data stores need an implementation SpiffWorkflow lacks: keep them as documentation only."""
    problems: list[Problem] = []
    stores = [el for el in root.iter(_q("dataStoreReference"), _q("dataStore"))]
    store_ids = {el.get("id") for el in stores}
    for el in stores:
        problems.append(located(WARNING, "data-store-ignored",
                                f"data store '{el.get('name') or el.get('id')}' is documentation only in govflow",
                                filename, el))
    for assoc in list(root.iter(_q("dataInputAssociation"), _q("dataOutputAssociation"))):
        refs = [r.text.strip() for r in assoc.iter(_q("sourceRef"), _q("targetRef")) if r.text]
        if store_ids.intersection(refs):
            assoc.getparent().remove(assoc)
    for el in stores:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    return problems


PYTHON_SCRIPT_FORMATS = ("python", "text/x-python", "py")


def scripts_as_external(root: etree._Element, filename: str) -> list[Problem]:
    """A Groovy/JavaScript/C# script cannot run here: the step waits as external work for an operator."""
    problems: list[Problem] = []
    for task in list(root.iter(_q("scriptTask"))):
        fmt = (task.get("scriptFormat") or "").strip()
        if not fmt or fmt.lower() in PYTHON_SCRIPT_FORMATS:
            continue
        task.tag = _q("serviceTask")
        for script in task.findall(_q("script")):
            task.remove(script)
        del task.attrib["scriptFormat"]
        problems.append(located(WARNING, "script-as-external",
                                f"script in '{fmt}' cannot run in govflow; the step waits as external work "
                                "until an operator completes it", filename, task))
    return problems


def data_objects_by_name(root: etree._Element, filename: str) -> list[Problem]:
    """SpiffWorkflow keys data objects by id; modelers show and users think of the name. Rename ids
    like 'Bpmn_DataObject_x1' to their name when it is a free identifier, so task data and
    conditions meet under the name designers wrote."""
    problems: list[Problem] = []
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for obj in list(root.iter(_q("dataObject"))):
        old, name = obj.get("id"), (obj.get("name") or "").strip()
        if not name or not name.isidentifier() or name == old or name in ids:
            continue
        obj.set("id", name)
        ids.add(name)
        for ref in root.iter(_q("dataObjectReference")):
            if ref.get("dataObjectRef") == old:
                ref.set("dataObjectRef", name)
        problems.append(located(WARNING, "adapted-data-object", f"data object '{old}' is read as variable "
                                f"'{name}'", filename, obj))
    return problems


def _drop_io(owner: etree._Element, item: etree._Element, old: str | None, filename: str,
             problems: list[Problem]) -> None:
    """A task input/output named like a data object it is associated with is that data object."""
    problems.append(located(WARNING, "adapted-io", f"task {etree.QName(item).localname[4:].lower()} "
                            f"'{item.get('name')}' is the data object of that name", filename, item))
    for ref in list(owner.iter(_q("dataInputRefs"), _q("dataOutputRefs"))):
        if (ref.text or "").strip() == old:
            ref.getparent().remove(ref)
    item.getparent().remove(item)


def io_by_name(root: etree._Element, filename: str) -> tuple[list[Problem], dict[str, str]]:
    """SpiffWorkflow reads a task's data inputs and outputs by id; modelers (Signavio, Trisotech) give
    them generated ids and a name. Each gets its name (made a safe variable name) as id, and every
    reference inside its owner follows; returns the warnings and the names given to names with spaces."""
    problems: list[Problem] = []
    renamed: dict[str, str] = {}
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    objects = {(o.get("name") or "").strip() for o in root.iter(_q("dataObject"))}
    for io in list(root.iter(_q("ioSpecification"))):
        owner = io.getparent()
        for item in [c for c in io if isinstance(c.tag, str) and etree.QName(c).localname in ("dataInput", "dataOutput")]:
            old, name = item.get("id"), (item.get("name") or "").strip()
            if not name or name == old:
                continue
            if name in objects and owner is not None:
                _drop_io(owner, item, old, filename, problems)  # the value travels as the data object
                continue
            new = variable_name(name)
            if new in ids or owner is None:
                continue  # lint reports what cannot be renamed
            ids.add(new)
            item.set("id", new)
            for el in owner.iter():
                if isinstance(el.tag, str) and (el.text or "").strip() == old and not len(el):
                    el.text = new
            if new != name:
                renamed[name] = new
            problems.append(located(WARNING, "adapted-io", f"task {etree.QName(item).localname[4:].lower()} "
                                    f"'{name}' (id '{old}') is read as variable '{new}'", filename, item))
    return problems, renamed
