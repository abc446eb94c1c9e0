"""Exactly once for email (issue 9, item 2): the sweep queues each unsent row once per lease,
not once per run, and a resent email carries the same Message-ID as the first."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from core import delivery
from core.choices import ReminderKind
from core.emails import message_id_for
from core.models import Reminder
from core.notify import notify


def email_row(office):
    notify([office["staff"]], kind=ReminderKind.MANUAL, subject="催办", body="请报送", key="t:1")
    return Reminder.objects.get(channel="email")


@pytest.fixture
def published(monkeypatch, eager_celery):
    """A broker that records what it is given, in the worker's (not in-process) mode."""
    calls = []
    eager_celery.conf.task_always_eager = False
    monkeypatch.setattr(
        delivery, "publish", lambda task, args, countdown=None: calls.append(args[0]) or True
    )
    return calls


def test_the_sweep_queues_a_row_once_per_lease(office, settings, published):
    settings.REMINDER_CLAIM_LEASE = 600
    with freeze_time("2030-06-01 09:00:00+08:00") as clock:
        row = email_row(office)  # its after-commit publish never ran (the broker was down)
        assert published == []
        assert delivery.sweep() == 1
        for _ in range(17):  # the worker is down: the sweep runs every 10 minutes …
            clock.tick(timedelta(seconds=30))
            assert delivery.sweep() == 0  # … and does not pile up copies on the broker
        assert published == [row.pk]
        clock.tick(timedelta(seconds=601))  # a lease later, still unsent: queued once more
        assert delivery.sweep() == 1
        assert published == [row.pk, row.pk]


def test_a_row_held_by_a_dead_worker_is_queued_once_per_lease(office, settings, published):
    settings.REMINDER_CLAIM_LEASE = 600
    with freeze_time("2030-06-01 09:00:00+08:00") as clock:
        row = email_row(office)
        Reminder.objects.filter(pk=row.pk).update(claimed_at=timezone.now())  # then killed
        delivery.sweep()
        delivery.sweep()
        assert published == [row.pk]  # with a countdown to the end of the claim
        clock.tick(timedelta(seconds=601))
        delivery.sweep()
        assert published == [row.pk, row.pk]


def test_a_resent_email_has_the_same_message_id(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = email_row(office)
    assert len(mail.outbox) == 1
    first = mail.outbox[0].extra_headers["Message-ID"]
    assert first == message_id_for(row.key)
    assert first.endswith("@duban.example.gov.cn>")
    # a worker died after the SMTP transaction, before recording it: the lease expires
    Reminder.objects.filter(pk=row.pk).update(sent_at=None, claimed_at=None)
    assert delivery.deliver(row.pk) is True
    assert mail.outbox[1].extra_headers["Message-ID"] == first
    assert mail.outbox[1].message()["Message-ID"] == first
