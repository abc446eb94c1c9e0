"""The working-day calendar: arithmetic across a Spring Festival with a 调休 Saturday, the
admins' overrides for a year the library does not know, the warning while next year is
unknown, and the calendar page's permissions and bad input."""

from datetime import date

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from core import workdays
from core.models import CalendarYear, WorkdayOverride
from core.roles import Role
from tests.helpers import login, make_user


def test_working_days_across_the_2026_spring_festival():
    calendar = workdays.Calendar()
    assert calendar.is_workday(date(2026, 2, 14))  # a Saturday, 调休上班
    assert not calendar.is_workday(date(2026, 2, 17))  # 春节
    # Thursday the 12th + 3 working days: Friday, the 调休 Saturday, then after the holiday
    assert calendar.add(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert calendar.add(date(2026, 2, 12), 0) == date(2026, 2, 12)
    assert calendar.between(date(2026, 2, 12), date(2026, 2, 24)) == 3
    assert calendar.between(date(2026, 2, 24), date(2026, 2, 12)) == 0
    # 30 working days from 1 February, as "30个工作日内" is counted: both 调休 Saturdays
    # (14 and 28 February) count, the nine days of 春节 do not
    assert calendar.is_workday(date(2026, 2, 28))
    assert calendar.add(date(2026, 2, 1), 30) == date(2026, 3, 19)
    with pytest.raises(ValueError):
        calendar.add(date(2026, 2, 1), -1)


def test_a_year_outside_the_library_counts_weekdays_until_overrides_say_otherwise(db):
    assert 2027 not in workdays.LIBRARY_YEARS
    friday = date(2027, 2, 5)
    assert workdays.add_workdays(friday, 1) == date(2027, 2, 8)  # Monday
    WorkdayOverride.objects.create(day=date(2027, 2, 6), is_workday=True, name="春节调休上班")
    WorkdayOverride.objects.create(day=date(2027, 2, 8), is_workday=False, name="春节")
    assert workdays.add_workdays(friday, 1) == date(2027, 2, 6)
    assert workdays.add_workdays(friday, 2) == date(2027, 2, 9)
    # an override corrects a year the library knows as well
    WorkdayOverride.objects.create(day=date(2026, 2, 24), is_workday=False, name="更正")
    assert workdays.add_workdays(date(2026, 2, 12), 3) == date(2026, 2, 25)


@pytest.fixture
def admin_user(db):
    cache.clear()
    return make_user("calendar_admin", Role.ADMIN)


@freeze_time("2026-11-30 10:00:00+08:00")
def test_admins_are_warned_until_next_year_is_entered(client, admin_user):
    login(client, "calendar_admin")
    page = client.get("/notifications/").content.decode()
    assert 'id="calendar-warning"' in page and "2027年" in page
    make_user("plain_supervisor", Role.SUPERVISOR)
    login(client, "plain_supervisor")
    assert 'id="calendar-warning"' not in client.get("/notifications/").content.decode()
    login(client, "calendar_admin")
    response = client.post(
        "/supervision/calendar/",
        {"action": "confirm", "year-year": "2027", "year-note": "国办发明电〔2026〕7号"},
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).history.count() == 1
    assert 'id="calendar-warning"' not in client.get("/notifications/").content.decode()


def test_the_calendar_page_adds_and_removes_overrides(client, admin_user):
    login(client, "calendar_admin")
    page = client.get("/supervision/calendar/?year=2026")
    assert page.status_code == 200
    body = page.content.decode()
    assert "2026-02-14" in body and "2026-02-17" in body  # the library's days are listed
    added = client.post(
        "/supervision/calendar/",
        {"action": "add", "day-day": "2027-02-08", "day-name": "春节"},
    )
    assert added.status_code == 302
    override = WorkdayOverride.objects.get(day=date(2027, 2, 8))
    assert not override.is_workday
    duplicate = client.post(
        "/supervision/calendar/",
        {"action": "add", "day-day": "2027-02-08", "day-name": "又一次"},
    )
    assert duplicate.status_code == 400
    assert "已经有调整记录" in duplicate.content.decode()
    bad = client.post(
        "/supervision/calendar/",
        {"action": "add", "day-day": "2027-02-30", "day-name": "  "},
    )
    assert bad.status_code == 400
    assert "有效的日期" in bad.content.decode() and "请填写名称" in bad.content.decode()
    assert WorkdayOverride.objects.count() == 1
    client.post("/supervision/calendar/", {"action": "delete", "id": override.pk})
    assert not WorkdayOverride.objects.exists()
    assert WorkdayOverride.history.filter(history_type="-").count() == 1


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.LEADER, Role.HEAD, Role.STAFF])
def test_only_admins_keep_the_calendar(client, db, role):
    make_user("someone", role)
    login(client, "someone")
    assert client.get("/supervision/calendar/").status_code == 403
    response = client.post(
        "/supervision/calendar/", {"action": "add", "day-day": "2027-01-01", "day-name": "元旦"}
    )
    assert response.status_code == 403
    assert not WorkdayOverride.objects.exists()
