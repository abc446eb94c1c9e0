"""Issue 17, the month roll-ups (supervision/rollups.py): the stored rows equal a fresh
computation after each kind of report change, a month closed or reopened, and the daily job;
the dashboard, the trend, /public/ and the ladder's month lights show the same figures from
the rows as live; and a dashboard read from the rows takes the same queries at two sizes.
Runs on SQLite and, with DATABASE_URL set, on PostgreSQL."""

import os
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.roles import Role
from supervision import derived, ladder, rollups
from supervision.choices import ListingLevel, MilestoneStatus, ReportStatus, TaskStatus
from supervision.dashboard import (
    close_month,
    month_figures,
    public_items,
    reopen_month,
    year_trend,
)
from supervision.models import (
    Listing,
    Milestone,
    MonthlyReport,
    MonthRollup,
    Plan,
    Task,
    TaskMonth,
)
from supervision.reporting import approve_report, report_for, return_report, save_report
from tests.helpers import (
    count_queries,
    make_department,
    make_month_office,
    make_task,
    make_user,
)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2030, 7, 10, 10, tzinfo=TZ)  # July runs; June's reports were due on the 5th
JUNE, JULY = date(2030, 6, 1), date(2030, 7, 1)
COLUMNS = ["task_id", *rollups.STORED]


def _key(row):
    return tuple(getattr(row, name) for name in COLUMNS)


def stored(month):
    return sorted(_key(row) for row in TaskMonth.objects.filter(month=month))


def fresh(month, today):
    tasks = Task.objects.filter(year=month.year)
    return sorted(
        _key(rollups._row(month, values)) for values in rollups._computed(month, tasks, today)
    )


def assert_fresh(months=None):
    today = timezone.localdate()
    months = months or rollups.plan_months(today)
    assert rollups.current_months(months, today) == set(months)
    for month in months:
        assert stored(month) == fresh(month, today), month


def submit(task, month, percent, user, **data):
    report = report_for(task, month)
    fields = {"progress": f"{month.month}月进展", "percent": percent, **data}
    return save_report(report, user=user, data=fields, version=report.version, submit=True)


@freeze_time(NOW)
def test_rows_equal_a_fresh_computation_after_every_kind_of_change():
    office = make_month_office()
    t1, t2, t3, t4 = office["tasks"]
    staff_b = make_user("staff_b", Role.STAFF, office["b"])
    assert rollups.current_months([JUNE]) == set()  # nothing built: the pages compute live
    assert rollups.rebuild() == [date(2030, m, 1) for m in range(1, 8)]
    assert TaskMonth.objects.filter(month=JUNE).count() == 4
    assert_fresh()

    # a draft moves no figure; submitting one (late: after July 5) does, June and July
    report = report_for(t4, JUNE)
    save_report(report, user=staff_b, data={"progress": "草稿", "percent": 30}, version=0)
    assert_fresh()
    june = submit(t4, JUNE, 30, staff_b)
    row = TaskMonth.objects.get(task=t4, month=JUNE)
    assert (row.reported, row.reported_late, row.percent) == (True, True, 30)
    assert TaskMonth.objects.get(task=t4, month=JULY).percent == 30  # carried forward
    assert_fresh()

    # approved: still reported
    approve_report(june, user=office["head_b"])
    assert TaskMonth.objects.get(task=t4, month=JUNE).reported
    assert_fresh()

    # a submit that moves the task's status (100%: completed) moves every month
    submit(t1, JULY, 100, office["staff_a"])
    assert_fresh()

    # returned: no longer counts as reported
    july = submit(t2, JULY, 50, office["staff_a"])
    assert TaskMonth.objects.get(task=t2, month=JULY).reported
    return_report(july, user=office["head_a"], reason="请补充")
    assert not TaskMonth.objects.get(task=t2, month=JULY).reported
    assert_fresh()

    # deleted (the admin)
    MonthlyReport.objects.get(task=t3, month=JUNE).delete()
    assert not TaskMonth.objects.get(task=t3, month=JUNE).reported
    assert_fresh()

    # a change made behind the services' back is caught up when the month closes / reopens
    Listing.objects.create(
        task=t1,
        level=ListingLevel.OFFICE,
        reason="滞后",
        deadline=date(2030, 6, 10),
        listed_by=office["sup"],
        listed_at=datetime(2030, 6, 1, 9, tzinfo=TZ),
    )
    assert stored(JUNE) != fresh(JUNE, timezone.localdate())  # the test can fail
    close = close_month(office["plan"], JUNE, office["sup"])
    assert_fresh([JUNE])
    MonthlyReport.objects.filter(task=t2, month=JUNE).update(status=ReportStatus.RETURNED)
    reopen_month(close, office["sup"], "更正")
    assert_fresh([JUNE])


def test_the_daily_job_rolls_the_running_month_forward():
    with freeze_time(NOW):
        office = make_month_office()
        derived.refresh_all()  # the first run builds every month
        assert_fresh()
        assert MonthRollup.objects.get(month=JULY).as_of == date(2030, 7, 10)
    with freeze_time(NOW + timedelta(days=1)):
        # a day later July's rows were judged yesterday: the pages go live until the job
        assert rollups.current_months([JUNE, JULY]) == {JUNE}
        assert derived.refresh_all()["months"] == [JULY]
        assert_fresh()
    with freeze_time(datetime(2030, 8, 1, 0, 5, tzinfo=TZ)):
        # the first of the month (the job missed the days between): July, last judged on
        # the 11th, is judged on its last day; August starts
        submit(office["tasks"][3], JULY, 20, office["staff_a"])
        assert derived.refresh_all()["months"] == [JULY, date(2030, 8, 1)]
        assert MonthRollup.objects.get(month=JULY).as_of == date(2030, 7, 31)
        assert derived.refresh_all()["months"] == []  # idempotent
        assert_fresh()


# --- "figures unchanged": the same data shown live and from the rows ------------------------


def _html(client, url):
    cache.clear()
    body = client.get(url).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


def _everything(client, plan, months, today):
    open_tasks = ladder.open_tasks()
    shown = {}
    for month in months:
        shown[month] = {
            "figures": month_figures(plan, month, today),
            "trend": year_trend(plan, [m for m in months if m <= month], today),
            "public": public_items(plan, month),
            "lights": ladder.month_lights(month, open_tasks),
            "page": _html(client, f"/dashboard/?month={month:%Y-%m}"),
        }
    shown["public page"] = _html(client, "/public/")
    shown["streaks"] = ladder.streaks(today, "yellow"), ladder.streaks(today, "red")
    return shown


def _live_then_stored(client, plan, months, today):
    TaskMonth.objects.all().delete()
    MonthRollup.objects.all().delete()
    live = _everything(client, plan, months, today)
    rollups.rebuild()
    assert rollups.current_months(months) == set(months)
    return live, _everything(client, plan, months, today)


@freeze_time("2026-11-30 10:00:00+08:00")
def test_the_demo_shows_the_same_figures_from_the_rows(client, demo):
    plan = Plan.objects.get(year=2012)
    client.force_login(make_user("rollup-leader", Role.LEADER))
    months = [date(2012, m, 1) for m in (3, 6, 9, 12)]
    live, stored_ = _live_then_stored(client, plan, months, timezone.localdate())
    assert live[date(2012, 6, 1)]["figures"]["headline"]["tasks"] > 0
    assert "data-figure" in live[date(2012, 6, 1)]["page"]
    for key in live:
        assert stored_[key] == live[key], key


@freeze_time(NOW)
def test_a_running_month_shows_the_same_figures_from_the_rows(client):
    office = make_month_office()
    close_month(office["plan"], date(2030, 5, 1), office["sup"])
    client.force_login(office["leader"])
    live, stored_ = _live_then_stored(client, office["plan"], [JUNE, JULY], NOW.date())
    assert live[JULY]["figures"]["headline"]["red"] > 0
    for key in live:
        assert stored_[key] == live[key], key


@freeze_time(NOW)
def test_the_dashboard_read_from_the_rows_takes_the_same_queries_at_two_sizes(
    client, django_assert_max_num_queries
):
    office = make_month_office()
    client.force_login(office["leader"])
    url = "/dashboard/?month=2030-06"

    def count():
        rollups.rebuild()
        cache.clear()
        return count_queries(django_assert_max_num_queries, client, url, at_most=22)

    small = count()
    for n in range(10, 40):
        task = make_task(n, lead_department=office["b"], start_date=date(2030, 2, 1))
        MonthlyReport.objects.create(
            task=task, month=JUNE, percent=n, status=ReportStatus.SUBMITTED, submitted_at=NOW
        )
    assert count() == small
    TaskMonth.objects.all().delete()
    MonthRollup.objects.all().delete()
    cache.clear()
    live = count_queries(django_assert_max_num_queries, client, url, at_most=22)
    assert small == live - 2  # the trend's three live queries are one over the rows


# --- stored == fresh over random tasks and days (Hypothesis; ROLLUP_EXAMPLES, default 15) ---

report_st = st.tuples(
    st.integers(0, 100),  # percent
    st.sampled_from(list(ReportStatus)),
    st.integers(1, 12),  # submitted on that day of the next month
)
task_st = st.fixed_dictionaries(
    {
        "start": st.one_of(st.none(), st.integers(1, 9)),  # start month
        "days": st.integers(0, 330),  # due date: days after the start
        "status": st.sampled_from(list(TaskStatus)),
        "reports": st.dictionaries(st.integers(1, 12), report_st, max_size=6),
        "listing": st.one_of(st.none(), st.tuples(st.integers(1, 300), st.integers(-30, 90))),
        "milestone": st.one_of(st.none(), st.tuples(st.integers(1, 330), st.booleans())),
    }
)


class Rollback(Exception):
    pass


def _build(specs, sup):
    department = make_department("随机处")
    for number, spec in enumerate(specs, start=1):
        start = date(2030, spec["start"], 1) if spec["start"] else None
        task = make_task(
            number,
            lead_department=department,
            start_date=start,
            due_date=(start or date(2030, 1, 1)) + timedelta(days=spec["days"]),
            status=spec["status"],
        )
        for month, (percent, status, day) in spec["reports"].items():
            submitted = datetime(2030 + month // 12, month % 12 + 1, day, 9, tzinfo=TZ)
            MonthlyReport.objects.create(
                task=task,
                month=date(2030, month, 1),
                percent=percent,
                status=status,
                submitted_at=None if status == ReportStatus.DRAFT else submitted,
            )
        if spec["listing"]:
            listed, deadline = spec["listing"]
            listed_at = datetime(2030, 1, 1, 9, tzinfo=TZ) + timedelta(days=listed)
            Listing.objects.create(
                task=task,
                level=ListingLevel.OFFICE,
                reason="随机",
                deadline=listed_at.date() + timedelta(days=deadline),
                listed_by=sup,
                listed_at=listed_at,
            )
        if spec["milestone"]:
            due, done = spec["milestone"]
            due_date = date(2030, 1, 1) + timedelta(days=due)
            Milestone.objects.create(
                task=task,
                title="节点",
                due_date=due_date,
                completed_on=due_date if done else None,
                status=MilestoneStatus.APPROVED,
            )


@settings(
    max_examples=int(os.environ.get("ROLLUP_EXAMPLES", 15)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(task_st, min_size=1, max_size=6), day=st.integers(31, 364))
def test_stored_equals_fresh_over_random_tasks_and_days(specs, day):
    today = date(2030, 1, 1) + timedelta(days=day)
    try:
        with (
            transaction.atomic(),
            freeze_time(datetime(2030, 1, 1, 10, tzinfo=TZ) + timedelta(days=day)),
        ):
            sup = make_user("rollup-sup", Role.SUPERVISOR)
            _build(specs, sup)
            plan = Plan.objects.get(year=2030)
            months = [date(2030, m, 1) for m in range(1, today.month + 1)]
            live = [month_figures(plan, m) for m in months[-2:]]
            rollups.rebuild()
            assert_fresh(months)
            assert [month_figures(plan, m) for m in months[-2:]] == live
            raise Rollback
    except Rollback:
        pass
