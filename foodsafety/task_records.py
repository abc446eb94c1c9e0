"""The 食品安全 records a plan task's page, ledger and light count (core/task_records.py)."""

from core.task_records import register

from .models import Accident, Campaign, Inspection
from .rules import rectification_late


@register("foodsafety.campaigns", label="专项整治", url_name="foodsafety_campaigns", order=50)
def campaigns():
    return Campaign.objects.all()


@register(
    "foodsafety.inspections",
    label="食品安全检查",
    late=rectification_late,
    url_name="foodsafety_inspections",
    order=51,
)
def inspections():
    return Inspection.objects.all()


@register("foodsafety.incidents", label="食品安全事故", url_name="foodsafety_incidents", order=52)
def accidents():
    return Accident.objects.all()
