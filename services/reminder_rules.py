"""政民互动增效's reminder rules, found by the core at start-up (core/apps.py): a 网络问政
answer due tomorrow or today, then overdue every REMINDER_OVERDUE_EVERY days to the answering
department, and to the supervisors once it is REMINDER_ESCALATE_SUPERVISOR_DAYS late."""

from datetime import timedelta

from django.conf import settings

from core.choices import ReminderKind
from core.reminders import Item, overdue_step, register

from .models import Inquiry

FIELDS = ["number", "title", "department_id", "due_date"]


@register("inquiry_due")
def inquiry_due(ctx):
    unanswered = Inquiry.objects.filter(answered_at__isnull=True).only("pk", *FIELDS)
    for inquiry in unanswered.filter(due_date__range=(ctx.day, ctx.day + timedelta(days=1))):
        when = "今天" if inquiry.due_date == ctx.day else "明天"
        reason = f"网络问政“{inquiry.title}”（{inquiry.number}）{when}到答复时限"
        for user in ctx.lead_staff(inquiry.department_id):
            event = f"due_soon:inquiry:{inquiry.pk}"
            yield Item(event, ReminderKind.DUE_SOON, user, reason, inquiry, inquiry.due_date)
    for inquiry in unanswered.filter(due_date__lt=ctx.day):
        days = (ctx.day - inquiry.due_date).days
        reason = (
            f"网络问政“{inquiry.title}”（{inquiry.number}）已超过答复时限{days}天"
            f"（时限 {inquiry.due_date:%Y-%m-%d}）"
        )
        event = f"overdue:inquiry:{inquiry.pk}:step:{overdue_step(days)}"
        for user in ctx.staff(inquiry.department_id):
            yield Item(event, ReminderKind.OVERDUE, user, reason, inquiry, inquiry.due_date)
        if days >= settings.REMINDER_ESCALATE_SUPERVISOR_DAYS:
            for user in ctx.supervisors():
                yield Item(
                    event, ReminderKind.ESCALATION, user, f"{reason}，提请督查处督办", inquiry,
                    inquiry.due_date,
                )  # fmt: skip
