"""The one entry point of the derived tables (issue 17): every write that changes a task, or
what hangs on it, calls `changed` inside its transaction, so the stored figures never lag
the rows they are computed from.

- `standing.refresh`: the task's stored status (TaskStanding: light, 序时进度, latest report,
  挂牌, 催办 count, other apps' record counts) that the lists, the ledger and the task page read;
- `rollups.refresh_months`: the month roll-ups (TaskMonth) of the tasks, for `months` (a
  report of a month moves that month and the later ones) or every month of their year.

Writers: reports (save, submit, return, approve), 节点, listings, 催办, closing, 暂停 / 终止 /
结转, task create, edit and import, extensions granted, other apps' task records
(core/task_records.py calls back here, `connect`). `refresh_all` is the daily job
(supervision/tasks.py, `manage.py refresh_status`); `rebuild` follows a bulk load.
"""

from datetime import date

from django.utils import timezone

from core import task_records
from core.months import months_between

from . import rollups, standing


def changed(task_ids, months=(), figures=True):
    """`task_ids` (ids, or a queryset of ids) changed: refresh what is stored about them as
    of today. `months`: the months whose figures the change can move (default: all);
    `figures=False`: no month's figures move (a draft saved), only the task's own state."""
    standing.refresh(task_ids, timezone.localdate())
    if figures:
        rollups.refresh_months(task_ids, months)


def refresh_all(today=None):
    """The daily job (just after midnight: time alone turns tasks yellow and red and moves a
    running month's figures) and the catch-up after it was missed: every derived table
    current as of `today`."""
    today = today or timezone.localdate()
    return {"tasks": standing.refresh_all(today), "months": rollups.refresh_all(today)}


def rebuild(today=None):
    """Every derived row recomputed (after loading data directly: load_demo, bench_data)."""
    today = today or timezone.localdate()
    return {"tasks": standing.refresh_all(today), "months": rollups.rebuild(today)}


def months_from(month, today=None):
    """`month` and the later months of its year up to this one: what a report of `month`
    moves (its percent carries forward; the next month's light asks for it)."""
    today = today or timezone.localdate()
    last = min(today.replace(day=1), date(month.year, 12, 1))
    return months_between(month, last)


def connect():
    """Other apps' task records (a late 整改 turns its task red) call `changed` on save."""
    task_records.on_change(changed)
