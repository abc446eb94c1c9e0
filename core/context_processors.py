from django.core.cache import cache

from . import workdays
from .health import broker_problem
from .models import Reminder
from .roles import Role, roles_of


def unread(request):
    """The unread notice count for the page header (one indexed query, signed-in only)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "unread_count": lambda: Reminder.objects.filter(
            recipient=user, channel="in_app", read_at=None
        ).count(),
    }


def broker_status(request):
    """Admins see a banner while the message broker (Redis) is unreachable: reminders and
    emails wait in the database and go out when it is back (core/delivery.py)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated or Role.ADMIN not in roles_of(user):
        return {}
    return {"broker_problem": broker_problem()}


def calendar_status(request):
    """Admins see a banner while next year's 法定节假日 and 调休 days are unknown (the
    library's release does not have them and no admin has entered them): limits in 工作日
    would count Monday to Friday. Checked once an hour."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated or Role.ADMIN not in roles_of(user):
        return {}
    year = cache.get("core:calendar-uncovered")
    if year is None:
        year = workdays.uncovered_next_year() or 0
        cache.set("core:calendar-uncovered", year, 3600)
    return {"calendar_uncovered": year}
