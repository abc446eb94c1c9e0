"""The 督查通报 states the month's 督办函 issued, 约谈 held and 通报批评 decided (issue 12):
in its facts, its paragraph (督办约谈情况), its page and its .docx; never a 问责, nor a record
of another month."""

from datetime import date

import pytest
from freezegun import freeze_time

from supervision import bulletins, ladder
from supervision.bulletin_files import as_docx
from supervision.choices import LadderAction
from tests.helpers import JUNE, close_june, login, make_month_office
from tests.supervision.test_bulletins import docx_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    made = make_month_office()
    close_june(made)
    return made


def escalate(task, action, day, **fields):
    with freeze_time(f"{day} 10:00:00+08:00"):
        return ladder.escalate(task, action=action, reason="连续红灯", **fields)


@pytest.fixture
def records(office):
    t1, t2, _, t4 = office["tasks"]
    letter = escalate(t2, LadderAction.LETTER, "2030-06-10")
    with freeze_time("2030-06-12 10:00:00+08:00"):
        ladder.sign_letter(letter, user=office["head_a"])
    escalate(t4, LadderAction.NOTICE, "2030-06-11")
    interview = escalate(t2, LadderAction.INTERVIEW, "2030-06-15", user=office["sup"])
    ladder.save_interview(
        interview,
        data={
            "date": date(2030, 6, 20),
            "leader": office["leader"],
            "attendees": "甲处主要负责人",
            "minutes": "听取情况说明。",
            "follow_up": "7月底前完成机构引进方案。",
        },
    )
    escalate(
        t2,
        LadderAction.CRITICISM,
        "2030-06-25",
        date=date(2030, 6, 25),
        decision="在全市督查通报中予以通报批评。",
        basis="《督查工作规定》第二十条",
    )
    escalate(
        t4,
        LadderAction.ACCOUNTABILITY,
        "2030-06-26",
        date=date(2030, 6, 26),
        decision="对乙处有关责任人问责。",
        basis="问责规定",
    )
    july = escalate(t1, LadderAction.INTERVIEW, "2030-06-28")
    ladder.save_interview(july, data={"date": date(2030, 7, 3), "leader": office["leader"]})


def test_the_months_letters_interviews_and_criticisms_are_in_the_bulletin(office, records):
    bulletin = bulletins.generate(office["plan"], JUNE, office["sup"])
    facts = bulletin.facts
    assert facts["interviews"] == [
        {
            "code": "1.2",
            "title": "引进金融机构",
            "department": "甲处",
            "date": "2030-06-20",
            "leader": "leader",
            "follow_up": "7月底前完成机构引进方案。",
        }
    ]
    assert [(r["code"], r["kind"], r["signed"]) for r in facts["letters"]] == [
        ("1.2", "督办函", True),
        ("1.4", "催办通知书", False),
    ]
    assert [(r["code"], r["date"]) for r in facts["criticisms"]] == [("1.2", "2030-06-25")]
    assert "问责" not in str(facts) and "对乙处有关责任人问责" not in bulletin.escalation
    assert bulletin.escalation == (
        "本月向甲处、乙处发出督办函（催办通知书）2件，已签收1件。"
        "本月约谈1次，约谈单位：甲处；被约谈单位要对照约谈要求逐项整改，按期报送整改情况。"
        "对甲处予以通报批评。"
    )
    sections, _ = docx_text(as_docx(bulletins.issue(bulletin, office["sup"])))
    assert list(sections).index("督办约谈情况") == list(sections).index("挂牌督办事项") + 1
    rows = sections["督办约谈情况"]
    assert rows[0] == bulletin.escalation
    assert ["日期", "约谈单位", "事项", "约谈领导", "整改事项"] in rows
    assert ["2030-06-20", "甲处", "1.2 引进金融机构", "leader", "7月底前完成机构引进方案。"] in rows
    letter_rows = [r for r in rows if isinstance(r, list) and r[0].startswith(("督办〔", "催办〔"))]
    assert [(r[1], r[3]) for r in letter_rows] == [("甲处", "已签收"), ("乙处", "未签收")]
    assert ["2030-06-25", "甲处", "1.2 引进金融机构", "在全市督查通报中予以通报批评。"] in rows


def test_a_month_without_any_says_so(client, office):
    bulletin = bulletins.generate(office["plan"], JUNE, office["sup"])
    assert bulletin.escalation == "本月未发出督办函，未开展约谈。"
    assert (facts := bulletin.facts)["interviews"] == facts["letters"] == facts["criticisms"] == []
    sections, _ = docx_text(as_docx(bulletin))
    assert sections["督办约谈情况"] == ["本月未发出督办函，未开展约谈。"]


def test_the_page_shows_the_interviews_and_the_supervisor_edits_the_paragraph(
    client, office, records
):
    bulletins.generate(office["plan"], JUNE, office["sup"])
    login(client, "sup")
    body = client.get("/bulletins/2030-06/").content.decode()
    assert "督办约谈情况" in body and "7月底前完成机构引进方案。" in body
    assert 'name="escalation"' in body


def test_a_bulletin_generated_before_these_were_kept_still_renders(office):
    bulletin = bulletins.generate(office["plan"], JUNE, office["sup"])
    for key in ("letters", "interviews", "criticisms"):
        bulletin.facts.pop(key)
    bulletin.escalation = ""
    sections, _ = docx_text(as_docx(bulletin))
    assert sections["督办约谈情况"] == []
