"""The reminder engine: one scan a day finds every deadline that calls for a reminder,
stores each finding once, and sends each person one digest.

Rules are small functions registered with `@register("name")`. Each gets a `Context` (the day,
the thresholds from settings, who holds which role) and yields `Item`s: an `event` key that
names the deadline and its stage (`due_soon:task:42:3`, `overdue:task:42:step:2`), the
recipient, a reason in Chinese and the record it links to. Each app registers its rules in
its own `reminder_rules.py`, found at start-up (core/apps.py); the engine, the digest and
the channels stay as they are.

Exactly once: an item's key is `<event>:u<user>`, unique in the database (ReminderItem). A
scan inserts the items it found, each new one into the recipient's digest of the day, in one
transaction (on PostgreSQL under an advisory lock, so two scans at once queue up rather than
race); an item already stored is skipped. Rules look at windows, not exact days (days left
≤ 7 and the stage not yet stored), so a day the scheduler missed is caught up the next day.
The digest's messages are Reminder rows, one per channel; email rows are sent after commit by
`deliver_reminder`, which claims each row first (core/delivery.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from .channels import channels
from .choices import ReminderKind
from .delivery import deliver_after_commit, sweep
from .models import Digest, Reminder, ReminderItem, ScanRun
from .notify import pointer
from .roles import Role, roles_of

# Most urgent first: a digest is filed under the most urgent kind among its items.
URGENCY = [
    ReminderKind.ESCALATION,
    ReminderKind.OVERDUE,
    ReminderKind.LISTING,
    ReminderKind.RETURNED,
    ReminderKind.REPORT_MISSING,
    ReminderKind.WARNING,
    ReminderKind.DUE_SOON,
]
LOCK_ID = 7_202_012  # pg_advisory_xact_lock key of the scan
CHUNK = 1000
#: joins the keys into the one string `stored_keys` sends (ASCII "unit separator")
KEY_SEPARATOR = "\x1f"
#: an integer no real primary key reaches: `Context.link` reverses a URL with it once
PK_MARK = 7_390_218_465_501


@dataclass(slots=True)
class Item:
    """One reason to remind one person. Not frozen: a province's scan makes 200,000 of them,
    and a frozen dataclass sets each field through object.__setattr__ (2.7× the cost)."""

    event: str
    kind: str
    recipient: object  # a User
    reason: str
    about: object = None  # the record it is about (or its Record): its page is the link
    due: date | None = None
    key: str = field(init=False, repr=False, compare=False)  # `<event>:u<recipient>`

    def __post_init__(self):
        # computed once: the scan uses it to deduplicate, sort and look up each item
        self.key = f"{self.event}:u{self.recipient.pk}"[:200]

    @property
    def url(self):
        return self.about.get_absolute_url() if self.about is not None else ""


@dataclass(slots=True, eq=False)
class Record:
    """A record an Item is about, named without loading it: its model, primary key, label
    (`str(record)`) and page. A rule that finds thousands of rows with `values_list` passes
    these instead of model instances; the stored item points at the record all the same.
    Two Records of one row are equal, as two instances of one row are."""

    model: type
    pk: int
    label: str
    url: str

    def __eq__(self, other):
        return isinstance(other, Record) and (self.model, self.pk) == (other.model, other.pk)

    def __hash__(self):
        return hash((self.model, self.pk))

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return self.url


@dataclass
class Context:
    """What every rule needs: the day and who holds which role, loaded once per scan."""

    day: date
    users: dict = field(default_factory=dict)  # pk -> User
    roles: dict = field(default_factory=dict)  # pk -> set of Role values
    by_department: dict = field(default_factory=lambda: defaultdict(list))
    supervisor_list: list = field(default_factory=list)
    memo: dict = field(default_factory=dict)  # staff lists and URL patterns, per scan

    @classmethod
    def load(cls, day):
        ctx = cls(day=day)
        users = get_user_model().objects.filter(is_active=True)
        for user in users.prefetch_related("groups").order_by("pk"):
            roles = roles_of(user)  # from the prefetched groups: no query
            ctx.users[user.pk] = user
            ctx.roles[user.pk] = roles
            if user.department_id:
                ctx.by_department[user.department_id].append(user)
            if Role.SUPERVISOR in roles:
                ctx.supervisor_list.append(user)
        return ctx

    def staff(self, department_id, *roles):
        """Active members of the department with one of `roles` (default: staff and head).
        Worked out once per department and roles in a scan: callers must not change the list."""
        memo_key = ("staff", department_id, roles)
        found = self.memo.get(memo_key)
        if found is None:
            wanted = set(roles or (Role.STAFF, Role.HEAD))
            members = self.by_department.get(department_id, [])
            found = self.memo[memo_key] = [u for u in members if self.roles[u.pk] & wanted]
        return found

    def lead_staff(self, department_id):
        """承办人员 of the department; its head when it has none."""
        return self.staff(department_id, Role.STAFF) or self.staff(department_id, Role.HEAD)

    def supervisors(self):
        return self.supervisor_list

    def active(self, user_id):
        return self.users.get(user_id)

    def link(self, viewname, pk):
        """`reverse(viewname, args=[pk])` for an integer `pk`, reversing once per scan: the
        path is the same around the number (an `<int:…>` converter writes `str(pk)`)."""
        parts = self.memo.get(("link", viewname))
        if parts is None:
            parts = reverse(viewname, args=[PK_MARK]).split(str(PK_MARK))
            self.memo["link", viewname] = parts
        if len(parts) != 2:  # the mark vanished or repeats: not a plain pattern
            return reverse(viewname, args=[pk])
        return f"{parts[0]}{int(pk)}{parts[1]}"


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


def deadline_items(ctx, *, about, due, department_id, event, what, thresholds=None):
    """The Items of one deadline of a department's record (an app's 整改期限, 修订期限, …):
    `thresholds` days before it (default REMINDER_DUE_SOON_DAYS) to the department's staff;
    the day after and every REMINDER_OVERDUE_EVERY days to its staff and head, and from
    REMINDER_ESCALATE_SUPERVISOR_DAYS overdue also to 督查人员. `event` names the deadline
    ("inspection:7"); `what` says it in Chinese (“检查发现问题的整改”)."""
    thresholds = thresholds or settings.REMINDER_DUE_SOON_DAYS
    left = (due - ctx.day).days
    if 0 <= left <= max(thresholds):
        when = "今天" if left == 0 else f"还有{left}天"
        reason = f"{what}将于{due:%Y-%m-%d}到期（{when}）"
        key = f"due_soon:{event}:{stage_of(left, thresholds)}"
        for user in ctx.lead_staff(department_id):
            yield Item(key, ReminderKind.DUE_SOON, user, reason, about, due)
    elif left < 0:
        days = -left
        reason = f"{what}已逾期{days}天（期限 {due:%Y-%m-%d}）"
        key = f"overdue:{event}:step:{overdue_step(days)}"
        for user in ctx.staff(department_id):
            yield Item(key, ReminderKind.OVERDUE, user, reason, about, due)
        if days >= settings.REMINDER_ESCALATE_SUPERVISOR_DAYS:
            limit = settings.REMINDER_ESCALATE_SUPERVISOR_DAYS
            why = f"{reason}（逾期超过{limit}天，提请督查处督办）"
            for user in ctx.supervisors():
                yield Item(key, ReminderKind.ESCALATION, user, why, about, due)


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
    """The keys among `keys` already stored. On PostgreSQL in one query: the keys travel as
    one string split in SQL (adapting 100,000 strings one by one to an array literal took
    0.4 s, and planning `= ANY` over them as long again) and are joined to the table, which
    the planner hashes or probes through the unique index. Elsewhere, CHUNK keys a query."""
    keys = list(keys)
    if not keys:
        return set()
    if connection.vendor == "postgresql" and not any(KEY_SEPARATOR in key for key in keys):
        table = connection.ops.quote_name(ReminderItem._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT r.key FROM {table} r"  # noqa: S608 - the table name is ours
                " JOIN unnest(string_to_array(%s, %s)) AS k(key) ON r.key = k.key",
                [KEY_SEPARATOR.join(keys), KEY_SEPARATOR],
            )
            return {key for (key,) in cursor.fetchall()}
    existing = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        # no ordering: the model's joins its digest and sorts
        rows = ReminderItem.objects.filter(key__in=chunk).order_by()
        existing.update(rows.values_list("key", flat=True))
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
    pointers = {item.about: _pointer(item.about) for item in items}
    rows = [
        ReminderItem(
            key=item.key,
            event=item.event[:160],
            kind=item.kind,
            recipient_id=item.recipient.pk,
            reason=item.reason[:300],
            due=item.due,
            digest=digest_of[item.recipient.pk],
            **pointers[item.about],
        )
        for item in items
    ]
    # A key stored meanwhile (a scan outside the lock) is skipped, not sent twice.
    ReminderItem.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)
    stored = defaultdict(list)
    for row in ReminderItem.objects.filter(digest__in=digests):
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
        about = {(r.content_type_id, r.object_id, r.url, r.label) for r in rows}
        for channel in channels():
            if not channel.wants(user):
                continue
            messages.append(
                Reminder(
                    key=f"{digest.key}:{channel.name}",
                    kind=next(k for k in URGENCY if k in kinds),
                    recipient=user,
                    channel=channel.name,
                    **(_one_target(about) if len(about) == 1 else {}),
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
        link = f"{settings.SITE_URL}{row.url}" if row.url else ""
        lines.append(f"{n}. 【{ReminderKind(row.kind).label}】{row.reason}")
        if link:
            lines.append(f"   {link}")
    return subject[:200], "\n".join(lines)


def _pointer(about):
    """`core.notify.pointer` of a model instance, or the same fields of a `Record`."""
    if not isinstance(about, Record):
        return pointer(about)
    return {
        "content_type": ContentType.objects.get_for_model(about.model),
        "object_id": about.pk,
        "url": about.url[:200],
        "label": about.label[:200],
    }


def _one_target(about):
    """The generic pointer of a digest whose items are all about one record."""
    content_type_id, object_id, url, label = next(iter(about))
    return {"content_type_id": content_type_id, "object_id": object_id, "url": url, "label": label}
