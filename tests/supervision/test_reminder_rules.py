"""The supervision app's reminder rules (supervision/reminder_rules.py): each rule, the
escalation ladder, the command, the task page and ledger counts. The clock is frozen; days are
Asia/Shanghai days."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.choices import ReminderKind
from core.models import ReminderItem, ScanRun
from supervision.choices import ReportStatus
from supervision.filters import task_rows
from supervision.models import Listing, Milestone, MonthlyReport
from tests.helpers import DUE, TZ, make_task, only, run_on, sent

pytestmark = pytest.mark.django_db


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
    # before the 25th: nothing about May yet, only April's report, late since the 1st
    early = run_on(date(2030, 5, 24), django_capture_on_commit_callbacks)
    assert sent(early) == {
        ("staff", ReminderKind.REPORT_MISSING, f"report_missing:task:{pk}:2030-04:late"),
        ("head", ReminderKind.REPORT_MISSING, f"report_missing:task:{pk}:2030-04:late"),
    }
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
    with pytest.raises(CommandError, match="格式不正确"):
        command("--date", "2012-13-40")


def test_task_page_and_ledger_count_reminders(
    office, settings, client, django_capture_on_commit_callbacks
):
    only(settings, "overdue")
    run_on(DUE + timedelta(days=1), django_capture_on_commit_callbacks)
    run_on(DUE + timedelta(days=4), django_capture_on_commit_callbacks)
    client.force_login(office["sup"])
    body = client.get(f"/tasks/{office['task'].pk}/").content.decode()
    assert 'id="reminder-items"' in body and "已逾期4天" in body

    assert task_rows().get(pk=office["task"].pk).reminder_count == 2  # two events, 4 people
    assert client.get("/supervision/ledger/").status_code == 200
