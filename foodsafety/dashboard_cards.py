"""The 食品安全 card on the monthly dashboard (core/cards.py finds this module)."""

from django.utils import timezone

from core import cards
from core.months import next_month

from .models import Accident, Inspection
from .rules import rectification_late, rectification_open


@cards.register(
    "foodsafety.summary", title="食品安全保障", template="foodsafety/card.html", order=61
)
def summary(user, month):
    """The month's inspections and accidents, and the 整改 open and late today (one query)."""
    today = timezone.localdate()
    end = next_month(month)
    return cards.counts(
        month=Inspection.objects.filter(inspected_on__gte=month, inspected_on__lt=end),
        open=Inspection.objects.filter(rectification_open()),
        late=Inspection.objects.filter(rectification_late(today)),
        accidents=Accident.objects.filter(occurred_at__date__gte=month, occurred_at__date__lt=end),
    )
