"""Issue 17, the month roll-ups (supervision/rollups.py): the stored rows equal a fresh
computation after each kind of report change, a month closed or reopened, and the daily job;
the dashboard, the trend, /public/ and the ladder's month lights show the same figures from
the rows as live; and a dashboard read from the rows takes the same queries at two sizes.
Runs on SQLite and, with DATABASE_URL set, on PostgreSQL."""

import os
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.roles import Role
from supervision import derived, ladder, monthrows, planio, rollups
from supervision.choices import (
    Comparison,
    ListingLevel,
    MilestoneStatus,
    ReportStatus,
    TaskStatus,
)
from supervision.dashboard import (
    close_month,
    month_figures,
    public_items,
    reopen_month,
    year_trend,
)
from supervision.models import (
    Indicator,
    IndicatorValue,
    Listing,
    Milestone,
    MonthlyReport,
    MonthRollup,
    Plan,
    Project,
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
    rows = rollups._computed(month, tasks, today)
    return sorted(
        _key(TaskMonth(**dict(zip(rollups.COLUMNS, values, strict=True)))) for values in rows
    )


def assert_fresh(months=None):
    today = timezone.localdate()
    months = months or rollups.plan_months(today)
    assert rollups.current_months(months, today) == set(months)
    for month in months:
        assert stored(month) == fresh(month, today), month
    # the trend's sums kept on the markers equal a recount of the rows
    recount = rollups.trend_sums(TaskMonth.objects.filter(month__in=months))
    empty = dict.fromkeys(monthrows.TREND, 0)
    assert rollups.trend_counts(months) == {m: recount.get(m, empty) for m in months}


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


@freeze_time(NOW)
def test_one_pass_refreshes_every_month_of_a_task(django_assert_num_queries):
    """A write that moves every month of a task (its status, its dates) refreshes them all in
    one INSERT ... SELECT, whatever the number of months built."""
    office = make_month_office()
    t1 = office["tasks"][0]
    rollups.rebuild()
    Task.objects.filter(pk=t1.pk).update(status=TaskStatus.CLOSED)  # behind the services
    assert stored(JUNE) != fresh(JUNE, timezone.localdate())  # the test can fail
    # the markers, the trend sums before, the upsert, the DELETE of rows left in another
    # year, the sums after, the UPDATE of the months' trend sums
    with django_assert_num_queries(6):
        rollups.refresh_months([t1.pk])
    assert_fresh()
    assert set(TaskMonth.objects.filter(task=t1).values_list("status", flat=True)) == {
        TaskStatus.CLOSED  # (no report due any more: the trend's sums moved too)
    }


@freeze_time(NOW)
def test_a_task_moved_to_another_project_department_or_year_moves_its_rows(client):
    """The rows carry the task's project, department, source and status for the dashboard's
    GROUP BY: a move by the plan's corrections, or by the admin (save, then derived.changed,
    as DerivedAdmin does), refreshes every month; the dashboard still equals live."""
    office = make_month_office()
    t1, t2 = office["tasks"][:2]
    Indicator.objects.create(task=t2, number=1, name="机构", target=Decimal(5), unit="家")
    rollups.rebuild()
    Task.objects.filter(pk=t1.pk).update(code="9.9")  # (corrections find tasks by code)
    planio.apply_corrections(office["plan"], {"9.9": {"lead_department_id": office["b"].pk}})
    assert set(TaskMonth.objects.filter(task=t1).values_list("lead_department", flat=True)) == {
        office["b"].pk
    }
    other = Project.objects.create(plan=office["plan"], number=2, title="第二工程")
    with transaction.atomic():
        t2.project = other
        t2.save()
        derived.changed([t2.pk])
    assert set(TaskMonth.objects.filter(task=t2).values_list("project", flat=True)) == {other.pk}
    assert_fresh()
    stored_ = month_figures(office["plan"], JUNE)
    assert stored_["headline"]["indicators"] == 1
    assert [row["project_id"] for row in stored_["by_project"]] == [t1.project_id, other.pk]
    MonthRollup.objects.all().delete()
    assert month_figures(office["plan"], JUNE) == stored_
    # a task moved to another year leaves no row in this one
    rollups.rebuild()
    Task.objects.filter(pk=t2.pk).update(year=2031)
    derived.changed([t2.pk])
    assert not TaskMonth.objects.filter(task=t2).exists()


@freeze_time(NOW)
def test_the_indicators_below_target_from_the_rows():
    """The dashboard's indicator counts and its list below target, summed from the rows,
    equal the live ones: every comparison, relative ones, nothing reported, and more tasks
    below target than the list shows."""
    office = make_month_office()
    t1, t2, t3, t4 = office["tasks"]
    june = {t.pk: MonthlyReport.objects.get(task=t, month=JUNE) for t in (t1, t2, t3)}
    specs = [
        (t1, Comparison.GTE, 10, "", 12),  # met
        (t1, Comparison.LTE, 10, "", 12),  # not met
        (t2, Comparison.EQ, 3, "", 3),  # met
        (t2, Comparison.GT, None, "平均增速", -1),  # a margin below: not met
        (t3, Comparison.LT, None, "平均增速", -2),  # met
        (t4, Comparison.GTE, 1, "", None),  # nothing reported: not met
    ]
    for number, (task, comparison, target, reference, value) in enumerate(specs, start=1):
        indicator = Indicator.objects.create(
            task=task,
            number=number,
            name=f"指标{number}",
            comparison=comparison,
            target=None if target is None else Decimal(target),
            reference=reference,
        )
        if value is not None:
            IndicatorValue.objects.create(
                report=june[task.pk], indicator=indicator, value=Decimal(value)
            )
    for n in range(10, 40):  # more tasks below target than the list's 20
        task = make_task(n, lead_department=office["b"])
        Indicator.objects.create(task=task, number=1, name="目标", target=Decimal(1))
    plan = office["plan"]
    live = month_figures(plan, JUNE)
    rollups.rebuild()
    assert month_figures(plan, JUNE) == live
    assert (live["headline"]["indicators"], live["headline"]["indicators_met"]) == (36, 3)
    assert len(live["indicators_below"]) == 20
    assert TaskMonth.objects.get(task=t1, month=JUNE).indicators_met == 1


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

    def count():  # (at most 23: test_dashboard.py's `queries` says which)
        rollups.rebuild()
        cache.clear()
        return count_queries(django_assert_max_num_queries, client, url, at_most=23)

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
    live = count_queries(django_assert_max_num_queries, client, url, at_most=23)
    # the trend's three live queries are one over the markers; the groups' names, one more
    assert small == live - 1


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
        # an indicator: comparison, target (None: relative), named reference, values by
        # month (kept where that month has a report)
        "indicator": st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(list(Comparison)),
                st.one_of(st.none(), st.integers(0, 20)),
                st.booleans(),
                st.dictionaries(st.integers(1, 12), st.integers(-5, 25), max_size=4),
            ),
        ),
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
        if spec["indicator"]:
            comparison, target, relative, values = spec["indicator"]
            indicator = Indicator.objects.create(
                task=task,
                number=1,
                name="指标",
                comparison=comparison,
                target=None if target is None else Decimal(target),
                reference="平均增速" if relative else "",
            )
            for report in MonthlyReport.objects.filter(task=task):
                if report.month.month in values:
                    value = Decimal(values[report.month.month]) / 2  # (halves: 2 places)
                    IndicatorValue.objects.create(report=report, indicator=indicator, value=value)
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
