"""Working days (工作日) in China: weekends, 法定节假日 and the 调休 Saturdays and Sundays that are
working days. The `chinesecalendar` library knows the published schedules up to its last
release; the admin's WorkdayOverride rows come first (a year the library does not cover yet,
or a correction), and outside both a day is a working day from Monday to Friday.

Limits written in 工作日 ("30个工作日内", 签收 within 3 working days) are counted here. A
Calendar loads the overrides once (one query) and answers any number of questions; callers
that count many limits (the reminder scan, a list page) keep one.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import chinese_calendar
from chinese_calendar import constants as library
from django.utils import timezone

from .models import CalendarYear, WorkdayOverride

LIBRARY_YEARS = frozenset(day.year for day in (*library.holidays, *library.workdays))


@dataclass
class Calendar:
    overrides: dict = field(default_factory=dict)  # date -> is a working day

    @classmethod
    def load(cls):
        """The calendar with every override (a few dozen rows a year): one query."""
        return cls(dict(WorkdayOverride.objects.values_list("day", "is_workday")))

    def is_workday(self, day):
        if day in self.overrides:
            return self.overrides[day]
        if day.year in LIBRARY_YEARS:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:  # a day at the edge of the library's range
                pass
        return day.weekday() < 5

    def add(self, start, days):
        """The `days`-th working day after `start` (start itself not counted): "N个工作日内"
        from `start`. Zero days is `start`."""
        if days < 0:
            raise ValueError("工作日数不能为负数。")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_workday(day):
                days -= 1
        return day

    def between(self, start, end):
        """The working days after `start` up to and including `end` (0 if end ≤ start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def add_workdays(start, days):
    return Calendar.load().add(start, days)


def workdays_between(start, end):
    return Calendar.load().between(start, end)


def covered(year):
    """Whether the holidays of `year` are known: published in the library, or entered in
    full by an admin (CalendarYear)."""
    return year in LIBRARY_YEARS or CalendarYear.objects.filter(year=year).exists()


def uncovered_next_year(today=None):
    """Next year, when its holidays are not known yet (the admins' warning), else None."""
    year = (today or timezone.localdate()).year + 1
    return None if covered(year) else year
