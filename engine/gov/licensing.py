"""Joint administrative licensing (联合审批): matters, applications, status, certificates, ratings."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import audit, events
from engine.core.clock import CHINA_TZ
from engine.core.errors import ExecutionError, InvalidInput
from engine.flow import instances
from engine.flow.models import Instance
from engine.flow.services import ServiceCall, case_record, register
from engine.gov.documents import increment
from engine.gov.models import Application
from engine.org import verification

PROCESS = "licence_joint"
# The matters (事项) the single window accepts for joint handling: who leads, who reviews, what to bring.
MATTERS: dict[str, dict[str, Any]] = {
    "construction_project": {
        "name": "建设项目立项用地规划许可联合审批", "en": "Construction project: joint approval of project, land and planning",
        "lead": "fgw", "departments": ["fgw", "zrzy", "sthj", "zjj"], "word": "某联审建",
        "materials": ["申请表", "项目建议书或可行性研究报告", "用地预审与选址材料", "环境影响评价文件",
                      "建设工程设计方案"]},
    "catering": {
        "name": "开办餐饮店“一件事”联合审批", "en": "Opening a restaurant: joint licensing",
        "lead": "scjg", "departments": ["scjg", "sthj"], "word": "某联审食",
        "materials": ["申请表", "营业执照", "经营场所平面图", "食品安全管理制度", "油烟净化设施说明"]},
}
STATUSES = {"submitted": "待受理", "supplement": "待补正", "not_accepted": "不予受理", "reviewing": "审查中",
            "granted": "准予许可", "denied": "不予许可", "delivered": "已送达"}
ID_NUMBER = re.compile(r"^(\d{17}[\dXx]|[0-9A-HJ-NPQRTUWXY]{18})$")  # 居民身份证号 or 统一社会信用代码
WRONG_LIMIT, WRONG_WINDOW = 5, timedelta(minutes=30)
MAX_APPLICANT, MAX_DESCRIPTION = 200, 2000


def matter(code: str) -> dict[str, Any]:
    found = MATTERS.get(code)
    if found is None:
        raise InvalidInput(f"unknown matter '{code}'; one of {', '.join(MATTERS)}", field="matter")
    return found


def clean_application(*, matter_code: str, applicant: str, id_number: str, phone: str,
                      description: str = "") -> dict[str, str]:
    """Every field of an application checked before anything (an upload, a row) is stored."""
    matter(matter_code)
    applicant = str(applicant or "").strip()
    if not applicant or len(applicant) > MAX_APPLICANT:
        raise InvalidInput(f"the applicant's name (person or company) is required, at most {MAX_APPLICANT} "
                           "characters", field="applicant")
    id_number = str(id_number or "").strip().upper()
    if not ID_NUMBER.match(id_number):
        raise InvalidInput("enter an 18-character ID card number or unified social credit code", field="id_number")
    description = str(description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"the description is longer than {MAX_DESCRIPTION} characters ({len(description)})",
                           field="description")
    return {"matter": matter_code, "applicant": applicant, "id_tail": id_number[-6:],
            "phone": verification.check_mobile(phone), "description": description}


def receive(session: Session, now: datetime, *, matter_code: str, applicant: str, id_number: str, phone: str,
            materials: list[int] | None = None, description: str = "") -> Application:
    """The application kept on its own (no instance yet), so a failing start never loses it."""
    fields = clean_application(matter_code=matter_code, applicant=applicant, id_number=id_number, phone=phone,
                               description=description)
    app = Application(number=verification.new_reference(session, now, Application.number, "XK",
                                                         "application number"),
                      status="submitted", submitted_at=now, materials=[int(m) for m in materials or []], **fields)
    session.add(app)
    session.flush()
    return app


def start_case(session: Session, now: datetime, app: Application, actor: str | None = None,
               channel: str = "") -> Instance:
    """The application's licence_joint instance."""
    found = matter(app.matter)
    data = {"application_id": app.id, "application_no": app.number, "matter": app.matter,
            "matter_name": found["name"], "applicant": app.applicant, "lead_dept": found["lead"],
            "review_depts": list(found["departments"]), "required_materials": list(found["materials"]),
            "materials": list(app.materials), "description": app.description}
    inst = instances.start(session, actor, now, PROCESS, data,
                           title=f"{app.number} {found['name']}（{app.applicant}）")
    app.instance_id, app.start_error = inst.id, None
    audit.record(session, "application_submitted", actor, now, instance_id=inst.id,
                 detail={"number": app.number, "matter": app.matter, **({"channel": channel} if channel else {})})
    session.flush()
    return inst


def submit(session: Session, now: datetime, *, matter_code: str, applicant: str, id_number: str, phone: str,
           materials: list[int] | None = None, description: str = "", actor: str | None = None) -> Application:
    """An application (online or at the window) and its licence_joint instance."""
    app = receive(session, now, matter_code=matter_code, applicant=applicant, id_number=id_number, phone=phone,
                  materials=materials, description=description)
    start_case(session, now, app, actor)
    return app


_DECOY: Any = SimpleNamespace(id_tail="000000")  # an unknown number is compared too


def check(session: Session, now: datetime, number: str, id_tail: str, address: str) -> Application | None:
    """The application when number and the ID's last six characters match; None after recording a failure."""
    number = (number or "").strip().upper()
    return verification.guarded_match(
        session, now, [f"application:{number}", f"application-ip:{address}"], WRONG_LIMIT, WRONG_WINDOW,
        lambda: session.scalar(select(Application).where(Application.number == number)),
        lambda app: verification.same_secret((id_tail or "").strip().upper(), app.id_tail or ""),
        decoy=_DECOY)


def rate(session: Session, now: datetime, app: Application, rating: int, comment: str = "") -> Application:
    """评价: the applicant rates the service (1–5) once the decision has been delivered."""
    if app.status not in ("delivered", "not_accepted"):
        raise InvalidInput("the service can be rated once the decision has been delivered", field="rating")
    if app.rating is not None:
        raise InvalidInput("this application has already been rated", field="rating")
    app.rating, app.rating_comment = verification.check_rating(rating), verification.check_comment(comment)
    audit.record(session, "application_rated", None, now, instance_id=app.instance_id,
                 detail={"number": app.number, "rating": rating})
    return app


def _application(call: ServiceCall) -> Application:
    app: Application = case_record(call, Application, "application_id", "licence application")
    return app


def _decided(call: ServiceCall, app: Application) -> None:
    """准予 or 不予许可: the applicant's own system hears the decision (结果反馈)."""
    events.emit(call.session, call.now, events.LICENCE_DECIDED, instance_id=call.instance.id, number=app.number,
                matter=app.matter, decision=app.decision, reason=app.decision_reason,
                certificate_no=app.certificate_no)


@register("licence_status")
def _status(call: ServiceCall) -> dict[str, Any]:
    """Sets the application's status (property `status`) as the applicant will see it."""
    status = call.properties.get("status", "")
    if status not in STATUSES:
        raise ExecutionError(f"扩展属性 status 须为 {', '.join(STATUSES)} 之一 / property status must be one of {', '.join(STATUSES)}", element_id=call.element_id)
    app = _application(call)
    app.status = status
    if status == "not_accepted":
        app.decision_reason = str(call.data.get("refuse_reason") or "")
        app.finished_at = call.now
    elif status == "denied":
        app.decision, app.decision_reason = "deny", str(call.data.get("legal_reason") or "")
    elif status == "delivered":
        app.finished_at = call.now
    audit.record(call.session, "application_status", call.actor, call.now, instance_id=call.instance.id,
                 detail={"number": app.number, "status": status})
    if status == "denied":
        _decided(call, app)
    return {"application_status": status}


@register("licence_certificate")
def _certificate(call: ServiceCall) -> dict[str, Any]:
    """准予许可: the certificate number from the matter's own yearly sequence."""
    app = _application(call)
    if app.certificate_no:
        return {"certificate_no": app.certificate_no}
    word = MATTERS.get(app.matter, {}).get("word", "某联审")
    year = call.now.astimezone(CHINA_TZ).year
    serial = increment(call.session, f"证:{word}", year)
    app.certificate_no = f"{word}〔{year}〕{serial}号"
    app.status, app.decision = "granted", "grant"
    app.decision_reason = str(call.data.get("legal_reason") or "")
    audit.record(call.session, "certificate_issued", call.actor, call.now, instance_id=call.instance.id,
                 detail={"number": app.number, "certificate_no": app.certificate_no})
    _decided(call, app)
    return {"certificate_no": app.certificate_no}
