"""Celery tasks of the shared layer. They take ids, never model instances; they are queued
after commit (core.delivery.deliver_after_commit), acknowledged late and declare their retries.
`deliver_reminder` itself lives beside the claim it wraps, in core/delivery.py."""

from datetime import date

from celery import shared_task
from celery.signals import worker_ready
from django.db import DatabaseError

from . import delivery, reminders
from .delivery import RETRIES, deliver_reminder

__all__ = ["deliver_pending", "deliver_reminder", "run_reminder_scan"]


@shared_task(bind=True, autoretry_for=(DatabaseError,), **RETRIES)
def run_reminder_scan(self, day=None):
    """The daily reminder scan (the beat schedule, 08:30). `day` as YYYY-MM-DD, default today.
    Idempotent: a redelivered or concurrent run sends nothing twice."""
    result = reminders.scan(date.fromisoformat(day) if day else None, trigger="scheduler")
    return {"items": len(result.items), "reminders": len(result.reminders)}


@shared_task(acks_late=True)
def deliver_pending():
    """Queue every stored message that has not gone out (every few minutes, and when a
    worker starts), so nothing is lost when a worker or Redis went down."""
    return delivery.sweep()


@worker_ready.connect
def _sweep_on_start(sender=None, **kwargs):
    deliver_pending.delay()
