"""The readers of the month roll-ups (supervision/rollups.py writes them): which months'
rows are current, and the dashboard's groups, trend counts and the ladder's month lights
summed from them. Models only, so that the dashboard reads them without importing their
writer."""

from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.months import as_of

from .choices import TaskStatus
from .models import MonthRollup, TaskMonth


def current_months(months, today=None):
    """The months of `months` whose rows are complete and judged as the live path would
    judge them today (one query)."""
    months = list(months)
    return _current(MonthRollup.objects.filter(month__in=months), today) if months else set()


def _current(markers, today=None):
    today = today or timezone.localdate()
    rows = markers.values_list("month", "as_of")
    return {m for m, day in rows if day == as_of(m, today)}


def month_groups(month):
    """The dashboard's (project, department, source, light) groups of `month` with
    `dashboard._group_counts`' aggregates, summed from the month's rows (one query)."""
    rows = (
        TaskMonth.objects.filter(month=month)
        .values(
            "task__project_id",
            "task__project__number",
            "task__project__title",
            "task__lead_department_id",
            "task__lead_department__name",
            "task__lead_department__sort_order",
            "task__source",
            "light",
        )
        .annotate(
            tasks=Count("pk"),
            completed=Count("pk", filter=Q(task__status=TaskStatus.COMPLETED)),
            closed=Count("pk", filter=Q(task__status=TaskStatus.CLOSED)),
            listed=Count("pk", filter=Q(listed=True)),
            reports_expected=Count("pk", filter=Q(report_due=True)),
            reports_in=Count("pk", filter=Q(report_due=True, reported=True)),
            reports_late=Count("pk", filter=Q(report_due=True, reported_late=True)),
            pct_sum=Sum("percent"),
            expected_sum=Sum("expected"),
            expected_n=Count("expected"),
        )
        .order_by()
    )
    return [{key.removeprefix("task__"): value for key, value in row.items()} for row in rows]


def trend_counts(months):
    """{month: {tasks, percent_sum, red, due, on_time}} of the trend, from the rows (one
    query)."""
    rows = (
        TaskMonth.objects.filter(month__in=months)
        .values("month")
        .annotate(
            tasks=Count("pk"),
            percent_sum=Sum("percent"),
            red=Count("pk", filter=Q(red=True)),
            due=Count("pk", filter=Q(report_due=True)),
            on_time=Count("pk", filter=Q(reported_on_time=True)),
        )
        .order_by()
    )
    return {row.pop("month"): row for row in rows}


def month_lights(month, tasks, light=None):
    """{task id: light} of those of `tasks` (a queryset) whose year is `month`'s (and whose
    light was `light`, if given), from the month's rows (one query)."""
    rows = TaskMonth.objects.filter(month=month, task__in=tasks.filter(year=month.year))
    if light is not None:
        rows = rows.filter(light=light)
    return dict(rows.values_list("task_id", "light"))
