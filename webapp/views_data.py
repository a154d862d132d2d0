"""Plain-dict views of engine objects, shared by the CLI's --json output and the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.core import audit
from engine.flow import definitions, instances, tasks
from engine.flow.models import HumanTask, ProcessVersion


def deploy_result(result: definitions.DeployResult) -> dict[str, Any]:
    return {
        "processes": [{"process_id": p.process_id, "version": p.version, "name": p.name,
                       "file": p.filename, "new": p.new} for p in result.processes],
        "problems": [p.to_dict() for p in result.problems],
    }


def version_rows(rows: list[tuple[ProcessVersion, int]]) -> list[dict[str, Any]]:
    return [{"process_id": v.process_id, "version": v.version, "name": v.name, "file": v.file.filename,
             "deployed_at": v.deployed_at.isoformat(), "instances": count} for v, count in rows]


def task_row(row: HumanTask) -> dict[str, Any]:
    return {
        "id": row.id, "instance_id": row.instance_id, "process_id": row.process_id,
        "element_id": row.element_id, "name": row.name, "kind": row.kind, "lane": row.lane,
        "status": row.status, "assignee": row.assignee,
        "candidates": [f"{c.kind}:{c.value}" for c in row.candidates],
        "form_key": row.form_key, "priority": row.priority,
        "due_at": row.due_at.isoformat() if row.due_at else None,
        "created_at": row.created_at.isoformat(), "properties": row.properties,
    }


def instance_view(session: Session, instance_id: int, now: datetime) -> dict[str, Any]:
    inst = instances.get(session, instance_id)
    return {
        "id": inst.id, "process_id": inst.process_id, "version": inst.process_version.version,
        "status": inst.status, "title": inst.title, "started_by": inst.started_by,
        "started_at": inst.started_at.isoformat(),
        "ended_at": inst.ended_at.isoformat() if inst.ended_at else None,
        "data": instances.current_data(session, inst, now),
        "waiting_events": instances.waiting_events(session, inst, now) if inst.status == "running" else [],
        "open_tasks": [task_row(t) for t in tasks.open_for_instance(session, inst.id)],
        "audit": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "task_id": e.task_id,
                   "element_id": e.element_id, "opinion": e.opinion, "changes": e.changes, "detail": e.detail}
                  for e in audit.trail(session, inst.id)],
    }


def instance_text(view: dict[str, Any]) -> str:
    lines = [f"instance {view['id']}  {view['process_id']} v{view['version']}  {view['status']}  {view['title']}",
             f"started by {view['started_by'] or '-'} at {view['started_at']}"]
    lines.append("data: " + ", ".join(f"{k}={v!r}" for k, v in sorted(view["data"].items())))
    for t in view["open_tasks"]:
        lines.append(f"open task {t['id']}  {t['element_id']}  {t['name']}  assignee={t['assignee'] or '-'}")
    for e in view["waiting_events"]:
        lines.append(f"waiting for {e['type']} {e['name']} {e['value'] or ''}".rstrip())
    for e in view["audit"]:
        extra = f" opinion={e['opinion']!r}" if e["opinion"] else ""
        lines.append(f"  {e['at']}  {e['actor'] or 'system'}  {e['action']}  {e['element_id'] or ''}{extra}")
    return "\n".join(lines)
