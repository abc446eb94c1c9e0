"""Monthly reports: draft, submit, return, approve: the one service that the report form, the
department page and the Excel upload all call (pretix's services/, Zulip's actions/).

The rules of a report are stated once, in `report_errors` (what the data must satisfy) and
`refusal` (which months a task may report on); `save_report` applies both and writes nothing
when either fails (ReportInvalid). Each path parses its own input (a form, a sheet row) and
shows the same messages beside its own fields.

Concurrency is optimistic: a form carries the report's `version`; saving locks the row,
compares, and refuses a stale version (ReportConflict) instead of overwriting someone else's
work. Every write goes through `Model.save`, so the history records it with the user.
"""

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.access import has_role, is_admin
from core.choices import ReminderKind
from core.files import attach
from core.months import (
    cn_month,
    months_between,
    previous_month,
    report_due_date,  # noqa: F401 (moved to core.months; callers import it here)
)
from core.notify import notify
from core.roles import Role

from . import derived
from .choices import ReportStatus, TaskStatus
from .models import IndicatorValue, MonthlyReport, Task
from .signals import one_bump

EDITABLE = {ReportStatus.DRAFT, ReportStatus.RETURNED}
REPORT_FIELDS = ["progress", "problems", "next_steps", "percent", "percent_note", "problems_public"]
TEXT_LIMIT = 5000
TEXT_FIELDS = {
    "progress": "本月进展",
    "problems": "存在问题",
    "next_steps": "下步计划",
    "percent_note": "进度说明",
}


class ReportConflict(Exception):
    """Someone else saved the report since this form was opened."""

    message = "该报告已被他人修改，您的内容未保存。请刷新页面查看最新内容后再修改。"


class ReportInvalid(Exception):
    """The data breaks a rule of `report_errors` or `refusal`: {field or None: [messages]}."""

    def __init__(self, errors):
        super().__init__("；".join(m for messages in errors.values() for m in messages))
        self.errors = errors
        self.message = str(self)


class ReportLocked(Exception):
    """The report was submitted or approved and is read-only for its department."""

    message = "该报告已提交，不能再修改；如需修改，请由处室负责人退回。"


class OwnReport(Exception):
    """Nobody approves a report they submitted themselves."""

    message = "不能审核通过自己报送的报告，请由本处室其他负责人审核。"


def due_month(today=None):
    """The month whose report is due now: until the report due day (REPORT_DUE_DAY, the 5th)
    the previous month, from then on this month."""
    today = today or timezone.localdate()
    this = today.replace(day=1)
    return previous_month(this) if today.day <= settings.REPORT_DUE_DAY else this


def is_future(month, today=None):
    today = today or timezone.localdate()
    return month > today.replace(day=1)


def refusal(task, month, today=None):
    """Why a report of `month` cannot be filed for `task` (a Chinese sentence), or None."""
    if task.status == TaskStatus.CLOSED:
        return "该任务已办结（销号），不能再填报或修改进展。"
    if is_future(month, today):
        return "不能填报未来月份的进展。"
    year = task.year
    if month.year != year:
        return f"该任务属于{year}年工作计划，只能填报{year}年各月的进展。"
    return None


def report_errors(data, *, previous_percent, submit):
    """What is wrong with the report `data` (REPORT_FIELDS, parsed): {field: [messages]}.

    - 月末进度 is a whole number from 0 to 100;
    - each text stays within TEXT_LIMIT characters;
    - submitting needs 本月进展 (a draft may be incomplete);
    - a percent below the previous report's needs 进度说明."""
    errors = {}
    percent = data.get("percent")
    if percent is None:
        errors["percent"] = ["请填写月末进度。"]
    elif not 0 <= percent <= 100:
        errors["percent"] = [f"月末进度 {percent} 超出范围，应在 0 到 100 之间。"]
    for name, label in TEXT_FIELDS.items():
        length = len(data.get(name) or "")
        if length > TEXT_LIMIT:
            errors[name] = [f"{label}不能超过 {TEXT_LIMIT} 字（现 {length} 字）。"]
    if submit and not (data.get("progress") or "").strip():
        errors.setdefault("progress", []).append("提交前请填写本月进展。")
    dropped = percent is not None and previous_percent is not None and percent < previous_percent
    if dropped and not (data.get("percent_note") or "").strip():
        errors.setdefault("percent_note", []).append(
            f"月末进度（{percent}%）低于上月（{previous_percent}%），请在“进度说明”中说明原因。"
        )
    return errors


UNREAD = object()  # save_report's `previous` when the caller has not read it


def previous_report(task, month):
    return (
        MonthlyReport.objects.filter(task=task, month__lt=month)
        .exclude(status=ReportStatus.DRAFT)
        .order_by("-month")
        .first()
    )


@dataclass
class ReportPage:
    """A task's report of a month as its form shows it: the stored report (or a new one
    prefilled from the previous), the previous report and the indicators with their values."""

    task: object
    month: date
    report: MonthlyReport
    previous: MonthlyReport | None
    indicators: list = field(default_factory=list)
    values: dict | None = None  # indicator pk -> value of this report; None: not read yet

    @classmethod
    def load(cls, task, month):
        previous = previous_report(task, month)
        report = MonthlyReport.objects.filter(task=task, month=month).first()
        if report:
            report.task = task  # the caller's, with its plan: saving asks for it
        report = report or new_report(task, month, previous)
        return cls(task, month, report, previous, list(task.indicators.all()))

    def indicator_values(self):
        """{indicator pk: value} of this report, read on first use: a saved form redirects
        without showing them."""
        if self.values is None:
            self.values = {}
            if self.report.pk and self.indicators:
                rows = self.report.indicator_values.values_list("indicator_id", "value")
                self.values = dict(rows)
        return self.values

    @classmethod
    def from_reports(cls, task, month, reports):
        """The page of `task` from its reports up to `month`, newest first (prefetched)."""
        stored = next((r for r in reports if r.month == month), None)
        earlier = [r for r in reports if r.month < month and r.status != ReportStatus.DRAFT]
        previous = earlier[0] if earlier else None
        return cls(task, month, stored or new_report(task, month, previous), previous)

    @property
    def previous_percent(self):
        return self.previous.percent if self.previous else None

    @property
    def editable(self):
        return self.report.status in EDITABLE

    @property
    def is_copy(self):
        """Whether the report still to submit is the unchanged copy of last month's text."""
        return self.editable and self.copies_previous(self.report.progress)

    def copies_previous(self, progress):
        """Whether `progress` (a 本月进展) is the previous report's, unchanged."""
        last = (self.previous.progress or "").strip() if self.previous else ""
        return bool(last) and (progress or "").strip() == last

    def initial(self):
        initial = {name: getattr(self.report, name) for name in REPORT_FIELDS}
        initial["version"] = self.report.version
        values = self.indicator_values()
        for indicator in self.indicators:
            value = values.get(indicator.pk, indicator.actual)
            initial[f"indicator_{indicator.pk}"] = "" if value is None else value.normalize()
        return initial


def report_for(task, month):
    """The stored report of `task` for `month`, or a new one prefilled from the last one."""
    report = MonthlyReport.objects.filter(task=task, month=month).first()
    return report or new_report(task, month, previous_report(task, month))


def new_report(task, month, last):
    """An unsaved report of `month`, prefilled from `last` (the previous report) if any."""
    report = MonthlyReport(task=task, month=month, version=0)
    if last:
        report.progress = last.progress
        report.problems = last.problems
        report.next_steps = last.next_steps
        report.percent = last.percent
    else:
        report.percent = task.percent
    return report


@transaction.atomic
def save_report(
    report,
    *,
    user,
    data,
    indicator_values=None,
    version,
    submit=False,
    uploads=(),
    previous=UNREAD,
):
    """Save `data` (REPORT_FIELDS) on `report` as a draft, or submit it, with the 佐证材料
    `uploads` (checked files, core.files). `previous`: the report before it
    (`previous_report`), where the caller has just read it for its form.

    `version` is the version the user's form was opened at; a report saved by someone else
    since raises ReportConflict, data that breaks a rule raises ReportInvalid, and in either
    case nothing is written."""
    if report.pk:
        current = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        if current.version != version:
            raise ReportConflict
        if current.status not in EDITABLE:
            raise ReportLocked
        current.task = report.task  # loaded by the caller, with its plan
        report = current
    elif version != 0:
        raise ReportConflict
    refused = refusal(report.task, report.month)
    if refused:
        raise ReportInvalid({None: [refused]})
    for name in REPORT_FIELDS:
        if name in data:
            setattr(report, name, data[name])
    if previous is UNREAD:
        previous = previous_report(report.task, report.month)
    errors = report_errors(
        {name: getattr(report, name) for name in REPORT_FIELDS},
        previous_percent=previous.percent if previous else None,
        submit=submit,
    )
    if errors:
        raise ReportInvalid(errors)
    report.version += 1
    if submit:
        report.status = ReportStatus.SUBMITTED
        report.submitted_by = user
        report.submitted_at = timezone.now()
    elif report.status != ReportStatus.RETURNED:
        report.status = ReportStatus.DRAFT
    # A draft moves no dashboard figure (they count submitted and approved reports): its
    # rows bump no plan's cached figures, which saves a plan lookup and a cache write (a
    # Redis round trip, or its timeout while Redis hangs) per row saved.
    with nullcontext() if submit else one_bump(set()):
        _write(report, indicator_values, submit, uploads, user)
    if submit:
        moved = _apply_to_task(report)
        # the task's status moved: every month's figures; else the month's and later ones'
        derived.changed([report.task_id], () if moved else derived.months_from(report.month))
        _notify_reviewers(report, user)
    # A draft (or a returned report saved again) moves nothing derived: the stored standing
    # and the month roll-ups read submitted and approved reports only (lights.REPORTED), and
    # its indicator values reach the indicator on submission. Refreshing the standing here
    # was 58% of a draft save (issue 17).
    return report


def _write(report, indicator_values, submit, uploads, user):
    """The rows of `save_report`: the report, its indicator values and its files."""
    if report.pk:  # locked by save_report: nobody else writes it meanwhile
        report.save()
    else:
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:  # another request created the month's report first
            raise ReportConflict from None
    for indicator, value in (indicator_values or {}).items():
        _save_indicator_value(report, indicator, value, submit)
    if uploads:  # (attach is atomic: a savepoint for nothing otherwise)
        attach(report, uploads, user)


def _notify_reviewers(report, user):
    """A submitted (or resubmitted) report is announced to its department's heads; the notice
    opens the report, where they approve or return it."""
    heads = [h for h in department_staff(report.task.lead_department, (Role.HEAD,)) if h != user]
    notify(
        heads,
        kind=ReminderKind.SUBMITTED,
        subject=f"月报待审核：{report.task.code} {report.task.title}（{report.month:%Y-%m}）",
        body=f"{user}报送了{cn_month(report.month)}进展报告，请审核。",
        key=f"submitted:{report.pk}:{report.version}",
        about=report,
    )


def _save_indicator_value(report, indicator, value, submit):
    row = IndicatorValue.objects.filter(report=report, indicator=indicator).first()
    if value is None:
        if row:
            row.delete()
        return
    if row is None:
        IndicatorValue.objects.create(report=report, indicator=indicator, value=value)
    elif row.value != value:
        row.value = value
        row.save()
    if submit and (indicator.as_of_month is None or indicator.as_of_month <= report.month):
        indicator.actual = value
        indicator.as_of_month = report.month
        indicator.save()


def _apply_to_task(report):
    """A submitted report moves the task's percent and status forward; whether the status
    moved."""
    task = Task.objects.select_for_update().get(pk=report.task_id)
    latest = task.reports.exclude(status=ReportStatus.DRAFT).order_by("-month").first()
    if latest and latest.pk != report.pk:
        return False  # an older month was (re)submitted: the newer one keeps the figures
    changed = task.percent != report.percent
    status = task.status
    task.percent = report.percent
    if task.status == TaskStatus.NOT_STARTED and report.percent > 0:
        task.status, changed = TaskStatus.IN_PROGRESS, True
    if task.status == TaskStatus.IN_PROGRESS and report.percent == 100:
        task.status, changed = TaskStatus.COMPLETED, True
    if changed:
        task.save()
    return task.status != status


@transaction.atomic
def return_report(report, *, user, reason):
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise ReportLocked
    report.status = ReportStatus.RETURNED
    report.return_reason = reason
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.version += 1
    report.save()
    derived.changed([report.task_id], derived.months_from(report.month))
    if report.submitted_by:
        notify(
            [report.submitted_by],
            kind=ReminderKind.RETURNED,
            subject=f"月报被退回：{report.task.code} {report.task.title}（{report.month:%Y-%m}）",
            body=f"{user}退回了您报送的{report.month.year}年{report.month.month}月进展报告。退回原因：{reason}",
            key=f"returned:{report.pk}:{report.version}",
            about=report,
        )
    return report


@transaction.atomic
def approve_report(report, *, user):
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise ReportLocked
    if report.submitted_by_id == user.pk:
        raise OwnReport
    report.status = ReportStatus.APPROVED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.version += 1
    report.save()
    derived.changed([report.task_id], derived.months_from(report.month))  # /public/ shows it
    return report


def department_staff(department, roles=(Role.STAFF, Role.HEAD)):
    """The active members of `department` holding one of `roles`."""
    if department is None:
        return []
    labels = [Role(r).label for r in roles]
    return list(department.members.filter(is_active=True, groups__name__in=labels).distinct())


def months_of_plan(task_or_year, today=None):
    """The months a report may be filed for: from January of the plan's year to this month."""
    today = today or timezone.localdate()
    year = task_or_year if isinstance(task_or_year, int) else task_or_year.year
    return months_between(date(year, 1, 1), min(today.replace(day=1), date(year, 12, 1)))


class MonthState:
    """What the month bar shows of a month (the task page, the department page)."""

    MISSING = "missing"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    LABELS = {
        MISSING: "未报",
        DRAFT: "草稿",
        SUBMITTED: "已提交",
        RETURNED: "已退回",
        APPROVED: "已审核",
    }
    OPEN = {MISSING, DRAFT, RETURNED}  # still to file
    # A department's month takes the state of its least advanced task.
    ORDER = [RETURNED, MISSING, DRAFT, SUBMITTED, APPROVED]


@dataclass
class MonthSlot:
    month: date
    state: str

    @property
    def label(self):
        return MonthState.LABELS[self.state]

    @property
    def is_open(self):
        return self.state in MonthState.OPEN


def month_slots(months, statuses, tasks=1):
    """[MonthSlot] of `months`: `statuses` maps a month to the report statuses stored for it
    (one per task that has a report), `tasks` is how many tasks should report."""
    slots = []
    for month in months:
        found = list(statuses.get(month, ()))
        found += [MonthState.MISSING] * max(tasks - len(found), 0)
        state = min(found, key=MonthState.ORDER.index) if found else MonthState.APPROVED
        slots.append(MonthSlot(month, state))
    return slots


def first_open(slots, until):
    """The earliest month of `slots` still to file (unreported, draft or returned) up to the
    month `until`, or None."""
    return next((s.month for s in slots if s.is_open and s.month <= until), None)


def month_to_offer(slots, today=None):
    """The month to send someone to file: the earliest still open up to the month due now
    (the previous month until the due day), else the earliest open after it, else the last."""
    due = due_month(today)
    latest = slots[-1].month
    return first_open(slots, min(due, latest)) or first_open(slots, latest) or latest


def task_slots(task, reports, today=None):
    """The month bar of a task from its reports (loaded by the caller)."""
    statuses = {}
    for report in reports:
        statuses.setdefault(report.month, []).append(report.status)
    return month_slots(months_of_plan(task, today), statuses)


def department_slots(department_id, year, today=None):
    """The month bar of the department page: each month of `year` in the state of its least
    advanced task (2 queries)."""
    tasks = Task.objects.filter(lead_department_id=department_id, project__plan__year=year)
    rows = MonthlyReport.objects.filter(task__in=tasks).values_list("month", "status")
    statuses = {}
    for month, status in rows:
        statuses.setdefault(month, []).append(status)
    return month_slots(months_of_plan(year, today), statuses, tasks.count())


def next_open_task(report, user):
    """The next task (in plan order, after this one, else from the top) that `user`'s
    department leads and has not yet filed `report`'s month, for "next task of this month";
    or None (1 query, 2 when none comes after this one)."""
    if not user.department_id:
        return None
    # NOT EXISTS per task (the report's (task, month) index), not NOT IN over every filed
    # report of the month: that hashed all of them, 108 ms at 50,000 tasks (issue 17)
    filed = MonthlyReport.objects.filter(task=OuterRef("pk"), month=report.month).exclude(
        status__in=EDITABLE
    )
    candidates = (
        Task.objects.filter(
            lead_department_id=user.department_id, project__plan__year=report.month.year
        )
        .exclude(status=TaskStatus.CLOSED)
        .exclude(Exists(filed))
        .exclude(pk=report.task_id)
        .order_by("path")
    )
    candidates = candidates.only("pk", "path", "number", "title")
    # LIMIT 1 each: the department's 1,250 candidates fetched whole took 12 ms (issue 17)
    return candidates.filter(path__gt=report.task.path).first() or candidates.first()


def review_queue(user):
    """The submitted reports `user` reviews, oldest first: a head's department's, an admin's
    all (the /reviews/ page and the navigation's 待审核 count)."""
    reports = MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED)
    if not is_admin(user):
        if not (user.department_id and has_role(user, Role.HEAD)):
            return reports.none()
        reports = reports.filter(task__lead_department_id=user.department_id)
    return reports.order_by("submitted_at", "pk")


def approve_reports(reports, *, user):
    """Approve each of `reports` through `approve_report`; ([approved], {report: refusal}) —
    one report that cannot be approved (one's own, no longer submitted) does not stop the
    others."""
    approved, refused = [], {}
    for report in reports:
        try:
            approved.append(approve_report(report, user=user))
        except (ReportLocked, OwnReport) as error:
            refused[report] = error.message
    return approved, refused
