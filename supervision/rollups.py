"""Month roll-ups (issue 17): one TaskMonth row per task and month of its plan's year, holding
what the dashboard's live query works out for the task as of that month (dashboard.py
`task_figures`: percent reported by then, 序时进度, the light, listed, the month's report due /
in / late / on time, red in the trend, its indicators and those met; and the task's
project, lead department, source and status, copied), so that the dashboard, the year
compare and the ladder's month lights sum rows with plain GROUP BYs instead of running the
light rule and its subqueries over every task. The month's marker (MonthRollup) keeps the
trend's sums, so that the trend reads a row a month. (/public/ stays live: it promises that
a report returned after the month closed is withdrawn at once, and it costs a few
subqueries over the public items only.)

The rows are computed by the same query as the live path (`task_figures`, which calls
`lights.with_lights`: the light rule stays one function), so stored and live agree by
construction; `tests/supervision/test_rollups.py` checks it after every kind of change.

Freshness: a month is read from its rows only while its MonthRollup marker is current, i.e.
judged on the day the live path would judge it (`dashboard.as_of`: the month's last day, or
today while it runs). Otherwise pages compute live, exactly as before. Writers keep the rows
of built months current inside their transaction (`refresh_months`, through
supervision/derived.py); the daily job (`refresh_all`) rolls the running month forward a day
and builds any month not built yet; `rebuild` recomputes everything.

Set-based: a month is built by one INSERT ... SELECT over its year's tasks (core/upsert.py:
no row goes through Python), and a writer's refresh of all the months of its tasks is one
INSERT ... SELECT too (a UNION ALL of the months' queries).
"""

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.upsert import alias, upsert_select

from . import dashboard
from .choices import GREY_STATUSES, Comparison
from .lights import REPORTED
from .models import Indicator, MonthlyReport, MonthRollup, Plan, Task, TaskMonth
from .monthrows import (
    TREND,
    _current,
    current_months,
    month_groups,
    month_lights,
    trend_counts,
    trend_sums,
)

__all__ = ["current_months", "month_groups", "month_lights", "trend_counts"]  # (read here too)

#: the columns computed for a row (all but the task and the month)
STORED = [
    "percent",
    "expected",
    "light",
    "listed",
    "report_due",
    "reported",
    "reported_late",
    "reported_on_time",
    "red",
    "indicators",
    "indicators_met",
    "project_id",
    "lead_department_id",
    "source",
    "status",
]
COLUMNS = ["task_id", "month", *STORED]


def _meets(value):
    """models.meets in SQL, for the indicator annotated `value` (None: nothing reported)."""
    relative = ~Q(reference="") | Q(target__isnull=True)
    margin = (Q(comparison=Comparison.LT) & Q(**{f"{value}__lt": 0})) | (
        ~Q(comparison=Comparison.LT) & Q(**{f"{value}__gt": 0})
    )
    target = (
        (Q(comparison=Comparison.GTE) & Q(**{f"{value}__gte": F("target")}))
        | (Q(comparison=Comparison.LTE) & Q(**{f"{value}__lte": F("target")}))
        | (~Q(comparison__in=[Comparison.GTE, Comparison.LTE]) & Q(**{value: F("target")}))
    )
    # (no value: every comparison is NULL, not met; an IS NOT NULL test would run the
    # value's subquery once more)
    return (relative & margin) | (~relative & target)


def _indicator_counts(month):
    """The task's indicators, and those met by the value last reported by the end of `month`
    (what the dashboard's indicator section counts): two subqueries."""
    indicators = Indicator.objects.filter(task=OuterRef("pk")).order_by().values("task")
    met = indicators.alias(value=dashboard._indicator_value(month)).filter(_meets("value"))
    return {
        "indicators": Coalesce(
            Subquery(indicators.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField()
        ),
        "indicators_met": Coalesce(
            Subquery(met.annotate(n=Count("pk")).values("n")), 0, output_field=IntegerField()
        ),
    }


def _computed(month, tasks, today):
    """`tasks` (of `month`'s year) with their TaskMonth values for `month`, the columns
    COLUMNS under their `core.upsert.alias` (one query; SQL of the column types, so that it
    feeds an INSERT ... SELECT)."""
    day = dashboard.as_of(month, today)
    reports = MonthlyReport.objects.filter(task=OuterRef("pk"), status__in=REPORTED, month=month)
    on_time = reports.filter(submitted_at__lte=dashboard.report_deadline(month))
    listing_late = dashboard.listed_at(day).filter(deadline__lt=day)

    def flag(condition):
        return Case(When(condition, then=True), default=False, output_field=BooleanField())

    columns = {
        "task_id": F("pk"),
        "month": Value(month, output_field=DateField()),
        "percent": F("pct"),
        "expected": F("expected"),
        "light": F("light"),
        "listed": F("listed_then"),
        "report_due": flag(Q(report_due=1)),
        "reported": F("report_in"),
        "reported_late": flag(Q(report_in=True, report_late=True)),
        "reported_on_time": Exists(on_time),
        "red": flag(
            dashboard._overdue(day) | (Q(Exists(listing_late)) & ~Q(status__in=GREY_STATUSES))
        ),
        **_indicator_counts(month),
        "project_id": F("project_id"),
        "lead_department_id": F("lead_department_id"),
        "source": F("source"),
        "status": F("status"),
    }
    rows = dashboard.task_figures(None, month, today, tasks=tasks).annotate(
        **{alias(name): columns[name] for name in COLUMNS}
    )
    return rows.order_by().values_list(*map(alias, COLUMNS))


def forget():
    """No month's rows are current any more (a bulk load follows): the readers go live until
    the next `rebuild` or daily job."""
    MonthRollup.objects.all().delete()


def refresh_months(task_ids, months=(), today=None):
    """Recompute the rows of `task_ids` for `months` (default: every month of their year),
    where a month's rows are built and current; months read live are left alone. Called
    inside the writer's transaction: a query for the markers, one INSERT ... SELECT for
    every month at once, a DELETE of rows left in another year (a task moved), and the
    months' trend sums moved by what changed (their sums before and after, an UPDATE)."""
    today = today or timezone.localdate()
    task_ids = sorted({pk for pk in task_ids if pk is not None})
    if not task_ids:
        return
    if months:
        markers = MonthRollup.objects.filter(month__in=[m for m in months if m <= today])
    else:  # every built month of the tasks' years, and of the years they have rows in
        years = Task.objects.filter(pk__in=task_ids).values("year")
        had = TaskMonth.objects.filter(task_id__in=task_ids).values("month")
        markers = MonthRollup.objects.filter(Q(month__year__in=years) | Q(month__in=had))
    built = sorted(_current(markers, today))
    if not built:
        return
    computed = [
        _computed(month, Task.objects.filter(pk__in=task_ids, year=month.year), today)
        for month in built
    ]
    rows = TaskMonth.objects.filter(task_id__in=task_ids, month__in=built)
    before = trend_sums(rows)
    upsert_select(TaskMonth, computed, COLUMNS, unique=["task_id", "month"])
    # a task moved to another year: no row in this one
    TaskMonth.objects.filter(task_id__in=task_ids).exclude(month__year=F("task__year")).delete()
    _add_to_trend(before, trend_sums(rows))


def _add_to_trend(before, after):
    """Add to the months' trend sums what the refresh moved (one UPDATE; none if nothing
    moved). An increment, not a recount: writers of other tasks at once add theirs."""
    moved = {}
    for month in before.keys() | after.keys():
        old, new = before.get(month, {}), after.get(month, {})
        delta = {name: new.get(name, 0) - old.get(name, 0) for name in TREND}
        if any(delta.values()):
            moved[month] = delta
    if not moved:
        return
    MonthRollup.objects.filter(month__in=moved).update(
        **{
            name: F(name)
            + Case(
                *[When(month=month, then=Value(delta[name])) for month, delta in moved.items()],
                default=Value(0),
            )
            for name in TREND
        }
    )


@transaction.atomic
def roll_month(month, today=None):
    """Build every row of `month` afresh and mark it current (the daily job, the rebuild, a
    month closed or reopened): one INSERT ... SELECT over the year's tasks. Rows are
    upserted, so that two runs at once (two requests closing the month) end in the same rows
    instead of a duplicate key."""
    today = today or timezone.localdate()
    # the month's rows deleted and inserted afresh: an INSERT is several times cheaper than
    # an upsert that updates (a new row version and index entries either way, plus the
    # failed insertion); the upsert stays for two runs at once
    TaskMonth.objects.filter(month=month)._raw_delete(TaskMonth.objects.db)
    computed = _computed(month, Task.objects.filter(year=month.year), today)
    upsert_select(TaskMonth, [computed], COLUMNS, unique=["task_id", "month"], order=True)
    sums = trend_sums(TaskMonth.objects.filter(month=month)).get(month, {})
    MonthRollup.objects.update_or_create(
        month=month,
        defaults={
            "as_of": dashboard.as_of(month, today),
            "built_at": timezone.now(),
            **{name: sums.get(name, 0) for name in TREND},
        },
    )


def plan_months(today=None):
    """Every month of every plan from January up to this month (all of a past year)."""
    today = today or timezone.localdate()
    months = []
    for plan in Plan.objects.order_by("year"):
        months += dashboard.plan_months(plan, today)
    return months


def refresh_all(today=None):
    """The daily job: build every plan month not built yet or judged on another day (the
    running month each day; the whole year on the first run). Returns the months rolled."""
    today = today or timezone.localdate()
    months = plan_months(today)
    current = current_months(months, today)
    stale = [m for m in months if m not in current]
    for month in stale:
        roll_month(month, today)
    return stale


def rebuild(today=None):
    """Recompute every month of every plan (after loading data: bench_data, load_demo)."""
    today = today or timezone.localdate()
    months = plan_months(today)
    MonthRollup.objects.exclude(month__in=months).delete()
    TaskMonth.objects.exclude(month__in=months)._raw_delete(TaskMonth.objects.db)
    for month in months:
        roll_month(month, today)
    return months
