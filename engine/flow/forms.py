"""Form definitions (forms/*.json, docs/forms.md): one generic loader into marshmallow schemas, and
server-side validation that names the field at fault in the user's language. Forms read from deployed
BPMN files (engine/intake/task_forms.py) are stored in the task_form table and found the same way."""

from __future__ import annotations

import hashlib
import json
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.core.clock import to_db
from engine.core.errors import Conflict, InvalidDefinition, InvalidInput
from engine.core.problems import ERROR, Problem
from engine.flow.models import TaskForm

TYPES = ("text", "longtext", "number", "date", "choice", "multichoice", "decision", "opinion", "user",
         "department", "file")
# How a `show` item's value reads: as a field type would, a yes/no, or records of earlier steps
# (e.g. each department's countersign opinion).
SHOWN_TYPES = ("text", "user", "department", "file", "yesno", "records")
MAX_LENGTH = {"text": 200, "longtext": 10000, "opinion": 2000}
MESSAGES = {
    "required": ("「{label}」为必填项", "{label} is required"),
    "choice": ("「{label}」的取值不在可选范围内", "{label}: pick one of the offered values"),
    "length": ("「{label}」最多 {n} 个字", "{label}: at most {n} characters"),
    "number": ("「{label}」应为数字", "{label} must be a number"),
    "integer": ("「{label}」应为整数", "{label} must be a whole number"),
    "range": ("「{label}」应在 {lo} 到 {hi} 之间", "{label} must be between {lo} and {hi}"),
    "date": ("「{label}」应为日期（YYYY-MM-DD）", "{label} must be a date (YYYY-MM-DD)"),
    "date_range": ("「{label}」应在 {lo} 到 {hi} 之间", "{label} must be between {lo} and {hi}"),
    "pattern": ("「{label}」格式不正确", "{label} is not in the expected format"),
    "items": ("「{label}」应选择 {lo} 到 {hi} 项", "{label}: choose {lo} to {hi} items"),
    "unknown": ("表单中没有「{label}」这一项", "the form has no field named {label}"),
    "readonly": ("「{label}」是只读项，不能修改", "{label} is read-only"),
    "files": ("「{label}」最多 {n} 个文件", "{label}: at most {n} files"),
}


@dataclass
class Field:
    name: str
    type: str
    label: dict[str, str]
    required: bool = False
    required_if: dict[str, Any] | None = None
    help: dict[str, str] | None = None
    default: Any = None
    readonly: bool = False
    pattern: str | None = None
    pattern_message: dict[str, str] | None = None
    max_length: int | None = None
    min: Any = None
    max: Any = None
    integer: bool = False
    choices: list[dict[str, Any]] = field(default_factory=list)
    min_items: int | None = None
    max_items: int | None = None
    multiple: bool = False
    group: str | None = None  # a user field: only members of this group
    max_files: int = 10
    accept: list[str] | None = None

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label["zh"]


@dataclass
class FormDefinition:
    key: str
    title: dict[str, str]
    fields: list[Field]
    show: list[dict[str, Any]] = field(default_factory=list)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _problem(filename: str, message: str) -> Problem:
    return Problem(ERROR, "form-definition", message, filename)


def _check_field(raw: Any, index: int, filename: str, problems: list[Problem]) -> Field | None:
    where = f"field {index + 1}"
    if not isinstance(raw, dict):
        problems.append(_problem(filename, f"{where} is not an object"))
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        problems.append(_problem(filename, f"{where}: name {name!r} must be an identifier and not a Python keyword"))
        return None
    where = f"field '{name}'"
    kind = raw.get("type")
    if kind not in TYPES:
        problems.append(_problem(filename, f"{where}: unknown type {kind!r}; use one of {', '.join(TYPES)}"))
        return None
    label = raw.get("label")
    if not isinstance(label, dict) or not label.get("zh"):
        problems.append(_problem(filename, f"{where}: label needs a Chinese text (label.zh)"))
        return None
    known = set(Field.__dataclass_fields__)
    extra = sorted(set(raw) - known)
    if extra:
        problems.append(_problem(filename, f"{where}: unknown keys {', '.join(extra)}"))
    choices = raw.get("choices") or []
    if kind in ("choice", "multichoice", "decision"):
        if not choices or any(not isinstance(c, dict) or "value" not in c or not (c.get("label") or {}).get("zh")
                              for c in choices):
            problems.append(_problem(filename, f"{where}: every choice needs a value and label.zh"))
    if raw.get("pattern"):
        try:
            re.compile(raw["pattern"])
        except re.error as exc:
            problems.append(_problem(filename, f"{where}: pattern is not a valid regular expression ({exc})"))
    values = {k: v for k, v in raw.items() if k in known}
    return Field(**values)


def load_definition(source: Path | Mapping[str, Any], filename: str | None = None) -> FormDefinition:
    """A checked definition, or InvalidDefinition listing every problem of the file."""
    problems: list[Problem] = []
    name = filename or (source.name if isinstance(source, Path) else "<form>")
    if isinstance(source, Path):
        try:
            raw = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidDefinition(f"{name}: not readable JSON ({exc})", [_problem(name, str(exc))]) from exc
    else:
        raw = dict(source)
    if not isinstance(raw, dict):
        raise InvalidDefinition(f"{name}: a form definition is a JSON object", [_problem(name, "not an object")])
    key = raw.get("key")
    if isinstance(source, Path) and key != source.stem:
        problems.append(_problem(name, f"key {key!r} must equal the file name '{source.stem}'"))
    if not isinstance(raw.get("title"), dict) or not raw["title"].get("zh"):
        problems.append(_problem(name, "title needs a Chinese text (title.zh)"))
    items = raw.get("fields")
    if not isinstance(items, list):
        problems.append(_problem(name, "fields must be a list"))
        items = []
    checked = [f for i, item in enumerate(items) if (f := _check_field(item, i, name, problems)) is not None]
    names = [f.name for f in checked]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(_problem(name, f"field name '{dup}' is used twice"))
    for f in checked:
        for other in (f.required_if or {}):
            if other not in names:
                problems.append(_problem(name, f"field '{f.name}': required_if names unknown field '{other}'"))
    if problems:
        raise InvalidDefinition(f"{name}: {problems[0].message}", problems)
    show = [s if isinstance(s, dict) else {"name": s} for s in raw.get("show") or []]
    for item in show:
        if item.get("type") not in (None, *SHOWN_TYPES):
            problems.append(_problem(name, f"show '{item.get('name')}': unknown type {item.get('type')!r}; "
                                           f"use one of {', '.join(SHOWN_TYPES)}"))
    if problems:
        raise InvalidDefinition(f"{name}: {problems[0].message}", problems)
    return FormDefinition(str(key), dict(raw["title"]), checked, show)


def load_directory(directory: Path) -> dict[str, FormDefinition]:
    """Every form of a folder; all problems of all files are reported together."""
    found: dict[str, FormDefinition] = {}
    problems: list[Problem] = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            found[path.stem] = load_definition(path)
        except InvalidDefinition as exc:
            problems += exc.problems
    if problems:
        raise InvalidDefinition(f"{len(problems)} problem(s) in the form definitions", problems)
    return found


_CACHE: dict[Path, tuple[float, FormDefinition]] = {}
STORED_PREFIX = "bpmn-"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "forms"  # the shipped forms; the inbox reads the same
_STORED: dict[str, FormDefinition] = {}


def has_form(directory: Path, form_key: str) -> bool:
    """Whether the folder holds a form file of that key."""
    return bool(re.fullmatch(r"[A-Za-z0-9_\-]+", form_key)) and (Path(directory) / f"{form_key}.json").is_file()


def store_form(session: Session, now: datetime, definition: Mapping[str, Any], source: str) -> str:
    """Keep a form read from a BPMN file (or generated for a task) once per content; its key."""
    body = {k: v for k, v in definition.items() if k != "key"}
    key = STORED_PREFIX + hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False)
                                         .encode()).hexdigest()[:40]
    load_definition({**body, "key": key}, f"{body.get('title', {}).get('zh', key)}")  # refuses what is wrong
    if session.get(TaskForm, key) is None:
        session.add(TaskForm(key=key, definition={**body, "key": key}, source=source[:32], created_at=to_db(now)))
        try:
            session.flush()
        except IntegrityError as exc:  # the same form stored by a deployment running at the same time
            raise Conflict("a form of this file was stored by someone else at the same time; deploy again") from exc
    return key


def _stored(session: Session, key: str) -> FormDefinition | None:
    """A stored form; cached for good, as a key names one content."""
    found = _STORED.get(key)
    if found is None:
        row = session.get(TaskForm, key)
        if row is None:
            return None
        found = _STORED[key] = load_definition(row.definition, key)
    return found


def find_form(directory: Path, form_key: str | None, session: Session | None = None) -> FormDefinition | None:
    """The task's form: a file of the folder (re-read when it changes) or, given a session, a form
    stored from a BPMN file; None when the task has neither."""
    if form_key and form_key.startswith(STORED_PREFIX) and session is not None:
        return _stored(session, form_key)
    if not form_key or not re.fullmatch(r"[A-Za-z0-9_\-]+", form_key):
        return None
    path = Path(directory) / f"{form_key}.json"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    cached = _CACHE.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, load_definition(path))
        _CACHE[path] = cached
    return cached[1]


def _message(kind: str, f: Field, lang: str, **values: Any) -> str:
    zh, en = MESSAGES[kind]
    return (en if lang == "en" else zh).format(label=f.text(lang), **values)


def _marshmallow_field(f: Field, lang: str) -> fields.Field:
    """One field's type and rules; requiredness is checked before (required_if depends on other fields)."""
    msg: dict[str, Any] = {"invalid": _message("number" if f.type == "number" else "date" if f.type == "date" else "choice",
                               f, lang)}
    values = [c["value"] for c in f.choices]
    if f.type in ("choice", "decision"):
        return fields.Raw(validate=validate.OneOf(values, error=_message("choice", f, lang)), allow_none=True)
    if f.type == "multichoice":
        lo, hi = f.min_items or 0, f.max_items or len(values)
        return fields.List(fields.Raw(validate=validate.OneOf(values, error=_message("choice", f, lang))),
                           validate=validate.Length(min=lo, max=hi, error=_message("items", f, lang, lo=lo, hi=hi)))
    if f.type == "number":
        rng = validate.Range(min=f.min, max=f.max, error=_message("range", f, lang, lo=f.min, hi=f.max))
        kind = fields.Integer(strict=False, error_messages={"invalid": _message("integer", f, lang)}) \
            if f.integer else fields.Float(error_messages=msg)
        kind.validators = [rng] if f.min is not None or f.max is not None else []
        return kind
    if f.type == "date":
        return fields.Date(error_messages=msg)
    if f.type == "file":
        return fields.List(fields.Integer(), validate=validate.Length(
            max=f.max_files, error=_message("files", f, lang, n=f.max_files)))
    if f.type in ("user", "department") and f.multiple:
        return fields.List(fields.String())
    limit = f.max_length or MAX_LENGTH.get(f.type, 200)
    rules: list[Any] = [validate.Length(max=limit, error=_message("length", f, lang, n=limit))]
    if f.pattern:
        custom = (f.pattern_message or {}).get(lang) or (f.pattern_message or {}).get("zh")
        rules.append(validate.Regexp(f"(?:{f.pattern})\\Z", error=custom or _message("pattern", f, lang)))
    return fields.String(validate=rules)


def schema_for(definition: FormDefinition, lang: str = "zh") -> Schema:
    """The marshmallow schema of the editable fields."""
    spec = {f.name: _marshmallow_field(f, lang) for f in definition.fields if not f.readonly}
    return Schema.from_dict(spec, name=f"Form_{definition.key}")()


def _listy(f: Field) -> bool:
    return f.type in ("multichoice", "file") or (f.type in ("user", "department") and f.multiple)


def _normalise(f: Field, value: Any) -> Any:
    """HTML forms send strings: blank means absent, lists may arrive as one comma-separated text."""
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    listy = _listy(f)
    if listy and value is not None and not isinstance(value, list | tuple):
        value = [v.strip() for v in str(value).split(",") if v.strip()]
    if listy and isinstance(value, list | tuple):
        value = [v.strip() if isinstance(v, str) else v for v in value if v not in ("", None)] or None
    if f.type in ("choice", "decision") and isinstance(value, str):
        for c in f.choices:  # booleans and numbers arrive as text from HTML
            if str(c["value"]).lower() == value.lower():
                return c["value"]
    return value


def validate_submission(definition: FormDefinition, raw: Mapping[str, Any], lang: str = "zh") -> dict[str, Any]:
    """Clean data ready to become case variables, or InvalidInput naming every field at fault."""
    errors: dict[str, list[str]] = {}
    by_name = {f.name: f for f in definition.fields}
    for name in raw:
        f = by_name.get(name)
        if f is None:
            errors[name] = [MESSAGES["unknown"][1 if lang == "en" else 0].format(label=name)]
        elif f.readonly and raw[name] not in (None, ""):
            errors[name] = [_message("readonly", f, lang)]
    values = {f.name: _normalise(f, raw.get(f.name)) for f in definition.fields if not f.readonly}
    for f in definition.fields:
        if f.readonly or f.name in errors:
            continue
        if values.get(f.name) is None and f.default is not None:
            values[f.name] = f.default
        if values.get(f.name) is None and _required(f, values):
            errors[f.name] = [_message("required", f, lang)]
    present = {k: v for k, v in values.items() if v is not None and k not in errors}
    try:
        clean = schema_for(definition, lang).load(present)
    except ValidationError as exc:
        for name, messages in exc.normalized_messages().items():
            errors.setdefault(str(name), []).extend(_flatten(messages))
        clean = {}
    if errors:
        first = next(iter(errors))
        raise InvalidInput(errors[first][0], field=first, errors=errors)
    for f in definition.fields:
        if _listy(f) and not f.readonly and clean.get(f.name) is None:
            # An optional multi-pick left empty is an empty list: conditions and loops over it work,
            # and a resubmitted form clears what an earlier round chose.
            clean[f.name] = []
        if f.type == "date" and isinstance(clean.get(f.name), date):
            clean[f.name] = clean[f.name].isoformat()
        if f.type == "date" and f.name in clean:
            _date_range(f, clean[f.name], lang)
    return clean


def _date_range(f: Field, value: str, lang: str) -> None:
    if (f.min and value < str(f.min)) or (f.max and value > str(f.max)):
        message = _message("date_range", f, lang, lo=f.min or "…", hi=f.max or "…")
        raise InvalidInput(message, field=f.name, errors={f.name: [message]})


def _required(f: Field, values: Mapping[str, Any]) -> bool:
    if f.required:
        return True
    for other, wanted in (f.required_if or {}).items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if values.get(other) in options:
            return True
    return False


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flatten(v)]
    if isinstance(messages, list):
        return [m for v in messages for m in _flatten(v)]
    return [str(messages)]


def display_values(definition: FormDefinition | None, data: Mapping[str, Any], lang: str = "zh") -> list[tuple[str, Any]]:
    """(label, value) pairs of the earlier data the form shows read-only."""
    return [(label, value) for label, value, _ in display_items(definition, data, lang)]


def display_items(definition: FormDefinition | None, data: Mapping[str, Any],
                  lang: str = "zh") -> list[tuple[str, Any, str]]:
    """(label, value, how it reads) of the earlier data the form shows read-only (SHOWN_TYPES)."""
    if definition is None:
        return []
    shown = []
    for item in definition.show:
        label = item.get("label") or {}
        value = data.get(item["name"])
        for choice in item.get("choices") or []:  # a stored value shown by its label, e.g. grant -> 准予许可
            if choice.get("value") == value:
                value = (choice.get("label") or {}).get(lang) or (choice.get("label") or {}).get("zh") or value
        shown.append((label.get(lang) or label.get("zh") or item["name"], value, item.get("type") or "text"))
    return shown


ACTS = ("decision", "opinion")  # what each person decides and says at a step


def prefill(definition: FormDefinition, data: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """What a step's form shows before anyone types: the case data and, for a step reopened by 退回 or
    撤回, its own earlier submission; never a decision or opinion, which each person and round makes
    afresh (a second 受理审查 must not arrive with the first one's 补正 already chosen)."""
    values = {**data, **previous}
    for f in definition.fields:
        if f.type in ACTS:
            values.pop(f.name, None)
    return values


APPROVING = (True, "approve", "agree", "accept", "grant", "valid", "yes")


def approval(definition: FormDefinition | None, opinion: str) -> dict[str, Any] | None:
    """What 批量审批 submits for a step: its decision set to the approving choice and the shared opinion;
    None when the form decides nothing that can be called approval (such steps are done one by one)."""
    values: dict[str, Any] = {}
    if definition is None:
        return values
    for f in definition.fields:
        if f.type == "decision" and f.name not in values:
            chosen = next((c["value"] for c in f.choices if c["value"] in APPROVING), None)
            if chosen is None:
                return None
            values[f.name] = chosen
        elif f.type == "opinion" and opinion:
            values[f.name] = opinion
    return values


def opinion_field(definition: FormDefinition) -> str | None:
    """The field whose text the trail records as the step's opinion (意见)."""
    return next((f.name for f in definition.fields if f.type == "opinion"), None)


def references(definition: FormDefinition, data: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Users, departments and attachments a submission names, for the engine to check."""
    found: dict[str, list[Any]] = {"user": [], "department": [], "file": []}
    for f in definition.fields:
        if f.type in found and data.get(f.name) is not None:
            value = data[f.name]
            found[f.type] += value if isinstance(value, list) else [value]
    return found
