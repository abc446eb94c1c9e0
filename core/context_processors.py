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
