"""When an 应急管理 record is late, as a Q (for the task's light, the summaries and the
reminder rules) and for one record (for its row on the list page)."""

from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from .models import report_minutes


def plan_late(today):
    """A 预案 whose revision deadline has passed."""
    return Q(next_revision_due__lt=today)


def drill_late(today):
    """A 演练 past its planned date and not held."""
    return Q(held_on__isnull=True, planned_on__lt=today)


def problem_late(today):
    """A follow-up item past its deadline and not fixed."""
    return Q(done_on__isnull=True, deadline__lt=today)


def incident_late(today=None):
    """A 信息报告 whose phone or written report is missing past its time limit (as of now)."""
    now = timezone.now()
    minutes = report_minutes()
    return Q(phoned_at__isnull=True, occurred_at__lt=now - timedelta(minutes=minutes["phone"])) | Q(
        written_at__isnull=True, occurred_at__lt=now - timedelta(minutes=minutes["written"])
    )


def incident_on_time():
    """A 信息报告 phoned and written within their time limits."""
    minutes = report_minutes()
    return Q(
        phoned_at__lte=F("occurred_at") + timedelta(minutes=minutes["phone"]),
        written_at__lte=F("occurred_at") + timedelta(minutes=minutes["written"]),
    )
