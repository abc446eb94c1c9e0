"""The one entry point of the derived tables (issue 17): every write that changes a task, or
what hangs on it, calls `changed` inside its transaction, so the stored figures never lag
the rows they are computed from.

- `standing.refresh`: the task's stored status (TaskStanding: light, 序时进度, latest report,
  挂牌, 催办 count, other apps' record counts) that the lists, the ledger and the task page read;
- `rollups.refresh_months`: the month roll-ups (TaskMonth) of the tasks, for `months` (a
  report of a month moves that month and the later ones) or every month of their year.

Writers: reports (submit, return, approve; a draft saved moves nothing), 节点, listings,
催办, closing, 暂停 / 终止 / 结转, task create, edit and import, extensions granted, other apps'
task records (core/task_records.py calls back here, `connect`). `refresh_all` is the daily job
(supervision/tasks.py, `manage.py refresh_status`); `rebuild` follows a bulk load.
"""

import threading
from contextlib import contextmanager
from datetime import date

from django.utils import timezone

from core import task_records
from core.months import months_between

from . import rollups, standing

_bulk = threading.local()


def changed(task_ids, months=()):
    """`task_ids` (ids, or a queryset of ids) changed: refresh what is stored about them as
    of today. `months`: the months whose figures the change can move (default: all).
    Inside `bulk_load`, nothing: the load rebuilds everything once at its end."""
    if getattr(_bulk, "on", False):
        return
    standing.refresh(task_ids, timezone.localdate())
    rollups.refresh_months(task_ids, months)


def refresh_all(today=None):
    """The daily job (just after midnight: time alone turns tasks yellow and red and moves a
    running month's figures) and the catch-up after it was missed: every derived table
    current as of `today`."""
    today = today or timezone.localdate()
    return {"tasks": standing.refresh_all(today), "months": rollups.refresh_all(today)}


def rebuild(today=None):
    """Every derived row recomputed after a bulk load (load_demo). Today is not marked
    current: the task pages compute live until the daily job (or `refresh_status`) runs, so
    that data changed behind the services afterwards (a test, a hand fix) still shows."""
    today = today or timezone.localdate()
    return {"tasks": standing.refresh_all(today, mark=False), "months": rollups.rebuild(today)}


@contextmanager
def bulk_load():
    """Many writes in one go (load_demo): no derived table is current while they run, so
    every read in between computes live, as before the tables existed; the writes refresh
    nothing one by one, and everything is rebuilt once at the end."""
    standing.forget()
    rollups.forget()
    _bulk.on = True
    try:
        yield
    finally:
        _bulk.on = False
    rebuild()


def months_from(month, today=None):
    """`month` and the later months of its year up to this one: what a report of `month`
    moves (its percent carries forward; the next month's light asks for it)."""
    today = today or timezone.localdate()
    last = min(today.replace(day=1), date(month.year, 12, 1))
    return months_between(month, last)


def record_changed(task_ids):
    """Another app's task record (an 整改, a drill problem…) was saved or deleted: the task's
    stored status and the running month's row, the only month whose light a record moves
    now (a closed or past month is judged as of its own last day). Every month would cost
    about 0.6 s per record saved."""
    changed(task_ids, [timezone.localdate().replace(day=1)])


def connect():
    """Other apps' task records (a late 整改 turns its task red) refresh on save."""
    task_records.on_change(record_changed)
