"""The 食品安全 module's reminder rule, found by the core at start-up (core/apps.py): a 整改期限
falling due, then overdue and escalated to 督查人员 (core.reminders.deadline_items)."""

from datetime import timedelta

from django.conf import settings

from core.reminders import deadline_items, register

from .models import Inspection
from .rules import rectification_open


@register("foodsafety_rectification")
def rectification(ctx):
    horizon = ctx.day + timedelta(days=max(settings.REMINDER_DUE_SOON_DAYS))
    inspections = Inspection.objects.filter(rectification_open(), rectify_by__lte=horizon)
    for inspection in inspections:
        yield from deadline_items(
            ctx,
            about=inspection,
            due=inspection.rectify_by,
            department_id=inspection.department_id,
            event=f"foodsafety:rectify:{inspection.pk}",
            what=f"食品安全检查“{inspection.place}”发现问题的整改",
        )
