"""Notices to people: an in-app notification and an email per recipient.

Each notice is stored as Reminder rows whose `key` is unique, so the same notice can never be
stored (and so sent) twice. In-app rows are delivered when stored; email rows are sent by the
Celery task `deliver_reminder` after the transaction commits, so a web request never waits on
the mail server.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .choices import ReminderChannel
from .models import Reminder


def notify(recipients, *, kind, subject, body, key, task=None):
    """Store an in-app notice and an email for each recipient; returns the rows created."""
    now = timezone.now()
    created = []
    for user in {u.pk: u for u in recipients}.values():
        channels = [ReminderChannel.IN_APP] + ([ReminderChannel.EMAIL] if user.email else [])
        for channel in channels:
            row = Reminder(
                key=f"{key}:{user.pk}:{channel}"[:200],
                kind=kind,
                recipient=user,
                channel=channel,
                task=task,
                subject=subject[:200],
                body=body,
                sent_at=now if channel == ReminderChannel.IN_APP else None,
            )
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue  # already stored: never twice
            created.append(row)
    email_ids = [r.pk for r in created if r.channel == ReminderChannel.EMAIL]
    if email_ids:
        from .tasks import deliver_after_commit

        for email_id in email_ids:
            deliver_after_commit(email_id)
    return created


def send_templated_email(name, context, to):
    """An email from the three templates emails/<name>_subject.txt, <name>.txt, <name>.html."""
    message = EmailMultiAlternatives(
        subject=render_to_string(f"emails/{name}_subject.txt", context).strip(),
        body=render_to_string(f"emails/{name}.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    message.send()


def send_email(reminder, base_url=None):
    """Send one email reminder (text and HTML) to its recipient."""
    context = {
        "reminder": reminder,
        "user": reminder.recipient,
        "task": reminder.task,
        "base_url": base_url or settings.SITE_URL,
    }
    send_templated_email("notice", context, [reminder.recipient.email])


def claim_and_send(reminder_id):
    """Send the email reminder `reminder_id` unless it was sent already; the row is claimed
    before sending (supervision/delivery.py), so two workers never send it twice."""
    from .delivery import deliver

    return deliver(reminder_id)
