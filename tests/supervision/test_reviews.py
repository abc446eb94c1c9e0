"""Heads review, and nobody's report sits unseen (issue 11): a submitted report notifies the
department's heads, /reviews/ lists what waits for them oldest first with approve (several at
once) and return, the navigation counts it, a notice opens the report it is about, and
approving asks once before it acts."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from freezegun import freeze_time

from core.choices import ReminderKind
from core.models import Reminder
from core.roles import Role
from supervision import reporting
from supervision.choices import ReportStatus
from supervision.models import MonthlyReport
from tests.helpers import count_queries, make_department, make_task, make_user

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = "2030-07-10 10:00:00+08:00"
JUNE = date(2030, 6, 1)


@pytest.fixture
def office(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dept, other = make_department("甲处"), make_department("乙处")
    people = {
        "staff": make_user("staff", Role.STAFF, dept, email="staff@example.gov.cn"),
        "staff_b": make_user("staff_b", Role.STAFF, dept),
        "head": make_user("head", Role.HEAD, dept, email="head@example.gov.cn"),
        "other_head": make_user("other_head", Role.HEAD, other, email="oh@example.gov.cn"),
        "other_staff": make_user("other_staff", Role.STAFF, other),
        "admin": make_user("root", Role.ADMIN),
    }
    tasks = [make_task(n, lead_department=dept) for n in (1, 2, 3)]
    foreign = make_task(4, lead_department=other)
    return {"dept": dept, "tasks": tasks, "foreign": foreign, **people}


def submitted(task, user, day, month=JUNE, **extra):
    """A report of `month` submitted by `user` on 2030-07-`day`."""
    values = {"status": ReportStatus.SUBMITTED, "percent": 40, **extra}
    return MonthlyReport.objects.create(
        task=task,
        month=month,
        progress=f"{task.title}的进展",
        submitted_by=user,
        submitted_at=datetime(2030, 7, day, 9, tzinfo=TZ),
        **values,
    )


def form_data(**extra):
    data = {"progress": "本月完成调研。", "percent": "50", "version": "0", "submit": "1"}
    return {**data, **extra}


@freeze_time(NOW)
def test_submitting_and_resubmitting_notify_the_heads_with_a_link_to_the_report(
    client, office, django_capture_on_commit_callbacks
):
    task = office["tasks"][0]
    url = f"/tasks/{task.pk}/report/2030-06/"
    client.force_login(office["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, form_data()).status_code == 302
    notices = Reminder.objects.filter(kind=ReminderKind.SUBMITTED)
    assert {(n.recipient.username, n.channel) for n in notices} == {
        ("head", "in_app"),
        ("head", "email"),
    }  # not the submitter, not another department's head
    assert {n.url for n in notices} == {url}
    assert [m.to for m in mail.outbox] == [["head@example.gov.cn"]]
    assert "月报待审核" in mail.outbox[0].subject

    report = MonthlyReport.objects.get(task=task, month=JUNE)
    reporting.return_report(report, user=office["head"], reason="请补充数据。")
    client.post(url, form_data(version=str(report.version + 1), progress="补充了数据。"))
    in_app = notices.filter(channel="in_app")
    assert in_app.count() == 2  # the resubmission is a new notice


@freeze_time(NOW)
def test_a_returned_reports_notice_opens_the_report_form(client, office):
    report = submitted(office["tasks"][0], office["staff"], 3)
    reporting.return_report(report, user=office["head"], reason="请补充数据。")
    notice = Reminder.objects.get(kind=ReminderKind.RETURNED, channel="in_app")
    client.force_login(office["staff"])
    response = client.get(f"/notifications/{notice.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{office['tasks'][0].pk}/report/2030-06/"
    assert "请补充数据" in client.get(response["Location"]).content.decode()


@freeze_time(NOW)
def test_the_queue_lists_the_heads_department_oldest_first(client, office):
    t1, t2, t3 = office["tasks"]
    newer = submitted(t1, office["staff"], 8)
    older = submitted(t2, office["staff"], 2)
    submitted(t3, office["staff"], 4, status=ReportStatus.APPROVED)  # done already
    foreign = submitted(office["foreign"], office["other_staff"], 1)
    client.force_login(office["head"])
    body = client.get("/reviews/").content.decode()
    assert body.index(f'id="review-{older.pk}"') < body.index(f'id="review-{newer.pk}"')
    assert f'id="review-{foreign.pk}"' not in body
    assert "任务1的进展" in body and "任务2的进展" in body  # decided without opening each
    assert 'id="review-count">2<' in body  # the navigation's 待审核 count
    client.force_login(office["admin"])
    body = client.get("/reviews/").content.decode()
    assert f'id="review-{foreign.pk}"' in body and 'id="review-count">3<' in body


def test_who_may_open_the_queue(client, office):
    for name in ("staff", "other_staff"):
        client.force_login(office[name])
        response = client.get("/reviews/")
        assert response.status_code == 403
        assert "只有处室负责人可以审核本处室的月报" in response.content.decode()
        assert 'id="nav-reviews"' not in client.get("/notifications/").content.decode()
    client.force_login(office["head"])
    assert 'id="nav-reviews"' in client.get("/notifications/").content.decode()


@freeze_time(NOW)
def test_several_reports_are_approved_at_once_and_ones_own_is_refused(client, office):
    t1, t2, t3 = office["tasks"]
    a = submitted(t1, office["staff"], 2)
    b = submitted(t2, office["staff"], 3)
    own = submitted(t3, office["head"], 4)
    client.force_login(office["head"])
    response = client.post("/reviews/", {"report": [a.pk, b.pk, own.pk], "bulk": "1"}, follow=True)
    body = response.content.decode()
    assert "已审核通过 2 份报告" in body
    assert "不能审核通过自己报送的报告" in body
    statuses = {r.pk: r.status for r in MonthlyReport.objects.all()}
    assert statuses == {
        a.pk: ReportStatus.APPROVED,
        b.pk: ReportStatus.APPROVED,
        own.pk: ReportStatus.SUBMITTED,
    }
    assert MonthlyReport.objects.get(pk=a.pk).reviewed_by == office["head"]
    # nothing ticked: a message, nothing changes
    response = client.post("/reviews/", {"bulk": "1"}, follow=True)
    assert "请先勾选" in response.content.decode()


@freeze_time(NOW)
def test_approve_all_shown_one_and_a_foreign_id_does_nothing(client, office):
    t1, t2, _ = office["tasks"]
    a, b = submitted(t1, office["staff"], 2), submitted(t2, office["staff"], 3)
    foreign = submitted(office["foreign"], office["other_staff"], 1)
    client.force_login(office["head"])
    client.post("/reviews/", {"approve": str(a.pk)})
    assert MonthlyReport.objects.get(pk=a.pk).status == ReportStatus.APPROVED
    assert MonthlyReport.objects.get(pk=b.pk).status == ReportStatus.SUBMITTED
    client.post("/reviews/", {"all": "1", "shown": [b.pk, foreign.pk]})
    assert MonthlyReport.objects.get(pk=b.pk).status == ReportStatus.APPROVED
    assert MonthlyReport.objects.get(pk=foreign.pk).status == ReportStatus.SUBMITTED


@freeze_time(NOW)
def test_return_from_the_queue_needs_a_reason(client, office):
    report = submitted(office["tasks"][0], office["staff"], 2)
    other = submitted(office["tasks"][1], office["staff"], 3)
    client.force_login(office["head"])
    data = {"return": str(report.pk), f"reason_{other.pk}": "正在写的原因"}
    response = client.post("/reviews/", data)
    body = response.content.decode()
    assert response.status_code == 400  # the page again, the message beside the field
    field = f'id="reason-{report.pk}" rows="1" maxlength="2000" class="form-control'
    assert f"{field} form-control-sm is-invalid" in body
    assert "退回时请填写退回原因" in body
    assert "正在写的原因</textarea>" in body  # what was typed elsewhere is kept
    assert MonthlyReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
    assert client.post("/reviews/", {"return": "abc"}).status_code == 404
    data = {"return": str(report.pk), f"reason_{report.pk}": "数据有误。"}
    client.post("/reviews/", data)
    report.refresh_from_db()
    assert (report.status, report.return_reason) == (ReportStatus.RETURNED, "数据有误。")
    assert Reminder.objects.filter(kind=ReminderKind.RETURNED, recipient=office["staff"]).exists()
    # a report from another department cannot be returned through one's own queue
    foreign = submitted(office["foreign"], office["other_staff"], 1)
    data = {"return": str(foreign.pk), f"reason_{foreign.pk}": "x"}
    assert client.post("/reviews/", data).status_code == 404


@freeze_time(NOW)
def test_the_queue_costs_the_same_queries_for_one_report_or_many(
    client, office, django_assert_max_num_queries
):
    submitted(office["tasks"][0], office["staff"], 2)
    client.force_login(office["head"])
    one = count_queries(django_assert_max_num_queries, client, "/reviews/", at_most=12)
    for n in range(5, 15):
        submitted(make_task(n, lead_department=office["dept"]), office["staff"], 3)
    many = count_queries(django_assert_max_num_queries, client, "/reviews/", at_most=12)
    assert many == one


@freeze_time(NOW)
def test_approving_asks_once_before_it_acts(client, office):
    report = submitted(office["tasks"][0], office["staff"], 2)
    client.force_login(office["head"])
    queue = client.get("/reviews/").content.decode()
    assert queue.count('data-confirm="确认审核通过') == 3  # the row, the ticked ones, all
    assert "js/confirm.js" in queue
    page = client.get(f"/tasks/{report.task_id}/report/2030-06/").content.decode()
    assert 'data-confirm="确认审核通过2030年6月进展报告' in page


NASTY = ["", "abc", "-1", "1e999", "１２", "²", "9" * 40, "<script>"]


@freeze_time(NOW)
@pytest.mark.parametrize("value", NASTY)
def test_the_queue_survives_nasty_ids(client, office, value):
    report = submitted(office["tasks"][0], office["staff"], 2)
    client.force_login(office["head"])
    for data in (
        {"approve": value},
        {"bulk": "1", "report": [value]},
        {"all": "1", "shown": [value]},
        {"return": value, f"reason_{report.pk}": "x"},
    ):
        assert client.post("/reviews/", data).status_code in (302, 400, 404)
    client.force_login(make_user("sup", Role.SUPERVISOR))
    response = client.post("/supervision/remind/", {"task": [value], "message": value})
    assert response.status_code == 302
    assert MonthlyReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
