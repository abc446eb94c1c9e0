"""Issue 12: the escalation ladder after reminders — rules firing once per item and streak,
numbered 督办函 as .docx and their 签收, 约谈 on the dashboard, 通报批评 / 问责 hidden from
heads, and who may open each page."""

import io
from datetime import date

import pytest
from docx import Document
from freezegun import freeze_time

from core.roles import Role
from supervision import ladder, scoring_criteria
from supervision.choices import LadderAction, LadderPattern, TaskStatus
from supervision.models import LadderRecord, LadderRule
from tests.helpers import count_queries, drain, login, make_task, make_user


@pytest.fixture
def rules(db):
    LadderRule.objects.all().delete()
    return {
        "letter": LadderRule.objects.create(
            name="两个月黄灯", pattern=LadderPattern.YELLOW_MONTHS, threshold=2, action="letter"
        ),
        "interview": LadderRule.objects.create(
            name="三个月红灯", pattern=LadderPattern.RED_MONTHS, threshold=3, action="interview"
        ),
        "notice": LadderRule.objects.create(
            name="逾期10个工作日",
            pattern=LadderPattern.OVERDUE_WORKDAYS,
            threshold=10,
            action="notice",
        ),
    }


@pytest.fixture
def yellow(office):
    """Started in January 2026 with no report: yellow (last month's report missing) from
    February on; due at the year's end, so never red."""
    task = office["task"]
    task.start_date, task.due_date, task.year = date(2026, 1, 1), date(2026, 12, 31), 2026
    task.save()
    return task


def test_consecutive_yellow_months_bring_one_letter_even_run_twice(office, rules, yellow):
    with freeze_time("2026-03-02 09:00:00+08:00"):  # only February was yellow
        assert ladder.run_ladder() == []
    with freeze_time("2026-04-02 09:00:00+08:00"):  # February and March
        created = ladder.run_ladder()
        assert ladder.run_ladder() == []  # the same day again
    assert [(r.action, r.rule, r.trigger) for r in created] == [
        (LadderAction.LETTER, rules["letter"], "2026-02")
    ]
    with freeze_time("2026-05-04 09:00:00+08:00"):  # the streak goes on: no second letter
        assert ladder.run_ladder() == []
    letter = created[0]
    assert letter.doc_number == "督办〔2026〕第1号" and letter.addressee == office["head"]
    assert "连续2个月黄灯" in letter.reason


def test_red_months_bring_a_meeting_and_overdue_working_days_a_notice(office, rules):
    task = make_task(
        2,
        year=2026,
        lead_department=office["dept"],
        start_date=date(2025, 12, 1),
        due_date=date(2025, 12, 31),
    )
    with freeze_time("2026-04-02 09:00:00+08:00"):
        created = ladder.run_ladder()
        ladder.run_ladder()
    actions = sorted((r.action, r.trigger) for r in created if r.task == task)
    assert actions == [("interview", "2026-01"), ("notice", "due:2025-12-31")]
    notice = LadderRecord.objects.get(task=task, action="notice")
    assert notice.doc_number == "催办〔2026〕第1号"
    assert LadderRecord.objects.filter(task=task).count() == 2


def test_stopped_items_do_not_climb_the_ladder(office, rules, yellow):
    yellow.status = TaskStatus.SUSPENDED
    yellow.save()
    with freeze_time("2026-04-02 09:00:00+08:00"):
        assert ladder.run_ladder() == []


def test_letters_are_numbered_read_back_as_docx_and_signed_by_the_head(client, office, rules):
    with freeze_time("2026-04-02 09:00:00+08:00"):
        first = ladder.escalate(
            office["task"], action="letter", reason="进度滞后", user=office["sup"]
        )
        second = ladder.escalate(
            office["task"], action="letter", reason="仍滞后", user=office["sup"]
        )
        assert (first.number, second.number) == (1, 2)
        login(client, "head")
        response = client.get(f"/supervision/letters/{first.pk}.docx")
        assert response.status_code == 200
        doc = Document(io.BytesIO(drain(response)))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "督办函" in text and "督办〔2026〕第1号" in text
        assert "金融工作办公室" in text and office["task"].title in text and "进度滞后" in text
        assert client.post(f"/supervision/letters/{first.pk}/").status_code == 302
    first.refresh_from_db()
    assert first.signed_by == office["head"] and first.signed_at


def test_a_meeting_record_is_on_the_dashboard(client, office, rules):
    with freeze_time("2030-03-20 09:00:00+08:00"):
        record = ladder.escalate(
            office["task"], action="interview", reason="连续红灯", user=office["sup"]
        )
        login(client, "sup")
        response = client.post(
            f"/supervision/interviews/{record.pk}/",
            {
                "date": "2030-03-18",
                "leader": office["leader"].pk,
                "attendees": "金融办主任",
                "minutes": "说明滞后原因",
                "follow_up": "4月底前完成",
            },
        )
        assert response.status_code == 302
        login(client, "leader")
        page = client.get("/dashboard/?month=2030-03").content.decode()
    assert 'data-card="supervision.ladder"' in page
    assert "03-18 金融工作办公室" in page
    assert scoring_criteria.interviews_count(date(2030, 3, 1))[office["dept"].pk].value == 1


def test_who_sees_letters_meetings_and_decisions(client, office, rules):
    other_head = make_user("otherhead", Role.HEAD, office["other"])
    with freeze_time("2026-04-02 09:00:00+08:00"):
        letter = ladder.escalate(office["task"], action="letter", reason="滞后", user=office["sup"])
        meeting = ladder.escalate(
            office["task"], action="interview", reason="红灯", user=office["sup"]
        )
        ladder.escalate(office["task"], action="criticism", reason="长期逾期", user=office["sup"])
        login(client, "staff")
        assert client.get("/supervision/letters/").status_code == 403
        assert client.get("/supervision/interviews/").status_code == 403
        assert (
            client.post(
                f"/tasks/{office['task'].pk}/escalate/", {"action": "letter", "reason": "x"}
            ).status_code
            == 403
        )
        login(client, "head")
        assert letter.doc_number in client.get("/supervision/letters/").content.decode()
        page = client.get("/supervision/interviews/").content.decode()
        assert "红灯" in page and "长期逾期" not in page and "通报批评" not in page
        login(client, "otherhead")
        assert letter.doc_number not in client.get("/supervision/letters/").content.decode()
        assert client.get(f"/supervision/letters/{letter.pk}/").status_code == 404
        assert client.get(f"/supervision/letters/{letter.pk}.docx").status_code == 404
        assert client.post(f"/supervision/letters/{letter.pk}/").status_code == 404
        assert client.get(f"/supervision/interviews/{meeting.pk}/").status_code == 404
        login(client, "leader")
        assert "长期逾期" in client.get("/supervision/interviews/").content.decode()
        assert client.post(f"/supervision/letters/{letter.pk}/").status_code == 403  # not its head
        assert (
            client.post(
                f"/supervision/interviews/{meeting.pk}/", {"date": "2026-04-01"}
            ).status_code
            == 403
        )
        login(client, "sup")
        response = client.post(
            f"/tasks/{office['task'].pk}/escalate/", {"action": "notice", "reason": "请加快"}
        )
        assert response.status_code == 302
    assert other_head.department == office["other"]
    assert LadderRecord.objects.filter(action="notice").count() == 1


def test_the_lists_cost_the_same_whatever_their_size(client, office, django_assert_max_num_queries):
    login(client, "sup")
    with freeze_time("2026-04-02 09:00:00+08:00"):
        ladder.escalate(office["task"], action="letter", reason="滞后", user=office["sup"])
        ladder.escalate(office["task"], action="interview", reason="红灯", user=office["sup"])
        few = [
            count_queries(django_assert_max_num_queries, client, url)
            for url in ("/supervision/letters/", "/supervision/interviews/")
        ]
        for n in range(2, 8):
            task = make_task(n, year=2030, lead_department=office["dept"])
            ladder.escalate(task, action="letter", reason="滞后", user=office["sup"])
            ladder.escalate(task, action="interview", reason="红灯", user=office["sup"])
            ladder.escalate(task, action="criticism", reason="逾期", user=office["sup"])
        many = [
            count_queries(django_assert_max_num_queries, client, url)
            for url in ("/supervision/letters/", "/supervision/interviews/")
        ]
    assert few == many
