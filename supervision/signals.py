"""Changes that make a plan's cached dashboard figures stale (supervision/dashboard.py)."""

from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save

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
    plan_id = _plan_id(instance) if isinstance(instance, WATCHED) else None
    if plan_id:
        bump_version(plan_id)


def connect():
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-del-{model.__name__}")
    m2m_changed.connect(
        _changed, sender=Task.partner_departments.through, dispatch_uid="dashboard-partners"
    )
