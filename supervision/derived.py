"""The one entry point every write calls when it changes what a task's derived rows hold
(supervision/standing.py: the light, 序时进度, latest report, 挂牌, 催办 count), inside the
writer's transaction, so that the stored rows never disagree with the rows they derive from.

Writers: reports (save, submit, return, approve), 节点, listings, 催办, closing, 暂停 / 终止 /
结转, task create, edit and import, extensions granted, other apps' task records
(core/task_records.py calls back here, `connect`)."""

from django.utils import timezone

from core import task_records

from . import standing


def changed(task_ids, months=()):
    """Refresh the derived rows of the tasks `task_ids` (ids, or a queryset of ids) as of
    today. `months`: the months whose roll-ups the write touched (the current one if none)."""
    standing.refresh(task_ids, timezone.localdate())


def connect():
    """Other apps' task records (a late 整改 turns its task red) call `changed` on save."""
    task_records.on_change(changed)
