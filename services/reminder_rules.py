"""政民互动增效's reminder rules, found by the core at start-up (core/apps.py): a 网络问政
answer or a 建议提案 reply coming due, then overdue every REMINDER_OVERDUE_EVERY days to the
department, and to the supervisors once it is REMINDER_ESCALATE_SUPERVISOR_DAYS late."""

from datetime import timedelta

from django.conf import settings

from core.choices import ReminderKind
from core.reminders import Item, overdue_step, register, stage_of

from .choices import ProposalStatus
from .models import Inquiry, Proposal

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


OPEN = [ProposalStatus.ASSIGNED, ProposalStatus.HANDLING, ProposalStatus.SECOND]


@register("proposal_due")
def proposal_due(ctx):
    """A 建议提案 not yet replied: REMINDER_DUE_SOON_DAYS before its deadline (of the current
    round) to the lead unit; after it, overdue to staff and head, and to the supervisors once
    REMINDER_ESCALATE_SUPERVISOR_DAYS late."""
    waiting = Proposal.objects.filter(status__in=OPEN).only(
        "pk", "number", "title", "lead_department_id", "due_date", "rounds"
    )
    horizon = max(settings.REMINDER_DUE_SOON_DAYS)
    for proposal in waiting.filter(due_date__range=(ctx.day, ctx.day + timedelta(days=horizon))):
        left = (proposal.due_date - ctx.day).days
        stage = stage_of(left, settings.REMINDER_DUE_SOON_DAYS)
        when = "今天" if left == 0 else f"还有{left}天"
        reason = (
            f"建议提案“{proposal.title}”（{proposal.number}）将于"
            f"{proposal.due_date:%Y-%m-%d}到期（{when}）"
        )
        event = f"due_soon:proposal:{proposal.pk}:r{proposal.rounds}:{stage}"
        for user in ctx.lead_staff(proposal.lead_department_id):
            yield Item(event, ReminderKind.DUE_SOON, user, reason, proposal, proposal.due_date)
    for proposal in waiting.filter(due_date__lt=ctx.day):
        days = (ctx.day - proposal.due_date).days
        reason = (
            f"建议提案“{proposal.title}”（{proposal.number}）已超过办理时限{days}天"
            f"（时限 {proposal.due_date:%Y-%m-%d}）"
        )
        event = f"overdue:proposal:{proposal.pk}:r{proposal.rounds}:step:{overdue_step(days)}"
        for user in ctx.staff(proposal.lead_department_id):
            yield Item(event, ReminderKind.OVERDUE, user, reason, proposal, proposal.due_date)
        if days >= settings.REMINDER_ESCALATE_SUPERVISOR_DAYS:
            why = f"{reason}，提请督查处督办"
            for user in ctx.supervisors():
                yield Item(event, ReminderKind.ESCALATION, user, why, proposal, proposal.due_date)
