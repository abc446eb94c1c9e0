"""The supervision app's cards on the monthly dashboard (core/cards.py finds this module)."""

from django.db.models import Count

from core import cards
from core.choices import ReminderKind
from core.models import ReminderItem
from core.months import month_end, next_month

from .choices import LadderAction
from .ladder import month_records
from .models import LETTER_ACTIONS, Urging


@cards.register(
    "supervision.reminders",
    title="督办提醒与催办",
    template="supervision/cards/reminders.html",
    order=50,
)
def reminders(user, month):
    """The month's automatic reminders (distinct events, by kind) and manual 催办."""
    end = next_month(month)
    events = (
        ReminderItem.objects.filter(digest__day__gte=month, digest__day__lt=end)
        .values("kind")
        .annotate(count=Count("event", distinct=True))
        .order_by("kind")
    )
    urgings = Urging.objects.filter(created_at__date__gte=month, created_at__date__lt=end)
    return {
        "kinds": [(ReminderKind(row["kind"]).label, row["count"]) for row in events],
        "urgings": urgings.count(),
    }


@cards.register(
    "supervision.ladder",
    title="督办函与约谈",
    template="supervision/cards/ladder.html",
    order=55,
)
def ladder(user, month):
    """The month's 督办函 / 催办通知书 issued (and signed for), and its 约谈 (issue 12)."""
    records = month_records(month, month_end(month))
    letters = [r for r in records if r.action in LETTER_ACTIONS]
    return {
        "letters": len(letters),
        "unsigned": sum(1 for r in letters if r.signed_at is None),
        "interviews": [r for r in records if r.action == LadderAction.INTERVIEW],
    }
