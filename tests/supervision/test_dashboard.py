"""The leaders' dashboard, month close and the public page, on a small plan with known
lights and reports."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from core.roles import Role
from supervision import derived
from supervision.choices import ListingLevel, ReportStatus, TaskStatus
from supervision.dashboard import close_month, month_figures, reopen_month
from supervision.models import (
    Indicator,
    IndicatorValue,
    Instruction,
    Listing,
    MonthClose,
    MonthlyReport,
    Plan,
    Project,
    Task,
    Urging,
)
from tests.helpers import count_queries, make_department, make_user

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = "2030-06-20 10:00:00+08:00"


def at_now():
    return datetime.fromisoformat(NOW)


def at(y, m, d):
    return datetime(y, m, d, 9, 0, tzinfo=TZ)


def report(task, month, percent, submitted=None, **extra):
    return MonthlyReport.objects.create(
        task=task,
        month=date(2030, month, 1),
        percent=percent,
        submitted_at=submitted or at(2030, month + 1, 2),
        progress=f"{month}月进展",
        **{"status": ReportStatus.SUBMITTED, **extra},
    )


@pytest.fixture
def plan():
    """Five tasks with known lights as of 2030-06-20:
    t1 green, t2 red (overdue 10 days), t3 yellow (due soon), t4 grey (closed),
    t5 yellow (May report missing) and listed."""
    a, b = make_department("甲处"), make_department("乙处")
    plan = Plan.objects.create(year=2030, title="2030年工作计划")
    p1 = Project.objects.create(plan=plan, number=1, title="一号工程")
    p2 = Project.objects.create(plan=plan, number=2, title="二号工程")
    start = date(2030, 1, 1)

    def task(project, n, dept, due, **extra):
        extra.setdefault("status", TaskStatus.IN_PROGRESS)
        return Task.objects.create(
            project=project,
            number=n,
            title=f"任务{n}",
            text="原文",
            lead_department=dept,
            start_date=start,
            due_date=due,
            **extra,
        )

    t1 = task(p1, 1, a, date(2030, 12, 31))
    t2 = task(p1, 2, a, date(2030, 6, 10))
    t3 = task(p2, 3, b, date(2030, 6, 30))
    t4 = task(p2, 4, b, date(2030, 12, 31), status=TaskStatus.CLOSED)
    t5 = task(p2, 5, b, date(2030, 12, 31), is_public=True)
    for m in range(1, 6):
        report(t1, m, 8 * m)  # 40% in May
        report(t2, m, 10 * m)
        report(t3, m, 18 * m)  # 90% in May
    late = MonthlyReport.objects.get(task=t2, month=date(2030, 5, 1))
    late.submitted_at = at(2030, 6, 12)  # after the 5th: late
    late.save()
    report(t1, 6, 45, submitted=at(2030, 6, 20))
    report(t5, 4, 30, problems="资金未到位", problems_public=False)
    indicator = Indicator.objects.create(
        task=t1, number=1, name="金融机构", target=10, unit="家", comparison=">="
    )
    IndicatorValue.objects.create(
        report=MonthlyReport.objects.get(task=t1, month=date(2030, 5, 1)),
        indicator=indicator,
        value=4,
    )
    supervisor = make_user("sup", Role.SUPERVISOR, make_department("督查处"))
    leader = make_user("boss", Role.LEADER)
    Listing.objects.create(
        task=t5,
        level=ListingLevel.CITY,
        reason="滞后",
        deadline=date(2030, 9, 30),
        is_public=True,
        listed_by=supervisor,
        listed_at=at(2030, 3, 1),
    )
    Instruction.objects.create(task=t2, leader=leader, text="抓紧办")
    Instruction.objects.create(task=t1, leader=leader, text="好", response="已落实")
    for m in range(1, 5):  # months are closed in order: January to April are, May is next
        MonthClose.objects.create(
            plan=plan,
            month=date(2030, m, 1),
            is_closed=True,
            closed_by=supervisor,
            closed_at=at(2030, m + 1, 6),
            data=month_figures(plan, date(2030, m, 1), public=True),
        )
    return {"plan": plan, "tasks": [t1, t2, t3, t4, t5], "sup": supervisor, "leader": leader}


@freeze_time(NOW)
def test_headline_numbers(plan):
    h = month_figures(plan["plan"], date(2030, 6, 1))["headline"]
    assert {
        k: h[k] for k in ["tasks", "completed", "closed", "green", "yellow", "red", "grey"]
    } == {
        "tasks": 5,
        "completed": 0,
        "closed": 1,
        "green": 1,
        "yellow": 2,
        "red": 1,
        "grey": 1,
    }
    assert h["listed"] == 1
    assert (h["reports_in"], h["reports_expected"]) == (1, 4)
    assert (h["indicators_met"], h["indicators"]) == (0, 1)


@freeze_time(NOW)
def test_breakdowns_trends_and_lists(plan):
    t1, t2, t3, t4, t5 = plan["tasks"]
    f = month_figures(plan["plan"], date(2030, 6, 1))
    projects = {r["project__number"]: r for r in f["by_project"]}
    assert (projects[1]["green"], projects[1]["red"], projects[1]["tasks"]) == (1, 1, 2)
    assert (projects[2]["yellow"], projects[2]["grey"], projects[2]["tasks"]) == (2, 1, 3)
    departments = {r["lead_department__name"]: r for r in f["by_department"]}
    assert departments["甲处"]["reports_missing"] == 1  # t2's June report
    assert departments["乙处"]["reports_missing"] == 2  # t3 and t5 (t4 is closed)
    # May: t2's report came on June 12, after the 5th
    may = month_figures(plan["plan"], date(2030, 5, 1))
    assert may["headline"]["reports_late"] == 1
    assert [p["red"] for p in f["trend"]] == [0, 0, 0, 0, 0, 1]
    assert f["trend"][4]["avg_percent"] == round((40 + 50 + 90 + 0 + 30) / 5, 1)
    assert f["trend"][5]["on_time_share"] is None  # June's reports are not due yet
    assert [(t["code"], t["days"]) for t in f["overdue"]] == [(t2.code, 10)]
    assert [t["code"] for t in f["listed"]] == [t5.code]
    assert {d["name"]: d["missing"] for d in f["missing_reports"]} == {"甲处": 1, "乙处": 2}
    assert [(i["name"], i["value"]) for i in f["indicators_below"]] == [("金融机构", "4家")]
    assert [i["text"] for i in f["instructions"]] == ["抓紧办"]


@freeze_time(NOW)
def test_dashboard_page_renders_and_drills_down(client, plan):
    client.force_login(plan["leader"])
    body = client.get("/dashboard/?month=2030-06").content.decode()
    assert 'data-figure="red">1<' in body
    project = plan["tasks"][0].project_id
    # the drill-down computes the lights as of the month shown (test_drilldown.py)
    assert f"/tasks/?year=2030&as_of=2030-06&project={project}&light=red" in body
    assert "/tasks/?year=2030&as_of=2030-06&light=red" in body
    assert 'id="trend-data"' in body and "chart.umd.min.js" in body
    assert client.get("/").url == "/dashboard/"


@freeze_time(NOW)
def test_dashboard_access_and_bad_month(client, plan):
    staff = make_user("s1", Role.STAFF, make_department("甲处"))
    client.force_login(staff)
    assert client.get("/dashboard/").status_code == 403
    client.force_login(plan["sup"])
    assert client.get("/dashboard/?month=2030-13").status_code == 400
    assert "没有 1999 年" in client.get("/dashboard/?month=1999-01").content.decode()
    assert client.get("/dashboard/").status_code == 200  # defaults to this month


@freeze_time(NOW)
def test_closed_month_is_frozen_and_reopening_needs_a_reason(client, plan):
    client.force_login(plan["sup"])
    assert client.post("/dashboard/close/", {"month": "2030-05"}).status_code == 302
    close = MonthClose.objects.get(month=date(2030, 5, 1))
    frozen = close.data["headline"]
    # later edits: t3 is closed, a report for May arrives for t5
    t3, t5 = plan["tasks"][2], plan["tasks"][4]
    t3.status = TaskStatus.CLOSED
    t3.save()
    report(t5, 5, 60)
    # closing rolled May up: the writers refresh its rows (the task's status included)
    derived.changed([t3.pk, t5.pk])
    live = month_figures(plan["plan"], date(2030, 5, 1))["headline"]
    assert live != frozen
    body = client.get("/dashboard/?month=2030-05").content.decode()
    assert "已关账" in body
    assert f'data-figure="red">{frozen["red"]}<' in body
    assert f'data-figure="reports">{frozen["reports_in"]} / {frozen["reports_expected"]}<' in body
    # reopening needs a reason, and is in the history
    assert client.post("/dashboard/reopen/", {"month": "2030-05", "reason": ""}).status_code == 400
    close.refresh_from_db()
    assert close.is_closed
    response = client.post("/dashboard/reopen/", {"month": "2030-05", "reason": "补报数据"})
    assert response.status_code == 302
    close.refresh_from_db()
    assert not close.is_closed and close.reopen_reason == "补报数据"
    assert close.history.filter(reopen_reason="补报数据").exists()
    assert "实时" in client.get("/dashboard/?month=2030-05").content.decode()


@freeze_time(NOW)
def test_the_registered_cards_show_the_month(client, plan):
    """supervision/dashboard_cards.py, found by the core: the month's reminders and 催办."""
    task = plan["tasks"][0]
    Urging.objects.create(task=task, sent_by=plan["sup"], message="请加快")
    client.force_login(plan["leader"])
    body = client.get("/dashboard/?month=2030-06").content.decode()
    assert 'data-card="supervision.reminders"' in body
    assert "人工催办：<strong>1</strong> 次" in body
    assert (
        "人工催办：<strong>0</strong> 次"
        in client.get("/dashboard/?month=2030-05").content.decode()
    )


@freeze_time(NOW)
def test_closing_a_month_twice_keeps_the_first_snapshot(client, plan):
    client.force_login(plan["sup"])
    client.post("/dashboard/close/", {"month": "2030-05"})
    close = MonthClose.objects.get(month=date(2030, 5, 1))
    assert (close.is_closed, close.closed_by, close.closed_at) == (True, plan["sup"], at_now())
    assert close.data == month_figures(plan["plan"], date(2030, 5, 1), public=True)
    first = (close.data, close.closed_at, close.history.count())
    t3 = plan["tasks"][2]
    t3.status = TaskStatus.CLOSED  # the live figures move on
    t3.save()
    assert month_figures(plan["plan"], date(2030, 5, 1), public=True) != close.data
    with freeze_time("2030-06-20 10:10:00+08:00"):  # later, within the idle timeout
        response = client.post("/dashboard/close/", {"month": "2030-05"}, follow=True)
    assert "该月份已关账" in response.content.decode()
    close.refresh_from_db()
    assert (close.data, close.closed_at, close.history.count()) == first
    with pytest.raises(ValueError, match="^该月份已关账。$"):
        close_month(plan["plan"], date(2030, 5, 1), plan["sup"])


@freeze_time(NOW)
def test_month_close_and_reopen_refusals_change_nothing(client, plan):
    client.force_login(plan["sup"])
    # a month that has not begun cannot be closed
    response = client.post("/dashboard/close/", {"month": "2030-08"}, follow=True)
    assert "只能关账已经开始的月份" in response.content.decode()
    assert not MonthClose.objects.filter(month__gte=date(2030, 5, 1)).exists()
    # nothing to reopen: 404, and a garbage month is 404 too
    assert client.post("/dashboard/reopen/", {"month": "2030-05", "reason": "x"}).status_code == 404
    assert client.post("/dashboard/reopen/", {"month": "garbage", "reason": "x"}).status_code == 404
    assert client.post("/dashboard/close/", {"month": "2099-01"}).status_code == 404
    assert not MonthClose.objects.filter(month__gte=date(2030, 5, 1)).exists()
    # a month reopened already cannot be reopened again: the first reason stays
    client.post("/dashboard/close/", {"month": "2030-05"})
    client.post("/dashboard/reopen/", {"month": "2030-05", "reason": "补报数据"})
    close = MonthClose.objects.get(month=date(2030, 5, 1))
    assert (close.is_closed, close.reopened_by, close.reopened_at) == (False, plan["sup"], at_now())
    before = (close.is_closed, close.reopen_reason, close.reopened_at, close.history.count())
    with freeze_time("2030-06-20 10:10:00+08:00"):  # later, within the idle timeout
        response = client.post(
            "/dashboard/reopen/", {"month": "2030-05", "reason": "再次重开"}, follow=True
        )
    assert "该月份未关账" in response.content.decode()
    close.refresh_from_db()
    assert (close.is_closed, close.reopen_reason, close.reopened_at) == before[:3]
    assert close.history.count() == before[3]
    with pytest.raises(ValueError, match="^该月份未关账。$"):
        reopen_month(close, plan["sup"], "再次重开")


@freeze_time(NOW)
def test_live_figures_are_cached_until_the_data_changes(
    client, plan, queries, django_assert_max_num_queries
):
    client.force_login(plan["leader"])
    url = "/dashboard/?month=2030-06"
    first = queries(client, url)
    with django_assert_max_num_queries(first - 6):  # served from the cache
        client.get(url)
    t3 = plan["tasks"][2]
    t3.status = TaskStatus.CLOSED
    t3.save()  # makes the cached figures stale
    body = client.get(url).content.decode()
    assert 'data-figure="done">0 / 2<' in body


@freeze_time(NOW)
def test_only_supervisors_close_months(client, plan):
    client.force_login(plan["leader"])
    assert client.post("/dashboard/close/", {"month": "2030-05"}).status_code == 403
    assert not MonthClose.objects.filter(month__gte=date(2030, 5, 1)).exists()


@freeze_time(NOW)
def test_public_page_shows_nothing_internal(client, plan):
    t5 = plan["tasks"][4]
    t5_may = report(  # only approved reports are published (test_report_rules.py)
        t5,
        5,
        35,
        problems="内部问题：某某科长未落实",
        submitted_by=plan["sup"],
        status=ReportStatus.APPROVED,
    )
    client.force_login(plan["sup"])
    client.post("/dashboard/close/", {"month": "2030-05"})
    client.logout()
    response = client.get("/public/2030-05/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "任务5" in body and "5月进展" in body and "35%" in body
    assert "任务1" not in body  # not public
    assert "内部问题" not in body  # 存在问题 not marked publishable
    assert str(plan["sup"]) not in body and "sup" not in body
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert client.get("/public/").status_code == 200
    assert client.get("/public/2030-06/").status_code == 404  # not closed
    t5_may.problems_public = True
    t5_may.save()
    client.force_login(plan["sup"])
    client.post("/dashboard/reopen/", {"month": "2030-05", "reason": "公开问题"})
    client.post("/dashboard/close/", {"month": "2030-05"})
    client.logout()
    assert "内部问题" in client.get("/public/2030-05/").content.decode()


@pytest.fixture
def queries(django_assert_max_num_queries):
    """The queries of GET `url` computed afresh (the cache emptied first), at most 23 (16,
    one for each of the emergency and foodsafety cards, two for the services card, one for
    the 督办函与约谈 card of issue 12, one for the month roll-ups' markers of issue 17: live
    months; a month read from its roll-ups takes two fewer; one for the applications waiting
    for the user, 待您审批)."""

    def count(client, url):
        cache.clear()  # measure the computation, not the cache
        return count_queries(django_assert_max_num_queries, client, url, at_most=23)

    return count


@freeze_time(NOW)
def test_dashboard_and_public_query_counts_do_not_grow(client, plan, queries):
    client.force_login(plan["leader"])
    small = queries(client, "/dashboard/?month=2030-06")
    client.force_login(plan["sup"])
    client.post("/dashboard/close/", {"month": "2030-05"})
    client.logout()
    public_small = queries(client, "/public/2030-05/")  # latest closes, the month's close
    project = plan["tasks"][0].project
    department = plan["tasks"][0].lead_department
    for n in range(10, 70):
        task = Task.objects.create(
            project=project,
            number=n,
            title=f"任务{n}",
            text="x",
            lead_department=department,
            start_date=date(2030, 1, 1),
            due_date=date(2030, 6, 1 + n % 20),
            is_public=True,
        )
        for m in range(1, 6):
            report(task, m, 10 * m)
    client.force_login(plan["leader"])
    # session, user + groups, unread count, plans, month closes, headline and trends,
    # indicators, by project, by department, report trends, overdue, listed, 批示; the
    # registered cards (supervision/dashboard_cards.py: reminders by kind, 催办, the ladder
    # of issue 12; one each for emergency/ and foodsafety/, two for services/), the month
    # roll-ups' markers (issue 17)
    assert queries(client, "/dashboard/?month=2030-06") == small <= 23
    MonthClose.objects.filter(month__gte=date(2030, 5, 1)).update(is_closed=False)
    client.force_login(plan["sup"])
    client.post("/dashboard/close/", {"month": "2030-05"})
    client.logout()
    assert queries(client, "/public/2030-05/") == public_small


@freeze_time(NOW)
def test_a_month_closes_only_after_the_month_before(client, plan):
    """Issue 11: months close in order, and closing (like lifting a listing) asks first."""
    MonthClose.objects.filter(month=date(2030, 4, 1)).update(is_closed=False)
    client.force_login(plan["sup"])
    response = client.post("/dashboard/close/", {"month": "2030-05"}, follow=True)
    assert "请先关账2030年4月" in response.content.decode()
    assert not MonthClose.objects.filter(month=date(2030, 5, 1)).exists()
    with pytest.raises(ValueError, match="请先关账2030年5月"):
        close_month(plan["plan"], date(2030, 6, 1), plan["sup"])
    client.post("/dashboard/close/", {"month": "2030-04"})
    body = client.post("/dashboard/close/", {"month": "2030-05"}, follow=True).content.decode()
    assert '2030年5月已关账，数据已冻结并向社会公开：<a href="/public/2030-05/">' in body
    assert 'id="nav-public"' in body  # /public/ is in the navigation
    closed = MonthClose.objects.filter(is_closed=True).values_list("month", flat=True)
    assert sorted(closed) == [date(2030, m, 1) for m in range(1, 6)]
    # the first month closed may be any (an office that starts using the app in June does
    # not close January to May first); January has no month before it anyway
    MonthClose.objects.all().delete()
    assert close_month(plan["plan"], date(2030, 6, 1), plan["sup"]).is_closed
    assert close_month(plan["plan"], date(2030, 1, 1), plan["sup"]).is_closed

    body = client.get("/dashboard/?month=2030-02").content.decode()
    assert 'id="close-month" data-confirm="确认关账2030年2月' in body
    listed = plan["tasks"][4]
    body = client.get(f"/tasks/{listed.pk}/listing/").content.decode()
    assert 'data-confirm="确认摘牌' in body
