"""The 食品安全 card on the monthly dashboard (core/cards.py finds this module)."""

from django.db.models import Count, Q
from django.utils import timezone

from core import cards
from core.months import next_month

from .models import Accident, Inspection
from .rules import rectification_late, rectification_open


@cards.register(
    "foodsafety.summary", title="食品安全保障", template="foodsafety/card.html", order=61
)
def summary(user, month):
    """The month's inspections and accidents, and the 整改 open and late today."""
    today = timezone.localdate()
    end = next_month(month)
    figures = Inspection.objects.aggregate(
        month=Count("pk", filter=Q(inspected_on__gte=month, inspected_on__lt=end)),
        open=Count("pk", filter=rectification_open()),
        late=Count("pk", filter=rectification_late(today)),
    )
    accidents = Accident.objects.filter(occurred_at__date__gte=month, occurred_at__date__lt=end)
    return {**figures, "accidents": accidents.count()}
