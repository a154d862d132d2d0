"""Demo data: a small organisation, the shipped processes deployed, and a case to work on."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from engine import definitions, instances, org, tasks

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
DEMO_PASSWORD = "govflow123"
DEMO_USERS = [
    # username, display name, department, groups
    ("admin", "系统管理员", "szfb", ["admin"]),
    ("zhangsan", "张三 (经办人)", "szfb", ["clerk"]),
    ("lisi", "李四 (部门负责人)", "szfb", ["dept_head"]),
    ("wangwu", "王五 (办公室)", "szfb", ["office"]),
]


def seed(session: Session, now: datetime) -> list[str]:
    """Idempotent: creates what is missing and returns lines describing what the demo has."""
    org.ensure_department(session, "szfb", "市政府办公室")
    for username, display, dept, groups in DEMO_USERS:
        if org.find_user(session, username) is None:
            org.create_user(session, username, password=DEMO_PASSWORD, groups=groups, department=dept,
                            display_name=display)
    files = sorted(PROCESSES_DIR.glob("*.bpmn"))
    result = definitions.deploy(session, "admin", now, [(f.name, f.read_bytes()) for f in files])
    lines = [f"deployed {p.process_id} v{p.version}" for p in result.processes]
    if any(p.new for p in result.processes) and any(p.process_id == "leave_request" for p in result.processes):
        inst = instances.start(session, "zhangsan", now, "leave_request", {"days": 3, "reason": "探亲"},
                               title="张三请假三天")
        for task in tasks.open_for_instance(session, inst.id):
            tasks.complete(session, "zhangsan", now, task.id, {"days": 3, "reason": "探亲"}, "请领导审批")
        lines.append(f"started instance {inst.id} (leave_request) for zhangsan; it waits for lisi")
    lines.append("demo logins (password " + DEMO_PASSWORD + "): " + ", ".join(u[0] for u in DEMO_USERS))
    return lines
