"""The leaders' monthly dashboard: every figure of a month of a plan, computed in the database.

`month_figures(plan, month)` returns a JSON-able dict: the headline numbers, the breakdowns by
project and by lead department, the month-by-month trends, and the lists. An open month is
computed live as of its last day (or today, for the current month); closing a month stores
the same dict in MonthClose.data, and a closed month is read from there, so later edits
cannot rewrite what the leaders were shown. A fixed number of queries whatever the data size.
"""

import calendar
import copy
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Lead, Least
from django.utils import timezone

from .choices import Light, ReportStatus, Source, TaskStatus
from .lights import DONE, EPOCH, REPORTED, DayNumber, with_lights
from .models import (
    Indicator,
    IndicatorValue,
    Instruction,
    Listing,
    MonthClose,
    MonthlyReport,
    Task,
)
from .reporting import report_due_date

LIST_LIMIT = 20


def month_end(month):
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def as_of(month, today=None):
    """The day a month is judged on: its last day, or today while it runs."""
    today = today or timezone.localdate()
    return min(today, month_end(month))


def _end_of_day(day):
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(settings.TIME_ZONE))


def report_deadline(month):
    """The moment the report of `month` is late after (the REPORT_DUE_DAY of next month)."""
    return _end_of_day(report_due_date(month))


def _listed_at(day):
    end = _end_of_day(day)
    return Listing.objects.filter(task=OuterRef("pk"), listed_at__lte=end).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=end)
    )


def _percent_as_of(month):
    """The percent done last reported by the end of `month` (0 before any report)."""
    return Coalesce(
        Subquery(
            MonthlyReport.objects.filter(task=OuterRef("pk"), status__in=REPORTED, month__lte=month)
            .order_by("-month")
            .values("percent")[:1]
        ),
        Value(0),
    )


def task_figures(plan, month, today=None):
    """The plan's tasks annotated as of `month`: percent reported by then, expected percent
    (序时进度), light, listed, whether the month's report is due / in / late."""
    day = as_of(month, today)
    end = month_end(month)
    reports = MonthlyReport.objects.filter(task=OuterRef("pk"), status__in=REPORTED)
    percent = _percent_as_of(month)
    elapsed = Value((day - EPOCH).days) - DayNumber("start_date")
    duration = DayNumber("due_date") - DayNumber("start_date")
    expected = Case(
        When(
            Q(start_date__isnull=False, due_date__gt=F("start_date")),
            then=Least(
                Greatest(
                    Cast(elapsed * 100, FloatField()) / Cast(duration, FloatField()),
                    Value(0.0),
                ),
                Value(100.0),
            ),
        ),
        default=Value(None),
        output_field=FloatField(),
    )
    tasks = Task.objects.filter(year=plan.year).annotate(
        pct=percent,
        expected=expected,
        listed_then=Exists(_listed_at(day)),
        report_due=Case(
            When(
                ~Q(status=TaskStatus.CLOSED)
                & (Q(start_date__isnull=True) | Q(start_date__lte=end)),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
        report_in=Exists(reports.filter(month=month)),
        report_late=Exists(reports.filter(month=month, submitted_at__gt=report_deadline(month))),
    )
    return with_lights(tasks, day, percent=F("pct"))


SUMMED = [
    "tasks",
    "completed",
    "closed",
    "listed",
    "reports_expected",
    "reports_in",
    "reports_late",
    "pct_sum",
    "expected_sum",
    "expected_n",
]


_EMPTY = {name: 0 for name in SUMMED} | {"light": Light.GREEN}


def _group_counts():
    """The aggregates of one (project, department, light) group."""
    return {
        "tasks": Count("pk"),
        "completed": Count("pk", filter=Q(status=TaskStatus.COMPLETED)),
        "closed": Count("pk", filter=Q(status=TaskStatus.CLOSED)),
        "listed": Count("pk", filter=Q(listed_then=True)),
        "reports_expected": Count("pk", filter=Q(report_due=1)),
        "reports_in": Count("pk", filter=Q(report_due=1, report_in=True)),
        "reports_late": Count("pk", filter=Q(report_due=1, report_late=True)),
        "pct_sum": Sum("pct"),
        "expected_sum": Sum("expected"),
        "expected_n": Count("expected"),
    }


def _fold(groups, key):
    """Sum the groups by `key(group)`: {key: row with counts, light counts and averages}."""
    rows = {}
    for group in groups:
        k = key(group)
        row = rows.get(k)
        if row is None:
            row = rows[k] = {name: 0 for name in SUMMED} | {light: 0 for light in Light.values}
            if k is not None:
                row.update(
                    project_id=group["project_id"],
                    project__number=group["project__number"],
                    project__title=group["project__title"],
                    lead_department_id=group["lead_department_id"],
                    lead_department__name=group["lead_department__name"],
                    sort_order=group["lead_department__sort_order"] or 0,
                    source=group["source"],
                )
        for name in SUMMED:
            row[name] += group[name] or 0
        row[group["light"]] += group["tasks"]
    for row in rows.values():
        row["avg_percent"] = round(row.pop("pct_sum") / row["tasks"], 1) if row["tasks"] else 0
        expected_n = row.pop("expected_n")
        expected_sum = row.pop("expected_sum")
        row["avg_expected"] = round(expected_sum / expected_n, 1) if expected_n else 0
        row["reports_missing"] = row["reports_expected"] - row["reports_in"]
    return rows


def _overdue(day):
    return ~Q(status__in=DONE) & Q(due_date__lt=day)


def _listing_late_not_overdue(day):
    """Listings active on `day` whose deadline had passed, of tasks not overdue that day."""
    end = _end_of_day(day)
    active = Q(listed_at__lte=end) & (Q(lifted_at__isnull=True) | Q(lifted_at__gt=end))
    overdue = ~Q(task__status__in=DONE) & Q(task__due_date__lt=day)
    return active & Q(deadline__lt=day) & ~overdue


def _indicator_value(month):
    return Subquery(
        IndicatorValue.objects.filter(
            indicator=OuterRef("pk"), report__month__lte=month, report__status__in=REPORTED
        )
        .order_by("-report__month")
        .values("value")[:1]
    )


INDICATOR_FIELDS = [
    "task_id",
    "number",
    "name",
    "target",
    "unit",
    "comparison",
    "reference",
    "task__code",
    "task__title",
    "task__path",
]


def _report_stats(plan, months):
    """For each of `months` (January to the month shown), in one pass over the plan's
    reports: `sum_M`, the sum over the tasks of the percent last reported by the end of
    month M (a report counts from its month until the task's next report; per month and
    task subqueries cost up to a second at 5,000 tasks), and `ontime_M`, the reports of
    month M submitted by their deadline."""
    reports = (
        MonthlyReport.objects.filter(
            task__year=plan.year, status__in=REPORTED, month__lte=months[-1]
        )
        .order_by()  # not the model's ordering, which joins the plan and sorts every report
        .values("month", "percent", "submitted_at")  # the window's rows: these columns only
        .annotate(
            next_month=Window(Lead("month"), partition_by=[F("task_id")], order_by=F("month").asc())
        )
    )
    counts = {}
    for m in months:
        counts[f"sum_{m.month}"] = Sum(
            "percent",
            filter=Q(month__lte=m) & (Q(next_month__isnull=True) | Q(next_month__gt=m)),
            default=0,
        )
        counts[f"ontime_{m.month}"] = Count(
            "pk", filter=Q(month=m, submitted_at__lte=report_deadline(m))
        )
    return reports.aggregate(**counts)


def _average(total, count):
    """The average percent as the database's AVG gave it (0 with no tasks), to 0.1."""
    return round(total / count, 1) if count else 0


def _indicator_shown(indicator):
    """The value as the dashboard shows it; a relative one as its margin over the reference."""
    if indicator.value is None:
        return None
    if indicator.is_relative:
        return f"较{indicator.reference} {indicator.value.normalize():+f}"
    return f"{indicator.value.normalize():f}{indicator.unit}"


def month_figures(plan, month, today=None, public=False):
    """Everything the dashboard shows for `month` of `plan` (JSON-able)."""
    day = as_of(month, today)
    months = [date(plan.year, m, 1) for m in range(1, month.month + 1)]
    tasks = task_figures(plan, month, today)

    # 1 query: every count, grouped by project, lead department and light, so that each
    # task's light is worked out once; the headline and both breakdowns are sums of it.
    groups = list(
        tasks.values(
            "project_id",
            "project__number",
            "project__title",
            "lead_department_id",
            "lead_department__name",
            "lead_department__sort_order",
            "source",
            "light",
        )
        .annotate(**_group_counts())
        .order_by()
    )
    headline = _fold(groups, lambda g: None).get(None) or _fold([_EMPTY], lambda g: None)[None]
    plan_groups = [g for g in groups if g["project_id"] is not None]
    by_project = list(
        _fold(
            plan_groups, lambda g: (g["project__number"], g["project_id"], g["project__title"])
        ).values()
    )
    by_project.sort(key=lambda r: r["project__number"])
    # the 督办事项 by source (年度工作计划, 领导批示, 会议议定, …), in the choices' order
    sources = _fold(groups, lambda g: g["source"])
    by_source = [
        {**sources[value], "source_label": label}
        for value, label in Source.choices
        if value in sources
    ]
    by_department = list(
        _fold(
            groups,
            lambda g: (
                g["lead_department__sort_order"] or 0,
                g["lead_department__name"] or "",
                g["lead_department_id"],
            ),
        ).values()
    )
    by_department.sort(key=lambda r: (r["sort_order"], r["lead_department__name"] or ""))

    # 3 queries: month by month, the overdue tasks and reports due; the percent reported
    # and the reports on time (_report_stats); and the tasks whose listing deadline had
    # passed (red without being overdue)
    trend_counts = {"tasks": Count("pk")}
    for m in months:
        m_day = as_of(m, today)
        trend_counts[f"overdue_{m.month}"] = Count("pk", filter=_overdue(m_day))
        trend_counts[f"due_{m.month}"] = Count(
            "pk",
            filter=~Q(status=TaskStatus.CLOSED)
            & (Q(start_date__isnull=True) | Q(start_date__lte=month_end(m))),
        )
    per_month = Task.objects.filter(year=plan.year).aggregate(**trend_counts)
    report_stats = _report_stats(plan, months)
    listing_late = Listing.objects.filter(task__year=plan.year).aggregate(
        **{
            f"late_{m.month}": Count(
                "task", distinct=True, filter=_listing_late_not_overdue(as_of(m, today))
            )
            for m in months
        }
    )

    # 1 query: indicators met and below target as of the month (the value's subquery is
    # run once per indicator; a CASE over it in SQL ran it once per branch)
    indicators = (
        Indicator.objects.filter(task__year=plan.year)
        .annotate(value=_indicator_value(month))
        .select_related("task")
        .only(*INDICATOR_FIELDS)
    )
    indicator_rows = list(indicators.order_by("task__path", "number"))
    for indicator in indicator_rows:
        indicator.met = indicator.met_by(indicator.value)
    headline["indicators"] = len(indicator_rows)
    headline["indicators_met"] = sum(1 for i in indicator_rows if i.met)

    trend = []
    for m in months:
        due = per_month[f"due_{m.month}"]
        ontime = report_stats[f"ontime_{m.month}"]
        # a month's reports are judged once their deadline has passed (as of the day shown)
        judged = due and report_deadline(m).date() <= day
        trend.append(
            {
                "month": m.isoformat(),
                "avg_percent": _average(report_stats[f"sum_{m.month}"], per_month["tasks"]),
                "red": per_month[f"overdue_{m.month}"] + listing_late[f"late_{m.month}"],
                "on_time_share": round(100 * ontime / due, 1) if judged else None,
            }
        )

    # 1 query each: overdue tasks, listed tasks, unanswered 批示
    overdue = [
        {
            "id": t.pk,
            "code": t.code,
            "title": t.title,
            "department": t.lead_department.name if t.lead_department else None,
            "due": t.due_date.isoformat(),
            "days": (day - t.due_date).days,
            "percent": t.pct,
        }
        for t in Task.objects.filter(project__plan=plan, due_date__lt=day)
        .exclude(status__in=DONE)
        .annotate(pct=_percent_as_of(month))
        .select_related("lead_department")
        .order_by("due_date", "path")[:LIST_LIMIT]
    ]
    listed = [
        {
            "id": item.task_id,
            "code": item.task.code,
            "title": item.task.title,
            "level": item.get_level_display(),
            "deadline": item.deadline.isoformat(),
            "late": item.deadline < day,
            "public": item.is_public,
        }
        for item in Listing.objects.filter(task__year=plan.year, listed_at__lte=_end_of_day(day))
        .filter(Q(lifted_at__isnull=True) | Q(lifted_at__gt=_end_of_day(day)))
        .select_related("task")
        .order_by("deadline", "task__path")[:LIST_LIMIT]
    ]
    instructions = [
        {
            "id": i.task_id,
            "code": i.task.code,
            "title": i.task.title,
            "leader": str(i.leader),
            "text": i.text,
            "at": timezone.localtime(i.created_at).date().isoformat(),
        }
        for i in Instruction.objects.filter(task__year=plan.year, response="")
        .select_related("task", "leader")
        .order_by("-created_at")[:LIST_LIMIT]
    ]
    below = [
        {
            "id": i.task_id,
            "code": i.task.code,
            "task": i.task.title,
            "name": i.name,
            "target": f"{i.get_comparison_display()} {i.target_display}",
            "value": _indicator_shown(i),
        }
        for i in indicator_rows
        if not i.met
    ][:LIST_LIMIT]
    missing = [
        {
            "id": row["lead_department_id"],
            "name": row["lead_department__name"] or "（未确定）",
            "missing": row["reports_missing"],
            "expected": row["reports_expected"],
        }
        for row in by_department
        if row["reports_missing"] > 0
    ]
    figures = {
        "plan": {"id": plan.pk, "year": plan.year, "title": plan.title},
        "month": month.isoformat(),
        "as_of": day.isoformat(),
        "headline": headline,
        "by_project": by_project,
        "by_source": by_source,
        "by_department": by_department,
        "trend": trend,
        "overdue": overdue,
        "listed": listed,
        "missing_reports": missing,
        "indicators_below": below,
        "instructions": instructions,
    }
    if public:
        figures["public_items"] = public_items(plan, month)
    return figures


def public_items(plan, month):
    """The items shown to citizens for `month`: tasks marked public (市办实事) and publicly
    listed tasks, with the progress text and percent of the task's latest *approved* report up
    to `month` (this month's once its head approved it, else the last approved one). A report
    that is submitted but not reviewed, or returned, is never published; /public/ computes
    this when shown, so a report returned after the month was closed is withdrawn at once.
    Nothing internal: no names, and 存在问题 only where the report marked it publishable."""
    report = MonthlyReport.objects.filter(
        task=OuterRef("pk"), month__lte=month, status=ReportStatus.APPROVED
    ).order_by("-month")
    rows = (
        Task.objects.filter(year=plan.year)
        .filter(Q(is_public=True) | Exists(_listed_at(as_of(month)).filter(is_public=True)))
        .annotate(
            progress=Subquery(report.values("progress")[:1]),
            problems=Subquery(report.filter(problems_public=True).values("problems")[:1]),
            month_percent=Subquery(report.values("percent")[:1]),
            report_month=Subquery(report.values("month")[:1]),
        )
        .select_related("project", "lead_department")
        .order_by("path")
    )
    return [
        {
            "code": t.code,
            "title": t.title,
            "project": t.group_title,
            "department": t.lead_department.name if t.lead_department else "",
            "due": t.due_date.isoformat() if t.due_date else None,
            "progress": t.progress or "",
            "problems": t.problems or "",
            "percent": t.month_percent,
            "as_of": t.report_month.isoformat() if t.report_month else None,
        }
        for t in rows
    ]


def _version_key(plan_id):
    return f"dashboard:version:{plan_id}"


def bump_version(plan_id):
    """Any change to a plan's tasks or what hangs on them makes its cached figures stale."""
    try:
        cache.incr(_version_key(plan_id))
    except ValueError:
        cache.set(_version_key(plan_id), 1, None)


def cached_month_figures(plan, month, today=None):
    """month_figures, kept in the cache until the plan's data changes (signals bump its
    version) or the day rolls over (lights depend on the date)."""
    today = today or timezone.localdate()
    version = cache.get_or_set(_version_key(plan.pk), 1, None)
    key = f"dashboard:figures:{plan.pk}:{month:%Y-%m}:{today:%Y%m%d}:{version}"
    figures = cache.get(key)
    if figures is None:
        figures = month_figures(plan, month, today)
        cache.set(key, figures, settings.DASHBOARD_CACHE_SECONDS)
    return figures


def figures_for(plan, month, closes=None, today=None):
    """The month's figures: from its snapshot if closed, live otherwise; trend points of
    closed earlier months also come from their snapshots."""
    closes = (
        closes
        if closes is not None
        else {c.month: c for c in MonthClose.objects.filter(plan=plan, is_closed=True)}
    )
    close = closes.get(month)
    if close:
        return close.data, close
    figures = copy.deepcopy(cached_month_figures(plan, month, today))
    for point in figures["trend"]:
        earlier = closes.get(date.fromisoformat(point["month"]))
        if earlier:
            frozen = next((p for p in earlier.data["trend"] if p["month"] == point["month"]), None)
            if frozen:
                point.update(frozen)
    return figures, None


@transaction.atomic
def close_month(plan, month, user):
    """Freeze the month's figures. Closing a closed month is refused (ValueError)."""
    close = MonthClose.objects.select_for_update().filter(plan=plan, month=month).first()
    if close and close.is_closed:
        raise ValueError("该月份已关账。")
    data = month_figures(plan, month, public=True)
    now = timezone.now()
    if close is None:
        close = MonthClose(plan=plan, month=month)
    close.is_closed = True
    close.closed_by = user
    close.closed_at = now
    close.data = data
    try:
        with transaction.atomic():
            close.save()
    except IntegrityError:  # another request closed it first (both found no row to lock)
        raise ValueError("该月份已关账。") from None
    return close


@transaction.atomic
def reopen_month(close, user, reason):
    close = MonthClose.objects.select_for_update().get(pk=close.pk)
    if not close.is_closed:
        raise ValueError("该月份未关账。")
    close.is_closed = False
    close.reopened_by = user
    close.reopened_at = timezone.now()
    close.reopen_reason = reason
    close.save()
    return close


def plan_months(plan, today=None):
    """The months of the plan one can look at: January to this month (all of a past year)."""
    today = today or timezone.localdate()
    last = 12 if plan.year < today.year else (today.month if plan.year == today.year else 0)
    return [date(plan.year, m, 1) for m in range(1, last + 1)]


def default_month(plans, today=None):
    """This month if a plan covers it, else the last month of the newest past plan."""
    today = today or timezone.localdate()
    for plan in plans:
        months = plan_months(plan, today)
        if months:
            return plan, months[-1]
    return (plans[0], date(plans[0].year, 1, 1)) if plans else (None, None)
