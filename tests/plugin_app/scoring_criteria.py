"""The plugin app's one 目标绩效考核 criterion: found by core/apps.py, never named by core or
supervision; a scheme that picks it counts it."""

from collections import Counter

from core.months import month_end
from core.scoring import COUNT, Measure, register

from .models import Widget


@register("plugin.widgets_due", label="部件到期件数", kind=COUNT)
def widgets_due(month):
    """The widgets due in the month, per department of their owner."""
    owners = Widget.objects.filter(due__gte=month, due__lte=month_end(month)).values_list(
        "owner__department_id", flat=True
    )
    return {dept: Measure(n, f"到期部件 {n} 个") for dept, n in Counter(owners).items() if dept}
