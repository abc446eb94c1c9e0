"""The standing of each task — its light, 序时进度, overdue days, latest report and 挂牌 — as the
lists, the ledger and the task page show it: computed live (`live`), or read from the
stored `TaskStanding` rows (`stored`) while they are current.

The rows are written by `refresh(task_ids)`, which every write that changes a task's
standing calls through `derived.changed` inside its transaction, and by `refresh_all`, the
daily job just after midnight (time alone turns tasks yellow and red), which then marks the
day current (`StandingRun`). Both compute with `live`, that is with `lights.with_lights`:
the light rule is written once. A page asks `is_current(today)`; when the job has not run
today (the beat was down), it computes live, exactly as before the rows existed.
"""

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    JSONField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from core import task_records
from core.upsert import alias, upsert_select

from .choices import STOPPED, Light
from .lights import DONE, EPOCH, REPORTED, DayNumber, with_lights
from .models import Listing, MonthlyReport, StandingRun, Task, TaskStanding, Urging

#: how long a "yes, current" is remembered (a day's marker row is never deleted)
CURRENT_SECONDS = 2 * 24 * 3600

#: tasks per query of `refresh` (SQLite's limit on query parameters stays far away)
BATCH = 1000

#: tasks per INSERT ... SELECT of the daily job (a range of ids: no parameter per task)
BATCH_ALL = 10000

#: the columns `refresh` writes (all but the task and `computed_on`)
STORED = [
    "light",
    "light_rank",
    "listed",
    "listing_level",
    "listing_deadline",
    "last_report_month",
    "last_report_status",
    "last_progress",
    "last_submitted_at",
    "urging_count",
]
LISTING = ["listing_level", "listing_deadline"]
REPORTS = ["last_report_month", "last_report_status", "last_progress", "last_submitted_at"]


def light_rank():
    """红 0, 黄 1, 绿 2, 灰 3 (the list's sort by light) from the `light` annotation."""
    return Case(
        *[When(light=value, then=Value(i)) for i, value in enumerate(Light.values)],
        output_field=IntegerField(),
    )


#: the `light_rank` of each light, as `light_rank()` computes it in SQL
RANKS = {value: i for i, value in enumerate(Light.values)}


def active_listings():
    return Listing.objects.filter(task=OuterRef("pk"), lifted_at=None)


def report_columns(queryset):
    """`queryset` with the latest submitted or approved report's month, status, progress and
    submission time, and the number of 催办 (one subquery each, for any number of rows)."""
    reports = MonthlyReport.objects.filter(task=OuterRef("pk"), status__in=REPORTED).order_by(
        "-month"
    )
    urgings = (
        Urging.objects.filter(task=OuterRef("pk"))
        .order_by()
        .values("task")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        last_report_month=Subquery(reports.values("month")[:1]),
        last_report_status=Subquery(reports.values("status")[:1]),
        last_progress=Subquery(reports.values("progress")[:1]),
        last_submitted_at=Subquery(reports.values("submitted_at")[:1]),
        urging_count=Coalesce(Subquery(urgings, output_field=IntegerField()), Value(0)),
    )


def live(queryset, today, listing=False, reports=False, rank=False):
    """`queryset` with `listed`, `percent_shown` and `light` as of `today`, computed now;
    `listing` adds the active listing's level and deadline, `reports` the `report_columns`,
    `rank` the `light_rank` (in SQL it repeats the whole light rule once per light: only
    for the list's filter and sort)."""
    active = active_listings()
    queryset = queryset.annotate(listed=Exists(active), percent_shown=F("percent"))
    if listing:
        queryset = queryset.annotate(
            listing_level=Subquery(active.values("level")[:1]),
            listing_deadline=Subquery(active.values("deadline")[:1]),
        )
    if reports:
        queryset = report_columns(queryset)
    queryset = with_lights(queryset, today)
    return queryset.annotate(light_rank=light_rank()) if rank else queryset


def stored(queryset, listing=False, reports=False, rank=False):
    """The same annotations as `live`, read from the `TaskStanding` rows (one join); with
    `listing`, also the stored record counts (`records_of` reads them)."""
    names = ["listed", "light"] + (["light_rank"] if rank else [])
    names += LISTING if listing else []
    names += REPORTS + ["urging_count"] if reports else []
    columns = {name: F(f"standing__{name}") for name in names}
    if listing:
        columns["stored_records"] = F("standing__records")
    return queryset.annotate(percent_shown=F("percent"), **columns)


def _current_key(day):
    return f"standing:current:{day:%Y-%m-%d}"


def is_current(today=None):
    """Whether the daily job refreshed every task's standing for `today`: its `StandingRun`
    row, remembered in the cache (a page asks on every request; `refresh_all` sets it). A
    "no" is remembered for a minute only, so that a web process sees the job's run soon
    even where the cache is per process. Before a "yes" is remembered, the tasks that have
    no row yet (inserted behind the services) get theirs (`fill_missing`): a stored page
    shows every task."""
    day = today or timezone.localdate()
    known = cache.get(_current_key(day))
    if known is None:
        known = StandingRun.objects.filter(day=day).exists()
        if known:
            fill_missing(day)
        cache.set(_current_key(day), known, CURRENT_SECONDS if known else 60)
    return known


def fill_missing(today):
    """Compute the rows of the tasks that have none — created behind the services, which
    call `derived.changed` — as of `today`. One query when none is missing."""
    missing = Task.objects.filter(standing__isnull=True).order_by().values_list("pk", flat=True)
    return refresh(list(missing), today)


def task_added(sender, instance, created=False, raw=False, **kwargs):
    """post_save of Task (supervision/signals.py): a new task may have no row yet (a
    service refreshes it in its transaction; a script or the shell does not), so today's
    "yes, current" is asked again, which fills the missing rows first."""
    if created and not raw:
        cache.delete(_current_key(timezone.localdate()))


def forget():
    """No day is current any more (a bulk load follows): pages compute live until the next
    `refresh_all`."""
    StandingRun.objects.all().delete()
    cache.delete(_current_key(timezone.localdate()))


def annotate(queryset, today=None, listing=False, reports=False, rank=False):
    """`stored` while the rows are current for `today`, else `live`."""
    today = today or timezone.localdate()
    if is_current(today):
        return stored(queryset, listing, reports, rank)
    return live(queryset, today, listing, reports, rank)


def records(task_ids, today=None):
    """{task id: [core.task_records.Summary]} of the tasks `task_ids` (ids or a queryset of
    ids): the stored counts while current (a plain query), else `task_records.summaries`
    (one UNION ALL over every source, costly to build)."""
    today = today or timezone.localdate()
    if not is_current(today):
        return task_records.summaries(task_ids, today)
    stored = TaskStanding.objects.filter(task__in=task_ids).exclude(records={})
    return {
        task_id: task_records.from_counts(counts)
        for task_id, counts in stored.values_list("task_id", "records")
    }


def records_of(task, today=None):
    """The [core.task_records.Summary] of one task: from the counts its `task_view` row
    carries when stored (no query), else `records`."""
    if hasattr(task, "stored_records"):
        return task_records.from_counts(task.stored_records or {})
    return records([task.pk], today).get(task.pk, [])


# The two rules below in Python: what `_sql_columns` writes in SQL for the stored rows (the
# tests check the stored rows against these).


def expected_percent(start, due, today):
    """序时进度: the share of the task's time elapsed by `today`, in whole percent (None
    without both dates)."""
    if start is None or due is None or due <= start:
        return None
    share = 100 * (today - start).days // (due - start).days
    return max(0, min(100, share))


def overdue_days(status, due, today):
    """Days past the due date of a task not done, 0 otherwise."""
    if due is None or status in DONE or status in STOPPED:
        return 0
    return max(0, (today - due).days)


def refresh(task_ids, today=None):
    """Compute and store the standing of the tasks `task_ids` (ids or a queryset of ids) as
    of `today`, BATCH tasks at a time, as the daily job does (`_refresh_set`). Returns the
    number of rows."""
    today = today or timezone.localdate()
    if hasattr(task_ids, "values_list"):  # a queryset of tasks or of their ids
        task_ids = task_ids.values_list("pk", flat=True)
    ids = list(task_ids)
    return sum(
        _refresh_set(Task.objects.filter(pk__in=ids[start : start + BATCH]), today)
        for start in range(0, len(ids), BATCH)
    )


def refresh_all(today=None, mark=True):
    """The daily job: refresh every task's standing as of `today`, set-based: per range of
    BATCH_ALL task ids (each in its own transaction) one INSERT ... SELECT computing with
    `live` (the columns `refresh` computes in Python, in SQL: `_sql_columns`), and the
    other apps' record counts of the few tasks that have records; then mark `today` current
    (unless `mark` is false: the rows are written, the pages stay live until the job).
    Returns the number of tasks."""
    today = today or timezone.localdate()
    span = Task.objects.aggregate(first=Min("pk"), last=Max("pk"), count=Count("pk"))
    first, last, count = span["first"], span["last"], span["count"]
    start = first
    while first is not None and start <= last:
        tasks = Task.objects.filter(pk__gte=start, pk__lt=start + BATCH_ALL)
        with transaction.atomic():
            _refresh_set(tasks, today)
        start += BATCH_ALL
    if not mark:
        return count
    StandingRun.objects.update_or_create(day=today, defaults={"tasks": count})
    cache.set(_current_key(today), True, CURRENT_SECONDS)
    return count


def _sql_columns(today):
    """`expected_percent` and `overdue_days` of `today`, as the functions of those names
    compute them, and the row's other plain columns, as SQL expressions."""
    elapsed = Value((today - EPOCH).days) - DayNumber("start_date")
    duration = DayNumber("due_date") - DayNumber("start_date")
    timed = Q(start_date__isnull=False, due_date__isnull=False, due_date__gt=F("start_date"))
    # (whole percent: an integer division; below 0 it is 0 whichever way it rounds)
    share = Greatest(Value(0), Least(Value(100), Value(100) * elapsed / duration))
    late = Greatest(Value(0), Value((today - EPOCH).days) - DayNumber("due_date"))
    return {
        "task_id": F("pk"),
        "expected_percent": Case(
            When(timed, then=share), default=None, output_field=IntegerField()
        ),
        "overdue_days": Case(
            When(Q(due_date__isnull=True) | Q(status__in=[*DONE, *STOPPED]), then=Value(0)),
            default=late,
            output_field=IntegerField(),
        ),
        "computed_on": Value(today, output_field=DateField()),
        "records": Value({}, output_field=JSONField()),
    }


def _refresh_set(tasks, today):
    """`refresh` of the tasks `tasks` (a queryset), set-based: one INSERT ... SELECT, then the
    record counts of those of the tasks that have records (one query, one bulk update)."""
    columns = _sql_columns(today)
    names = ["task_id", *STORED, "expected_percent", "overdue_days", "computed_on", "records"]
    selected = [name for name in names if name != "light_rank"]
    rows = live(tasks, today, listing=True, reports=True).annotate(
        **{alias(name): columns[name] if name in columns else F(name) for name in selected}
    )
    # the rank from the selected light (`light_rank()` in the SELECT would repeat the rule)
    light = connection.ops.quote_name(alias("light"))
    whens = " ".join(f"WHEN '{value}' THEN {rank}" for value, rank in RANKS.items())
    count = upsert_select(
        TaskStanding,
        [rows.order_by().values_list(*map(alias, selected))],
        names,
        ["task_id"],
        outer={"light_rank": f"CASE {light} {whens} END"},
    )
    found = task_records.summaries(tasks.values("pk"), today)
    if found:
        standings = list(TaskStanding.objects.filter(task_id__in=list(found)).only("task_id"))
        for row in standings:
            row.records = task_records.counts(found[row.task_id])
        TaskStanding.objects.bulk_update(standings, ["records"], batch_size=BATCH)
    return count
