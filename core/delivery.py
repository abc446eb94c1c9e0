"""Sending one stored Reminder, at most once: claim, send, mark sent.

The claim is a conditional UPDATE that only one worker can win: it sets `claimed_at` on a row
that is unsent and unclaimed (or whose claim is older than REMINDER_CLAIM_LEASE seconds, i.e.
its worker died mid-send). `sent_at` is set only after the channel returns, so a worker killed
before sending leaves the row for the next try instead of losing it. A failure is recorded
(`attempts`, `last_error`) and the claim released, so the Celery retry can send it.

The Celery task `deliver_reminder` and `deliver_after_commit` live here, beside the claim, so
that notices and the reminder engine queue a message without importing core/tasks.py.

The Reminder table is the outbox: a row is committed with the change that caused it, and
publishing its task afterwards is best effort. `publish` never raises into a request: when the
broker is down or hangs (short socket timeouts, no publish retry) it logs, trips a breaker for
this process, and leaves the row unqueued (`queued_at` empty) for the sweep, which the worker
runs when it starts and beat every 10 minutes. A broker outage delays messages, loses none.

The guarantee. In-app notices: exactly once (the row's unique key; stored is delivered).
Email: at most one duplicate per worker crash. A worker killed between the SMTP transaction
and `sent_at` leaves a claim that expires after REMINDER_CLAIM_LEASE; the row is then sent
again, with the same Message-ID (derived from the row's key, core/emails.py), so a receiving
server or mail client that de-duplicates by Message-ID shows it once. The sweep queues each
unsent row at most once per lease (`queued_at`), never once per scan, so a worker outage
does not pile up copies of the same message in the broker.
"""

import logging
import time
from datetime import timedelta
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .channels import channel_for, channels
from .models import Reminder

logger = logging.getLogger(__name__)

RETRIES = {
    "acks_late": True,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": settings.REMINDER_MAX_ATTEMPTS,
}


class DeliveryFailed(Exception):
    """The channel raised; recorded on the row, and the task retries with backoff."""


class StillClaimed(Exception):
    """Another worker holds the claim; try again after `remaining` seconds."""

    def __init__(self, remaining):
        super().__init__(f"claimed by another worker for {remaining} more seconds")
        self.remaining = remaining


def _lease_start(now):
    return now - timedelta(seconds=settings.REMINDER_CLAIM_LEASE)


def claim(reminder_id, now):
    """Take the row for sending; True if this caller won it."""
    claimable = Q(claimed_at=None) | Q(claimed_at__lt=_lease_start(now))
    return bool(
        Reminder.objects.filter(claimable, pk=reminder_id, sent_at=None).update(
            claimed_at=now, attempts=F("attempts") + 1
        )
    )


def deliver(reminder_id):
    """Send the reminder `reminder_id` unless it was sent already; True if sent now."""
    now = timezone.now()
    if not claim(reminder_id, now):
        row = Reminder.objects.filter(pk=reminder_id).values("sent_at", "claimed_at").first()
        if row is None or row["sent_at"] is not None or row["claimed_at"] is None:
            return False
        remaining = (row["claimed_at"] - _lease_start(now)).total_seconds()
        raise StillClaimed(max(1, int(remaining) + 1))
    reminder = Reminder.objects.select_related("recipient", "digest").get(pk=reminder_id)
    try:
        channel_for(reminder.channel).deliver(reminder)
    except Exception as exc:  # noqa: BLE001 - any channel failure is recorded and retried
        Reminder.objects.filter(pk=reminder_id, claimed_at=now).update(
            claimed_at=None, last_error=f"{now:%Y-%m-%d %H:%M:%S} {type(exc).__name__}: {exc}"[:500]
        )
        raise DeliveryFailed(str(exc)) from exc
    Reminder.objects.filter(pk=reminder_id).update(sent_at=timezone.now())
    return True


def _not_queued_this_lease(now):
    return Q(queued_at=None) | Q(queued_at__lt=_lease_start(now))


def pending_ids(limit=5000):
    """Unsent rows of the deferred channels that nobody holds and nobody queued within the
    lease: what a sweep re-queues (a worker or Redis that died after the row was stored, a
    publish that failed, a retry that was lost)."""
    now = timezone.now()
    deferred = [c.name for c in channels() if c.deferred]
    claimable = Q(claimed_at=None) | Q(claimed_at__lt=_lease_start(now))
    return list(
        Reminder.objects.filter(
            claimable,
            _not_queued_this_lease(now),
            sent_at=None,
            channel__in=deferred,
            attempts__lt=settings.REMINDER_MAX_ATTEMPTS,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


@shared_task(
    bind=True,
    name="core.tasks.deliver_reminder",
    autoretry_for=(DeliveryFailed, DatabaseError),
    **RETRIES,
)
def deliver_reminder(self, reminder_id):
    """Send one stored reminder through its channel. Claimed first, so a retry, a redelivered
    message or a second worker never sends it twice."""
    try:
        return deliver(reminder_id)
    except StillClaimed as exc:
        raise self.retry(countdown=exc.remaining) from None


def deliver_after_commit(reminder_id):
    """Queue `deliver_reminder` once the current transaction commits (delay_on_commit).
    Without a broker (tasks run in-process) a failed send is recorded on the row and left to
    the sweep instead of raising into the caller, a web request or the scan."""
    transaction.on_commit(partial(_queue, reminder_id))


class Breaker:
    """This process's view of the broker: after a failed publish, skip the broker for
    `retry_seconds` (the rows wait for the sweep) instead of waiting on it in every request."""

    retry_seconds = 30.0

    def __init__(self):
        self.down_until = 0.0
        self.last_error = ""

    def is_open(self):
        return time.monotonic() < self.down_until

    def trip(self, exc):
        self.down_until = time.monotonic() + self.retry_seconds
        self.last_error = f"{type(exc).__name__}: {exc}"[:200]

    def reset(self):
        self.down_until = 0.0
        self.last_error = ""


broker = Breaker()


def publish(task, args, countdown=None):
    """Put `task(*args)` on the broker; False (logged, never raised) when it is unreachable."""
    if broker.is_open():
        return False
    try:
        task.apply_async(args=args, countdown=countdown, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the outbox row waits
        broker.trip(exc)
        logger.warning("消息代理（Redis）不可用，任务 %s%s 留待补发：%s", task.name, args, exc)
        return False
    return True


def _mark_queued(ids, now):
    Reminder.objects.filter(pk__in=ids).update(queued_at=now)


def _queue(reminder_id):
    if not deliver_reminder.app.conf.task_always_eager:
        if publish(deliver_reminder, [reminder_id]):
            _mark_queued([reminder_id], timezone.now())
        return
    # In-process, Celery would retry at once in a loop: try once, leave failures to the sweep.
    try:
        deliver(reminder_id)
    except (DeliveryFailed, StillClaimed) as exc:
        logger.warning("提醒 %s 未能发送，稍后重试：%s", reminder_id, exc)


def held_rows(limit=5000):
    """(id, seconds left on the claim) of unsent rows that a worker holds now. That worker may
    have died mid-send: the sweep checks each again once its claim has expired."""
    now = timezone.now()
    rows = Reminder.objects.filter(
        _not_queued_this_lease(now),
        sent_at=None,
        claimed_at__gte=_lease_start(now),
        attempts__lt=settings.REMINDER_MAX_ATTEMPTS,
    )
    held = rows.order_by("pk").values_list("pk", "claimed_at")[:limit]
    return [(pk, (claimed - _lease_start(now)).total_seconds()) for pk, claimed in held]


def sweep():
    """Queue every stored but unsent message that was not queued within the lease; delivery
    claims, so this is harmless for rows already on their way. A row another worker holds is
    queued to be checked when its claim expires, so a worker killed mid-send never needs the
    broker's redelivery (Redis returns an unacknowledged message only after its visibility
    timeout). Each row is queued at most once per lease, however often the sweep runs.
    Returns how many were queued now."""
    ids = pending_ids()
    if deliver_reminder.app.conf.task_always_eager:
        for reminder_id in ids:
            deliver_after_commit(reminder_id)
        return len(ids)
    broker.reset()  # the sweep runs in the worker: it has just reached the broker
    queued = [pk for pk in ids if publish(deliver_reminder, [pk])]
    _mark_queued(queued, timezone.now())
    for reminder_id, remaining in held_rows():
        if publish(deliver_reminder, [reminder_id], countdown=int(remaining) + 1):
            _mark_queued([reminder_id], timezone.now())
    return len(queued)
