"""红黄绿灯: each rule, as of a given day, on the database."""

from datetime import date, timedelta

import pytest

from core.roles import Role
from supervision.choices import Light, ListingLevel, ReportStatus, TaskStatus
from supervision.lights import with_lights
from supervision.models import Listing, MonthlyReport, Task
from tests.helpers import make_task, make_user

pytestmark = pytest.mark.django_db
TODAY = date(2030, 6, 10)


def light_of(task, today=TODAY):
    return with_lights(Task.objects.filter(pk=task.pk), today).get().light


def reported(task, month=date(2030, 5, 1)):
    MonthlyReport.objects.create(task=task, month=month, status=ReportStatus.SUBMITTED)
    return task


def task(number=1, **values):
    values.setdefault("start_date", date(2030, 1, 1))
    values.setdefault("due_date", date(2030, 12, 31))
    values.setdefault("percent", 60)
    values.setdefault("status", TaskStatus.IN_PROGRESS)
    return make_task(number=number, year=2030, **values)


def test_on_track_with_last_months_report_is_green():
    assert light_of(reported(task())) == Light.GREEN


def test_closed_is_grey_even_when_overdue():
    t = reported(task(status=TaskStatus.CLOSED, due_date=date(2030, 3, 1), start_date=None))
    assert light_of(t) == Light.GREY


def test_overdue_is_red_unless_done():
    late = reported(task(due_date=TODAY - timedelta(days=1), start_date=None))
    assert light_of(late) == Light.RED
    late.status = TaskStatus.COMPLETED
    late.save()
    assert light_of(late) == Light.GREEN


def test_listing_past_its_deadline_is_red():
    t = reported(task())
    Listing.objects.create(
        task=t,
        level=ListingLevel.CITY,
        reason="r",
        deadline=TODAY - timedelta(days=1),
        listed_by=make_user("sup", Role.SUPERVISOR),
        listed_at="2030-05-01T09:00+08:00",
    )
    assert light_of(t) == Light.RED
    assert light_of(t, today=TODAY - timedelta(days=2)) == Light.GREEN


def test_due_within_15_days_is_yellow():
    t = reported(task(due_date=TODAY + timedelta(days=15), percent=90))
    assert light_of(t) == Light.YELLOW
    t.due_date = TODAY + timedelta(days=16)
    t.save()
    assert light_of(t) == Light.GREEN


def test_behind_schedule_by_more_than_20_points_is_yellow():
    # 2030-01-01 .. 2030-12-31: on 06-10, 160 of 364 days have passed: 44%.
    assert light_of(reported(task(number=1, percent=23))) == Light.YELLOW
    assert light_of(reported(task(number=2, percent=24))) == Light.GREEN


def test_missing_last_months_report_is_yellow():
    t = task()
    assert light_of(t) == Light.YELLOW
    MonthlyReport.objects.create(task=t, month=date(2030, 5, 1), status=ReportStatus.DRAFT)
    assert light_of(t) == Light.YELLOW  # a draft is not a report
    reported(t, month=date(2030, 4, 1))
    assert light_of(t) == Light.YELLOW  # April's is not May's
    MonthlyReport.objects.filter(task=t, month=date(2030, 5, 1)).update(
        status=ReportStatus.APPROVED
    )
    assert light_of(t) == Light.GREEN


def test_thresholds_come_from_settings(settings):
    settings.LIGHT_DUE_SOON_DAYS = 30
    t = reported(task(due_date=TODAY + timedelta(days=20), percent=90))
    assert light_of(t) == Light.YELLOW
    settings.LIGHT_DUE_SOON_DAYS = 15
    assert light_of(t) == Light.GREEN
