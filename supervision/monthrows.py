"""The readers of the month roll-ups (supervision/rollups.py writes them): which months'
rows are current, and the dashboard's groups, trend counts and the ladder's month lights
summed from them. Models only, so that the dashboard reads them without importing their
writer."""

from django.db.models import Count, F, Q, Sum, Value
from django.utils import timezone

from core.models import Department
from core.months import as_of

from .choices import TaskStatus
from .models import MonthRollup, Project, TaskMonth


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
    `dashboard._group_counts`' aggregates and the indicators counted, summed from the
    month's rows, which carry the task's project, department, source and status: a plain
    GROUP BY of ids (grouping by the names too sorted every row on disk at 50,000 tasks),
    then the projects' and departments' names: two queries."""
    groups = list(
        TaskMonth.objects.filter(month=month)
        .values("project_id", "lead_department_id", "source", "light")
        .annotate(
            tasks=Count("pk"),
            completed=Count("pk", filter=Q(status=TaskStatus.COMPLETED)),
            closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)),
            listed=Count("pk", filter=Q(listed=True)),
            reports_expected=Count("pk", filter=Q(report_due=True)),
            reports_in=Count("pk", filter=Q(report_due=True, reported=True)),
            reports_late=Count("pk", filter=Q(report_due=True, reported_late=True)),
            pct_sum=Sum("percent"),
            expected_sum=Sum("expected"),
            expected_n=Count("expected"),
            indicators=Sum("indicators"),
            indicators_met=Sum("indicators_met"),
        )
        .order_by()
    )
    names = _names(groups)
    for group in groups:
        project = names.get(("p", group["project_id"]), (None, None))
        department = names.get(("d", group["lead_department_id"]), (None, None))
        group["project__number"], group["project__title"] = project
        group["lead_department__sort_order"], group["lead_department__name"] = department
    return groups


def _names(groups):
    """{("p", project id): (number, title), ("d", department id): (sort_order, name)} of the
    groups' projects and departments (one query)."""
    projects = {g["project_id"] for g in groups} - {None}
    departments = {g["lead_department_id"] for g in groups} - {None}
    rows = (
        Project.objects.filter(pk__in=projects)
        .order_by()  # (no ORDER BY inside a UNION's part: SQLite refuses it)
        .annotate(_kind=Value("p"))
        .values_list("_kind", "pk", "number", "title")
        .union(
            Department.objects.filter(pk__in=departments)
            .order_by()
            .annotate(_kind=Value("d"))
            .values_list("_kind", "pk", "sort_order", "name"),
            all=True,
        )
    )
    return {(kind, pk): (number, name) for kind, pk, number, name in rows}


def unmet_tasks(month, limit):
    """The first `limit` tasks, in the list's order, with an indicator below target as of
    `month` (a subquery of ids: the dashboard lists the first indicators below target)."""
    rows = TaskMonth.objects.filter(month=month, indicators_met__lt=F("indicators"))
    return rows.order_by("task__path", "task_id").values("task_id")[:limit]


#: the trend's sums of a month's rows, as MonthRollup keeps them
TREND = {
    "tasks": Count("pk"),
    "percent_sum": Sum("percent", default=0),
    "red": Count("pk", filter=Q(red=True)),
    "due": Count("pk", filter=Q(report_due=True)),
    "on_time": Count("pk", filter=Q(reported_on_time=True)),
}


def trend_sums(rows):
    """{month: {tasks, percent_sum, red, due, on_time}} of the TaskMonth `rows` (one query)."""
    rows = rows.values("month").annotate(**TREND).order_by()
    return {row.pop("month"): row for row in rows}


def trend_counts(months):
    """{month: {tasks, percent_sum, red, due, on_time}} of the trend, kept on the months'
    markers (one query over a row a month)."""
    markers = MonthRollup.objects.filter(month__in=months).values("month", *TREND)
    return {row.pop("month"): row for row in markers}


def month_lights(month, tasks, light=None):
    """{task id: light} of those of `tasks` (a queryset) whose year is `month`'s (and whose
    light was `light`, if given), from the month's rows (one query)."""
    rows = TaskMonth.objects.filter(month=month, task__in=tasks.filter(year=month.year))
    if light is not None:
        rows = rows.filter(light=light)
    return dict(rows.values_list("task_id", "light"))
