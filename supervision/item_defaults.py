"""The deadline and reporting rhythm the 立项 form proposes for a new item (issue 12), from
its source and urgency: 批示件 by urgency (ITEM_URGENT/NORMAL/DIFFICULT_WORKDAYS), the other
sources by SOURCE_DEFAULTS, ITEM_DEFAULT_WORKDAYS where nothing says otherwise; counted in
working days (core/workdays.py). The supervisor may change what is proposed."""

import json
from datetime import date

from django.conf import settings
from django.utils import timezone

from core.workdays import Calendar

from .choices import Source, Urgency


def proposed_defaults(source, urgency="", today=None, calendar=None):
    """(due date, rhythm) the 立项 form proposes for an item of `source` and `urgency`, from
    the settings (ITEM_*_WORKDAYS, SOURCE_DEFAULTS), counted in working days from today."""
    today = today or timezone.localdate()
    days, rhythm = settings.SOURCE_DEFAULTS.get(source, (settings.ITEM_DEFAULT_WORKDAYS, ""))
    if source == Source.INSTRUCTION:
        days = {
            Urgency.URGENT: settings.ITEM_URGENT_WORKDAYS,
            Urgency.DIFFICULT: settings.ITEM_DIFFICULT_WORKDAYS,
        }.get(urgency, settings.ITEM_NORMAL_WORKDAYS)
    if days == "year_end":
        return date(today.year, 12, 31), rhythm
    calendar = calendar or Calendar.load()
    return calendar.add(today, days or settings.ITEM_DEFAULT_WORKDAYS), rhythm


def defaults_map(today=None):
    """{"source:urgency": [due date, rhythm]} of every choice, for the form's script."""
    today = today or timezone.localdate()
    proposals, calendar = {}, Calendar.load()
    for source in Source.values:
        for urgency in ["", *Urgency.values]:
            due, rhythm = proposed_defaults(source, urgency, today, calendar)
            proposals[f"{source}:{urgency}"] = [due.isoformat(), rhythm]
    return proposals


def propose_defaults(form):
    """Fill an unbound 立项 form's deadline and rhythm from its source and urgency, and give
    the page's script (static/js/item_defaults.js) every proposal. Where the document gives
    no deadline, the proposal is the default limit."""
    due_help = "按来源和紧急程度自动建议（工作日计算；来文未定时限的按默认时限），可修改。"
    form.fields["due_date"].help_text = due_help
    form.fields["source"].widget.attrs["data-defaults"] = json.dumps(defaults_map())
    if form.is_bound:
        return
    source = form.initial.get("source") or Source.MEETING
    urgency = form.initial.get("urgency", "")
    due, rhythm = proposed_defaults(source, urgency)
    form.initial.setdefault("source", source)
    form.initial.setdefault("due_date", due)
    form.initial.setdefault("rhythm", rhythm)
