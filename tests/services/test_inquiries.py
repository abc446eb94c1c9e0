"""网络在线问政: registering, answering once, lateness, the reminder that chases a late answer,
permissions and the list's query count."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from freezegun import freeze_time

from core.choices import ReminderKind
from core.roles import Role
from services.models import Inquiry
from tests.helpers import count_queries, login, make_department, make_user, only, run_on, sent

TZ = ZoneInfo("Asia/Shanghai")
ASKED = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


@pytest.fixture
def people(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dept = make_department("市人社局")
    return {
        "dept": dept,
        "sup": make_user("sup", Role.SUPERVISOR, email="sup@example.gov.cn"),
        "staff": make_user("staff", Role.STAFF, dept, email="staff@example.gov.cn"),
        "head": make_user("head", Role.HEAD, dept, email="head@example.gov.cn"),
        "leader": make_user("leader", Role.LEADER),
        "outsider": make_user("outsider", Role.STAFF, make_department("文电处")),
    }


def inquiry(people, number="WZ001", due=date(2026, 3, 6), **values):
    return Inquiry.objects.create(
        number=number,
        title="社保转移接续怎么办理？",
        asked_at=ASKED,
        department=people["dept"],
        due_date=due,
        **values,
    )


def test_a_supervisor_registers_an_inquiry_with_the_default_deadline(client, people):
    login(client, "sup")
    with freeze_time("2026-03-03 10:00:00+08:00"):
        response = client.post(
            "/services/inquiries/new/",
            {
                "number": "WZ100",
                "title": "公积金贷款额度",
                "channel": "网络问政平台",
                "asked_at": "2026-03-02T09:00",
                "department": people["dept"].pk,
            },
        )
    assert response.status_code == 302
    created = Inquiry.objects.get(number="WZ100")
    assert created.due_date == date(2026, 3, 7)  # INQUIRY_REPLY_DAYS after the question
    assert created.history.count() == 1


def test_bad_input_is_refused_beside_the_field_and_nothing_saved(client, people):
    login(client, "sup")
    inquiry(people)
    response = client.post(
        "/services/inquiries/new/",
        {
            "number": "WZ001",
            "title": "",
            "asked_at": "昨天",
            "department": people["dept"].pk,
            "due_date": "2026-02-30",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "这个编号已经登记过" in body and "请填写问题" in body and "有效的日期" in body
    early = client.post(
        "/services/inquiries/new/",
        {
            "number": "WZ002",
            "title": "问题",
            "channel": "市长信箱",
            "asked_at": "2026-03-02T09:00",
            "department": people["dept"].pk,
            "due_date": "2026-03-01",
        },
    )
    assert early.status_code == 400 and "不能早于提问时间" in early.content.decode()
    assert Inquiry.objects.count() == 1


def test_the_department_answers_once_and_lateness_is_measured(client, people):
    record = inquiry(people)
    login(client, "outsider")
    assert client.post(record.get_absolute_url(), {"answer": "x"}).status_code == 404
    login(client, "leader")
    assert client.post(record.get_absolute_url(), {"answer": "x"}).status_code == 403
    login(client, "staff")
    assert client.post(record.get_absolute_url(), {"answer": "  "}).status_code == 400
    with freeze_time("2026-03-09 10:00:00+08:00"):
        response = client.post(record.get_absolute_url(), {"answer": "可在网上办理。"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.answer == "可在网上办理。" and record.answered_by.username == "staff"
    assert record.days_taken == 7 and record.late_on(date(2026, 3, 9))
    login(client, "head")
    again = client.post(record.get_absolute_url(), {"answer": "覆盖"}, follow=True)
    assert "已经答复" in again.content.decode()
    record.refresh_from_db()
    assert record.answer == "可在网上办理。"
    assert record.history.count() == 2


def test_a_late_answer_is_chased_then_escalated(
    people, settings, django_capture_on_commit_callbacks
):
    only(settings, "inquiry_due")
    record = inquiry(people)
    soon = run_on(date(2026, 3, 5), django_capture_on_commit_callbacks)
    assert sent(soon) == {("staff", ReminderKind.DUE_SOON, f"due_soon:inquiry:{record.pk}")}
    late = run_on(date(2026, 3, 7), django_capture_on_commit_callbacks)
    assert {(u, k) for u, k, _e in sent(late)} == {
        ("staff", ReminderKind.OVERDUE),
        ("head", ReminderKind.OVERDUE),
    }
    assert any("staff@example.gov.cn" in m.to for m in mail.outbox)
    escalated = run_on(date(2026, 3, 6) + timedelta(days=7), django_capture_on_commit_callbacks)
    assert ("sup", ReminderKind.ESCALATION) in {(u, k) for u, k, _e in sent(escalated)}
    record.answered_at = datetime(2026, 3, 13, 18, tzinfo=TZ)
    record.save()
    assert not run_on(date(2026, 3, 16), django_capture_on_commit_callbacks).items


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("sup", "/services/inquiries/new/", 200),
        ("leader", "/services/inquiries/new/", 403),
        ("staff", "/services/inquiries/new/", 403),
        ("head", "/services/inquiries/", 200),
        ("leader", "/services/inquiries/?state=late", 200),
    ],
)
def test_permissions(client, people, username, url, status):
    login(client, username)
    assert client.get(url).status_code == status


def test_the_list_is_scoped_and_its_query_count_constant(
    client, people, django_assert_max_num_queries
):
    inquiry(people)
    login(client, "outsider")
    assert "WZ001" not in client.get("/services/inquiries/").content.decode()
    login(client, "sup")
    before = count_queries(django_assert_max_num_queries, client, "/services/inquiries/", 10)
    for n in range(30):
        inquiry(people, number=f"WZ{n + 100}")
    after = count_queries(django_assert_max_num_queries, client, "/services/inquiries/", 10)
    assert after == before
    body = client.get("/services/inquiries/?state=late").content.decode()
    assert "超期" in body
