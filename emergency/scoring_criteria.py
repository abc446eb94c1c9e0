"""The 应急管理 criteria of 目标绩效考核 (core/scoring.py finds this module)."""

from collections import defaultdict
from decimal import Decimal

from core.months import month_end, next_month
from core.scoring import RATE, Measure, register

from .models import Drill, DrillProblem, IncidentReport


def rates(pairs, what):
    """{department_id: Measure} of the share of True among each department's values."""
    found = defaultdict(list)
    for department_id, good in pairs:
        found[department_id].append(good)
    return {
        department_id: Measure(
            Decimal(sum(values)) / len(values), f"{what} {sum(values)}/{len(values)}"
        )
        for department_id, values in found.items()
    }


@register("emergency.drills_as_planned", label="应急演练按计划完成率", kind=RATE, order=60)
def drills_as_planned(month):
    """The drills planned in the month that were held within it."""
    last = month_end(month)
    drills = Drill.objects.filter(planned_on__gte=month, planned_on__lte=last)
    pairs = drills.values_list("department_id", "held_on")
    return rates(((d, held is not None and held <= last) for d, held in pairs), "按计划演练")


@register("emergency.reports_on_time", label="突发事件信息报告及时率", kind=RATE, order=61)
def reports_on_time(month):
    """The month's 信息报告 phoned and written within their time limits."""
    reports = IncidentReport.objects.filter(
        occurred_at__date__gte=month, occurred_at__date__lt=next_month(month)
    )
    return rates(((r.department_id, r.on_time) for r in reports), "按时报告")


@register("emergency.followups_on_time", label="演练问题整改按期完成率", kind=RATE, order=62)
def followups_on_time(month):
    """The drill problems due in the month that were fixed by their deadline."""
    due = DrillProblem.objects.filter(deadline__gte=month, deadline__lte=month_end(month))
    pairs = due.values_list("department_id", "deadline", "done_on")
    return rates(
        ((d, done is not None and done <= deadline) for d, deadline, done in pairs), "按期整改"
    )
