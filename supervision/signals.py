"""Changes that make a plan's cached dashboard figures stale (supervision/dashboard.py), and
the month close that stores the month's 目标绩效考核 values (supervision/scores.py)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import scores
from .dashboard import bump_version
from .models import (
    Indicator,
    IndicatorValue,
    Instruction,
    Listing,
    MonthClose,
    MonthlyReport,
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
    """The plan a changed row belongs to (one small query at most)."""
    if isinstance(instance, Project | MonthClose):
        return instance.plan_id
    if isinstance(instance, Task):
        projects = Project.objects.filter(pk=instance.project_id)
        return projects.values_list("plan_id", flat=True).first()
    if isinstance(instance, IndicatorValue):
        reports = MonthlyReport.objects.filter(pk=instance.report_id)
        return reports.values_list("task__project__plan_id", flat=True).first()
    tasks = Task.objects.filter(pk=getattr(instance, "task_id", None))
    return tasks.values_list("project__plan_id", flat=True).first()


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
    connect_scores()


def _month_closed(sender, instance, **kwargs):
    if instance.is_closed:
        scores.measure_closed(instance)


def connect_scores():
    post_save.connect(_month_closed, sender=MonthClose, dispatch_uid="scores-month-closed")
