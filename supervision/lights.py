"""红黄绿灯: the one rule that colours a task, computed in the database.

Every page that shows or counts lights (the task list and detail, the ledger, the dashboard,
the reminders) gets them from `with_lights`, so the rule lives here only:

- 已办结 (closed), and 暂停 / 终止 / 挂账结转: grey.
- 红: overdue (past its due date and not done), or listed and past the listing deadline, or
  a record another app keeps for it is late (core/task_records.py: an overdue 整改, …).
- 黄: not done and due within LIGHT_DUE_SOON_DAYS; or behind schedule: its percent done is more
  than LIGHT_BEHIND_POINTS below the share of its time already elapsed (序时进度); or last
  month's report is missing; or an approved 节点 is past its date and not done (proposed or
  returned 节点 do not count).
- 绿: everything else.

The thresholds are settings. "Done" is 已完成 or 已办结.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models import CharField as CharOutput
from django.utils import timezone

from core.months import previous_month
from core.task_records import late_condition

from .choices import COUNTED_MILESTONES, STOPPED, Light, ReportStatus, TaskStatus
from .models import Listing, Milestone, MonthlyReport

EPOCH = date(1970, 1, 1)
DONE = [TaskStatus.COMPLETED, TaskStatus.CLOSED]
REPORTED = [ReportStatus.SUBMITTED, ReportStatus.APPROVED]


class DayNumber(Func):
    """Days since 1970-01-01 of a date column, as an integer (SQLite and PostgreSQL)."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "(%(expressions)s - DATE '1970-01-01')"
        return self.as_sql(compiler, connection, template=template, **extra)


def with_lights(queryset, today=None, percent=None):
    """Annotate each task of `queryset` with `light` (a Light value) as of `today`.

    `percent` is the expression of the percent done to judge (序时进度) by: the task's own
    by default; the dashboard passes the percent reported as of the month it shows."""
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.LIGHT_DUE_SOON_DAYS)
    last_month = previous_month(today)
    this_month = today.replace(day=1)
    elapsed = Value((today - EPOCH).days) - DayNumber("start_date")
    duration = DayNumber("due_date") - DayNumber("start_date")
    # behind when percent + points < 100 * elapsed / duration, kept in whole numbers
    behind_gap = ExpressionWrapper(
        Value(100) * elapsed
        - ((percent or F("percent")) + Value(settings.LIGHT_BEHIND_POINTS)) * duration,
        output_field=IntegerField(),
    )
    queryset = queryset.alias(
        _listing_late=Exists(
            Listing.objects.filter(task=OuterRef("pk"), lifted_at=None, deadline__lt=today)
        ),
        _reported_last_month=Exists(
            MonthlyReport.objects.filter(task=OuterRef("pk"), month=last_month, status__in=REPORTED)
        ),
        _behind_gap=behind_gap,
        _milestone_late=Exists(
            Milestone.objects.filter(
                task=OuterRef("pk"),
                status__in=COUNTED_MILESTONES,
                completed_on=None,
                due_date__lt=today,
            )
        ),
    )
    not_done = ~Q(status__in=DONE)
    due_report = Q(start_date__isnull=True) | Q(start_date__lt=this_month)
    behind = Q(start_date__isnull=False, due_date__gt=F("start_date"), start_date__lte=today) & Q(
        _behind_gap__gt=0
    )
    records_late = late_condition(today)
    late_records = [When(records_late, then=Value(Light.RED))] if records_late else []
    return queryset.annotate(
        light=Case(
            When(status=TaskStatus.CLOSED, then=Value(Light.GREY)),
            When(status__in=STOPPED, then=Value(Light.GREY)),  # 暂停, 终止, 结转 (issue 12)
            When(not_done & Q(due_date__lt=today), then=Value(Light.RED)),
            When(_listing_late=True, then=Value(Light.RED)),
            *late_records,
            When(not_done & Q(due_date__lte=soon), then=Value(Light.YELLOW)),
            When(not_done & behind, then=Value(Light.YELLOW)),
            When(not_done & due_report & Q(_reported_last_month=False), then=Value(Light.YELLOW)),
            When(not_done & Q(_milestone_late=True), then=Value(Light.YELLOW)),
            default=Value(Light.GREEN),
            output_field=CharOutput(),
        )
    )


LIGHT_CSS = {
    Light.RED: "danger",
    Light.YELLOW: "warning",
    Light.GREEN: "success",
    Light.GREY: "secondary",
}
