"""Statutory and local time limits as data, each with its legal basis, seeded idempotently."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clocks.models import ClockPolicy
from engine.core import audit
from engine.core.errors import InvalidInput, NotFound
from engine.intake import vocabulary

WORKING, CALENDAR = "wd", "cd"
DUBAN = "duban"
SUPPLEMENT = "补正"
# Time that does not count against a limit (行政许可法 Art. 45, 政府信息公开条例 Art. 30/32).
PAUSE_REASONS = (SUPPLEMENT, "专家评审", "听证", "检验检测", "现场踏勘", "第三方征求意见")
# A deployment refuses a `clock_pause` that names no time the law excludes.
vocabulary.accept("clock_pause", vocabulary.Accepted(
    "clock-pause-reason", lambda: PAUSE_REASONS,
    lambda value, known: f"clock_pause '{value}' is not time the law excludes; use one of: {'、'.join(known)}"))

_XK = "《中华人民共和国行政许可法》"
POLICIES: tuple[dict[str, Any], ...] = (
    {"code": "xk_decision", "name": "行政许可决定", "unit": WORKING, "limit_days": 20,
     "max_extension_days": 10, "extension_once": True,
     "legal_basis": f"{_XK}第四十二条：应当自受理行政许可申请之日起二十日内作出行政许可决定；二十日内不能作出"
                    "决定的，经本行政机关负责人批准，可以延长十日。第四十五条：听证、检验、检测、检疫、鉴定和专家评审"
                    "所需时间不计算在期限内。第八十二条：期限以工作日计算，不含法定节假日。"},
    {"code": "xk_joint", "name": "联合办理（并联审批）", "unit": WORKING, "limit_days": 45,
     "max_extension_days": 15, "extension_once": True,
     "legal_basis": f"{_XK}第四十二条第二款：统一办理或者联合办理、集中办理的，办理的时间不得超过四十五日；"
                    "四十五日内不能办结的，经本级人民政府负责人批准，可以延长十五日。"},
    {"code": "xk_supplement_notice", "name": "补正告知", "unit": WORKING, "limit_days": 5,
     "max_extension_days": 0, "on_expiry": {"message": "deemed_accepted"},
     "legal_basis": f"{_XK}第三十二条第一款第四项：申请材料不齐全或者不符合法定形式的，应当当场或者在五日内"
                    "一次告知申请人需要补正的全部内容，逾期不告知的，自收到申请材料之日起即为受理。"},
    {"code": "xk_dept_review", "name": "并联审查部门意见", "unit": WORKING, "limit_days": 10,
     "max_extension_days": 5, "extension_once": True,
     "legal_basis": f"{_XK}第二十六条第二款：依法应当由地方人民政府两个以上部门分别实施的，本级人民政府可以确定"
                    "一个部门受理，组织有关部门联合办理。本市并联审批实施办法：各审查部门应当在10个工作日内提出审查"
                    "意见（地方规定，可配置）。"},
    {"code": "gk_reply", "name": "政府信息公开答复", "unit": WORKING, "limit_days": 20,
     "max_extension_days": 20, "restart_on_supplement": True,
     "legal_basis": "《中华人民共和国政府信息公开条例》（2019）第三十三条：应当自收到申请之日起20个工作日内"
                    "予以答复；需要延长答复期限的，经政府信息公开工作机构负责人同意，延长的期限最长不得超过20个"
                    "工作日；征求第三方和其他机关意见所需时间不计算在期限内。第三十条：答复期限自收到补正的申请"
                    "之日起计算。"},
    {"code": "xf_handling", "name": "信访事项办理", "unit": CALENDAR, "limit_days": 60,
     "max_extension_days": 30, "extension_once": True,
     "legal_basis": "《信访工作条例》（2022）第三十二条：信访事项应当自受理之日起60日内办结；情况复杂的，"
                    "经本机关负责人批准，可以适当延长办理期限，但延长期限不得超过30日。"},
    {"code": "mailbox_letter", "name": "市长信箱来信办理", "unit": CALENDAR, "limit_days": 15,
     "max_extension_days": 0,
     "legal_basis": "本市市长信箱工作规则：来信应当自签收之日起15日内办结（地方规定，可配置）。"},
    {"code": "countersign_reply", "name": "会签回复", "unit": WORKING, "limit_days": 7,
     "max_extension_days": 0,
     "legal_basis": "本机关公文处理办法：会签部门应当在7个工作日内回复会签意见（机关内部规定）。"},
    {"code": "leave_approval", "name": "请假审批", "unit": WORKING, "limit_days": 5, "max_extension_days": 0,
     "legal_basis": "本机关考勤与休假管理办法：请假申请应当在5个工作日内审批（机关内部规定）。"},
    {"code": DUBAN, "name": "督办事项", "unit": CALENDAR, "limit_days": 0, "max_extension_days": 0,
     "legal_basis": "督办单：办理时限由督办人确定。"},
)
_CONFIGURABLE = ("name", "legal_basis", "unit", "limit_days", "max_extension_days", "extension_once",
                 "warn_ratio", "warn_days_left", "restart_on_supplement", "on_expiry")


def seed_policies(session: Session) -> list[str]:
    """Insert missing policies; existing rows keep an administrator's configuration."""
    known = set(session.scalars(select(ClockPolicy.code)))
    added = []
    for data in POLICIES:
        if data["code"] in known:
            continue
        session.add(ClockPolicy(**{"on_expiry": {}, "warn_ratio": 0.8, "warn_days_left": 2,
                                   "restart_on_supplement": False, "extension_once": False, **data}))
        added.append(data["code"])
    session.flush()
    return added


def get_policy(session: Session, code: str) -> ClockPolicy:
    policy = session.get(ClockPolicy, code)
    if policy is None:
        known = ", ".join(sorted(session.scalars(select(ClockPolicy.code)))) or "none (run seed_policies)"
        raise NotFound(f"没有代码为“{code}”的时限规则 / no clock policy '{code}'; known policies: {known}")
    return policy


def configure_policy(session: Session, actor: str | None, now: datetime, code: str,
                     **changes: Any) -> ClockPolicy:
    """Change a policy (e.g. the mailbox's local 15 days); running clocks keep their own copy of the limit."""
    policy = get_policy(session, code)
    unknown = sorted(set(changes) - set(_CONFIGURABLE))
    if unknown:
        raise InvalidInput(f"不能配置 {', '.join(unknown)}；可配置项：{', '.join(_CONFIGURABLE)} / cannot configure "
                           f"{', '.join(unknown)}; configurable: {', '.join(_CONFIGURABLE)}")
    if changes.get("unit", policy.unit) not in (WORKING, CALENDAR):
        raise InvalidInput("计时单位须为 wd（工作日）或 cd（自然日） / unit must be 'wd' (working days) or 'cd' "
                           "(calendar days)", field="unit")
    for key in ("limit_days", "max_extension_days", "warn_days_left"):
        if key in changes and (not isinstance(changes[key], int) or changes[key] < 0):
            raise InvalidInput(f"{key} 须为不小于 0 的整数天数 / {key} must be a whole number of days, 0 or more", field=key)
    if "warn_ratio" in changes and not 0 < float(changes["warn_ratio"]) <= 1:
        raise InvalidInput("warn_ratio（预警比例）须在 0 与 1 之间，如 0.8 / warn_ratio must be between 0 and 1, e.g. 0.8", field="warn_ratio")
    before = {key: getattr(policy, key) for key in changes}
    for key, value in changes.items():
        setattr(policy, key, value)
    audit.record(session, "clock_policy", actor, now, detail={"policy": code},
                 changes={key: [before[key], value] for key, value in changes.items() if before[key] != value})
    session.flush()
    return policy


def check_reason(reason: str) -> str:
    """Only time the law excludes may stop a clock; anything else is refused with the list."""
    reason = (reason or "").strip()
    if reason not in PAUSE_REASONS:
        raise InvalidInput(f"“{reason}”不是法定扣除时间的事由，请选择：{'、'.join(PAUSE_REASONS)} / '{reason}' is "
                           f"not a reason that stops a statutory clock; use one of: {'、'.join(PAUSE_REASONS)}",
                           field="reason")
    return reason
