"""A task's whole history: the task and every record hanging on it (core/history.py does the
diffing), with each record named as the task page names it."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from core.history import changes
from core.models import Attachment, Department

from .models import (
    Assignment,
    Closure,
    Extension,
    Indicator,
    IndicatorValue,
    Instruction,
    LadderRecord,
    Listing,
    Measure,
    Milestone,
    MonthlyReport,
    PartnerNote,
    StateRequest,
    Task,
    Urging,
)

SKIP = {
    "version",
    "path",
    "code",
    "task",
    "report",
    "project",
    "parent",
    "content_type",
    "object_id",
    "file",
    "rule",
    "trigger",
}


def _label(model, record):
    name = model._meta.verbose_name
    if model is Task:
        return "任务"
    if model is MonthlyReport:
        return f"{record.month.year}年{record.month.month}月{name}"
    if model is Milestone:
        return f"{name}：{record.title}"
    if model is Indicator:
        return f"{name}：{record.name}"
    if model is Measure:
        return f"{name} {record.number}"
    if model is PartnerNote:
        return f"{name} {record.month:%Y-%m}"
    if model is Assignment:
        return f"{name}：{record.department}"
    if model is Attachment:
        return f"{name}：{record.original_name}"
    return str(name)


def _attachments(task):
    """The history of the 佐证材料 of the task and of its reports, 节点 and 办结 applications."""
    owners = {
        Task: [task.pk],
        MonthlyReport: MonthlyReport.objects.filter(task=task).values("pk"),
        Milestone: Milestone.objects.filter(task=task).values("pk"),
        Closure: Closure.objects.filter(task=task).values("pk"),
    }
    types = ContentType.objects.get_for_models(*owners)
    rows = Attachment.history.none()
    for model, ids in owners.items():
        rows |= Attachment.history.filter(content_type=types[model], object_id__in=ids)
    return rows


def task_changes(task):
    """Every change to `task` and its records, newest first."""
    sources = [
        (Task, Task.history.filter(id=task.pk)),
        (Measure, Measure.history.filter(task_id=task.pk)),
        (Milestone, Milestone.history.filter(task_id=task.pk)),
        (Indicator, Indicator.history.filter(task_id=task.pk)),
        (MonthlyReport, MonthlyReport.history.filter(task_id=task.pk)),
        (IndicatorValue, IndicatorValue.history.filter(report__task_id=task.pk)),
        (Listing, Listing.history.filter(task_id=task.pk)),
        (Instruction, Instruction.history.filter(task_id=task.pk)),
        (Urging, Urging.history.filter(task_id=task.pk)),
        (PartnerNote, PartnerNote.history.filter(task_id=task.pk)),
        (Closure, Closure.history.filter(task_id=task.pk)),
        (Attachment, _attachments(task)),
        (Assignment, Assignment.history.filter(task_id=task.pk)),
        (Extension, Extension.history.filter(task_id=task.pk)),
        (StateRequest, StateRequest.history.filter(task_id=task.pk)),
        (LadderRecord, LadderRecord.history.filter(task_id=task.pk)),
    ]
    named = (get_user_model(), Department, Indicator)
    return changes(sources, label=_label, skip=SKIP, named=named)
