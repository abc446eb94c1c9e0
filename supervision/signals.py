"""Changes that make a plan's cached dashboard figures stale (supervision/dashboard.py), and
the month close that stores the month's 目标绩效考核 values (supervision/scores.py).

Each saved row bumps its plan's version, which costs a lookup of the plan and a cache write
per row. A bulk write of one plan (the plan import) runs inside `one_bump(plan_ids)` instead:
its rows bump nothing, and the plans it names are bumped once at the end."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save

from core.models import Department

from . import derived, filters, rollups, scores, standing
from .dashboard import bump_version
from .models import (
    Indicator,
    IndicatorValue,
    Instruction,
    Listing,
    MonthClose,
    MonthlyReport,
    Plan,
    Project,
    Task,
)

WATCHED = (
    Project,
    Task,
    MonthlyReport,
    Listing,
    Instruction,
    Indicator,
    IndicatorValue,
    MonthClose,
)


_quiet = ContextVar("dashboard_bumps_quiet", default=False)


@contextmanager
def one_bump(plan_ids):
    """Inside, saved rows bump no plan; on leaving, each plan id in the set `plan_ids` is
    bumped once. The caller adds to `plan_ids` the plans it wrote, also ones created inside."""
    token = _quiet.set(True)
    try:
        yield plan_ids
    finally:
        _quiet.reset(token)
        for plan_id in plan_ids:
            bump_version(plan_id)


def _plan_id(instance):
    """The plan a changed row belongs to: the plan of its task's year, whatever the task's
    source (one small query at most)."""
    if isinstance(instance, Project | MonthClose):
        return instance.plan_id
    if isinstance(instance, Task):
        year = instance.year
    elif isinstance(instance, IndicatorValue):
        reports = MonthlyReport.objects.filter(pk=instance.report_id)
        year = Subquery(reports.values("task__year")[:1])
    else:
        tasks = Task.objects.filter(pk=getattr(instance, "task_id", None))
        year = Subquery(tasks.values("year")[:1])
    return Plan.objects.filter(year=year).values_list("pk", flat=True).first()


def _changed(sender, instance, **kwargs):
    if _quiet.get():
        return
    plan_id = _plan_id(instance) if isinstance(instance, WATCHED) else None
    if plan_id:
        bump_version(plan_id)


def _report_deleted(sender, instance, origin=None, **kwargs):
    """A report deleted on its own (the admin) moves the month roll-ups of its month and the
    later ones; one deleted with its task goes with the task's rows."""
    if isinstance(origin, MonthlyReport) or getattr(origin, "model", None) is MonthlyReport:
        derived.changed([instance.task_id], derived.months_from(instance.month))


def connect():
    # the task filters' years, projects and departments (supervision/filters.py)
    for model in (Task, Project, Plan, Department):
        for signal in (post_save, post_delete):
            uid = f"filter-choices-{model.__name__}"
            signal.connect(filters.forget_choices, sender=model, dispatch_uid=uid)
    post_delete.connect(_report_deleted, sender=MonthlyReport, dispatch_uid="rollups-report-del")
    post_save.connect(standing.task_added, sender=Task, dispatch_uid="standing-task-added")
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-del-{model.__name__}")
    m2m_changed.connect(
        _changed, sender=Task.partner_departments.through, dispatch_uid="dashboard-partners"
    )
    connect_scores()


def _month_closed(sender, instance, **kwargs):
    # closed or reopened: the month's roll-up rows are built afresh (in the same transaction)
    rollups.roll_month(instance.month)
    if instance.is_closed:
        scores.measure_closed(instance)


def connect_scores():
    post_save.connect(_month_closed, sender=MonthClose, dispatch_uid="scores-month-closed")
