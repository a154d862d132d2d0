"""The mayor's mailbox from the letter to every end: recycle bin, 不予受理, published and private replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.core.errors import Forbidden, InvalidInput
from engine.flow.models import CarbonCopy
from engine.gov import mailbox
from engine.gov.models import Letter
from tests.processes.conftest import Gov, listening

LETTER = {"phone": "13800138000", "category": "complain", "title": "小区夜间施工噪音扰民",
          "content": "某某小区旁工地每晚十一点后仍在施工，噪音很大，请有关部门查处。", "wants_public": True}


@pytest.fixture
def letter(gov: Gov) -> mailbox.Submitted:
    gov.deploy("mayor_mailbox.bpmn")
    return mailbox.submit_letter(gov.session, gov.now, **LETTER)


def test_code_password_and_screening(gov: Gov, letter: mailbox.Submitted) -> None:
    row = letter.letter
    assert row.code.startswith("XX20261102") and len(row.code) == 16
    assert len(letter.password) == 6 and letter.password.isdigit()
    assert letter.password not in row.password_hash and row.password_hash.startswith("pbkdf2_sha256$")
    assert row.screen_hits == [] and row.folder == "new"
    assert mailbox.check_letter(gov.session, gov.now, row.code, letter.password, "10.0.0.1") is row
    wrong = "000000" if letter.password != "000000" else "111111"
    assert mailbox.check_letter(gov.session, gov.now, row.code, wrong, "10.0.0.1") is None
    assert row.failed_checks == 1
    flagged = mailbox.submit_letter(gov.session, gov.now, **{**LETTER, "content": "有人在小区里组织赌博和传销"})
    assert flagged.letter.screen_hits == ["赌博", "传销"]
    assert gov.data(flagged.letter.instance_id or 0)["screen_hits"] == ["赌博", "传销"]


def test_wrong_passwords_are_throttled_per_code(gov: Gov, letter: mailbox.Submitted) -> None:
    code = letter.letter.code
    for i in range(mailbox.WRONG_LIMIT):
        assert mailbox.check_letter(gov.session, gov.now, code, "99999" + str(i), f"10.0.0.{i}") is None
    with pytest.raises(Forbidden):  # even the right password waits now
        mailbox.check_letter(gov.session, gov.now, code, letter.password, "10.0.0.99")
    later = gov.now + mailbox.WRONG_WINDOW + timedelta(minutes=1)
    assert mailbox.check_letter(gov.session, later, code, letter.password, "10.0.0.99") is letter.letter


def test_bad_letters_are_refused_with_the_field(gov: Gov) -> None:
    gov.deploy("mayor_mailbox.bpmn")
    for field, value in (("phone", "12345"), ("category", "praise"), ("title", " "), ("content", "x" * 5001)):
        with pytest.raises(InvalidInput) as caught:
            mailbox.submit_letter(gov.session, gov.now, **{**LETTER, field: value})
        assert caught.value.field == field


def test_spam_goes_to_the_recycle_bin(gov: Gov, letter: mailbox.Submitted) -> None:
    iid = letter.letter.instance_id or 0
    receive = gov.task(iid, "receive")
    assert gov.who_may(receive) == {"mailbox_clerk", "admin"}
    gov.complete(iid, "receive", "mailbox_clerk", {"screening": "spam"})
    assert gov.status(iid) == "completed"
    assert letter.letter.folder == "recycle" and letter.letter.finished_at == gov.now


def test_out_of_scope_is_not_accepted_with_its_reason(gov: Gov, letter: mailbox.Submitted) -> None:
    iid = letter.letter.instance_id or 0
    gov.complete(iid, "receive", "mailbox_clerk",
                 {"screening": "out_of_scope", "reject_reason": "涉诉事项，请依法通过诉讼途径解决"})
    assert gov.status(iid) == "completed"
    assert letter.letter.folder == "rejected"
    assert letter.letter.reject_reason == "涉诉事项，请依法通过诉讼途径解决"


def test_valid_letter_two_departments_send_back_then_published(gov: Gov, letter: mailbox.Submitted) -> None:
    session, row = gov.session, letter.letter
    iid = row.instance_id or 0
    [case_clock] = gov.clocks(iid)
    assert case_clock.policy_code == "mailbox_letter"
    assert case_clock.due_at.date() == (gov.now + timedelta(days=15)).date()  # 15 calendar days
    gov.complete(iid, "receive", "mailbox_clerk", {"screening": "valid"})
    assert row.folder == "handling"
    instruct = gov.task(iid, "instruct")
    assert gov.who_may(instruct) == {"mayor_wang", "vmayor_li", "vmayor_zhao", "admin"}
    # A step that opens a task and touches no clock: the inbox row still shows the letter's deadline.
    gov.session.expire(instruct)
    assert instruct.deadline_at == case_clock.due_at
    gov.complete(iid, "instruct", "vmayor_li", {"handle_depts": ["zjj", "sthj"], "cc_users": ["xfj_leader"]},
                 opinion="请住建局、生态环境局核查处理")
    handle = {gov.data(iid)["handle_depts"][0]: None}
    parts = [t for t in gov.open_tasks(iid) if t.element_id == "handle"]
    assert len(parts) == 2
    holders = sorted(sorted(gov.who_may(t) - {"admin"}) for t in parts)
    assert holders == [["sthj_clerk"], ["zjj_clerk"]]
    assert handle
    for part in parts:
        clerk = sorted(gov.who_may(part) - {"admin"})[0]
        dept = clerk.split("_")[0]
        gov.complete(iid, "handle", clerk, {"reply": f"{dept}已到现场核查", "cites": "某建发〔2026〕3号"},
                     task_id=part.id)
    data = gov.data(iid)
    assert {r["dept"] for r in data["replies"]} == {"zjj", "sthj"}
    assert "【市住房和城乡建设局】zjj已到现场核查" in data["reply_draft"] and data["reply_cites"] == ["某建发〔2026〕3号"]
    gov.complete(iid, "review", "mayor_wang", {"review": "back"}, opinion="答复过于简单，请补充处理结果")
    again = [t for t in gov.open_tasks(iid) if t.element_id == "handle"]
    assert len(again) == 2
    assert {r["dept"] for r in gov.data(iid)["earlier_replies"]} == {"zjj", "sthj"}
    for part in again:
        clerk = sorted(gov.who_may(part) - {"admin"})[0]
        gov.complete(iid, "handle", clerk, {"reply": f"{clerk}：已责令停止夜间施工并处罚款"}, task_id=part.id)
    assert len(gov.data(iid)["replies"]) == 2  # the earlier round is set aside, not appended
    gov.complete(iid, "review", "mayor_wang", {"review": "approve", "publish": True,
                                               "final_reply": "经核查，已责令停止夜间施工并依法处罚。"})
    assert gov.status(iid) == "completed"
    assert row.folder == "done" and row.published and row.reply == "经核查，已责令停止夜间施工并依法处罚。"
    assert mailbox.published(session) == [row]
    copies = session.scalars(select(CarbonCopy).where(CarbonCopy.instance_id == iid)).all()
    assert [c.recipient for c in copies] == ["xfj_leader"]
    assert not gov.clocks(iid)[0].active
    mailbox.rate(session, gov.now, row, 5, "处理及时")
    assert row.rating == 5
    with pytest.raises(InvalidInput):
        mailbox.rate(session, gov.now, row, 4)


def test_private_reply_is_not_listed_and_folders_count(gov: Gov, letter: mailbox.Submitted) -> None:
    iid = letter.letter.instance_id or 0
    other = mailbox.submit_letter(gov.session, gov.now, **{**LETTER, "title": "咨询公积金提取"})
    counts = mailbox.folder_counts(gov.session, "mailbox_clerk")
    assert counts["new"] == 2 and counts["todo"] == 2 and counts["all"] == 2
    gov.complete(iid, "receive", "mailbox_clerk", {"screening": "valid"})
    gov.complete(iid, "instruct", "mayor_wang", {"handle_depts": ["jyj"]}, opinion="请教育局答复")
    gov.complete(iid, "handle", "jyj_clerk", {"reply": "已答复"})
    assert mailbox.folder_counts(gov.session, "jyj_clerk")["todo"] == 0
    gov.complete(iid, "review", "mayor_wang", {"review": "approve", "publish": False})
    assert letter.letter.folder == "done" and not letter.letter.published
    assert mailbox.published(gov.session) == []
    assert [x.id for x in mailbox.letters_in(gov.session, "mailbox_clerk", "done")] == [letter.letter.id]
    assert [x.id for x in mailbox.letters_in(gov.session, "mailbox_clerk", "todo")] == [other.letter.id]
    with pytest.raises(InvalidInput):
        mailbox.letters_in(gov.session, "mailbox_clerk", "nonsense")
    assert gov.session.scalar(select(Letter).where(Letter.id == other.letter.id)) is other.letter


def test_a_reply_is_published_only_with_the_writers_consent(gov: Gov) -> None:
    gov.deploy("mayor_mailbox.bpmn")
    told = listening(gov.session, "letter.answered", "instance.ended")
    for consent in (False, True):
        sent = mailbox.submit_letter(gov.session, gov.now, **{**LETTER, "wants_public": consent})
        iid = sent.letter.instance_id or 0
        gov.complete(iid, "receive", "mailbox_clerk", {"screening": "valid"})
        gov.complete(iid, "instruct", "mayor_wang", {"handle_depts": ["zjj"]}, opinion="请住建局答复")
        gov.complete(iid, "handle", "zjj_clerk", {"reply": "已责令整改"})
        gov.complete(iid, "review", "mayor_wang", {"review": "approve", "publish": True})
        assert sent.letter.folder == "done" and sent.letter.published is consent
        assert sent.letter.reply_unit == "市住房和城乡建设局"  # the unit by its name, as the citizen reads it
    assert [row.wants_public for row in mailbox.published(gov.session)] == [True]
    answered = [(b["type"], b["data"].get("published"), b["data"].get("reply_unit")) for b in told()]
    assert answered == [("letter.answered", False, "市住房和城乡建设局"), ("instance.ended", None, None),
                        ("letter.answered", True, "市住房和城乡建设局"), ("instance.ended", None, None)]
