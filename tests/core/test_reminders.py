"""The reminder engine (core/reminders.py, core/delivery.py): the daily digest, exactly once,
retries and claims, the schedule, /healthz and the reminders pages. The supervision rules
drive it; the clock is frozen; days are Asia/Shanghai days."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core import delivery
from core.models import Digest, Reminder, ReminderItem, ScanRun
from core.roles import Role
from core.schedule import ensure_schedule
from core.tasks import deliver_pending, deliver_reminder, run_reminder_scan
from supervision.models import Milestone
from tests import mail_backends
from tests.helpers import DUE, count_queries, make_task, make_user, only, run_on

pytestmark = pytest.mark.django_db


# --- the digest and exactly once ----------------------------------------------------------------


def test_one_digest_a_day_with_every_item(office, settings, django_capture_on_commit_callbacks):
    second = make_task(
        2, year=2030, title="引进金融机构", lead_department=office["dept"], due_date=DUE
    )
    Milestone.objects.create(task=office["task"], title="完成调研", due_date=DUE)
    day = DUE - timedelta(days=3)
    result = run_on(day, django_capture_on_commit_callbacks)
    staff_items = [i for i in result.items if i.recipient == office["staff"]]
    assert len(staff_items) >= 3  # two tasks and a milestone due, and June's report missing
    to_staff = [m for m in mail.outbox if m.to == ["staff@example.gov.cn"]]
    assert len(to_staff) == 1
    message = to_staff[0]
    html = message.alternatives[0][0]
    assert message.subject.startswith("【督查督办】2030-06-27 每日提醒")
    for item in staff_items:
        assert item.reason in message.body
        assert item.reason in html
    for task in (office["task"], second):
        assert f"https://duban.example.gov.cn/tasks/{task.pk}/" in message.body
        assert f'href="https://duban.example.gov.cn/tasks/{task.pk}/"' in html
    assert "还有3天" in message.body and "您好" in message.body
    # one inbox message per person, and the badge counts it
    inbox = Reminder.objects.filter(recipient=office["staff"], channel="in_app")
    assert inbox.count() == 1 and inbox.get().sent_at is not None
    assert Digest.objects.filter(recipient=office["staff"], day=day).count() == 1
    assert len(mail.outbox) == result.recipients == len({m.to[0] for m in mail.outbox})


def test_second_run_sends_nothing_and_later_items_get_a_second_digest(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "due_soon")
    day = DUE - timedelta(days=3)
    first = run_on(day, django_capture_on_commit_callbacks)
    again = run_on(day, django_capture_on_commit_callbacks)
    assert len(first.items) == 1 and not again.items and not again.reminders
    assert len(mail.outbox) == 1
    make_task(3, year=2030, lead_department=office["dept"], due_date=DUE)  # added at noon
    later = run_on(day, django_capture_on_commit_callbacks)
    assert len(later.items) == 1
    keys = set(Digest.objects.filter(day=day).values_list("key", flat=True))
    staff = office["staff"].pk
    assert keys == {f"digest:2030-06-27:{staff}", f"digest:2030-06-27:{staff}:2"}
    assert len(mail.outbox) == 2
    assert ReminderItem.objects.values("key").distinct().count() == ReminderItem.objects.count()


def test_no_email_address_gets_the_inbox_only(office, settings, django_capture_on_commit_callbacks):
    only(settings, "due_soon")
    office["staff"].email = ""
    office["staff"].save()
    run_on(DUE - timedelta(days=1), django_capture_on_commit_callbacks)
    assert not mail.outbox
    assert list(Reminder.objects.values_list("channel", flat=True)) == ["in_app"]


def test_failed_send_is_recorded_and_retried_once(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "due_soon")
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    run_on(DUE - timedelta(days=1), django_capture_on_commit_callbacks)  # the scan survives
    email = Reminder.objects.get(channel="email")
    assert email.sent_at is None and email.claimed_at is None
    assert email.attempts == 1 and "SMTPServerDisconnected" in email.last_error
    # a direct retry fails the same way, and says so
    with pytest.raises(delivery.DeliveryFailed):
        delivery.deliver(email.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_pending() == 1  # the sweep re-queues it; this time it goes out
    assert deliver_pending() == 0
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 3
    assert delivery.deliver(email.pk) is False  # never twice
    assert len(mail.outbox) == 1


def test_the_task_retries_with_backoff(office, settings, django_capture_on_commit_callbacks):
    only(settings, "due_soon")
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    run_on(DUE - timedelta(days=1), django_capture_on_commit_callbacks)
    email = Reminder.objects.get(channel="email")
    assert deliver_reminder.acks_late is True
    assert delivery.DeliveryFailed in deliver_reminder.autoretry_for
    assert deliver_reminder.retry_backoff and deliver_reminder.max_retries >= 3
    assert run_reminder_scan.acks_late is True
    # one more failure, then the backend works: Celery's retry (at once when eager) sends it
    mail_backends.FlakyBackend.failures = 1
    settings.EMAIL_BACKEND = "tests.mail_backends.FlakyBackend"
    assert deliver_reminder.apply(args=[email.pk], throw=False).get() is True
    assert deliver_reminder.apply(args=[email.pk]).get() is False
    email.refresh_from_db()
    assert email.attempts == 3 and email.sent_at and len(mail.outbox) == 1
    assert "临时故障" in email.last_error  # the last failure stays on record


def test_a_claim_held_by_a_dead_worker_expires(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "due_soon")
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    run_on(DUE - timedelta(days=1), django_capture_on_commit_callbacks)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = Reminder.objects.get(channel="email")
    # a worker claimed it and was killed before sending
    Reminder.objects.filter(pk=email.pk).update(claimed_at=timezone.now())
    with pytest.raises(delivery.StillClaimed):
        delivery.deliver(email.pk)
    assert delivery.pending_ids() == []
    Reminder.objects.filter(pk=email.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=settings.REMINDER_CLAIM_LEASE + 1)
    )
    assert delivery.pending_ids() == [email.pk]
    assert delivery.deliver(email.pk) is True and len(mail.outbox) == 1


def test_an_expired_lease_on_a_sent_row_sends_nothing(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "due_soon")
    run_on(DUE - timedelta(days=1), django_capture_on_commit_callbacks)
    email = Reminder.objects.get(channel="email")
    assert email.sent_at is not None and len(mail.outbox) == 1
    # the worker that sent it kept its claim; the lease has long expired since
    expired = timezone.now() - timedelta(seconds=settings.REMINDER_CLAIM_LEASE + 60)
    Reminder.objects.filter(pk=email.pk).update(claimed_at=expired)
    assert delivery.claim(email.pk, timezone.now()) is False
    assert delivery.deliver(email.pk) is False
    assert delivery.pending_ids() == [] and delivery.held_rows() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_pending() == 0
    assert deliver_reminder.apply(args=[email.pk]).get() is False
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.claimed_at, email.attempts) == (expired, 1)


# --- the schedule and /healthz -------------------------------------------------------------------


def test_the_daily_scan_is_scheduled_at_0830_shanghai(db):
    scan_task = PeriodicTask.objects.get(task="core.tasks.run_reminder_scan")
    assert scan_task.enabled and scan_task.crontab.hour == "8" and scan_task.crontab.minute == "30"
    assert str(scan_task.crontab.timezone) == "Asia/Shanghai"
    assert PeriodicTask.objects.filter(task="core.tasks.deliver_pending").exists()

    scan_task.crontab.minute = "45"  # an admin's change stands
    scan_task.crontab.save()
    ensure_schedule()
    assert PeriodicTask.objects.get(pk=scan_task.pk).crontab.minute == "45"


def test_scheduled_task_runs_the_scan(office, settings, django_capture_on_commit_callbacks):
    only(settings, "due_soon")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = run_reminder_scan.apply(args=[str(DUE - timedelta(days=3))]).get()
    assert outcome == {"items": 1, "reminders": 2}
    assert ScanRun.objects.get().trigger == "scheduler"


def test_healthz_shows_the_last_scan(office, settings, client, django_capture_on_commit_callbacks):
    only(settings, "due_soon")
    client.force_login(make_user("root", Role.ADMIN))
    assert client.get("/healthz").json()["last_scheduler_run"] is None
    run_on(DUE - timedelta(days=3), django_capture_on_commit_callbacks, trigger="scheduler")
    body = client.get("/healthz").json()
    assert body["last_scheduler_run"]["day"] == "2030-06-27"
    assert body["last_scheduler_run"]["finished_at"]
    assert body["last_scheduler_run"]["recipients"] == 1
    assert isinstance(body["queue_depth"], int)


# --- the pages ---------------------------------------------------------------------------------


def test_reminders_page_by_role(office, settings, client, django_capture_on_commit_callbacks):
    make_task(2, year=2030, title="文电任务", lead_department=office["other"], due_date=DUE)
    only(settings, "due_soon")
    run_on(DUE - timedelta(days=3), django_capture_on_commit_callbacks)
    assert client.get("/reminders/").status_code == 302  # sign in first
    client.force_login(office["head"])  # sees staff's (same department), not the outsider's
    body = client.get("/reminders/").content.decode()
    assert "提升融资环境" in body and "文电任务" not in body
    client.force_login(office["outsider"])
    body = client.get("/reminders/").content.decode()
    assert "文电任务" in body and "提升融资环境" not in body
    client.force_login(office["sup"])
    body = client.get("/reminders/").content.decode()
    assert "提升融资环境" in body and "文电任务" in body
    body = client.get("/reminders/", {"department": office["other"].pk}).content.decode()
    assert "文电任务" in body and "提升融资环境" not in body
    body = client.get("/reminders/", {"q": "融资", "channel": "email"}).content.decode()
    assert "提升融资环境" in body and "文电任务" not in body
    body = client.get("/reminders/", {"kind": "overdue"}).content.decode()
    assert "暂无提醒" in body
    response = client.get("/reminders/", {"start": "2030-07-01", "end": "2030-06-01"})
    assert response.status_code == 200 and "起始日期不能晚于截止日期" in response.content.decode()


def test_reminders_page_query_count_is_constant(
    office, settings, client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    only(settings, "due_soon")
    client.force_login(office["sup"])
    run_on(DUE - timedelta(days=7), django_capture_on_commit_callbacks)
    few = count_queries(django_assert_max_num_queries, client, "/reminders/", at_most=12)
    for n in range(2, 12):
        make_task(n, year=2030, lead_department=office["dept"], due_date=DUE)
    run_on(DUE - timedelta(days=3), django_capture_on_commit_callbacks)
    assert count_queries(django_assert_max_num_queries, client, "/reminders/", at_most=12) == few
