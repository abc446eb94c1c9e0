"""The 应急管理 card on the monthly dashboard (core/cards.py finds this module)."""

from django.utils import timezone

from core import cards
from core.months import next_month

from .models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply
from .rules import incident_on_time, plan_late, problem_late


@cards.register("emergency.summary", title="应急管理保障", template="emergency/card.html", order=60)
def summary(user, month):
    """The month's drills and 信息报告, and what is late today (one query)."""
    today = timezone.localdate()
    end = next_month(month)
    drills = Drill.objects.filter(planned_on__gte=month, planned_on__lt=end)
    reports = IncidentReport.objects.filter(occurred_at__date__gte=month, occurred_at__date__lt=end)
    return cards.counts(
        drills_planned=drills,
        drills_held=drills.filter(held_on__isnull=False),
        problems_late=DrillProblem.objects.filter(problem_late(today)),
        plans_late=EmergencyPlan.objects.filter(plan_late(today)),
        supplies_low=Supply.objects.filter(low_since__isnull=False),
        reports=reports,
        reports_on_time=reports.filter(incident_on_time()),
    )
