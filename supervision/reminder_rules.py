"""The supervision app's reminder rules, found by the core at start-up (core/apps.py).

Each rule is a function of the scan's Context that yields Items (core/reminders.py): due soon,
overdue and its escalation ladder, missing monthly reports, 挂牌督办 deadlines and returned
reports not resubmitted. The thresholds are settings (README, 督办提醒).

At a province's scale (100,000 tasks) the overdue and report rules find tens of thousands of
items: they read plain rows (`values_list`) and point each item at a `Record` of its task
instead of loading the tasks. While the stored status is current for the scan's day
(supervision/standing.py), they read each task's stored overdue days and latest report month
from its TaskStanding row; a task whose row is missing or was computed for another day is
worked out live, as every task is when the day is not current. Both paths find the same items.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.choices import ReminderKind
from core.months import month_end, previous_month
from core.reminders import Item, Record, overdue_step, register, stage_of
from core.roles import Role

from . import standing
from .choices import COUNTED_MILESTONES, STOPPED, AssignmentStatus, ReportStatus, Rhythm, TaskStatus
from .models import Assignment, Listing, Milestone, MonthlyReport, Task
from .reporting import report_due_date

CLOSED = [TaskStatus.COMPLETED, TaskStatus.CLOSED, *STOPPED]
REPORTED = [ReportStatus.SUBMITTED, ReportStatus.APPROVED]


def _label(task):
    return f"“{task.code} {task.title}”"


def _limits():
    """(REMINDER_ESCALATE_SUPERVISOR_DAYS, REMINDER_ESCALATE_LEADER_DAYS), read once per
    rule: each read of `settings` goes through LazySettings (100,000 times at 50k tasks)."""
    return settings.REMINDER_ESCALATE_SUPERVISOR_DAYS, settings.REMINDER_ESCALATE_LEADER_DAYS


def _ladder(ctx, task, days_over, event, reason, due, limits):
    """An overdue event to the lead department, then up the escalation ladder."""
    about, (supervisor_days, leader_days) = task.record, limits
    for user in ctx.staff(task.lead_department_id):
        yield Item(event, ReminderKind.OVERDUE, user, reason, about, due)
    if days_over >= supervisor_days:
        why = f"{reason}（逾期超过{supervisor_days}天，提请督查处督办）"
        for user in ctx.supervisors():
            yield Item(event, ReminderKind.ESCALATION, user, why, about, due)
    leader = ctx.active(task.responsible_leader_id)
    if leader and days_over >= leader_days:
        why = f"{reason}（逾期超过{leader_days}天，报请责任领导关注）"
        yield Item(event, ReminderKind.ESCALATION, leader, why, about, due)


TASK_FIELDS = ["code", "title", "due_date", "lead_department_id", "responsible_leader_id"]


@dataclass(slots=True)
class TaskRow:
    """The columns of a task the rules use, read with `values_list`, and the Record its
    items point at (the task page; `str(task)` as the label)."""

    pk: int
    code: str
    title: str
    due_date: object
    lead_department_id: int
    responsible_leader_id: int | None
    record: Record


def _rows(ctx, queryset, task="", *extra):
    """(TaskRow, *extra values) for each row of `queryset`: its task's TASK_FIELDS under
    `task` (a prefix: "task__" for a milestone's task) and the `extra` columns after them."""
    names = [f"{task}pk" if task else "pk", *(f"{task}{name}" for name in TASK_FIELDS)]
    rows = queryset.order_by().values_list(*names, *extra)  # the scan sorts the items
    for pk, code, title, due, lead, leader, *rest in rows:
        url = ctx.link("task_detail", pk)
        record = Record(Task, pk, f"{code} {title}", url)
        yield TaskRow(pk, code, title, due, lead, leader, record), *rest


def _current(ctx):
    """Whether the stored status is current for the scan's day (then each task's own row
    still counts only if it was computed for that day: `_fresh`)."""
    return standing.is_current(ctx.day)


def _fresh(ctx):
    """(Q of the tasks whose stored row was computed for the scan's day, Q of the others:
    no row, or one of another day)."""
    fresh = Q(standing__computed_on=ctx.day)
    return fresh, Q(standing__isnull=True) | ~fresh


def _open_tasks():
    return (
        Task.objects.exclude(status__in=CLOSED)
        .filter(lead_department__isnull=False)
        .only("pk", *TASK_FIELDS)
    )


def _with_task(queryset, *fields):
    """`queryset` of records with their task, fetching only the columns the rules use."""
    return queryset.select_related("task").only(
        "task_id", *fields, *(f"task__{name}" for name in TASK_FIELDS)
    )


def _counted_milestones():
    """The open 节点 that count: approved ones (at their approved date while a change waits)
    of open tasks; proposed and returned ones remind nobody."""
    return Milestone.objects.filter(
        completed_on=None, status__in=COUNTED_MILESTONES, task__in=_open_tasks()
    )


@register("due_soon")
def due_soon(ctx):
    """7, 3 and 1 days before a task's or a milestone's due date, to the lead department."""
    horizon = max(settings.REMINDER_DUE_SOON_DAYS)
    window = (ctx.day, ctx.day + timedelta(days=horizon))
    for (task,) in _rows(ctx, _open_tasks().filter(due_date__range=window)):
        left = (task.due_date - ctx.day).days
        stage = stage_of(left, settings.REMINDER_DUE_SOON_DAYS)
        when = "今天" if left == 0 else f"还有{left}天"
        reason = f"任务{_label(task)}将于{task.due_date:%Y-%m-%d}到期（{when}）"
        for user in ctx.lead_staff(task.lead_department_id):
            event = f"due_soon:task:{task.pk}:{stage}"
            yield Item(event, ReminderKind.DUE_SOON, user, reason, task.record, task.due_date)
    milestones = _counted_milestones().filter(due_date__range=window)
    for task, pk, title, due in _rows(ctx, milestones, "task__", "pk", "title", "due_date"):
        left = (due - ctx.day).days
        stage = stage_of(left, settings.REMINDER_DUE_SOON_DAYS)
        when = "今天" if left == 0 else f"还有{left}天"
        reason = f"任务{_label(task)}的节点“{title}”将于{due:%Y-%m-%d}到期（{when}）"
        for user in ctx.lead_staff(task.lead_department_id):
            event = f"due_soon:milestone:{pk}:{stage}"
            yield Item(event, ReminderKind.DUE_SOON, user, reason, task.record, due)


@register("overdue")
def overdue(ctx):
    """The day after the due date, then every REMINDER_OVERDUE_EVERY days, to staff and head;
    from REMINDER_ESCALATE_SUPERVISOR_DAYS also to 督查人员, from
    REMINDER_ESCALATE_LEADER_DAYS also to the responsible leader."""
    limits = _limits()
    for task, days in _overdue_tasks(ctx):
        reason = f"任务{_label(task)}已逾期{days}天（完成时限 {task.due_date:%Y-%m-%d}）"
        event = f"overdue:task:{task.pk}:step:{overdue_step(days)}"
        yield from _ladder(ctx, task, days, event, reason, task.due_date, limits)
    milestones = _counted_milestones().filter(due_date__lt=ctx.day)
    for task, pk, title, due in _rows(ctx, milestones, "task__", "pk", "title", "due_date"):
        days = (ctx.day - due).days
        reason = f"任务{_label(task)}的节点“{title}”已逾期{days}天（计划 {due:%Y-%m-%d}）"
        event = f"overdue:milestone:{pk}:step:{overdue_step(days)}"
        yield from _ladder(ctx, task, days, event, reason, due, limits)


def _overdue_tasks(ctx):
    """(TaskRow, days overdue) of the open tasks past their due date: the stored overdue
    days of each task whose TaskStanding row was computed for the day, else worked out."""
    tasks = _open_tasks()
    if not _current(ctx):
        for (task,) in _rows(ctx, tasks.filter(due_date__lt=ctx.day)):
            yield task, (ctx.day - task.due_date).days
        return
    fresh, stale = _fresh(ctx)
    tasks = tasks.filter(
        (fresh & Q(standing__overdue_days__gt=0)) | (stale & Q(due_date__lt=ctx.day))
    )
    rows = _rows(ctx, tasks, "", "standing__computed_on", "standing__overdue_days")
    for task, computed_on, days in rows:
        yield task, days if computed_on == ctx.day else (ctx.day - task.due_date).days


def _report_needed(ctx, month):
    """Open tasks of `month`'s plan year that owe a report for `month`. While the stored
    status is current, a task's latest reported month says it for most tasks: `month` itself
    (reported), none or an earlier one (not reported); only a later one needs the reports."""
    tasks = _open_tasks().filter(year=month.year)
    tasks = tasks.exclude(start_date__gt=month_end(month))
    tasks = tasks.exclude(rhythm=Rhythm.ONCE)  # 一次性办结: reports when done, not monthly
    if month.month not in (3, 6, 9, 12):
        tasks = tasks.exclude(rhythm=Rhythm.QUARTERLY)
    if not _current(ctx):
        reported = MonthlyReport.objects.filter(month=month, status__in=REPORTED).values("task")
        return tasks.exclude(pk__in=reported)
    reported = MonthlyReport.objects.filter(task=OuterRef("pk"), month=month, status__in=REPORTED)
    fresh, stale = _fresh(ctx)
    last = "standing__last_report_month"
    not_yet = Q(**{f"{last}__isnull": True}) | Q(**{f"{last}__lt": month})
    return tasks.filter(
        (fresh & not_yet)
        | (fresh & Q(**{f"{last}__gt": month}) & ~Exists(reported))
        | (stale & ~Exists(reported))
    )


@register("report_missing")
def report_missing(ctx):
    """From the REMINDER_REPORT_FROM_DAY-th, this month's report not yet submitted; from the
    1st (until then), last month's still missing. To the lead department's staff and head."""
    if ctx.day.day >= settings.REMINDER_REPORT_FROM_DAY:
        month, phase = ctx.day.replace(day=1), "due"
    else:
        month, phase = previous_month(ctx.day), "late"
    due = report_due_date(month)
    for (task,) in _rows(ctx, _report_needed(ctx, month)):
        if phase == "due":
            reason = (
                f"任务{_label(task)}{month:%Y年%m月}进展报告尚未报送（请于 {due:%Y-%m-%d} 前报送）"
            )
        else:
            reason = f"任务{_label(task)}上月（{month:%Y年%m月}）进展报告仍未报送"
        event = f"report_missing:task:{task.pk}:{month:%Y-%m}:{phase}"
        for user in ctx.staff(task.lead_department_id):
            yield Item(event, ReminderKind.REPORT_MISSING, user, reason, task.record, due)


@register("listing")
def listing(ctx):
    """挂牌督办: the deadline within REMINDER_LISTING_DAYS, or passed (then every
    REMINDER_OVERDUE_EVERY days), to the listing's supervisor and the lead department."""
    horizon = max(settings.REMINDER_LISTING_DAYS)
    listings = _with_task(
        Listing.objects.filter(
            lifted_at=None, deadline__lte=ctx.day + timedelta(days=horizon)
        ).exclude(task__status__in=[TaskStatus.CLOSED, *STOPPED]),
        "deadline",
        "listed_by_id",
    )
    for row in listings:
        task = row.task
        left = (row.deadline - ctx.day).days
        if left >= 0:
            stage = stage_of(left, settings.REMINDER_LISTING_DAYS)
            event = f"listing:{row.pk}:soon:{stage}"
            when = "今天" if left == 0 else f"还有{left}天"
            reason = f"挂牌督办任务{_label(task)}督办时限 {row.deadline:%Y-%m-%d}（{when}）"
        else:
            event = f"listing:{row.pk}:over:{overdue_step(-left)}"
            reason = f"挂牌督办任务{_label(task)}已超过督办时限{-left}天（{row.deadline:%Y-%m-%d}）"
        people = {u.pk: u for u in ctx.staff(task.lead_department_id)}
        supervisor = ctx.active(row.listed_by_id)
        if supervisor:
            people[supervisor.pk] = supervisor
        for user in people.values():
            yield Item(event, ReminderKind.LISTING, user, reason, task, row.deadline)


@register("returned")
def returned(ctx):
    """A returned report not resubmitted within REMINDER_RETURNED_DAYS days."""
    days = settings.REMINDER_RETURNED_DAYS
    cutoff = timezone.make_aware(datetime.combine(ctx.day - timedelta(days=days - 1), time.min))
    reports = _with_task(
        MonthlyReport.objects.filter(status=ReportStatus.RETURNED, reviewed_at__lt=cutoff).exclude(
            task__status__in=CLOSED
        ),
        "month",
        "reviewed_at",
        "return_reason",
        "submitted_by_id",
        "version",
    )
    for report in reports:
        task = report.task
        back = timezone.localdate(report.reviewed_at)
        reason = (
            f"任务{_label(task)}{report.month:%Y年%m月}进展报告于 {back:%Y-%m-%d} 被退回，"
            f"超过{days}天未重新报送"
        )
        if report.return_reason:
            reason = f"{reason}（退回原因：{report.return_reason[:60]}）"
        people = {u.pk: u for u in ctx.staff(task.lead_department_id)}
        author = ctx.active(report.submitted_by_id)
        if author:
            people[author.pk] = author
        event = f"returned:report:{report.pk}:v{report.version}"
        for user in people.values():
            yield Item(event, ReminderKind.RETURNED, user, reason[:300], task, back)


@register("unsigned")
def unsigned(ctx):
    """交办 not signed: on the last day of the 签收 limit, then past it every
    REMINDER_OVERDUE_EVERY days, to the department's head (its staff when it has no head);
    from REMINDER_ESCALATE_SUPERVISOR_DAYS days past it also to the supervisors."""
    rows = (
        Assignment.objects.filter(status=AssignmentStatus.PENDING, sign_by__lte=ctx.day)
        .exclude(task__status__in=CLOSED)
        .select_related("task", "department")
        .only("sign_by", "department__name", "task_id", *(f"task__{n}" for n in TASK_FIELDS))
    )
    for row in rows:
        task, days = row.task, (ctx.day - row.sign_by).days
        if days == 0:
            event, kind = f"unsigned:{row.pk}:due", ReminderKind.DUE_SOON
            reason = (
                f"交办的督办事项{_label(task)}今天（{row.sign_by:%Y-%m-%d}）签收到期，请签收或拒签"
            )
        else:
            event, kind = f"unsigned:{row.pk}:step:{overdue_step(days)}", ReminderKind.OVERDUE
            reason = f"交办的督办事项{_label(task)}超过签收时限{days}天仍未签收（{row.department}）"
        people = ctx.staff(row.department_id, Role.HEAD) or ctx.staff(row.department_id)
        for user in people:
            yield Item(event, kind, user, reason, row, row.sign_by)
        if days >= settings.REMINDER_ESCALATE_SUPERVISOR_DAYS:
            for user in ctx.supervisors():
                yield Item(event, ReminderKind.ESCALATION, user, reason, row, row.sign_by)
