"""The reminder engine: one scan a day finds every deadline that calls for a reminder,
stores each finding once, and sends each person one digest.

Rules are small functions registered with `@register("name")`. Each gets a `Context` (the day,
the thresholds from settings, who holds which role) and yields `Item`s: an `event` key that
names the deadline and its stage (`due_soon:task:42:3`, `overdue:task:42:step:2`), the
recipient, a reason in Chinese and the task it links to. Later modules (建议提案, 整改,
预案) register their own rules; the engine, the digest and the channels stay as they are.

Exactly once: an item's key is `<event>:u<user>`, unique in the database (ReminderItem). A
scan inserts the items it found, each new one into the recipient's digest of the day, in one
transaction (on PostgreSQL under an advisory lock, so two scans at once queue up rather than
race); an item already stored is skipped. Rules look at windows, not exact days (days left
≤ 7 and the stage not yet stored), so a day the scheduler missed is caught up the next day.
The digest's messages are Reminder rows, one per channel; email rows are sent after commit by
`deliver_reminder`, which claims each row first (supervision/delivery.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .channels import channels
from .choices import ReminderKind, ReportStatus, Rhythm, Role, TaskStatus
from .lights import previous_month
from .models import (
    Digest,
    Listing,
    Milestone,
    MonthlyReport,
    Reminder,
    ReminderItem,
    ScanRun,
    Task,
    User,
)
from .reporting import next_month, report_due_date

CLOSED = [TaskStatus.COMPLETED, TaskStatus.CLOSED, TaskStatus.SUSPENDED]
REPORTED = [ReportStatus.SUBMITTED, ReportStatus.APPROVED]
# Most urgent first: a digest is filed under the most urgent kind among its items.
URGENCY = [
    ReminderKind.ESCALATION,
    ReminderKind.OVERDUE,
    ReminderKind.LISTING,
    ReminderKind.RETURNED,
    ReminderKind.REPORT_MISSING,
    ReminderKind.DUE_SOON,
]
LOCK_ID = 7_202_012  # pg_advisory_xact_lock key of the scan
CHUNK = 1000


@dataclass(frozen=True)
class Item:
    """One reason to remind one person."""

    event: str
    kind: str
    recipient: User
    reason: str
    task: Task | None = None
    due: date | None = None

    @property
    def key(self):
        return f"{self.event}:u{self.recipient.pk}"[:200]


@dataclass
class Context:
    """What every rule needs: the day and who holds which role, loaded once per scan."""

    day: date
    users: dict = field(default_factory=dict)  # pk -> User
    roles: dict = field(default_factory=dict)  # pk -> set of Role values
    by_department: dict = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, day):
        ctx = cls(day=day)
        labels = {label: value for value, label in Role.choices}
        users = User.objects.filter(is_active=True).prefetch_related("groups").order_by("pk")
        for user in users:
            roles = {labels[g.name] for g in user.groups.all() if g.name in labels}
            ctx.users[user.pk] = user
            ctx.roles[user.pk] = roles
            if user.department_id:
                ctx.by_department[user.department_id].append(user)
        return ctx

    def staff(self, department_id, *roles):
        """Active members of the department with one of `roles` (default: staff and head)."""
        roles = set(roles or (Role.STAFF, Role.HEAD))
        return [u for u in self.by_department.get(department_id, []) if self.roles[u.pk] & roles]

    def lead_staff(self, department_id):
        """承办人员 of the department; its head when it has none."""
        return self.staff(department_id, Role.STAFF) or self.staff(department_id, Role.HEAD)

    def supervisors(self):
        return [u for pk, u in self.users.items() if Role.SUPERVISOR in self.roles[pk]]

    def active(self, user_id):
        return self.users.get(user_id)


RULES = {}


def register(name):
    """Decorator: add a rule `rule(ctx) -> iterable of Item` under `name`."""

    def decorate(rule):
        RULES[name] = rule
        return rule

    return decorate


def active_rules():
    wanted = settings.REMINDER_RULES
    return {name: rule for name, rule in RULES.items() if not wanted or name in wanted}


def stage_of(days_left, thresholds):
    """The smallest threshold ≥ days_left (7/3/1 → 5 days left is stage 7), or None."""
    fitting = [t for t in thresholds if t >= days_left]
    return min(fitting) if fitting else None


def overdue_step(days_over):
    """0 for days 1‥3 overdue, 1 for 4‥6, …: one reminder per REMINDER_OVERDUE_EVERY days."""
    return (days_over - 1) // max(1, settings.REMINDER_OVERDUE_EVERY)


def _label(task):
    return f"“{task.code} {task.title}”"


def _ladder(ctx, task, days_over, event, reason, due):
    """An overdue event to the lead department, then up the escalation ladder."""
    for user in ctx.staff(task.lead_department_id):
        yield Item(event, ReminderKind.OVERDUE, user, reason, task, due)
    if days_over >= settings.REMINDER_ESCALATE_SUPERVISOR_DAYS:
        why = f"{reason}（逾期超过{settings.REMINDER_ESCALATE_SUPERVISOR_DAYS}天，提请督查处督办）"
        for user in ctx.supervisors():
            yield Item(event, ReminderKind.ESCALATION, user, why, task, due)
    leader = ctx.active(task.responsible_leader_id)
    if leader and days_over >= settings.REMINDER_ESCALATE_LEADER_DAYS:
        why = f"{reason}（逾期超过{settings.REMINDER_ESCALATE_LEADER_DAYS}天，报请责任领导关注）"
        yield Item(event, ReminderKind.ESCALATION, leader, why, task, due)


def _open_tasks():
    return (
        Task.objects.exclude(status__in=CLOSED)
        .filter(lead_department__isnull=False)
        .only("pk", "code", "title", "due_date", "lead_department_id", "responsible_leader_id")
    )


@register("due_soon")
def due_soon(ctx):
    """7, 3 and 1 days before a task's or a milestone's due date, to the lead department."""
    horizon = max(settings.REMINDER_DUE_SOON_DAYS)
    window = (ctx.day, ctx.day + timedelta(days=horizon))
    for task in _open_tasks().filter(due_date__range=window):
        left = (task.due_date - ctx.day).days
        stage = stage_of(left, settings.REMINDER_DUE_SOON_DAYS)
        when = "今天" if left == 0 else f"还有{left}天"
        reason = f"任务{_label(task)}将于{task.due_date:%Y-%m-%d}到期（{when}）"
        for user in ctx.lead_staff(task.lead_department_id):
            event = f"due_soon:task:{task.pk}:{stage}"
            yield Item(event, ReminderKind.DUE_SOON, user, reason, task, task.due_date)
    milestones = Milestone.objects.filter(
        completed_on=None, due_date__range=window, task__in=_open_tasks()
    ).select_related("task")
    for milestone in milestones:
        task = milestone.task
        left = (milestone.due_date - ctx.day).days
        stage = stage_of(left, settings.REMINDER_DUE_SOON_DAYS)
        when = "今天" if left == 0 else f"还有{left}天"
        reason = (
            f"任务{_label(task)}的节点“{milestone.title}”将于"
            f"{milestone.due_date:%Y-%m-%d}到期（{when}）"
        )
        for user in ctx.lead_staff(task.lead_department_id):
            event = f"due_soon:milestone:{milestone.pk}:{stage}"
            yield Item(event, ReminderKind.DUE_SOON, user, reason, task, milestone.due_date)


@register("overdue")
def overdue(ctx):
    """The day after the due date, then every REMINDER_OVERDUE_EVERY days, to staff and head;
    from REMINDER_ESCALATE_SUPERVISOR_DAYS also to 督查人员, from
    REMINDER_ESCALATE_LEADER_DAYS also to the responsible leader."""
    for task in _open_tasks().filter(due_date__lt=ctx.day):
        days = (ctx.day - task.due_date).days
        reason = f"任务{_label(task)}已逾期{days}天（完成时限 {task.due_date:%Y-%m-%d}）"
        event = f"overdue:task:{task.pk}:step:{overdue_step(days)}"
        yield from _ladder(ctx, task, days, event, reason, task.due_date)
    milestones = Milestone.objects.filter(
        completed_on=None, due_date__lt=ctx.day, task__in=_open_tasks()
    ).select_related("task")
    for milestone in milestones:
        task = milestone.task
        days = (ctx.day - milestone.due_date).days
        reason = (
            f"任务{_label(task)}的节点“{milestone.title}”已逾期{days}天"
            f"（计划 {milestone.due_date:%Y-%m-%d}）"
        )
        event = f"overdue:milestone:{milestone.pk}:step:{overdue_step(days)}"
        yield from _ladder(ctx, task, days, event, reason, milestone.due_date)


def _report_needed(month):
    """Open tasks of `month`'s plan year that owe a report for `month`."""
    month_end = next_month(month) - timedelta(days=1)
    tasks = _open_tasks().filter(project__plan__year=month.year).exclude(start_date__gt=month_end)
    if month.month not in (3, 6, 9, 12):
        tasks = tasks.exclude(rhythm=Rhythm.QUARTERLY)
    reported = MonthlyReport.objects.filter(month=month, status__in=REPORTED).values("task")
    return tasks.exclude(pk__in=reported)


@register("report_missing")
def report_missing(ctx):
    """From the REMINDER_REPORT_FROM_DAY-th, this month's report not yet submitted; from the
    1st (until then), last month's still missing. To the lead department's staff and head."""
    if ctx.day.day >= settings.REMINDER_REPORT_FROM_DAY:
        month, phase = ctx.day.replace(day=1), "due"
    else:
        month, phase = previous_month(ctx.day), "late"
    due = report_due_date(month)
    for task in _report_needed(month):
        if phase == "due":
            reason = (
                f"任务{_label(task)}{month:%Y年%m月}进展报告尚未报送（请于 {due:%Y-%m-%d} 前报送）"
            )
        else:
            reason = f"任务{_label(task)}上月（{month:%Y年%m月}）进展报告仍未报送"
        event = f"report_missing:task:{task.pk}:{month:%Y-%m}:{phase}"
        for user in ctx.staff(task.lead_department_id):
            yield Item(event, ReminderKind.REPORT_MISSING, user, reason, task, due)


@register("listing")
def listing(ctx):
    """挂牌督办: the deadline within REMINDER_LISTING_DAYS, or passed (then every
    REMINDER_OVERDUE_EVERY days), to the listing's supervisor and the lead department."""
    horizon = max(settings.REMINDER_LISTING_DAYS)
    listings = (
        Listing.objects.filter(lifted_at=None, deadline__lte=ctx.day + timedelta(days=horizon))
        .exclude(task__status=TaskStatus.CLOSED)
        .select_related("task")
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
    reports = (
        MonthlyReport.objects.filter(status=ReportStatus.RETURNED, reviewed_at__lt=cutoff)
        .exclude(task__status__in=CLOSED)
        .select_related("task")
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


# --- the scan --------------------------------------------------------------------------------


@dataclass
class ScanResult:
    day: date
    items: list  # the new Items (dry run) or ReminderItem rows (real run)
    reminders: list = field(default_factory=list)  # Reminder rows stored (all channels)
    dry_run: bool = False

    @property
    def recipients(self):
        return len({item.recipient.pk for item in self.items})


def find_items(day):
    """Every Item the rules yield for `day`, one per key, in a stable order."""
    ctx = Context.load(day)
    found = {}
    for rule in active_rules().values():
        for item in rule(ctx):
            found.setdefault(item.key, item)
    return [found[key] for key in sorted(found)]


def stored_keys(keys):
    existing = set()
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        existing.update(ReminderItem.objects.filter(key__in=chunk).values_list("key", flat=True))
    return existing


def scan(day=None, dry_run=False, trigger="scheduler"):
    """Run every rule for `day` (default today) and send what is new. Safe to run twice and
    at the same time: what was stored is never stored, or sent, again."""
    day = day or timezone.localdate()
    if dry_run:
        items = find_items(day)
        existing = stored_keys(item.key for item in items)
        return ScanResult(day, [i for i in items if i.key not in existing], dry_run=True)
    run = ScanRun.objects.create(day=day, started_at=timezone.now(), trigger=trigger)
    sweep()  # rows that earlier runs stored but never got out (a worker or Redis died)
    items = find_items(day)
    with transaction.atomic():
        _lock()
        existing = stored_keys(item.key for item in items)
        result = _store(day, [i for i in items if i.key not in existing])
        deferred = {c.name for c in channels() if c.deferred}
        from .tasks import deliver_after_commit

        for reminder in result.reminders:
            if reminder.channel in deferred:
                deliver_after_commit(reminder.pk)
    ScanRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        items=len(result.items),
        reminders=len(result.reminders),
        recipients=result.recipients,
    )
    return result


def _lock():
    """Two scans at once take turns (PostgreSQL); SQLite serializes writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])


def _store(day, items):
    """Insert the new items into one new digest per recipient, and its channel messages."""
    if not items:
        return ScanResult(day, [])
    by_user = defaultdict(list)
    for item in items:
        by_user[item.recipient.pk].append(item)
    taken = defaultdict(int)
    for user_id in Digest.objects.filter(day=day).values_list("recipient_id", flat=True):
        taken[user_id] += 1
    digests = []
    for user_id in by_user:
        seq = taken[user_id] + 1
        key = f"digest:{day:%Y-%m-%d}:{user_id}" + (f":{seq}" if seq > 1 else "")
        digests.append(Digest(key=key, recipient_id=user_id, day=day))
    Digest.objects.bulk_create(digests, batch_size=CHUNK)
    digest_of = {d.recipient_id: d for d in digests}
    rows = [
        ReminderItem(
            key=item.key,
            event=item.event[:160],
            kind=item.kind,
            recipient_id=item.recipient.pk,
            task=item.task,
            reason=item.reason[:300],
            due=item.due,
            digest=digest_of[item.recipient.pk],
        )
        for item in items
    ]
    # A key stored meanwhile (a scan outside the lock) is skipped, not sent twice.
    ReminderItem.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)
    stored = defaultdict(list)
    for row in ReminderItem.objects.filter(digest__in=digests).select_related("task"):
        stored[row.digest_id].append(row)
    empty = [d.pk for d in digests if not stored[d.pk]]
    if empty:
        Digest.objects.filter(pk__in=empty).delete()
    now = timezone.now()
    messages = []
    kept = []
    for digest in digests:
        rows = stored[digest.pk]
        if not rows:
            continue
        user = next(i.recipient for i in by_user[digest.recipient_id])
        digest.recipient = user
        kept.extend(rows)
        subject, body = _digest_text(day, rows)
        kinds = {r.kind for r in rows}
        tasks = {r.task_id for r in rows}
        for channel in channels():
            if not channel.wants(user):
                continue
            messages.append(
                Reminder(
                    key=f"{digest.key}:{channel.name}",
                    kind=next(k for k in URGENCY if k in kinds),
                    recipient=user,
                    channel=channel.name,
                    task_id=tasks.pop() if len(tasks) == 1 else None,
                    subject=subject,
                    body=body,
                    digest=digest,
                    sent_at=None if channel.deferred else now,
                )
            )
    Reminder.objects.bulk_create(messages, batch_size=CHUNK)
    for row in kept:
        row.recipient = next(i.recipient for i in by_user[row.recipient_id])
    return ScanResult(day, kept, messages)


def _digest_text(day, rows):
    """The digest's subject and plain body (the inbox shows it; emails use templates)."""
    subject = f"{day:%Y-%m-%d} 督查督办每日提醒：{len(rows)} 项待办"
    lines = []
    for n, row in enumerate(rows, 1):
        link = f"{settings.SITE_URL}/tasks/{row.task_id}/" if row.task_id else ""
        lines.append(f"{n}. 【{ReminderKind(row.kind).label}】{row.reason}")
        if link:
            lines.append(f"   {link}")
    return subject[:200], "\n".join(lines)


def sweep():
    """Queue every stored but unsent message again; delivery claims, so this is harmless
    for rows already on their way. Returns how many were queued."""
    from .delivery import pending_ids
    from .tasks import deliver_after_commit

    ids = pending_ids()
    for reminder_id in ids:
        deliver_after_commit(reminder_id)
    return len(ids)
