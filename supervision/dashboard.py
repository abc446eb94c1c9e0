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

from core.months import as_of, cn_month, previous_month, report_due_date

from . import monthrows
from .choices import GREY_STATUSES, STOPPED, Light, ReportStatus, Source, TaskStatus
from .lights import DONE, EPOCH, REPORTED, DayNumber, with_lights
from .models import (
    Indicator,
    IndicatorValue,
    Instruction,
    Listing,
    MonthClose,
    MonthlyReport,
    Task,
    meets,
)

LIST_LIMIT = 20


def month_end(month):
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _end_of_day(day):
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(settings.TIME_ZONE))


def report_deadline(month):
    """The moment the report of `month` is late after (the REPORT_DUE_DAY of next month)."""
    return _end_of_day(report_due_date(month))


def listed_at(day):
    end = _end_of_day(day)
    return Listing.objects.filter(task=OuterRef("pk"), listed_at__lte=end).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=end)
    )


def percent_as_of(month):
    """The percent done last reported by the end of `month` (0 before any report)."""
    return Coalesce(
        Subquery(
            MonthlyReport.objects.filter(task=OuterRef("pk"), status__in=REPORTED, month__lte=month)
            .order_by("-month")
            .values("percent")[:1]
        ),
        Value(0),
    )


def task_figures(plan, month, today=None, tasks=None):
    """The plan's tasks (or `tasks`) annotated as of `month`: percent reported by then,
    expected percent (序时进度), light, listed, whether the month's report is due / in / late."""
    day = as_of(month, today)
    end = month_end(month)
    reports = MonthlyReport.objects.filter(task=OuterRef("pk"), status__in=REPORTED)
    percent = percent_as_of(month)
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
    tasks = (tasks if tasks is not None else Task.objects.filter(year=plan.year)).annotate(
        pct=percent,
        expected=expected,
        listed_then=Exists(listed_at(day)),
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


def _live_groups(plan, month, today=None):
    """The (project, department, source, light) groups of `month`, worked out live."""
    return list(
        task_figures(plan, month, today)
        .values(
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


# What the light rule (lights.with_lights) never makes red: 已完成 / 已办结 are not overdue,
# and 已办结, 暂停, 终止, 结转 are grey whatever their listing.
NOT_OVERDUE = [*DONE, *STOPPED]


def _overdue(day):
    return ~Q(status__in=NOT_OVERDUE) & Q(due_date__lt=day)


def _listing_late_not_overdue(day):
    """Listings active on `day` whose deadline had passed, of tasks neither overdue that day
    nor grey (the light rule's order)."""
    end = _end_of_day(day)
    active = Q(listed_at__lte=end) & (Q(lifted_at__isnull=True) | Q(lifted_at__gt=end))
    overdue = ~Q(task__status__in=NOT_OVERDUE) & Q(task__due_date__lt=day)
    return active & Q(deadline__lt=day) & ~overdue & ~Q(task__status__in=GREY_STATUSES)


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


def indicator_shown(indicator, value):
    """`value` of `indicator` as pages show it (None: nothing reported); a relative one as
    its margin over the reference."""
    if value is None:
        return None
    if indicator.is_relative:
        return f"较{indicator.reference} {value.normalize():+f}"
    return f"{value.normalize():f}{indicator.unit}"


def year_trend(plan, months, today=None, current=None):
    """The dashboard's month-by-month trend of `plan` over `months` (January to the month
    shown): average percent reported, red tasks, share of reports on time. From the month
    roll-ups when every month's rows are current (`current`: the set of those months, as
    `monthrows.current_months` gives it), else live: 1 query or 3."""
    current = monthrows.current_months(months, today) if current is None else current
    if all(m in current for m in months):
        counts = monthrows.trend_counts(months)
    else:
        counts = _live_trend_counts(plan, months, today)
    trend = []
    for m in months:
        row = counts.get(m) or {"tasks": 0, "percent_sum": 0, "red": 0, "due": 0, "on_time": 0}
        due = row["due"]
        # a month's reports are judged once their deadline has passed: its on-time share is
        # known from then on, also on the dashboard of that month itself (whose day, the
        # month's last, always comes before the deadline on the 5th of the next)
        judged = due and report_deadline(m).date() <= (today or timezone.localdate())
        trend.append(
            {
                "month": m.isoformat(),
                "avg_percent": _average(row["percent_sum"], row["tasks"]),
                "red": row["red"],
                "on_time_share": round(100 * row["on_time"] / due, 1) if judged else None,
            }
        )
    return trend


def _live_trend_counts(plan, months, today=None):
    """`monthrows.trend_counts` computed from the tasks, reports and listings (3 queries)."""
    # month by month, the overdue tasks and reports due; the percent reported and the
    # reports on time (_report_stats); and the tasks whose listing deadline had passed (red
    # without being overdue)
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
    return {
        m: {
            "tasks": per_month["tasks"],
            "percent_sum": report_stats[f"sum_{m.month}"],
            "red": per_month[f"overdue_{m.month}"] + listing_late[f"late_{m.month}"],
            "due": per_month[f"due_{m.month}"],
            "on_time": report_stats[f"ontime_{m.month}"],
        }
        for m in months
    }


def month_figures(plan, month, today=None, public=False):
    """Everything the dashboard shows for `month` of `plan` (JSON-able)."""
    day = as_of(month, today)
    months = [date(plan.year, m, 1) for m in range(1, month.month + 1)]
    current = monthrows.current_months(months, today)  # 1 query: which months are rolled up

    # 1 query: every count, grouped by project, lead department and light, so that each
    # task's light is worked out once; the headline and both breakdowns are sums of it.
    # Summed from the month's roll-up rows when they are current, else worked out live.
    groups = monthrows.month_groups(month) if month in current else _live_groups(plan, month, today)
    # in a fixed order: a folded row takes the names of its first group (both paths alike)
    groups.sort(
        key=lambda g: (g["project_id"] or 0, g["lead_department_id"] or 0, g["source"], g["light"])
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

    trend = year_trend(plan, months, today, current)  # 1 query (3 live)

    # 1 query: indicators met and below target as of the month (the value's subquery is
    # run once per indicator; a CASE over it in SQL ran it once per branch). Plain rows:
    # a model instance per indicator and its task cost more than the query; the ones
    # listed below target are made instances for their display. From the month's rows:
    # the counts are summed with the groups, and only the indicators of the first tasks
    # with one below target are read.
    indicators = Indicator.objects.filter(task__year=plan.year)
    if month in current:
        indicators = indicators.filter(task__in=monthrows.unmet_tasks(month, LIST_LIMIT))
    indicator_rows = list(
        indicators.annotate(value=_indicator_value(month))
        .order_by("task__path", "number")
        .values(*INDICATOR_FIELDS, "value")
    )
    unmet = [
        row
        for row in indicator_rows
        if not meets(row["comparison"], row["target"], row["reference"], row["value"])
    ]
    if month in current:
        headline["indicators"] = sum(g["indicators"] or 0 for g in groups)
        headline["indicators_met"] = sum(g["indicators_met"] or 0 for g in groups)
    else:
        headline["indicators"] = len(indicator_rows)
        headline["indicators_met"] = len(indicator_rows) - len(unmet)

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
        .exclude(status__in=NOT_OVERDUE)
        .annotate(pct=percent_as_of(month))
        .select_related("lead_department")
        # the columns shown: every overdue task is sorted (at 50,000 tasks the whole rows,
        # their text included, took 0.2 s)
        .only("code", "title", "due_date", "lead_department__name")
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
    below = []
    for row in unmet[:LIST_LIMIT]:
        i = Indicator(**{name: row[name] for name in INDICATOR_FIELDS if "__" not in name})
        below.append(
            {
                "id": i.task_id,
                "code": row["task__code"],
                "task": row["task__title"],
                "name": i.name,
                "target": f"{i.get_comparison_display()} {i.target_display}",
                "value": indicator_shown(i, row["value"]),
            }
        )
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
        .filter(Q(is_public=True) | Exists(listed_at(as_of(month)).filter(is_public=True)))
        .annotate(
            reported=Exists(
                MonthlyReport.objects.filter(task=OuterRef("pk"), month=month, status__in=REPORTED)
            ),
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
            # the last approved percent, carried forward over months without one (None:
            # never any), and whether the month's report came in at all (未报 if not)
            "percent": t.month_percent,
            "as_of": t.report_month.isoformat() if t.report_month else None,
            "reported": t.reported,
        }
        for t in rows
    ]


def public_listings(plan, month):
    """The publicly listed 挂牌督办 items of `month` (政府工作报告公开挂牌): every public
    listing active at some time in the month, with its level, deadline and state as of the
    month's last day (or today): 督办中, 已超期 or 已摘牌. Nothing internal (no reason, no
    names)."""
    day = as_of(month)
    end = _end_of_day(day)
    start = datetime.combine(month, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    listings = (
        Listing.objects.filter(task__year=plan.year, is_public=True, listed_at__lte=end)
        .filter(Q(lifted_at__isnull=True) | Q(lifted_at__gte=start))
        .select_related("task__lead_department")
        .order_by("deadline", "task__path")
    )
    out = []
    for listing in listings:
        lifted = listing.lifted_at is not None and listing.lifted_at <= end
        if lifted:
            state = f"已摘牌（{timezone.localtime(listing.lifted_at):%Y-%m-%d}）"
        elif listing.deadline < day:
            state = "已超期"
        else:
            state = "督办中"
        task = listing.task
        out.append(
            {
                "code": task.code,
                "title": task.title,
                "department": task.lead_department.name if task.lead_department else "",
                "level": listing.get_level_display(),
                "listed": timezone.localtime(listing.listed_at).date().isoformat(),
                "deadline": listing.deadline.isoformat(),
                "state": state,
                "late": not lifted and listing.deadline < day,
            }
        )
    return out


def _version_key(plan_id):
    return f"dashboard:version:{plan_id}"


def bump_version(plan_id):
    """Any change to a plan's tasks or what hangs on them makes its cached figures stale."""
    try:
        cache.incr(_version_key(plan_id))
    except ValueError:
        cache.set(_version_key(plan_id), 1, None)


def cached_year_trend(plan, month_number, today=None):
    """`year_trend` of `plan` from January to month `month_number`, cached like the figures
    (the dashboard shows it beside the next year's, same months)."""
    today = today or timezone.localdate()
    version = cache.get_or_set(_version_key(plan.pk), 1, None)
    key = f"dashboard:trend:{plan.pk}:{month_number}:{today:%Y%m%d}:{version}"
    trend = cache.get(key)
    if trend is None:
        months = [date(plan.year, m, 1) for m in range(1, month_number + 1)]
        trend = year_trend(plan, months, today)
        cache.set(key, trend, settings.DASHBOARD_CACHE_SECONDS)
    return trend


def compare_years(trend, last_year):
    """This year's trend points beside last year's of the same month (None where absent):
    [(month number, this year's point, last year's point)]."""
    before = {date.fromisoformat(p["month"]).month: p for p in last_year or []}
    return [
        (date.fromisoformat(p["month"]).month, p, before.get(date.fromisoformat(p["month"]).month))
        for p in trend
    ]


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
        figures = close.data
        if _unjudged(figures, today):  # closed before its reports were due: fill in
            figures = copy.deepcopy(figures)
            live = cached_month_figures(plan, month, today)["trend"]
            _fill_on_time(figures["trend"], live)
        return figures, close
    figures = copy.deepcopy(cached_month_figures(plan, month, today))
    for point in figures["trend"]:
        earlier = closes.get(date.fromisoformat(point["month"]))
        if earlier:
            frozen = next((p for p in earlier.data["trend"] if p["month"] == point["month"]), None)
            if frozen:
                # a month closed before its report deadline froze no on-time share: the
                # live one stands (reports filed late never change it)
                on_time = point["on_time_share"]
                point.update(frozen)
                if point["on_time_share"] is None:
                    point["on_time_share"] = on_time
    return figures, None


def _unjudged(figures, today=None):
    """Whether a snapshot's trend lacks an on-time share that is known by now."""
    today = today or timezone.localdate()
    return any(
        p["on_time_share"] is None
        and report_deadline(date.fromisoformat(p["month"])).date() <= today
        for p in figures["trend"]
    )


def _fill_on_time(trend, live):
    by_month = {p["month"]: p["on_time_share"] for p in live}
    for point in trend:
        if point["on_time_share"] is None:
            point["on_time_share"] = by_month.get(point["month"])


@transaction.atomic
def close_month(plan, month, user):
    """Freeze the month's figures. Closing a closed month is refused (ValueError)."""
    close = MonthClose.objects.select_for_update().filter(plan=plan, month=month).first()
    if close and close.is_closed:
        raise ValueError("该月份已关账。")
    # Months close in order from the first one closed (an office that starts in June does not
    # close January to May first): once an earlier month is closed, the one before must be.
    before = previous_month(month)
    closed_before = set(
        MonthClose.objects.filter(plan=plan, month__lt=month, is_closed=True).values_list(
            "month", flat=True
        )
    )
    if closed_before and before not in closed_before:
        raise ValueError(f"请先关账{cn_month(before)}：月份须按先后顺序关账。")
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
    """The month the dashboard opens on: the latest month, up to this one, of which reports
    came in (a demo of a past year opens on its last reported month, not on an empty
    December); without any, this month if a plan covers it, else the last month of the newest
    past plan. One query."""
    today = today or timezone.localdate()
    by_year = {plan.year: plan for plan in plans}
    latest = (
        MonthlyReport.objects.filter(
            status__in=REPORTED, month__lte=today, task__project__plan__in=plans
        )
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if latest is not None and latest.year in by_year:
        return by_year[latest.year], latest
    for plan in plans:
        months = plan_months(plan, today)
        if months:
            return plan, months[-1]
    return (plans[0], date(plans[0].year, 1, 1)) if plans else (None, None)
