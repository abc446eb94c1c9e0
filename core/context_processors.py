from .models import Reminder


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
