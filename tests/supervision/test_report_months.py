"""Send people to the month that is missing, and fewer round trips (issue 11): the month bars
show each month's state, the task page and 本月月报 offer the earliest month still open (until
the report due day, the previous month), the chosen month is remembered for the session, after
saving a report the next task of the month is offered; and whoever may read a report may open
it, a refusal saying why."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from core.roles import Role
from supervision import reporting
from supervision.choices import ReportStatus
from supervision.models import MonthlyReport
from tests.helpers import count_queries, drain, make_department, make_task, make_user

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def office():
    dept, other = make_department("甲处"), make_department("乙处")
    people = {
        "staff": make_user("staff", Role.STAFF, dept),
        "head": make_user("head", Role.HEAD, dept),
        "leader": make_user("leader", Role.LEADER),
        "sup": make_user("sup", Role.SUPERVISOR),
        "partner": make_user("partner", Role.STAFF, other),
        "stranger": make_user("stranger", Role.STAFF, make_department("丙处")),
    }
    tasks = [make_task(n, lead_department=dept) for n in (1, 2, 3)]
    tasks[0].partner_departments.add(other)
    return {"dept": dept, "tasks": tasks, **people}


def report(task, month, status, **extra):
    values = {"progress": f"{month}月进展：{task.title}", "percent": 10 * month, **extra}
    return MonthlyReport.objects.create(
        task=task,
        month=date(2030, month, 1),
        status=status,
        submitted_at=datetime(2030, month + 1, 2, tzinfo=TZ),
        **values,
    )


def filed_through(tasks, last_month):
    for task in tasks:
        for month in range(1, last_month + 1):
            report(task, month, ReportStatus.APPROVED)


@pytest.mark.parametrize(
    "today,due_day,expected",
    [
        (date(2030, 7, 3), 5, date(2030, 6, 1)),
        (date(2030, 7, 5), 5, date(2030, 6, 1)),  # the due day itself: still June's
        (date(2030, 7, 6), 5, date(2030, 7, 1)),
        (date(2030, 7, 8), 10, date(2030, 6, 1)),  # REPORT_DUE_DAY is a setting
        (date(2030, 1, 2), 5, date(2029, 12, 1)),
    ],
)
def test_reporting_opens_on_the_previous_month_until_the_due_day(
    settings, today, due_day, expected
):
    settings.REPORT_DUE_DAY = due_day
    assert reporting.due_month(today) == expected


@freeze_time("2030-07-10 10:00:00+08:00")
def test_the_task_page_shows_each_months_state_and_offers_the_earliest_open(client, office):
    task = office["tasks"][0]
    report(task, 1, ReportStatus.APPROVED)
    report(task, 2, ReportStatus.SUBMITTED)
    report(task, 3, ReportStatus.RETURNED, return_reason="补充")
    report(task, 4, ReportStatus.DRAFT)
    report(task, 6, ReportStatus.APPROVED)
    client.force_login(office["staff"])
    body = client.get(f"/tasks/{task.pk}/").content.decode()
    states = [
        ("1", "approved", "已审核"),
        ("2", "submitted", "已提交"),
        ("3", "returned", "已退回"),
        ("4", "draft", "草稿"),
        ("5", "missing", "未报"),
        ("7", "missing", "未报"),
    ]
    for month, state, label in states:
        link = f'href="/tasks/{task.pk}/report/2030-{int(month):02d}/" data-state="{state}"'
        assert link in body and f">{month}月 {label}<" in body
    assert body.count('data-state="') == 7  # every month of the year so far, not six
    assert 'id="report-next">填报2030年3月进展<' in body  # the returned month comes first


@freeze_time("2030-07-03 10:00:00+08:00")
def test_with_the_due_month_filed_this_month_is_offered(client, office):
    task = office["tasks"][0]
    filed_through([task], 6)
    client.force_login(office["staff"])
    body = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="report-next">填报2030年7月进展<' in body


@freeze_time("2030-07-03 10:00:00+08:00")
def test_before_the_due_day_the_previous_month_is_offered(client, office):
    filed_through(office["tasks"], 5)
    client.force_login(office["staff"])
    body = client.get(f"/tasks/{office['tasks'][0].pk}/").content.decode()
    assert 'id="report-next">填报2030年6月进展<' in body
    response = client.get("/reports/")
    assert response["Location"] == "/reports/2030-06/"


@freeze_time("2030-07-20 10:00:00+08:00")
def test_this_months_reports_go_to_the_earliest_open_month_then_the_chosen_one(client, office):
    t1, t2, t3 = office["tasks"]
    filed_through([t1, t2, t3], 6)
    MonthlyReport.objects.filter(task=t2, month=date(2030, 4, 1)).update(
        status=ReportStatus.RETURNED
    )
    client.force_login(office["staff"])
    assert client.get("/reports/")["Location"] == "/reports/2030-04/"
    body = client.get("/reports/2030-04/").content.decode()
    assert 'href="/reports/2030-04/" data-state="returned"' in body
    assert 'href="/reports/2030-07/" data-state="missing"' in body
    assert 'href="/reports/2030-05/" data-state="approved"' in body
    # the month the user chose is remembered for the session, on every page
    client.get("/reports/2030-02/")
    assert client.get("/reports/")["Location"] == "/reports/2030-02/"
    client.get(f"/tasks/{t1.pk}/report/2030-07/")
    assert client.get("/reports/")["Location"] == "/reports/2030-07/"
    assert 'id="report-next">填报2030年7月进展<' in client.get(f"/tasks/{t3.pk}/").content.decode()
    client.logout()
    client.force_login(office["staff"])
    assert client.get("/reports/")["Location"] == "/reports/2030-04/"


@freeze_time("2030-07-20 10:00:00+08:00")
def test_after_submitting_the_next_task_of_the_month_is_offered(client, office):
    t1, t2, t3 = office["tasks"]
    report(t2, 6, ReportStatus.SUBMITTED)  # filed already: skipped
    client.force_login(office["staff"])
    data = {"progress": "完成。", "percent": "50", "version": "0", "submit": "1"}
    response = client.post(f"/tasks/{t1.pk}/report/2030-06/", data, follow=True)
    body = response.content.decode()
    assert 'id="next-task"' in body
    assert f'href="/tasks/{t3.pk}/report/2030-06/">填报下一项<' in body
    client.post(f"/tasks/{t3.pk}/report/2030-06/", data)
    body = client.get(f"/tasks/{t3.pk}/report/2030-06/").content.decode()
    assert 'id="next-task"' not in body  # the whole month is in


@freeze_time("2030-07-20 10:00:00+08:00")
def test_after_the_last_task_the_next_one_is_offered_from_the_top(client, office):
    t1, t2, t3 = office["tasks"]
    client.force_login(office["staff"])
    data = {"progress": "完成。", "percent": "50", "version": "0", "submit": "1"}
    body = client.post(f"/tasks/{t3.pk}/report/2030-06/", data, follow=True).content.decode()
    assert f'href="/tasks/{t1.pk}/report/2030-06/">填报下一项<' in body
    report(t1, 6, ReportStatus.SUBMITTED)
    body = client.get(f"/tasks/{t3.pk}/report/2030-06/").content.decode()
    assert f'href="/tasks/{t2.pk}/report/2030-06/">填报下一项<' in body


@freeze_time("2030-07-20 10:00:00+08:00")
@pytest.mark.parametrize("reader", ["leader", "sup", "partner", "stranger", "head"])
def test_whoever_may_read_a_report_opens_it_read_only(client, office, reader):
    task = office["tasks"][0]
    report(task, 6, ReportStatus.SUBMITTED, problems="资金未到位")
    client.force_login(office[reader])
    response = client.get(f"/tasks/{task.pk}/report/2030-06/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "6月进展：任务1" in body and "资金未到位" in body
    assert 'id="report-form"' not in body
    assert ('id="review"' in body) == (reader == "head")
    # the task page's 查看 opens it too, and nobody but its department writes it
    assert (
        f'href="/tasks/{task.pk}/report/2030-06/"'
        in client.get(f"/tasks/{task.pk}/").content.decode()
    )
    response = client.post(f"/tasks/{task.pk}/report/2030-05/", {"progress": "x", "version": "0"})
    if reader != "head":
        assert response.status_code == 403
        assert "只有牵头单位的承办人员可以填报本任务的月度进展" in response.content.decode()


@freeze_time("2030-07-20 10:00:00+08:00")
def test_a_403_says_which_rule_was_not_met(client, office):
    task = office["tasks"][0]
    client.force_login(office["staff"])
    cases = [
        (f"/tasks/{task.pk}/listing/", "只有督查人员可以挂牌督办"),
        (f"/tasks/{task.pk}/instructions/", "只有领导可以作出批示"),
        ("/supervision/ledger/", "只有督查人员和领导可以查看督查台账"),
        ("/dashboard/", "只有督查人员和领导可以查看督查看板"),
    ]
    for url, reason in cases:
        response = client.post(url, {"text": "x"}) if "instructions" in url else client.get(url)
        assert response.status_code == 403, url
        assert reason in response.content.decode(), url
    report(task, 6, ReportStatus.SUBMITTED)
    client.force_login(office["partner"])
    response = client.post(f"/tasks/{task.pk}/report/2030-06/review/", {"action": "approve"})
    assert "只有牵头单位的处室负责人可以审核本任务的月报" in response.content.decode()


@freeze_time("2030-07-20 10:00:00+08:00")
def test_month_bars_cost_constant_queries(client, office, django_assert_max_num_queries):
    task = office["tasks"][0]
    report(task, 1, ReportStatus.APPROVED)  # the page loads a report's indicator values
    client.force_login(office["staff"])
    url = f"/tasks/{task.pk}/"
    # warm: the first request also asks whether today's stored status is current (then cached)
    drain(client.get(url))
    few = count_queries(django_assert_max_num_queries, client, url, at_most=40)
    client.get("/reports/2030-06/")  # the session remembers the month once (a write), then not
    few_dept = count_queries(django_assert_max_num_queries, client, "/reports/2030-06/", 40)
    for t in office["tasks"]:
        for month in range(2, 7):
            report(t, month, ReportStatus.APPROVED)
    assert count_queries(django_assert_max_num_queries, client, url, at_most=40) == few
    many_dept = count_queries(django_assert_max_num_queries, client, "/reports/2030-06/", 40)
    assert many_dept == few_dept


@freeze_time("2030-07-20 10:00:00+08:00")
def test_an_unchanged_copy_of_last_months_text_is_flagged_on_both_pages(client, office):
    t1, t2, t3 = office["tasks"]
    for task in (t1, t2, t3):
        report(task, 5, ReportStatus.APPROVED)
    report(t2, 6, ReportStatus.DRAFT, progress="6月的新进展")
    client.force_login(office["staff"])
    body = client.get(f"/tasks/{t1.pk}/report/2030-06/").content.decode()
    assert 'id="copy-warning"' in body  # prefilled from May, not yet changed
    assert 'data-confirm-unchanged="#id_progress"' in body
    body = client.get(f"/tasks/{t2.pk}/report/2030-06/").content.decode()
    assert 'id="copy-warning"' not in body and "data-confirm-unchanged" not in body
    body = client.get("/reports/2030-06/").content.decode()
    assert body.count('copy-warning">与上月相同<') == 2  # t1 and t3, not t2
    assert "有 2 项任务的本月进展仍与上月报告完全相同" in body
    assert 'data-confirm-unchanged=".copy-row textarea[name$=progress]"' in body
    assert "js/confirm.js" in body
