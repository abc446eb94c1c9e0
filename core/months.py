"""Month arithmetic. A month is the `date` of its first day; "YYYY-MM" is its form in URLs."""

import re
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value):
    """The first day of a 'YYYY-MM' string, or None."""
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1900 < year < 2200):
        return None
    return date(year, month, 1)


def month_or_404(value):
    """The month of a 'YYYY-MM' URL part; 404 for anything else."""
    month = parse_month(value)
    if month is None:
        raise Http404("月份格式不正确")
    return month


def validate_month(value):
    if parse_month(value) is None:
        raise ValidationError("月份不正确，请按“年-月”填写，如 2012-06。")


def next_month(month):
    """The first day of the month after `month`'s month."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(day):
    """The first day of the month before `day`'s month."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(month):
    """The last day of `month`'s month."""
    return next_month(month) - timedelta(days=1)


def months_between(first, last):
    """Every month from `first`'s to `last`'s, both included."""
    month, months = first.replace(day=1), []
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def cn_month(month):
    """2012年7月"""
    return f"{month.year}年{month.month}月"


def as_of(month, today=None):
    """The day a month is judged on: its last day, or today while it runs."""
    today = today or timezone.localdate()
    return min(today, month_end(month))


def report_due_date(month):
    """The day by which the report of `month` is due (REPORT_DUE_DAY of the next month)."""
    return next_month(month).replace(day=settings.REPORT_DUE_DAY)
