"""Month roll-ups (issue 17): one TaskMonth row per task and month of its plan's year, holding
what the dashboard's live query works out for the task as of that month (dashboard.py
`task_figures`: percent reported by then, 序时进度, the light, listed, the month's report due /
in / late / on time, red in the trend), so that the dashboard, the trend, the year compare
and the ladder's month lights sum rows instead of running the light rule and its subqueries
over every task. (/public/ stays live: it promises that a report returned after the month
closed is withdrawn at once, and it costs a few subqueries over the public items only.)

The rows are computed by the same query as the live path (`task_figures`, which calls
`lights.with_lights`: the light rule stays one function), so stored and live agree by
construction; `tests/supervision/test_rollups.py` checks it after every kind of change.

Freshness: a month is read from its rows only while its MonthRollup marker is current, i.e.
judged on the day the live path would judge it (`dashboard.as_of`: the month's last day, or
today while it runs). Otherwise pages compute live, exactly as before. Writers keep the rows
of built months current inside their transaction (`refresh_months`, through
supervision/derived.py); the daily job (`refresh_all`) rolls the running month forward a day
and builds any month not built yet; `rebuild` recomputes everything.
"""

from django.db import transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, When
from django.utils import timezone

from . import dashboard
from .lights import REPORTED
from .models import MonthlyReport, MonthRollup, Plan, Task, TaskMonth
from .monthrows import _current, current_months, month_groups, month_lights, trend_counts

__all__ = ["current_months", "month_groups", "month_lights", "trend_counts"]  # (read here too)

BATCH = 2000
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
]


def _computed(month, tasks, today):
    """`tasks` (of `month`'s year) with their TaskMonth values for `month` (one query)."""
    day = dashboard.as_of(month, today)
    reports = MonthlyReport.objects.filter(task=OuterRef("pk"), status__in=REPORTED, month=month)
    on_time = reports.filter(submitted_at__lte=dashboard.report_deadline(month))
    listing_late = dashboard.listed_at(day).filter(deadline__lt=day)
    rows = dashboard.task_figures(None, month, today, tasks=tasks).annotate(
        on_time=Exists(on_time),
        red_then=Case(
            When(dashboard._overdue(day) | Q(Exists(listing_late)), then=True),
            default=False,
            output_field=BooleanField(),
        ),
    )
    return rows.order_by().values_list(
        "pk",
        "pct",
        "expected",
        "light",
        "listed_then",
        "report_due",
        "report_in",
        "report_late",
        "on_time",
        "red_then",
    )


def _row(month, values):
    pk, pct, expected, light, listed, due, in_, late, on_time, red = values
    return TaskMonth(
        task_id=pk,
        month=month,
        percent=pct,
        expected=expected,
        light=light,
        listed=listed,
        report_due=bool(due),
        reported=in_,
        reported_late=in_ and late,
        reported_on_time=on_time,
        red=red,
    )


def forget():
    """No month's rows are current any more (a bulk load follows): the readers go live until
    the next `rebuild` or daily job."""
    MonthRollup.objects.all().delete()


def refresh_months(task_ids, months=(), today=None):
    """Recompute the rows of `task_ids` for `months` (default: every month of their year),
    where a month's rows are built and current; months read live are left alone. Called
    inside the writer's transaction; costs a query for the markers and two per built month."""
    today = today or timezone.localdate()
    task_ids = sorted({pk for pk in task_ids if pk is not None})
    if not task_ids:
        return
    if months:
        markers = MonthRollup.objects.filter(month__in=[m for m in months if m <= today])
    else:  # every built month of the tasks' years
        years = Task.objects.filter(pk__in=task_ids).values("year")
        markers = MonthRollup.objects.filter(month__year__in=years)
    for month in sorted(_current(markers, today)):
        tasks = Task.objects.filter(pk__in=task_ids, year=month.year)
        rows = [_row(month, values) for values in _computed(month, tasks, today)]
        _upsert(rows)
        if len(rows) < len(task_ids):  # a task moved to another year: no row this month
            found = [row.task_id for row in rows]
            TaskMonth.objects.filter(task_id__in=task_ids, month=month).exclude(
                task_id__in=found
            ).delete()


@transaction.atomic
def roll_month(month, today=None):
    """Build every row of `month` afresh and mark it current (the daily job, the rebuild, a
    month closed or reopened). Rows are upserted, so that two runs at once (two requests
    closing the month) end in the same rows instead of a duplicate key."""
    today = today or timezone.localdate()
    # in the tasks' order: two runs at once lock the rows in the same order (no deadlock)
    rows = _computed(month, Task.objects.filter(year=month.year), today).order_by("pk")
    batch = []
    for values in rows.iterator(chunk_size=BATCH):
        batch.append(_row(month, values))
        if len(batch) >= BATCH:
            _upsert(batch)
            batch = []
    _upsert(batch)
    # rows of tasks that moved to another year (deleted tasks take theirs with them)
    TaskMonth.objects.filter(month=month).exclude(task__year=month.year).delete()
    MonthRollup.objects.update_or_create(
        month=month,
        defaults={"as_of": dashboard.as_of(month, today), "built_at": timezone.now()},
    )


def _upsert(rows):
    if rows:
        TaskMonth.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["task", "month"], update_fields=STORED
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
