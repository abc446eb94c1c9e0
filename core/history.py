"""History diffs: the django-simple-history records of any models, as who / when / what /
field: old → new, with Chinese field labels. Apps say which records belong to a page (a task
and everything hanging on it) and how to name each; the diffing and formatting are here.
One query per kind of record, and one per kind of related row named, whatever the count."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format

ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}
BOOKKEEPING = {"id", "created_at", "updated_at"}


@dataclass
class Change:
    when: datetime
    who: str
    what: str
    action: str
    fields: list = field(default_factory=list)  # (label, old, new)


def format_value(value, model_field, names):
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


def changes(sources, *, label, skip=(), named=()):
    """Every change in `sources`, newest first.

    `sources` is [(model, historical queryset)]; `label(model, record)` names a record
    (“2012年7月月度进展报告”); fields in `skip` are not shown; related rows of the models in
    `named` are shown by name (one query per model), others by id."""
    skip = BOOKKEEPING | set(skip)
    records = []
    for model, rows in sources:
        records += [(model, r) for r in rows.select_related("history_user").order_by("history_id")]
    names = related_names(records, named, skip)
    previous = {}
    found = []
    for model, record in records:
        key = (model, record.id)
        before = previous.get(key)
        previous[key] = record
        fields = _changed_fields(model, record, before, names, skip)
        if record.history_type == "~" and not fields:
            continue
        who = record.history_user
        found.append(
            Change(
                when=record.history_date,
                who=str(who) if who else "系统",
                what=label(model, record),
                action=ACTIONS.get(record.history_type, record.history_type),
                fields=fields,
            )
        )
    found.sort(key=lambda c: c.when, reverse=True)
    return found


def _fields(model, skip):
    return [f for f in model._meta.concrete_fields if f.name not in skip]


def _changed_fields(model, record, before, names, skip):
    if record.history_type == "-":
        return []
    fields = []
    for model_field in _fields(model, skip):
        attname = model_field.attname
        new = getattr(record, attname, None)
        old = getattr(before, attname, None) if before else None
        if record.history_type == "~" and old == new:
            continue
        if record.history_type == "+" and new in (None, ""):
            continue
        shown_old = format_value(old, model_field, names) if before else ""
        shown_new = format_value(new, model_field, names)
        if before and shown_old == shown_new:
            continue  # e.g. a timestamp that moved by seconds
        fields.append((str(model_field.verbose_name), shown_old, shown_new))
    return fields


def related_names(records, named, skip=()):
    """{(model, pk): str} for the rows of the models in `named` that the records point to."""
    wanted = {model: set() for model in named}
    for model, record in records:
        for model_field in _fields(model, skip):
            if model_field.is_relation and model_field.related_model in wanted:
                value = getattr(record, model_field.attname, None)
                if value is not None:
                    wanted[model_field.related_model].add(value)
    names = {}
    for model, ids in wanted.items():
        if ids:
            names.update({(model, o.pk): str(o) for o in model.objects.filter(pk__in=ids)})
    return names
