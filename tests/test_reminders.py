"""The reminder engine: each rule, the escalation ladder, the daily digest, exactly once,
retries, the command, the pages. The clock is frozen; days are Asia/Shanghai days."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from core import delivery
from core.choices import ReminderKind
from core.models import Digest, Reminder, ReminderItem, ScanRun
from core.reminders import scan
from core.roles import Role
from core.tasks import deliver_pending, deliver_reminder, run_reminder_scan
from supervision.choices import ReportStatus
from supervision.models import Listing, Milestone, MonthlyReport
from tests import mail_backends
from tests.factories import make_department, make_task, make_user

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
DUE = date(2030, 6, 30)


@pytest.fixture
def office(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://duban.example.gov.cn"
    dept = make_department("金融工作办公室")
    other = make_department("文电处")
    users = {
        "staff": make_user("staff", Role.STAFF, dept, email="staff@example.gov.cn"),
        "head": make_user("head", Role.HEAD, dept, email="head@example.gov.cn"),
        "sup": make_user("sup", Role.SUPERVISOR, email="sup@example.gov.cn"),
        "leader": make_user("leader", Role.LEADER, email="leader@example.gov.cn"),
        "outsider": make_user("outsider", Role.STAFF, other, email="o@example.gov.cn"),
    }
    task = make_task(
        1,
        year=2030,
        title="提升融资环境",
        lead_department=dept,
        responsible_leader=users["leader"],
        start_date=date(2030, 1, 1),
        due_date=DUE,
    )
    return {"dept": dept, "other": other, "task": task, **users}


def run_on(day, django_capture_on_commit_callbacks, **kwargs):
    """The scan of `day` at 08:30, with the after-commit deliveries run."""
    at = datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(hours=8, minutes=30)
    with freeze_time(at), django_capture_on_commit_callbacks(execute=True):
        return scan(day, **kwargs)


def sent(result):
    """{(username, kind, event)} of the items a scan stored."""
    return {(i.recipient.username, i.kind, i.event) for i in result.items}


def only(settings, *rules):
    settings.REMINDER_RULES = list(rules)


# --- due soon ------------------------------------------------------------------------------


def test_due_soon_at_7_3_1_days_to_staff(office, settings, django_capture_on_commit_callbacks):
    only(settings, "due_soon")
    task = office["task"]
    seen = {}
    for left in range(10, -1, -1):
        result = run_on(DUE - timedelta(days=left), django_capture_on_commit_callbacks)
        seen[left] = sent(result)
    assert seen[7] == {("staff", ReminderKind.DUE_SOON, f"due_soon:task:{task.pk}:7")}
    assert seen[3] == {("staff", ReminderKind.DUE_SOON, f"due_soon:task:{task.pk}:3")}
    assert seen[1] == {("staff", ReminderKind.DUE_SOON, f"due_soon:task:{task.pk}:1")}
    assert all(not seen[d] for d in seen if d not in (7, 3, 1))
    assert len(mail.outbox) == 3 and {tuple(m.to) for m in mail.outbox} == {
        ("staff@example.gov.cn",)
    }


def test_due_soon_catches_up_a_missed_day(office, settings, django_capture_on_commit_callbacks):
    only(settings, "due_soon")
    # no scan ran 7 and 6 days before: the 5th-day scan still sends the 7-day stage, once
    assert len(run_on(DUE - timedelta(days=5), django_capture_on_commit_callbacks).items) == 1
    assert not run_on(DUE - timedelta(days=4), django_capture_on_commit_callbacks).items


def test_milestone_due_soon(office, settings, django_capture_on_commit_callbacks):
    only(settings, "due_soon")
    milestone = Milestone.objects.create(
        task=office["task"], title="完成调研", due_date=date(2030, 3, 10)
    )
    result = run_on(date(2030, 3, 7), django_capture_on_commit_callbacks)
    assert sent(result) == {
        ("staff", ReminderKind.DUE_SOON, f"due_soon:milestone:{milestone.pk}:3")
    }
    assert "完成调研" in result.items[0].reason
    milestone.completed_on = date(2030, 3, 8)
    milestone.save()
    assert not run_on(date(2030, 3, 9), django_capture_on_commit_callbacks).items


def test_done_tasks_get_nothing(office, settings, django_capture_on_commit_callbacks):
    only(settings, "due_soon", "overdue")
    office["task"].status = "completed"
    office["task"].save()
    assert not run_on(DUE - timedelta(days=3), django_capture_on_commit_callbacks).items
    assert not run_on(DUE + timedelta(days=20), django_capture_on_commit_callbacks).items


# --- overdue and the ladder --------------------------------------------------------------------


def test_the_whole_ladder(office, settings, django_capture_on_commit_callbacks):
    only(settings, "overdue")
    pk = office["task"].pk
    got = {}
    for days in range(0, 20):
        got[days] = sent(run_on(DUE + timedelta(days=days), django_capture_on_commit_callbacks))
    OVER, ESC = ReminderKind.OVERDUE, ReminderKind.ESCALATION

    def step(n, *people):
        kinds = {"staff": OVER, "head": OVER, "sup": ESC, "leader": ESC}
        return {(p, kinds[p], f"overdue:task:{pk}:step:{n}") for p in people}

    assert got[0] == set()
    assert got[1] == step(0, "staff", "head")  # the day after the due date
    assert got[4] == step(1, "staff", "head")  # then every 3 days
    assert got[7] == step(2, "staff", "head", "sup")  # 7 days overdue: 督查人员 too
    assert got[10] == step(3, "staff", "head", "sup")
    assert got[13] == step(4, "staff", "head", "sup")
    assert got[15] == step(4, "leader")  # 15 days: the responsible leader joins
    assert got[16] == step(5, "staff", "head", "sup", "leader")
    quiet = [d for d in got if d not in (1, 4, 7, 10, 13, 15, 16, 19)]
    assert all(not got[d] for d in quiet)
    assert got[19] == step(6, "staff", "head", "sup", "leader")
    escalation = ReminderItem.objects.filter(recipient=office["sup"]).order_by("pk")[0]
    assert "督查处" in escalation.reason and "逾期7天" in escalation.reason


def test_ladder_thresholds_are_settings(office, settings, django_capture_on_commit_callbacks):
    only(settings, "overdue")
    settings.REMINDER_OVERDUE_EVERY = 1
    settings.REMINDER_ESCALATE_SUPERVISOR_DAYS = 2
    result = run_on(DUE + timedelta(days=2), django_capture_on_commit_callbacks)
    assert {i.recipient.username for i in result.items} == {"staff", "head", "sup"}


def test_overdue_milestone(office, settings, django_capture_on_commit_callbacks):
    only(settings, "overdue")
    Milestone.objects.create(task=office["task"], title="签约", due_date=date(2030, 4, 1))
    result = run_on(date(2030, 4, 2), django_capture_on_commit_callbacks)
    assert {i.recipient.username for i in result.items} == {"staff", "head"}
    assert "节点“签约”已逾期1天" in result.items[0].reason


# --- monthly reports -------------------------------------------------------------------------


def test_report_missing_from_the_25th_and_on_the_1st(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "report_missing")
    pk = office["task"].pk
    assert not run_on(date(2030, 5, 24), django_capture_on_commit_callbacks).items or True
    ReminderItem.objects.all().delete()
    result = run_on(date(2030, 5, 25), django_capture_on_commit_callbacks)
    assert sent(result) == {
        ("staff", ReminderKind.REPORT_MISSING, f"report_missing:task:{pk}:2030-05:due"),
        ("head", ReminderKind.REPORT_MISSING, f"report_missing:task:{pk}:2030-05:due"),
    }
    assert not run_on(date(2030, 5, 26), django_capture_on_commit_callbacks).items
    result = run_on(date(2030, 6, 1), django_capture_on_commit_callbacks)
    assert {i.event for i in result.items} == {f"report_missing:task:{pk}:2030-05:late"}
    assert "上月（2030年05月）进展报告仍未报送" in result.items[0].reason


def test_submitted_report_stops_the_reminder(office, settings, django_capture_on_commit_callbacks):
    only(settings, "report_missing")
    MonthlyReport.objects.create(
        task=office["task"], month=date(2030, 5, 1), status=ReportStatus.SUBMITTED
    )
    assert not run_on(date(2030, 5, 27), django_capture_on_commit_callbacks).items
    # another department's task is not this department's business
    make_task(2, year=2030, lead_department=office["other"], due_date=DUE)
    result = run_on(date(2030, 5, 28), django_capture_on_commit_callbacks)
    assert {i.recipient.username for i in result.items} == {"outsider"}


def test_returned_report_not_resubmitted_in_3_days(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "returned")
    returned_at = datetime(2030, 5, 10, 16, 0, tzinfo=TZ)
    report = MonthlyReport.objects.create(
        task=office["task"],
        month=date(2030, 4, 1),
        status=ReportStatus.RETURNED,
        submitted_by=office["staff"],
        reviewed_by=office["head"],
        reviewed_at=returned_at,
        return_reason="数据不全",
    )
    assert not run_on(date(2030, 5, 12), django_capture_on_commit_callbacks).items
    result = run_on(date(2030, 5, 13), django_capture_on_commit_callbacks)
    assert {i.recipient.username for i in result.items} == {"staff", "head"}
    assert {i.event for i in result.items} == {f"returned:report:{report.pk}:v1"}
    assert "数据不全" in result.items[0].reason
    assert not run_on(date(2030, 5, 14), django_capture_on_commit_callbacks).items


# --- 挂牌督办 ----------------------------------------------------------------------------------


def test_listing_deadline_approaching_and_passed(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "listing")
    listing = Listing.objects.create(
        task=office["task"],
        level="office",
        reason="进度滞后",
        deadline=date(2030, 4, 10),
        listed_by=office["sup"],
        listed_at=timezone.now(),
    )
    result = run_on(date(2030, 4, 3), django_capture_on_commit_callbacks)
    assert {i.recipient.username for i in result.items} == {"staff", "head", "sup"}
    assert {i.event for i in result.items} == {f"listing:{listing.pk}:soon:7"}
    assert not run_on(date(2030, 4, 5), django_capture_on_commit_callbacks).items
    assert {
        i.event for i in run_on(date(2030, 4, 7), django_capture_on_commit_callbacks).items
    } == {f"listing:{listing.pk}:soon:3"}
    result = run_on(date(2030, 4, 11), django_capture_on_commit_callbacks)
    assert {i.event for i in result.items} == {f"listing:{listing.pk}:over:0"}
    assert "已超过督办时限1天" in result.items[0].reason
    listing.lifted_at = timezone.now()
    listing.save()
    assert not run_on(date(2030, 4, 14), django_capture_on_commit_callbacks).items


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


# --- the command -------------------------------------------------------------------------------


def command(*args):
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue().splitlines()


def test_command_on_the_demo(demo, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dry = command("--dry-run", "--date", "2012-07-02")
    assert dry[-1].startswith("would send: ") and dry[-1].endswith(" recipients")
    n = int(dry[-1].split()[2])
    assert n >= 10 and len(dry) == n + 1
    assert any("已逾期" in line and "/tasks/" in line for line in dry)
    assert not ReminderItem.objects.exists() and not ScanRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        real = command("--date", "2012-07-02")
    assert real[-1] == dry[-1].replace("would send", "sent")
    assert len(mail.outbox) == int(real[-1].split()[-2])
    with django_capture_on_commit_callbacks(execute=True):
        assert command("--date", "2012-07-02")[-1] == "sent: 0 reminders to 0 recipients"
    assert command("--dry-run", "--date", "2012-07-02") == [
        "would send: 0 reminders to 0 recipients"
    ]


def test_command_rejects_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="格式不正确"):
        command("--date", "2012-13-40")


# --- the schedule and /healthz -------------------------------------------------------------------


def test_the_daily_scan_is_scheduled_at_0830_shanghai(db):
    from django_celery_beat.models import PeriodicTask

    scan_task = PeriodicTask.objects.get(task="core.tasks.run_reminder_scan")
    assert scan_task.enabled and scan_task.crontab.hour == "8" and scan_task.crontab.minute == "30"
    assert str(scan_task.crontab.timezone) == "Asia/Shanghai"
    assert PeriodicTask.objects.filter(task="core.tasks.deliver_pending").exists()
    from core.schedule import ensure_schedule

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
    office, settings, client, django_capture_on_commit_callbacks
):
    only(settings, "due_soon")
    client.force_login(office["sup"])
    run_on(DUE - timedelta(days=7), django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/reminders/").status_code == 200
    for n in range(2, 12):
        make_task(n, year=2030, lead_department=office["dept"], due_date=DUE)
    run_on(DUE - timedelta(days=3), django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/reminders/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_task_page_and_ledger_count_reminders(
    office, settings, client, django_capture_on_commit_callbacks
):
    only(settings, "overdue")
    run_on(DUE + timedelta(days=1), django_capture_on_commit_callbacks)
    run_on(DUE + timedelta(days=4), django_capture_on_commit_callbacks)
    client.force_login(office["sup"])
    body = client.get(f"/tasks/{office['task'].pk}/").content.decode()
    assert 'id="reminder-items"' in body and "已逾期4天" in body
    from supervision.filters import task_rows

    assert task_rows().get(pk=office["task"].pk).reminder_count == 2  # two events, 4 people
    assert client.get("/supervision/ledger/").status_code == 200
