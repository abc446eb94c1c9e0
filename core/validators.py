"""Validators every app's forms share."""

from datetime import date

from django.core.exceptions import ValidationError

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def sane_date(value):
    """A date users could mean: from 2000 to 2100 (never 0001-01-01 or 9999-12-31)."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            f"日期应在 {EARLIEST_DATE:%Y-%m-%d} 至 {LATEST_DATE:%Y-%m-%d} 之间。",
            code="date_range",
        )
