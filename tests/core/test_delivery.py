"""core/delivery.py on stored rows with a frozen clock: the claim and its lease, what the sweep
re-queues (pending_ids) and what it checks again later (held_rows), how a failure is recorded,
and the sweep with a real broker (the queueing calls recorded instead of sent)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from freezegun import freeze_time

from core import delivery
from core.models import Reminder
from core.roles import Role
from tests.helpers import make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2030, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def rows(settings):
    """Email rows and one in-app row, in the states the sweep tells apart."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_CLAIM_LEASE = 600
    settings.REMINDER_MAX_ATTEMPTS = 3
    user = make_user("staff", Role.STAFF, email="staff@example.gov.cn")
    lease = timedelta(seconds=600)

    def row(name, channel="email", **values):
        return Reminder.objects.create(
            key=name, kind="manual", recipient=user, channel=channel, subject=name, **values
        )

    return {
        "fresh": row("fresh"),
        "expired": row("expired", claimed_at=NOW - lease - timedelta(seconds=1), attempts=1),
        "held": row("held", claimed_at=NOW - timedelta(seconds=100), attempts=1),
        "sent": row("sent", sent_at=NOW, claimed_at=NOW - lease * 2, attempts=1),
        "just_sent": row("just_sent", sent_at=NOW, claimed_at=NOW - timedelta(seconds=5)),
        "worn": row("worn", attempts=3),  # REMINDER_MAX_ATTEMPTS failures: left alone
        "held_worn": row("held_worn", claimed_at=NOW - timedelta(seconds=10), attempts=3),
        "in_app": row("in_app", channel="in_app"),
    }


@freeze_time(NOW)
def test_what_the_sweep_finds(rows):
    assert delivery.pending_ids() == [rows["fresh"].pk, rows["expired"].pk]
    assert delivery.pending_ids(limit=1) == [rows["fresh"].pk]
    assert delivery.held_rows() == [(rows["held"].pk, 500.0)]
    assert delivery.held_rows(limit=0) == []


@freeze_time(NOW)
def test_the_claim_takes_the_row_once_per_lease(rows):
    fresh = rows["fresh"]
    assert delivery.claim(fresh.pk, NOW) is True
    fresh.refresh_from_db()
    assert (fresh.claimed_at, fresh.attempts, fresh.sent_at) == (NOW, 1, None)
    assert delivery.claim(fresh.pk, NOW + timedelta(seconds=599)) is False
    assert delivery.claim(fresh.pk, NOW + timedelta(seconds=601)) is True
    assert Reminder.objects.get(pk=fresh.pk).attempts == 2
    assert delivery.claim(rows["expired"].pk, NOW) is True
    assert delivery.claim(rows["held"].pk, NOW) is False
    assert delivery.claim(rows["sent"].pk, NOW) is False
    assert delivery.claim(rows["sent"].pk + 1000, NOW) is False


@freeze_time(NOW)
def test_a_held_row_says_how_long_to_wait(rows):
    with pytest.raises(delivery.StillClaimed) as raised:
        delivery.deliver(rows["held"].pk)
    assert raised.value.remaining == 501  # 500 seconds left on the lease, and one more
    assert "501" in str(raised.value)
    Reminder.objects.filter(pk=rows["held"].pk).update(claimed_at=NOW - timedelta(seconds=600))
    with pytest.raises(delivery.StillClaimed) as raised:  # the lease ends this very second
        delivery.deliver(rows["held"].pk)
    assert raised.value.remaining == 1
    assert delivery.deliver(rows["sent"].pk) is False
    assert delivery.deliver(rows["sent"].pk + 1000) is False  # deleted meanwhile
    assert mail.outbox == []


@freeze_time(NOW)
def test_sending_marks_the_row_sent(rows):
    assert delivery.deliver(rows["fresh"].pk) is True
    fresh = Reminder.objects.get(pk=rows["fresh"].pk)
    assert (fresh.sent_at, fresh.claimed_at, fresh.attempts) == (NOW, NOW, 1)
    assert [m.to for m in mail.outbox] == [["staff@example.gov.cn"]]
    assert "fresh" in mail.outbox[0].subject


@freeze_time(NOW)
def test_a_failure_is_recorded_and_the_claim_released(rows, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    with pytest.raises(delivery.DeliveryFailed, match="邮件服务器断开连接"):
        delivery.deliver(rows["fresh"].pk)
    fresh = Reminder.objects.get(pk=rows["fresh"].pk)
    assert (fresh.sent_at, fresh.claimed_at, fresh.attempts) == (None, None, 1)
    local = NOW.astimezone(ZoneInfo("UTC"))
    assert fresh.last_error == (
        f"{local:%Y-%m-%d %H:%M:%S} SMTPServerDisconnected: 邮件服务器断开连接"
    )
    assert delivery.pending_ids()[0] == fresh.pk  # the sweep will try again


class BrokenChannel:
    """A channel that fails with a long message, after `meanwhile()` (another worker)."""

    def __init__(self, meanwhile=None):
        self.meanwhile = meanwhile

    def deliver(self, reminder):
        if self.meanwhile:
            self.meanwhile()
        raise ConnectionError("网关超时" * 200)


@freeze_time(NOW)
def test_a_failure_releases_only_its_own_claim(rows, monkeypatch):
    other = Reminder.objects.filter(pk=rows["held"].pk)
    other.update(claimed_at=NOW)  # another worker claimed another row at the same instant
    monkeypatch.setattr(delivery, "channel_for", lambda name: BrokenChannel())
    with pytest.raises(delivery.DeliveryFailed):
        delivery.deliver(rows["fresh"].pk)
    fresh = Reminder.objects.get(pk=rows["fresh"].pk)
    assert fresh.claimed_at is None
    full = "2030-06-01 01:00:00 ConnectionError: " + "网关超时" * 200  # UTC
    assert fresh.last_error == full[:500]
    assert other.get().claimed_at == NOW and other.get().last_error == ""


@freeze_time(NOW)
def test_a_failure_after_the_lease_leaves_the_new_claim(rows, monkeypatch):
    """The send took longer than the lease and another worker claimed the row meanwhile: the
    failure is not recorded over that worker's claim."""
    later = NOW + timedelta(seconds=700)
    fresh = Reminder.objects.filter(pk=rows["fresh"].pk)
    channel = BrokenChannel(meanwhile=lambda: fresh.update(claimed_at=later))
    monkeypatch.setattr(delivery, "channel_for", lambda name: channel)
    with pytest.raises(delivery.DeliveryFailed):
        delivery.deliver(rows["fresh"].pk)
    assert (fresh.get().claimed_at, fresh.get().last_error) == (later, "")


@freeze_time(NOW)
def test_sending_takes_three_queries(rows, django_assert_num_queries):
    # claim (UPDATE), the row with its recipient and digest (one SELECT), mark sent (UPDATE)
    with django_assert_num_queries(3):
        assert delivery.deliver(rows["fresh"].pk) is True


@freeze_time(NOW)
def test_in_process_a_failed_send_is_left_to_the_sweep(
    rows, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.sweep() == 2  # fresh and expired, each tried once, neither raises
    assert {r.getMessage() for r in caplog.records} == {
        f"提醒 {rows['fresh'].pk} 未能发送，稍后重试：邮件服务器断开连接",
        f"提醒 {rows['expired'].pk} 未能发送，稍后重试：邮件服务器断开连接",
    }
    assert Reminder.objects.get(pk=rows["expired"].pk).attempts == 2


@freeze_time(NOW)
def test_with_a_broker_the_sweep_queues_pending_now_and_held_rows_later(
    rows, eager_celery, monkeypatch
):
    eager_celery.conf.task_always_eager = False
    queued = []

    def publish(task, args, countdown=None):
        queued.append((args[0], countdown))
        return True

    monkeypatch.setattr(delivery, "publish", publish)
    assert delivery.sweep() == 2
    assert queued == [
        (rows["fresh"].pk, None),
        (rows["expired"].pk, None),
        (rows["held"].pk, 501),  # held: checked when its lease ends
    ]
    assert delivery.sweep() == 0 and len(queued) == 3  # each row once per lease
    assert mail.outbox == []
