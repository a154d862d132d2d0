"""The demo municipal government: departments, people and groups named by the rules of docs/processes.md."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.org import directory
from engine.org.models import Department, Group

CITY = "city"
DEPARTMENTS = [
    # code, name
    ("szfb", "市政府办公室"),
    ("fgw", "市发展和改革委员会"),
    ("scjg", "市市场监督管理局"),
    ("zrzy", "市自然资源和规划局"),
    ("sthj", "市生态环境局"),
    ("zjj", "市住房和城乡建设局"),
    ("xfj", "市信访局"),
    ("jyj", "市教育局"),
    ("zwfw", "市政务服务中心"),
]
BUREAUS = [code for code, _ in DEPARTMENTS]

# 机关代字 per issuing office, for document numbers such as 某府发〔2026〕12号.
DOCUMENT_WORDS = {
    "city": "某府发",
    "szfb": "某府办发",
    "fgw": "某发改发",
    "scjg": "某市监发",
    "zrzy": "某自然资规发",
    "sthj": "某环发",
    "zjj": "某建发",
    "xfj": "某信访发",
    "jyj": "某教发",
    "zwfw": "某政务发",
}

_SURNAMES = {
    "szfb": ("周", "吴", "郑"), "fgw": ("冯", "陈", "褚"), "scjg": ("卫", "蒋", "沈"),
    "zrzy": ("韩", "杨", "朱"), "sthj": ("秦", "尤", "许"), "zjj": ("何", "吕", "施"),
    "xfj": ("孔", "曹", "严"), "jyj": ("华", "金", "魏"), "zwfw": ("陶", "姜", "戚"),
}


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    department: str
    groups: tuple[str, ...]
    supervisor: str | None = None


def people() -> list[Person]:
    """Every demo person: a leader, a division head and a clerk per department, plus the specialists."""
    found = [
        Person("mayor_wang", "王建国 (市长)", "city", ("city_leader", "doc_signer")),
        Person("vmayor_li", "李明 (副市长)", "city", ("city_leader", "doc_signer")),
        Person("vmayor_zhao", "赵敏 (副市长)", "city", ("city_leader", "doc_signer")),
    ]
    for code in BUREAUS:
        lead, head, clerk = _SURNAMES[code]
        found += [
            Person(f"{code}_leader", f"{lead}局长 ({_name(code)})", code,
                   (f"{code}_leader", *(("doc_signer",) if code == "szfb" else ())), "mayor_wang"),
            Person(f"{code}_head", f"{head}科长 ({_name(code)})", code, (f"{code}_head",), f"{code}_leader"),
            Person(f"{code}_clerk", f"{clerk}经办 ({_name(code)})", code, (f"{code}_clerk",), f"{code}_head"),
        ]
    found += [
        Person("szfb_checker", "郑核稿 (市政府办公室)", "szfb", ("szfb_checker",), "szfb_head"),
        Person("mailbox_clerk", "孔受理 (市长信箱)", "xfj", ("mailbox_clerk",), "xfj_head"),
        Person("window_clerk", "陶窗口 (政务服务中心)", "zwfw", ("zwfw_window",), "zwfw_head"),
        Person("supervisor", "纪监察 (电子监察)", "szfb", ("supervisor",), "szfb_leader"),
        Person("designer", "林设计 (流程设计)", "szfb", ("designer",), None),
        Person("admin", "系统管理员", "szfb", ("admin", "designer", "supervisor"), None),
    ]
    return found


def _name(code: str) -> str:
    return dict(DEPARTMENTS)[code].removeprefix("市")


def seed_org(session: Session, password: str | None = None) -> list[Person]:
    """Idempotent: create the departments, groups and people that are missing."""
    directory.ensure_department(session, CITY, "某市人民政府")
    for code, name in DEPARTMENTS:
        directory.ensure_department(session, code, name, parent_code=CITY)
    everyone = people()
    for person in everyone:
        user = directory.find_user(session, person.username)
        if user is None:
            user = directory.create_user(session, person.username, password=password, groups=person.groups,
                                         department=person.department, display_name=person.display_name,
                                         email=f"{person.username}@gov.example")
        for code in person.groups:  # a group added to the demo later reaches existing installations too
            directory.add_to_group(session, user, code)
    _link_department_groups(session)
    for person in everyone:
        if person.supervisor:
            user = directory.get_user(session, person.username)
            if user.supervisor_id is None:
                user.supervisor_id = directory.get_user(session, person.supervisor).id
    session.flush()
    return everyone


# What people call the groups (pages show these, never the codes).
GROUP_NAMES = {"city_leader": "市领导", "doc_signer": "签发领导", "szfb_checker": "市政府办公室核稿", "mailbox_clerk": "市长信箱受理",
               "zwfw_window": "政务服务中心综合受理窗口", "supervisor": "电子监察", "designer": "流程设计",
               "admin": "系统管理员", "clerk": "经办人", "dept_head": "部门负责人", "office": "办公室"}
ROLE_NAMES = {"leader": "领导", "head": "负责人", "clerk": "经办人"}
# The specialists' groups work for a department too (a clock of their step counts for it).
GROUP_DEPARTMENTS = {"szfb_checker": "szfb", "mailbox_clerk": "xfj", "zwfw_window": "zwfw"}


def _link_department_groups(session: Session) -> None:
    """Groups named `<dept>_leader|_head|_clerk` belong to that department (clocks and reports group by it);
    every group without a name of its own gets the one people use."""
    for group in session.scalars(select(Group)):
        dept_code, _, role = group.code.rpartition("_")
        if group.code in GROUP_DEPARTMENTS:
            dept_code, role = GROUP_DEPARTMENTS[group.code], ""
        dept = (session.scalar(select(Department).where(Department.code == dept_code))
                if (role in ROLE_NAMES or not role) and dept_code else None)
        if dept is not None and group.department_id is None:
            group.department_id = dept.id
        if group.name in ("", group.code):
            named = GROUP_NAMES.get(group.code) or (f"{dept.name}{ROLE_NAMES[role]}" if dept is not None else None)
            group.name = named or group.name

