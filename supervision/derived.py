"""The one entry point of the derived tables (issue 17): every write that changes a task, or
what hangs on it, calls `changed` inside its transaction, so the stored figures never lag
the rows they are computed from.

- `rollups.refresh_months`: the month roll-ups (TaskMonth) of the tasks, for `months` (a
  report of a month moves that month and the later ones) or every month of their year.

`refresh_all` is the daily job (supervision/tasks.py, `manage.py refresh_status`).
"""

from datetime import date

from django.utils import timezone

from core.months import months_between

from . import rollups


def changed(task_ids, months=(), figures=True):
    """`task_ids` changed: refresh what is stored about them. `months`: the months whose
    figures the change can move (default: all); `figures=False`: no month's figures move
    (a draft saved), only the task's own state."""
    if figures:
        rollups.refresh_months(task_ids, months)


def refresh_all(today=None):
    """The daily job (just after midnight: time alone moves a running month's figures) and
    the catch-up after it was missed: every derived table current as of `today`."""
    return {"months": rollups.refresh_all(today)}


def months_from(month, today=None):
    """`month` and the later months of its year up to this one: what a report of `month`
    moves (its percent carries forward; the next month's light asks for it)."""
    today = today or timezone.localdate()
    last = min(today.replace(day=1), date(month.year, 12, 1))
    return months_between(month, last)
