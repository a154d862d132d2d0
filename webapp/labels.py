"""Words users know: the one table of display names for statuses, trail events, clock states, warning
levels and yes/no values that pages, exports and notices show, Chinese first (the message ids) and
English from the catalogue; and people by their name and unit instead of their login name."""

from __future__ import annotations

import re
from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.flow.models import Attachment
from engine.org.models import Department, Group, User
from webapp import web_context as ctx

STATUSES: dict[str, dict[str, Any]] = {
    "instance": {"running": _l("办理中"), "suspended": _l("已挂起"), "completed": _l("已办结"),
                 "cancelled": _l("已终止"), "rejected": _l("已驳回")},
    "task": {"open": _l("待办理"), "completed": _l("已办理"), "cancelled": _l("已撤销")},
    "clock": {"running": _l("计时中"), "warned": _l("黄牌预警"), "overdue": _l("红牌超期"), "paused": _l("暂停"),
              "finished_on_time": _l("按时办结"), "finished_late": _l("超期办结"), "expired": _l("逾期失效"),
              "cancelled": _l("已取消")},
    "order": {"open": _l("待回复"), "replied": _l("已回复"), "closed": _l("已办结"), "overdue": _l("逾期未复")},
    "extension": {"pending": _l("待审批"), "approved": _l("已批准"), "refused": _l("未批准")},
    "notification": {"pending": _l("待发送"), "sent": _l("已发送"), "failed": _l("发送失败")},
    "level": {"none": _l("正常"), "yellow": _l("黄牌"), "red": _l("红牌")},
    "letter": {"pending": _l("已收到，正在登记"), "new": _l("未处理"), "handling": _l("流程追踪"),
               "rejected": _l("不予受理"), "done": _l("审理完成"), "recycle": _l("回收站")},
    "application": {"submitted": _l("待受理"), "supplement": _l("待补正"), "not_accepted": _l("不予受理"),
                    "reviewing": _l("审查中"), "granted": _l("准予许可"), "denied": _l("不予许可"),
                    "delivered": _l("已送达")},
    "webhook": {"pending": _l("待投递"), "delivered": _l("已投递"), "failed": _l("投递失败"),
                "gone": _l("接收方已停用")},
    "webhook_kind": {"instance.started": _l("案件发起"), "instance.ended": _l("案件结束"),
                     "task.created": _l("新待办"), "task.completed": _l("环节办结"),
                     "clock.warned": _l("时限预警（黄牌）"), "clock.overdue": _l("时限超期（红牌）"),
                     "letter.answered": _l("来信已答复"), "licence.decided": _l("许可已决定")},
}

EVENTS: dict[str, Any] = {
    "start": _l("发起"), "complete": _l("办理"), "claim": _l("签收"), "release": _l("取消签收"),
    "send_back": _l("退回"), "withdraw": _l("撤回"), "reject": _l("驳回"), "transfer": _l("转办"),
    "delegate": _l("委派"), "resolve": _l("交回委派人"), "carbon_copy": _l("抄送"), "urge": _l("催办"),
    "add_signer": _l("加签"), "remove_signer": _l("减签"), "attach": _l("上传附件"), "message": _l("收到消息"),
    "timer": _l("定时触发"), "end": _l("流程结束"), "cancel": _l("终止"), "suspend": _l("挂起"), "resume": _l("恢复"),
    "document_number": _l("编发文号"), "clock_start": _l("开始计时"), "clock_pause": _l("暂停计时"),
    "clock_resume": _l("恢复计时"), "clock_extend": _l("延长时限"), "clock_deadline": _l("调整督办时限"),
    "clock_finish": _l("计时结束"), "clock_level": _l("预警变化"), "clock_expiry": _l("时限届满"),
    "clock_skipped": _l("计时未启动"), "clock_recompute": _l("因日历调整重算时限"), "clock_policy": _l("修改时限规则"),
    "extension_requested": _l("申请延期"), "extension_approved": _l("批准延期"), "extension_refused": _l("不予延期"),
    "letter_submitted": _l("群众来信"), "letter_rated": _l("来信人评价"), "application_submitted": _l("提交申请"),
    "application_rated": _l("申请人评价"), "portal_start_failed": _l("受理未成功，待重试"),
    "supervision_order": _l("发出督办单"), "supervision_reply": _l("回复督办单"), "supervision_close": _l("办结督办单"),
    "supervision_overdue": _l("督办单逾期"), "deputy_granted": _l("授权代理"), "deputy_revoked": _l("撤销代理"),
    "user_created": _l("新建账号"), "user_updated": _l("修改账号"), "user_deleted": _l("删除账号"),
    "calendar_set": _l("调整工作日"), "letter_folder": _l("来信归入"), "letter_published": _l("答复已公开"),
    "letter_finished": _l("审理完成（不公开）"), "application_status": _l("办理状态改为"),
    "certificate_issued": _l("核发许可证"), "incident": _l("运行故障"), "user_signed_out": _l("在所有设备上退出登录"),
    "webhook_created": _l("新建推送订阅"), "webhook_enabled": _l("启用推送订阅"), "webhook_disabled": _l("停用推送订阅"),
    "webhook_deleted": _l("删除推送订阅"), "webhook_replayed": _l("重新推送"),
}

YES, NO = _l("是"), _l("否")


def status(value: str | None, kind: str = "instance") -> str:
    """A status in words; an unknown one is shown as it is stored (the page test catches that)."""
    if value is None:
        return "—"
    return str(STATUSES.get(kind, {}).get(value, value))


def event(action: str | None, detail: dict[str, Any] | None = None) -> str:
    """A trail event in words, with what the event moved to where that is the point of it."""
    words = str(EVENTS.get(action or "", action or ""))
    detail = detail or {}
    if action == "letter_folder" and detail.get("folder"):
        return f"{words}「{status(detail['folder'], 'letter')}」"
    if action == "application_status" and detail.get("status"):
        return f"{words}「{status(detail['status'], 'application')}」"
    if action == "certificate_issued" and detail.get("certificate_no"):
        return f"{words} {detail['certificate_no']}"
    return words


def yes_no(value: Any) -> str:
    return str(YES if value else NO)


def _known(username: str) -> tuple[str, str | None] | None:
    """(display name, unit) of an account, looked up once per request and person."""
    cache = g.setdefault("govflow_people", {})
    if username not in cache:
        row = ctx.session().execute(select(User.display_name, Department.name)
                                    .outerjoin(Department, Department.id == User.department_id)
                                    .where(User.username == username)).first()
        cache[username] = (row[0] or username, row[1]) if row is not None else None
    return cache[username]


def remember_person(username: str, display_name: str | None, unit: str | None) -> None:
    """What the request already loaded about a person (the signed-in user), so no page asks again."""
    g.setdefault("govflow_people", {})[username] = (display_name or username, unit)


def person(username: str | None) -> str:
    """The person's name as colleagues know it; the login name only for an account that no longer exists."""
    if not username:
        return "—"
    found = _known(username)
    return found[0] if found else username


def person_unit(username: str | None) -> str:
    """Name and unit, e.g. for the header: 周科长 · 市政府办公室 (the unit once, even if the name says it)."""
    if not username:
        return ""
    name, unit = _known(username) or (username, None)
    return f"{name} · {unit}" if unit and unit not in name else name


def group(code: str | None) -> str:
    """A candidate group by its name (市发展和改革委员会领导), else the code."""
    if not code:
        return "—"
    if "govflow_groups" not in g:
        g.govflow_groups = dict(ctx.session().execute(select(Group.code, Group.name)).all())
    return g.govflow_groups.get(code) or code


def unit(code: str | None) -> str:
    """A department by its name; a clock's unit may also be a group (a window, a role) when nobody of a
    department holds the step."""
    if not code:
        return "—"
    if "govflow_units" not in g:
        g.govflow_units = dict(ctx.session().execute(select(Department.code, Department.name)).all())
    return g.govflow_units.get(code) or group(code)


RECORD_TEXT = ("opinion", "reply", "result", "text", "note")


def _record(item: Any) -> str:
    """One earlier step's record, e.g. a countersign vote: 市住建局（何局长）：同意。第三条与我局职责不符"""
    if not isinstance(item, dict):
        return shown(item)
    who = "".join(filter(None, [unit(item["dept"]) if item.get("dept") else "",
                                f"（{person(item['by'])}）" if item.get("by") else ""]))
    verdict = [str(_l("同意") if item[k] in (True, "true", "agree") else _l("不同意"))
               for k in ("agree", "approved") if k in item]
    words = [str(item[k]).strip() for k in RECORD_TEXT if item.get(k) not in (None, "")]
    return f"{who}：{'；'.join(verdict + words) or '—'}" if who else "；".join(verdict + words) or "—"


def shown(value: Any, kind: str = "text") -> str:
    """A case value in words: yes/no for booleans, names for people and departments, file names for
    attachments, 、 between the items of a list; never a Python repr."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if kind == "records":
        items = value if isinstance(value, list) else [value]
        return "\n".join(_record(item) for item in items)
    if isinstance(value, list | tuple):
        return "、".join(shown(v, kind) for v in value)
    if isinstance(value, bool) or kind == "yesno":
        return yes_no(value in (True, "true", "yes", 1))
    if kind == "user":
        return person(str(value))
    if kind == "department":
        return unit(str(value))
    if kind == "file":
        return attachment(value)
    if isinstance(value, dict):
        return _record(value)
    return str(value)


def attachment(ident: Any) -> str:
    """An attachment by its file name (the id means nothing to a reader)."""
    from_db = g.setdefault("govflow_files", {})
    if ident not in from_db:
        row = ctx.session().execute(select(Attachment.filename).where(Attachment.id == ident)).first() \
            if isinstance(ident, int) else None
        from_db[ident] = row[0] if row is not None else str(_l("附件"))
    return from_db[ident]


_CJK = re.compile(r"[\u4e00-\u9fff]")
_BETWEEN = re.compile(r"\s/\s+(?=[A-Za-z0-9'\"(\[«])")


def in_language(text: Any) -> str:
    """A message written both ways, "中文 / English" (how the engine and views say what went wrong),
    in the reader's language only; a text in one language stays as it is."""
    words = str(text)
    for between in _BETWEEN.finditer(words):
        before = words[:between.start()]
        if _CJK.search(before) and not _CJK.search(words[between.end():]):
            return words[between.end():].strip() if ctx.lang() == "en" else before.strip()
    return words


def party(value: Any) -> str:
    """One signer of a countersign, whatever it runs over: a department, a person or a group."""
    code = str(value)
    if "govflow_units" not in g:
        unit(code)
    if code in g.govflow_units:
        return g.govflow_units[code]
    return person(code) if _known(code) else group(code)
