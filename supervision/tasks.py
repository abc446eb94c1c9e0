"""Celery tasks of the supervision app. They take ids, never model instances."""

from celery import shared_task

from .notify import claim_and_send


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def deliver_emails(self, reminder_ids):
    """Send the email reminders `reminder_ids`; each is claimed first, so a retry or a
    second worker never sends one twice."""
    sent = 0
    for reminder_id in reminder_ids:
        sent += claim_and_send(reminder_id)
    return sent
