"""Demo cases of the daily work a newcomer should see at once: a draft sent back and resubmitted, a
deputy acting for an absent head, an extension request waiting for a decision, copies read and unread."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks.models import Clock
from engine.flow import instances, task_actions, tasks
from engine.flow.models import Instance
from engine.gov import extensions
from engine.org import deputies
from webapp.demo_cases import OUTGOING, _do


def daily_work(session: Session, now: datetime) -> list[str]:
    return [_resubmitted(session, now), _deputy(session, now), _extension_request(session, now), _copies(session, now)]


def _resubmitted(session: Session, now: datetime) -> str:
    """退回 then resubmitted: the drafter corrected the title after the head sent the draft back."""
    when = now - timedelta(days=1)
    title = "关于调整市政府机关公务用车管理的通知"
    iid = instances.start(session, "szfb_clerk", when, "document_outgoing", {"title": title}, title=title).id
    _do(session, iid, "draft", "szfb_clerk", when, {**OUTGOING, "title": title, "countersign_depts": []})
    [review] = tasks.open_for_instance(session, iid)
    [target] = [t for t in task_actions.send_back_targets(session, when, review.id) if t["element_id"] == "draft"]
    task_actions.send_back(session, "szfb_head", when + timedelta(hours=2), review.id, target["task_id"],
                           "标题应写明“管理规定”，请修改后重报")
    _do(session, iid, "draft", "szfb_clerk", when + timedelta(hours=4),
        {**OUTGOING, "title": "关于调整市政府机关公务用车管理规定的通知", "countersign_depts": []}, "已按意见修改标题")
    return f"sent back and resubmitted: #{iid} (at 部门负责人审核 again)"


def _deputy(session: Session, now: datetime) -> str:
    """The office's head is away: the checker acts for them and finds their steps in 待办."""
    deputies.grant(session, "admin", now - timedelta(days=1), "szfb_head", "szfb_checker", now - timedelta(days=1),
                   now + timedelta(days=6), "外出学习一周")
    return "deputy: szfb_checker acts for szfb_head this week"


def _extension_request(session: Session, now: datetime) -> str:
    """A department head under joint review asks for three more working days; the leader decides."""
    review = session.scalar(select(Instance.id).where(Instance.process_id == "licence_joint")
                            .where(Instance.title.contains("某某置业")))
    found = []
    for row in tasks.open_for_instance(session, review or 0):
        holders = sorted(p.username for p in task_actions.holders(session, row))
        clock = session.scalar(select(Clock).where(Clock.task_id == row.id, Clock.active.is_(True)))
        if row.element_id == "review" and holders and clock is not None:
            found.append((clock.department_code != "zrzy", clock.department_code or "", clock.id, holders[0]))
    if not found:
        return "extension request: no department review open"
    # The parallel reviews open at the same moment and come back in no defined order: natural resources
    # (自然资源, who asks for the expert review) first, else the first department by code.
    _, _, clock_id, holder = min(found)
    extensions.request_extension(session, holder, now - timedelta(hours=3), int(clock_id), 3,
                                 "需组织专家论证建设方案，请求延长三个工作日")
    return f"extension request waiting: #{review} from {holder}"


def _copies(session: Session, now: datetime) -> str:
    """抄送 from the head's review: one colleague has read it, the other not yet."""
    waiting = session.scalar(select(Instance.id).where(Instance.title == "张三请假三天（探亲）"))
    [review] = tasks.open_for_instance(session, waiting or 0)
    tasks.claim(session, "lisi", now - timedelta(hours=2), review.id)
    read, unread = task_actions.carbon_copy(session, "lisi", now - timedelta(hours=2), review.id,
                                            ["wangwu", "szfb_head"], "请知悉张三请假安排")
    task_actions.mark_copy_read(session, "wangwu", now - timedelta(hours=1), read.id)
    return f"copies: #{waiting} to wangwu (read) and szfb_head (unread)"
