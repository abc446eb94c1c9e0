"""A task's whole history: the task and every record hanging on it, as who / when /
field: old → new, with Chinese field labels. One query per kind of record, whatever the count."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format

from .models import (
    Department,
    Indicator,
    IndicatorValue,
    Instruction,
    Listing,
    Measure,
    Milestone,
    MonthlyReport,
    PartnerNote,
    Task,
    Urging,
    User,
)

SKIP = {
    "id",
    "created_at",
    "updated_at",
    "version",
    "path",
    "code",
    "task",
    "report",
    "project",
    "parent",
}
ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}


@dataclass
class Change:
    when: datetime
    who: str
    what: str
    action: str
    fields: list = field(default_factory=list)  # (label, old, new)


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
    return str(name)


def _format(value, model_field, names):
    if value is None or value == "":
        return "（空）"
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 300 else text[:300] + "…"


def _fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in SKIP]


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
    ]
    records = []
    for model, rows in sources:
        records += [(model, r) for r in rows.select_related("history_user").order_by("history_id")]
    names = _related_names(records)
    previous = {}
    changes = []
    for model, record in records:
        key = (model, record.id)
        before = previous.get(key)
        previous[key] = record
        fields = []
        for model_field in _fields(model):
            attname = model_field.attname
            new = getattr(record, attname, None)
            old = getattr(before, attname, None) if before else None
            if record.history_type == "~" and old == new:
                continue
            if record.history_type == "+" and new in (None, ""):
                continue
            if record.history_type == "-":
                continue
            shown_old = _format(old, model_field, names) if before else ""
            shown_new = _format(new, model_field, names)
            if before and shown_old == shown_new:
                continue  # e.g. a timestamp that moved by seconds
            fields.append((str(model_field.verbose_name), shown_old, shown_new))
        if record.history_type == "~" and not fields:
            continue
        who = record.history_user
        changes.append(
            Change(
                when=record.history_date,
                who=str(who) if who else "系统",
                what=_label(model, record),
                action=ACTIONS.get(record.history_type, record.history_type),
                fields=fields,
            )
        )
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes


def _related_names(records):
    """{(model, pk): str} for the users, departments and indicators the records point to
    (a query per kind)."""
    wanted = {User: set(), Department: set(), Indicator: set()}
    for model, record in records:
        for model_field in _fields(model):
            if model_field.is_relation and model_field.related_model in wanted:
                value = getattr(record, model_field.attname, None)
                if value is not None:
                    wanted[model_field.related_model].add(value)
    names = {}
    for model, ids in wanted.items():
        if ids:
            names.update({(model, o.pk): str(o) for o in model.objects.filter(pk__in=ids)})
    return names
