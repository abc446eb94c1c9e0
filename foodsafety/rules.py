"""When a 食品安全 record is late, as a Q (the task's light, the summaries, the reminders)."""

from django.db.models import Q


def rectification_late(today):
    """An inspection whose 整改 is past its deadline and not closed."""
    return Q(rectified_on__isnull=True, rectify_by__lt=today)


def rectification_open():
    return Q(rectified_on__isnull=True, rectify_by__isnull=False)
