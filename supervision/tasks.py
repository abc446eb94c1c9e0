"""Celery tasks of the supervision app. They take ids, never model instances; they are
queued after commit (`delay_on_commit`), acknowledged late and declare their retries."""

import logging
from datetime import date
from functools import partial

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError, transaction

from . import delivery

logger = logging.getLogger(__name__)

RETRIES = {
    "acks_late": True,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": settings.REMINDER_MAX_ATTEMPTS,
}


@shared_task(bind=True, autoretry_for=(delivery.DeliveryFailed, DatabaseError), **RETRIES)
def deliver_reminder(self, reminder_id):
    """Send one stored reminder through its channel. Claimed first, so a retry, a redelivered
    message or a second worker never sends it twice."""
    try:
        return delivery.deliver(reminder_id)
    except delivery.StillClaimed as exc:
        raise self.retry(countdown=exc.remaining) from None


@shared_task(bind=True, autoretry_for=(delivery.DeliveryFailed, OSError), **RETRIES)
def deliver_emails(self, reminder_ids):
    """Send the email reminders `reminder_ids` (notices of supervision/notify.py)."""
    sent = 0
    for reminder_id in reminder_ids:
        try:
            sent += delivery.deliver(reminder_id)
        except delivery.StillClaimed:
            continue  # another worker is on it; the sweep catches it if that one died
    return sent


@shared_task(bind=True, autoretry_for=(DatabaseError,), **RETRIES)
def run_reminder_scan(self, day=None):
    """The daily reminder scan (the beat schedule, 08:30). `day` as YYYY-MM-DD, default today.
    Idempotent: a redelivered or concurrent run sends nothing twice."""
    from .reminders import scan

    result = scan(date.fromisoformat(day) if day else None, trigger="scheduler")
    return {"items": len(result.items), "reminders": len(result.reminders)}


@shared_task(acks_late=True)
def deliver_pending():
    """Queue every stored message that has not gone out (every few minutes, and when a
    worker starts), so nothing is lost when a worker or Redis went down."""
    from .reminders import sweep

    return sweep()


@worker_ready.connect
def _sweep_on_start(sender=None, **kwargs):
    deliver_pending.delay()


def deliver_after_commit(reminder_id):
    """Queue `deliver_reminder` once the current transaction commits (delay_on_commit).
    Without a broker (tasks run in-process) a failed send is recorded on the row and left to
    the sweep instead of raising into the caller, a web request or the scan."""
    transaction.on_commit(partial(_queue, reminder_id))


def _queue(reminder_id):
    if not deliver_reminder.app.conf.task_always_eager:
        deliver_reminder.delay(reminder_id)
        return
    # In-process, Celery would retry at once in a loop: try once, leave failures to the sweep.
    try:
        delivery.deliver(reminder_id)
    except (delivery.DeliveryFailed, delivery.StillClaimed) as exc:
        logger.warning("提醒 %s 未能发送，稍后重试：%s", reminder_id, exc)
