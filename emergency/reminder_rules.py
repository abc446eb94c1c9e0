"""The 应急管理 module's reminder rules, found by the core at start-up (core/apps.py): 预案
revisions falling due, drills not held, drill problems' 整改期限, stocks below their minimum
and 信息报告 missing past their time limit."""

from datetime import timedelta

from django.conf import settings

from core.choices import ReminderKind
from core.reminders import Item, deadline_items, register

from .models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply
from .rules import incident_late

REVISION_NOTICE_DAYS = [30, 7, 1]  # a 预案's revision is announced a month ahead


def _horizon(ctx, days):
    return ctx.day + timedelta(days=max(days))


@register("emergency_plan_revision")
def plan_revision(ctx):
    """A 预案's next revision: 30, 7 and 1 days before, then overdue (escalating)."""
    notice = getattr(settings, "EMERGENCY_REVISION_NOTICE_DAYS", REVISION_NOTICE_DAYS)
    for plan in EmergencyPlan.objects.filter(next_revision_due__lte=_horizon(ctx, notice)):
        yield from deadline_items(
            ctx,
            about=plan,
            due=plan.next_revision_due,
            department_id=plan.department_id,
            event=f"emergency:plan:{plan.pk}:{plan.next_revision_due:%Y%m%d}",
            what=f"应急预案“{plan.name}”的修订",
            thresholds=notice,
        )


@register("emergency_drill")
def drill_planned(ctx):
    """A drill not yet held: before its planned date, and after it."""
    days = settings.REMINDER_DUE_SOON_DAYS
    drills = Drill.objects.filter(held_on=None, planned_on__lte=_horizon(ctx, days))
    for drill in drills:
        yield from deadline_items(
            ctx,
            about=drill,
            due=drill.planned_on,
            department_id=drill.department_id,
            event=f"emergency:drill:{drill.pk}:{drill.planned_on:%Y%m%d}",
            what=f"应急演练“{drill.title}”",
        )


@register("emergency_drill_problem")
def drill_problem(ctx):
    """A problem a drill found: its 整改期限, before and after."""
    days = settings.REMINDER_DUE_SOON_DAYS
    problems = DrillProblem.objects.filter(done_on=None, deadline__lte=_horizon(ctx, days))
    for problem in problems.select_related("drill"):
        yield from deadline_items(
            ctx,
            about=problem,
            due=problem.deadline,
            department_id=problem.department_id,
            event=f"emergency:problem:{problem.pk}",
            what=f"演练“{problem.drill.title}”发现问题“{problem.description[:40]}”的整改",
        )


@register("emergency_supply_low")
def supply_low(ctx):
    """A stock below its minimum warns the managing department, once per fall."""
    for supply in Supply.objects.filter(low_since__isnull=False):
        reason = (
            f"应急物资“{supply}”现有 {supply.quantity}{supply.unit}，"
            f"低于最低储备 {supply.minimum}{supply.unit}，请及时补充"
        )
        event = f"emergency:supply_low:{supply.pk}:{supply.low_since:%Y%m%d}"
        for user in ctx.staff(supply.department_id):
            yield Item(event, ReminderKind.WARNING, user, reason, supply, supply.low_since)


@register("emergency_incident_report")
def incident_report(ctx):
    """A 信息报告 whose phone or written report is missing past its time limit: to the
    reporting department and 督查人员, once."""
    for report in IncidentReport.objects.filter(incident_late()):
        missing = [
            label
            for label, value in (("电话报告", report.phoned_at), ("书面报告", report.written_at))
            if value is None
        ]
        reason = f"突发事件“{report.title}”的{'、'.join(missing)}已超过报送时限，请立即报送"
        event = f"emergency:incident:{report.pk}:{'-'.join(missing)}"
        people = {u.pk: u for u in [*ctx.staff(report.department_id), *ctx.supervisors()]}
        for user in people.values():
            yield Item(event, ReminderKind.OVERDUE, user, reason, report)
