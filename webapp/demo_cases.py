"""Demo cases of the three government processes in every state, warned and overdue ones included."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks import lifecycle
from engine.clocks.models import Clock
from engine.flow import instances, tasks
from engine.gov import licensing, mailbox

LETTER = {"phone": "13800138000", "category": "complain", "wants_public": True}
APPLICANT = {"applicant": "某某餐饮管理有限公司", "id_number": "91110000MA01ABCD3X", "phone": "13900139000"}
OUTGOING = {"doc_type": "通知", "doc_word": "某府发", "main_to": ["fgw", "zjj"], "cc_to": ["xfj"],
            "secrecy": "公开", "urgency": "一般", "signer": "mayor_wang"}


def _do(session: Session, iid: int, element: str, actor: str, when: datetime, data: dict[str, Any] | None = None,
        opinion: str | None = None) -> None:
    """Complete every open task of that element as `actor`."""
    rows = [t for t in tasks.open_for_instance(session, iid) if t.element_id == element]
    if not rows:
        raise RuntimeError(f"demo: instance {iid} has no open '{element}'")
    for row in rows:
        tasks.complete(session, actor, when, row.id, data or {}, opinion)


def _check_clocks(session: Session, now: datetime, iid: int) -> None:
    for clock in session.scalars(select(Clock).where(Clock.instance_id == iid, Clock.active.is_(True))):
        if clock.paused_since is None:
            lifecycle.check_clock(session, now, clock.id)


def letters(session: Session, now: datetime) -> list[str]:
    def submit(days_ago: float, title: str, content: str, **extra: Any) -> tuple[int, datetime]:
        when = now - timedelta(days=days_ago)
        sent = mailbox.submit_letter(session, when, **{**LETTER, **extra}, title=title, content=content)
        return sent.letter.instance_id or 0, when

    fresh, _ = submit(0.1, "小区夜间施工噪音扰民", "某某小区旁工地每晚十一点后仍在施工，请有关部门查处。")
    submit(0.2, "举报小区内有人组织赌博", "小区会所里每晚有人聚众赌博。", category="complain")
    spam, when = submit(1, "低息贷款", "办理低息贷款、代开发票，请联系。", category="consult")
    _do(session, spam, "receive", "mailbox_clerk", when + timedelta(hours=2), {"screening": "spam"})
    out, when = submit(2, "请求撤销法院判决", "对某区法院的民事判决不服。")
    _do(session, out, "receive", "mailbox_clerk", when + timedelta(hours=3),
        {"screening": "out_of_scope", "reject_reason": "属于司法机关职权范围，请依法申请再审或申诉。"})
    warned, when = submit(13.5, "建议增设公交线路", "新建的某某小区距公交站较远，建议增设线路。", category="suggest")
    _do(session, warned, "receive", "mailbox_clerk", when + timedelta(hours=2), {"screening": "valid"})
    _do(session, warned, "instruct", "vmayor_li", when + timedelta(days=1), {"handle_depts": ["zjj", "fgw"]},
        "请住建局、发改委研究答复")
    late, when = submit(21, "学校周边交通拥堵", "某某小学放学时段周边道路严重拥堵。", category="complain")
    _do(session, late, "receive", "mailbox_clerk", when + timedelta(hours=1), {"screening": "valid"})
    _do(session, late, "instruct", "mayor_wang", when + timedelta(days=1), {"handle_depts": ["jyj"]}, "请教育局牵头处理")
    _do(session, late, "handle", "jyj_clerk", when + timedelta(days=6), {"reply": "已协调交警部门在放学时段加强疏导。"})
    done, when = submit(25, "咨询公积金提取条件", "租房提取住房公积金需要哪些材料？", category="consult")
    _do(session, done, "receive", "mailbox_clerk", when + timedelta(hours=1), {"screening": "valid"})
    _do(session, done, "instruct", "mayor_wang", when + timedelta(days=1), {"handle_depts": ["zjj"]}, "请住建局答复")
    _do(session, done, "handle", "zjj_clerk", when + timedelta(days=4),
        {"reply": "租房提取需提供身份证、租赁合同及完税证明，可在网上办理。", "cites": "某建发〔2026〕3号"})
    _do(session, done, "review", "mayor_wang", when + timedelta(days=5), {"review": "approve", "publish": True})
    for iid in (fresh, warned, late):
        _check_clocks(session, now, iid)
    return [f"mailbox letters: new #{fresh}, recycle #{spam}, not accepted #{out}, warned #{warned}, "
            f"overdue #{late}, published #{done}"]


def applications(session: Session, now: datetime) -> list[str]:
    def submit(days_ago: float, matter: str, applicant: str) -> tuple[int, datetime]:
        when = now - timedelta(days=days_ago)
        app = licensing.submit(session, when, matter_code=matter, actor="window_clerk", applicant=applicant,
                               id_number=APPLICANT["id_number"], phone=APPLICANT["phone"])
        return app.instance_id or 0, when

    waiting, _ = submit(0.1, "catering", "某某小吃店")
    supplement, when = submit(3, "catering", "某某火锅店")
    _do(session, supplement, "accept", "window_clerk", when + timedelta(hours=4),
        {"acceptance": "supplement", "missing": "缺经营场所平面图；油烟净化设施说明不完整"})
    review, when = submit(8, "construction_project", "某某置业有限公司")
    _do(session, review, "accept", "window_clerk", when + timedelta(hours=2), {"acceptance": "accept"})
    _do_part(session, review, "review", "fgw_head", when + timedelta(days=3), {"agree": True}, "同意")
    granted, when = submit(30, "catering", "某某餐厅")
    _do(session, granted, "accept", "window_clerk", when + timedelta(hours=2), {"acceptance": "accept"})
    for dept in ("scjg", "sthj"):
        _do_part(session, granted, "review", f"{dept}_head", when + timedelta(days=5), {"agree": True}, "同意")
    _do(session, granted, "consolidate", "scjg_head", when + timedelta(days=6), {"proposal": "grant"}, "均同意")
    _do(session, granted, "decide", "scjg_leader", when + timedelta(days=7),
        {"decision": "grant", "legal_reason": "符合法定条件和标准"})
    _do(session, granted, "deliver_grant", "window_clerk", when + timedelta(days=8), {"delivery_method": "window"})
    refused, when = submit(5, "catering", "某某烧烤摊")
    _do(session, refused, "accept", "window_clerk", when + timedelta(hours=1),
        {"acceptance": "refuse", "refuse_reason": "无固定经营场所，不属于可受理的申请（行政许可法第三十二条）"})
    for iid in (waiting, supplement, review):
        _check_clocks(session, now, iid)
    return [f"licence applications: waiting #{waiting}, 补正 #{supplement}, in review #{review}, "
            f"granted #{granted}, not accepted #{refused}"]


def _do_part(session: Session, iid: int, element: str, actor: str, when: datetime, data: dict[str, Any],
             opinion: str | None = None) -> None:
    """The one part of a multi-instance step that `actor` may work."""
    for row in [t for t in tasks.open_for_instance(session, iid) if t.element_id == element]:
        if tasks.may_work(session, row, actor):
            tasks.complete(session, actor, when, row.id, data, opinion)
            return
    raise RuntimeError(f"demo: {actor} has no part of '{element}' in instance {iid}")


def documents(session: Session, now: datetime) -> list[str]:
    def draft(days_ago: float, title: str, countersign: list[str]) -> tuple[int, datetime]:
        when = now - timedelta(days=days_ago)
        iid = instances.start(session, "szfb_clerk", when, "document_outgoing", {"title": title}, title=title).id
        _do(session, iid, "draft", "szfb_clerk", when, {**OUTGOING, "title": title, "countersign_depts": countersign})
        return iid, when

    at_countersign, when = draft(2, "关于加强城市建设项目审批服务的意见", ["fgw", "zjj"])
    _do(session, at_countersign, "dept_review", "szfb_head", when + timedelta(hours=3), {"review_ok": True}, "同意")
    _do_part(session, at_countersign, "countersign", "fgw_leader", when + timedelta(days=1), {"agree": True}, "同意")
    at_sign, when = draft(1, "关于做好冬季安全生产工作的通知", [])
    _do(session, at_sign, "dept_review", "szfb_head", when + timedelta(hours=2), {"review_ok": True}, "同意")
    _do(session, at_sign, "office_check", "szfb_checker", when + timedelta(hours=5), {"check_ok": True}, "格式规范")
    issued, when = draft(12, "关于开展安全生产大检查的通知", [])
    _do(session, issued, "dept_review", "szfb_head", when + timedelta(hours=2), {"review_ok": True}, "同意")
    _do(session, issued, "office_check", "szfb_checker", when + timedelta(hours=5), {"check_ok": True})
    _do(session, issued, "sign_off", "mayor_wang", when + timedelta(days=1), {"sign_ok": True}, "同意印发")
    _do(session, issued, "print", "szfb_clerk", when + timedelta(days=1, hours=2), {"copies": 30})
    _do(session, issued, "archive", "szfb_clerk", when + timedelta(days=2), {"retention": "永久"})
    sent = instances.current_data(session, instances.get(session, issued), now)["distributed"]
    fgw_copy = next(s["instance_id"] for s in sent if s["unit"] == "fgw")
    _do(session, fgw_copy, "sign_in", "fgw_clerk", when + timedelta(days=2))
    _do(session, fgw_copy, "register", "fgw_clerk", when + timedelta(days=2), {"received_no": "收〔2026〕88"})
    _do(session, fgw_copy, "propose", "fgw_head", when + timedelta(days=3), {"proposal": "handle"}, "拟请投资科办理")
    _do(session, fgw_copy, "instruct", "fgw_leader", when + timedelta(days=3),
        {"handle_depts": ["fgw"], "handle_due": (now - timedelta(days=5)).date().isoformat(),
         "readers": []}, "请按期办结")
    _check_clocks(session, now, fgw_copy)
    _check_clocks(session, now, at_countersign)
    return [f"documents: at countersign #{at_countersign}, awaiting sign-off #{at_sign}, issued #{issued} "
            f"(incoming copies {', '.join('#' + str(s['instance_id']) for s in sent)}; "
            f"#{fgw_copy} overdue at 承办)"]
