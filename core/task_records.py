"""Records that other apps keep for a plan task (a drill, an inspection, …): each app
registers, in its own `task_records.py` (found at start-up, core/apps.py), the kinds of record
it ties to tasks, and which of them are late. The task's page shows their summary, the ledger a
count per task, and the light of a task with a late record turns red (supervision/lights.py),
without the task's app naming any of them.

A source's `records()` is a queryset of the app's model; `task_path` is its lookup to the task
("task", or "drill__task" for a record that belongs to the task through its parent); `late`,
if given, is `late(today) -> Q` on that model. Summaries are one query for any number of tasks
and sources; the light is one EXISTS per source inside the task query (no query at all).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Value
from django.db.models.signals import post_delete, post_save
from django.urls import reverse

SOURCES = {}
LISTENERS = []


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    records: Callable  # () -> queryset of the records
    late: Callable | None = None  # (today) -> Q of the late records
    url_name: str = ""  # the app's list page, filtered with ?task=<id>
    task_path: str = "task"
    order: int = 100


@dataclass(frozen=True)
class Summary:
    source: Source
    total: int
    late: int

    @property
    def url(self):
        return reverse(self.source.url_name) if self.source.url_name else ""


def register(key, *, label, late=None, url_name="", task_path="task", order=100):
    """Decorator: add the source `key` ("app.records"), whose records the function returns."""

    def decorate(records):
        SOURCES[key] = Source(key, label, records, late, url_name, task_path, order)
        return records

    return decorate


def sources():
    return sorted(SOURCES.values(), key=lambda s: (s.order, s.key))


def late_condition(today, task=None):
    """A Q that is true for a task (the outer query's row, or `task` ref) with a late record of
    any source; None when no source knows lateness."""
    task = task or OuterRef("pk")
    condition = None
    for source in sources():
        if source.late is None:
            continue
        late = source.records().filter(source.late(today), **{source.task_path: task})
        exists = Q(Exists(late.order_by()))
        condition = exists if condition is None else condition | exists
    return condition


def has_records(task_id):
    """Whether any source has a record for the task (a plan re-import keeps such a task)."""
    return any(
        source.records().filter(**{source.task_path: task_id}).exists() for source in sources()
    )


def counts(found):
    """{source key: [total, late]} of a task's `summaries`: what a stored copy keeps."""
    return {s.source.key: [s.total, s.late] for s in found}


def from_counts(stored):
    """The `summaries` of a task back from its `counts` (sources no longer installed left
    out), in the sources' order."""
    found = [
        Summary(SOURCES[key], total, late)
        for key, (total, late) in stored.items()
        if key in SOURCES
    ]
    return sorted(found, key=lambda s: (s.source.order, s.source.key))


def summaries(task_ids, today):
    """{task_id: [Summary]} of the tasks `task_ids` (a list of ids or a queryset of ids): one
    query (a UNION ALL of one grouped SELECT per source), whatever the number of tasks;
    tasks without records are left out."""
    parts = []
    for source in sources():
        late = source.late(today) if source.late else Q(pk__in=[])
        parts.append(
            source.records()
            .filter(**{f"{source.task_path}__in": task_ids})
            .order_by()
            .annotate(
                _source=Value(source.key, output_field=CharField()), _task=F(source.task_path)
            )
            .values("_source", "_task")
            .annotate(_total=Count("pk"), _late=Count("pk", filter=late))
            .values_list("_source", "_task", "_total", "_late")
        )
    if not parts:
        return {}
    found = defaultdict(list)
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    for key, task_id, total, late in rows:
        found[task_id].append(Summary(SOURCES[key], total, late))
    for summaries_of_task in found.values():
        summaries_of_task.sort(key=lambda s: (s.source.order, s.source.key))
    return dict(found)


def on_change(listener):
    """Call `listener([task_id])` whenever a record of any source is saved or deleted, inside
    the write's transaction (the supervision app refreshes the task's stored light and record
    counts: supervision/derived.py). Core names no app; the app registers itself."""
    if listener not in LISTENERS:
        LISTENERS.append(listener)
    post_save.connect(_record_changed, dispatch_uid="task-records-changed")
    post_delete.connect(_record_changed, dispatch_uid="task-records-deleted")


_PATHS = {}


def _paths_by_model():
    """{model: {task_path}} of the sources (built once per set of sources: every save of any
    model asks)."""
    key = tuple(SOURCES)
    if _PATHS.get("key") != key:
        paths = defaultdict(set)
        for source in SOURCES.values():
            paths[source.records().model].add(source.task_path)
        _PATHS.update(key=key, paths=dict(paths))
    return _PATHS["paths"]


def _task_id(instance, path):
    """The task id of a record by its `task_path` ("task" or "drill__task"), or None."""
    *parents, last = path.split("__")
    try:
        for name in parents:
            instance = getattr(instance, name)
    except ObjectDoesNotExist:  # the parent was deleted with it
        return None
    return getattr(instance, f"{last}_id", None) if instance is not None else None


def _record_changed(sender, instance, **kwargs):
    paths = _paths_by_model().get(sender)
    if not paths or kwargs.get("raw"):
        return
    task_ids = {_task_id(instance, path) for path in paths} - {None}
    if task_ids:
        for listener in LISTENERS:
            listener(sorted(task_ids))
