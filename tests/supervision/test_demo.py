"""load_demo: accounts with their roles, the seed plan, progress, and safe to run twice."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from freezegun import freeze_time

from core.roles import Role
from supervision.choices import Light, ReportStatus, Source
from supervision.filters import task_keys
from supervision.models import (
    Instruction,
    Listing,
    Milestone,
    MonthClose,
    MonthlyReport,
    Plan,
    Task,
    User,
)

pytestmark = pytest.mark.django_db


def load():
    call_command("load_demo", "--year", "2012", stdout=StringIO())


def test_demo_accounts_have_their_roles_and_departments(settings):
    load()
    roles = {
        u.username: u
        for u in User.objects.filter(
            username__in=["admin", "leader1", "supervisor1", "head1", "staff1", "staff2"]
        )
    }
    assert roles["admin"].is_superuser and roles["admin"].is_staff
    assert roles["leader1"].has_role(Role.LEADER)
    assert roles["supervisor1"].has_role(Role.SUPERVISOR)
    assert roles["supervisor1"].department.name == "督查处"
    assert roles["head1"].has_role(Role.HEAD)
    assert roles["head1"].department == roles["staff1"].department
    assert roles["staff1"].has_role(Role.STAFF) and not roles["staff1"].has_role(Role.HEAD)
    assert roles["staff1"].department != roles["staff2"].department
    for name in ("staff1", "staff2"):
        assert Task.objects.filter(lead_department=roles[name].department).exists()
    assert roles["staff1"].check_password(settings.DEMO_PASSWORD)


def test_demo_has_realistic_progress():
    load()
    assert Task.objects.count() > 20
    plan_tasks = Task.objects.filter(source=Source.PLAN).count()
    assert MonthlyReport.objects.filter(month="2012-01-01").count() == plan_tasks
    assert MonthlyReport.objects.filter(status=ReportStatus.APPROVED).exists()
    assert MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED).exists()
    # some reports came after the 5th of the following month, some months are missing
    late = [r for r in MonthlyReport.objects.all() if r.submitted_at.day > 5]
    assert late
    assert MonthlyReport.objects.filter(month="2012-06-01").count() < plan_tasks
    assert Milestone.objects.filter(completed_on__isnull=False).exists()
    assert Milestone.objects.filter(completed_on__isnull=True).exists()
    assert Listing.objects.filter(lifted_at=None).count() == 1
    assert Instruction.objects.filter(response="").count() == 1
    # beside the plan: a 批示件 交办 from that 批示, a 会议议定事项, a 政府工作报告 task (and
    # the 建议提案 that services/ demo opens as items of their own sources)
    # (and the plan task the demo carries over into next year: 挂账结转, issue 12)
    items = Task.objects.exclude(source__in=[Source.PLAN, Source.NPC, Source.CPPCC]).filter(
        carried_from=None
    )
    assert sorted(items.values_list("source", flat=True)) == sorted(
        [Source.INSTRUCTION, Source.MEETING, Source.GOV_REPORT]
    )
    assert items.get(source=Source.INSTRUCTION).origin_instruction.response == ""
    assert Task.objects.filter(is_public=True).exists()
    assert not Task.objects.filter(due_date=None).exists()


def test_load_demo_twice_is_safe():
    load()
    counts = (Task.objects.count(), MonthlyReport.objects.count(), User.objects.count())
    staff1 = User.objects.get(username="staff1")
    task = Task.objects.filter(lead_department=staff1.department).first()
    task.percent = 77
    task.save()
    history = Task.history.count()
    load()
    assert Task.history.count() == history  # the second run changed no task
    assert (Task.objects.count(), MonthlyReport.objects.count(), User.objects.count()) == counts
    task.refresh_from_db()
    assert task.percent == 77  # an edit made since the first run survives


@freeze_time("2026-11-20 01:00:00")
def test_demo_of_the_current_year_reports_up_to_last_month_and_shows_every_light():
    call_command("load_demo", stdout=StringIO())  # default: the current year
    plan = Plan.objects.get()
    assert plan.year == 2026
    months = set(MonthlyReport.objects.values_list("month", flat=True))
    assert max(months) == date(2026, 10, 1) and min(months) == date(2026, 1, 1)
    assert not Task.objects.filter(due_date__year=2012).exists()
    lights = set(task_keys(date(2026, 11, 20)).values_list("light", flat=True))
    assert {Light.GREEN, Light.YELLOW, Light.RED} <= lights
    assert MonthClose.objects.filter(plan=plan).count() == 9  # January to September
    listing = Listing.objects.get()
    assert listing.listed_at.date() == date(2026, 9, 3)  # in the last closed month
    assert listing.deadline == date(2026, 12, 1)


@freeze_time("2026-12-01 01:00:00")  # 09:00 in Beijing, the first day of a month
def test_early_in_a_month_no_report_was_submitted_or_reviewed_later_than_now():
    call_command("load_demo", stdout=StringIO())
    now = timezone.now()
    reports = MonthlyReport.objects.exclude(submitted_at=None)
    assert reports.filter(month=date(2026, 11, 1)).exists()  # last month's are in
    assert not reports.filter(submitted_at__gt=now).exists()
    assert not reports.filter(reviewed_at__gt=now).exists()
    # October's went in during November as before, the late ones after the 5th
    october = reports.filter(month=date(2026, 10, 1))
    assert october.filter(submitted_at__date__gt=date(2026, 11, 5)).exists()


def test_demo_of_2012_keeps_the_plans_own_year():
    load()  # --year 2012
    assert Plan.objects.get().year == 2012
    assert max(MonthlyReport.objects.values_list("month", flat=True)) == date(2012, 6, 1)
    assert MonthClose.objects.count() == 5
    assert Listing.objects.get().deadline == date(2012, 9, 30)


def test_load_demo_refuses_a_silly_year():
    with pytest.raises(CommandError, match="年度"):
        call_command("load_demo", "--year", "12", stdout=StringIO())
