"""How a stored Reminder reaches its recipient: one interface, one class per channel.

The reminder rules never name a channel: the engine stores one Reminder per recipient for
every channel in settings.REMINDER_CHANNELS that wants that recipient, and the worker calls
`deliver`. An SMS gateway is one more class here (and a ReminderChannel choice).
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .choices import ReminderChannel
from .emails import message_id_for, send_templated_email


class Channel:
    """A way to reach people. `deferred` channels are sent by a Celery task after commit;
    the others are delivered by storing the row (the in-app inbox)."""

    name = ""
    deferred = True

    def wants(self, user):
        """Whether `user` can be reached on this channel."""
        return True

    def deliver(self, reminder):
        """Send `reminder`; raise on failure (the caller records it and retries)."""
        raise NotImplementedError


class InAppChannel(Channel):
    """The inbox at /notifications/ and the unread badge: stored is delivered."""

    name = ReminderChannel.IN_APP
    deferred = False

    def deliver(self, reminder):
        return None


class EmailChannel(Channel):
    """Email in Chinese, text and HTML, through settings.EMAIL_BACKEND: a notice, or a day's
    digest with every item's reason and a link to its record's own page."""

    name = ReminderChannel.EMAIL

    def wants(self, user):
        return bool(user.email)

    def deliver(self, reminder):
        context = {"reminder": reminder, "user": reminder.recipient, "base_url": settings.SITE_URL}
        to = [reminder.recipient.email]
        message_id = message_id_for(reminder.key)
        if reminder.digest_id is None:
            send_templated_email("notice", context, to, message_id)
            return
        context["digest"] = reminder.digest
        context["items"] = list(reminder.digest.items.order_by("pk"))
        send_templated_email("digest", context, to, message_id)


def channels():
    """The configured channels, in order."""
    return [import_string(path)() for path in settings.REMINDER_CHANNELS]


def channel_for(name):
    for channel in channels():
        if channel.name == name:
            return channel
    raise LookupError(f"未配置的提醒渠道：{name}")
