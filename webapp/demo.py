"""Demo data: the municipal organisation, the shipped processes, and cases in every state to look at."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.calendar import workdays
from engine.clocks import lifecycle
from engine.clocks.policies import seed_policies
from engine.flow import definitions, instances, task_actions, tasks
from engine.flow.models import Instance
from engine.org import demo, directory
from webapp import demo_cases, demo_daily

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
DEMO_PASSWORD = "govflow123"
LEAVE_USERS = [
    # username, display name, department, groups: the people of the sample leave process
    ("zhangsan", "张三 (经办人)", "szfb", ["clerk"]),
    ("lisi", "李四 (部门负责人)", "szfb", ["dept_head"]),
    ("wangwu", "王五 (办公室)", "szfb", ["office"]),
]
SHOWN_LOGINS = ["admin", "designer", "zhangsan", "lisi", "wangwu", "supervisor", "mailbox_clerk", "mayor_wang",
                "window_clerk", "szfb_clerk", "szfb_head", "fgw_leader", "zjj_clerk"]


def seed(session: Session, now: datetime) -> list[str]:
    """Idempotent: creates what is missing and returns lines describing what the demo has."""
    seed_policies(session)
    workdays.seed_official(session, now)
    demo.seed_org(session, password=DEMO_PASSWORD)
    for username, display, dept, groups in LEAVE_USERS:
        if directory.find_user(session, username) is None:
            directory.create_user(session, username, password=DEMO_PASSWORD, groups=groups, department=dept,
                                  display_name=display)
    files = sorted(PROCESSES_DIR.glob("*.bpmn"))
    result = definitions.deploy(session, "admin", now, [(f.name, f.read_bytes()) for f in files])
    lines = [f"deployed {p.process_id} v{p.version}" for p in result.processes]
    if not session.scalar(select(func.count()).select_from(Instance)):
        lines += _leave_cases(session, now)
        lines += demo_cases.letters(session, now)
        lines += demo_cases.applications(session, now)
        lines += demo_cases.documents(session, now)
        lines += demo_daily.daily_work(session, now)
    lines.append(f"demo logins (password {DEMO_PASSWORD}): " + ", ".join(SHOWN_LOGINS))
    return lines


def _submit(session: Session, when: datetime, title: str, days: int, reason: str) -> int:
    inst = instances.start(session, "zhangsan", when, "leave_request", {"days": days}, title=title)
    [apply] = tasks.open_for_instance(session, inst.id)
    tasks.complete(session, "zhangsan", when, apply.id, {"days": days, "reason": reason}, "请领导审批")
    return inst.id


def _leave_cases(session: Session, now: datetime) -> list[str]:
    """Waiting, warned, overdue, approved, refused, rejected and sent-back cases of the leave process."""
    waiting = _submit(session, now, "张三请假三天（探亲）", 3, "探亲")
    late = _submit(session, now - timedelta(days=14), "张三病假两天（超期未批）", 2, "病假")
    near = _submit(session, now - timedelta(days=6), "张三事假一天（即将超期）", 1, "办理证件")
    for instance_id, started in ((late, now - timedelta(days=14)), (near, now - timedelta(days=6))):
        [row] = tasks.open_for_instance(session, instance_id)
        clock = lifecycle.start_clock(session, None, started, "leave_approval", instance_id=instance_id,
                                      task_id=row.id, element_id=row.element_id, responsible="lisi",
                                      department_code="szfb")
        lifecycle.check_clock(session, now, clock.id)
    done = _submit(session, now - timedelta(days=3), "张三年假五天（已批准）", 5, "年休假")
    [review] = tasks.open_for_instance(session, done)
    tasks.complete(session, "lisi", now - timedelta(days=2), review.id, {"approved": True}, "同意")
    [record] = tasks.open_for_instance(session, done)
    tasks.complete(session, "wangwu", now - timedelta(days=1), record.id, {}, "已备案")
    refused = _submit(session, now - timedelta(days=2), "张三调休一天（未批准）", 1, "调休")
    [review] = tasks.open_for_instance(session, refused)
    tasks.complete(session, "lisi", now - timedelta(days=1), review.id, {"approved": False}, "近期工作紧张，暂缓")
    rejected = _submit(session, now - timedelta(days=2), "张三请假三十天（驳回）", 30, "出国")
    [review] = tasks.open_for_instance(session, rejected)
    task_actions.reject(session, "lisi", now - timedelta(days=1), review.id, "超出可请假天数，请按规定办理")
    returned = _submit(session, now - timedelta(hours=5), "张三请假两天（退回补充）", 2, "家事")
    [review] = tasks.open_for_instance(session, returned)
    [target] = task_actions.send_back_targets(session, now, review.id)
    task_actions.send_back(session, "lisi", now - timedelta(hours=1), review.id, target["task_id"], "请写明具体事由")
    return [f"leave cases: waiting #{waiting}, overdue #{late}, warned #{near}, approved #{done}, "
            f"refused #{refused}, rejected #{rejected}, sent back #{returned}"]
