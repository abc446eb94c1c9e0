"""The 应急管理 records a plan task's page, ledger and light count (core/task_records.py)."""

from core.task_records import register

from .models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply
from .rules import drill_late, incident_late, plan_late, problem_late


@register("emergency.plans", label="应急预案", late=plan_late, url_name="emergency_plans", order=40)
def plans():
    return EmergencyPlan.objects.all()


@register(
    "emergency.drills", label="应急演练", late=drill_late, url_name="emergency_drills", order=41
)
def drills():
    return Drill.objects.all()


@register(
    "emergency.problems",
    label="演练问题整改",
    late=problem_late,
    url_name="emergency_drills",
    task_path="drill__task",
    order=42,
)
def problems():
    return DrillProblem.objects.all()


@register("emergency.supplies", label="应急物资储备", url_name="emergency_supplies", order=43)
def supplies():
    return Supply.objects.all()


@register(
    "emergency.incidents",
    label="突发事件信息报告",
    late=incident_late,
    url_name="emergency_incidents",
    order=44,
)
def incidents():
    return IncidentReport.objects.all()
