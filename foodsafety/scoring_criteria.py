"""The 食品安全 criterion of 目标绩效考核 (core/scoring.py finds this module)."""

from collections import defaultdict
from decimal import Decimal

from core.months import month_end
from core.scoring import RATE, Measure, register

from .models import Inspection


@register("foodsafety.rectification_on_time", label="检查整改按期完成率", kind=RATE, order=62)
def rectification_on_time(month):
    """The 整改 due in the month that were closed by their deadline."""
    last = month_end(month)
    due = Inspection.objects.filter(rectify_by__gte=month, rectify_by__lte=last)
    found = defaultdict(lambda: [0, 0])
    for department_id, deadline, done in due.values_list(
        "department_id", "rectify_by", "rectified_on"
    ):
        found[department_id][0] += 1
        found[department_id][1] += bool(done and done <= deadline)
    return {
        department_id: Measure(Decimal(good) / total, f"按期整改 {good}/{total}")
        for department_id, (total, good) in found.items()
    }
